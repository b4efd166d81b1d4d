//! `iscsi`, `nfs` and `smb`: targets, exports, shares, users and who is
//! connected. Their command trees live here, beside what they do.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{json, Value};
use storaged::api::iscsi::{IscsiSessionList, IscsiTargetList, IscsiTargetView};
use storaged::api::nfs::{NfsClientList, NfsExportList};
use storaged::api::smb::{SmbSessionList, SmbShareList, SmbUserList};
use storaged::api::Applied;
use storaged::lio::Access;

use crate::table::{cell, Table};
use crate::{encode, typed, Ctl};

#[derive(Debug, Subcommand)]
pub enum IscsiCommand {
    /// Declared targets, their portals, LUNs and access.
    List,
    /// One target: each LUN's serial and NAA id, and the esxcli lines.
    Show { iqn: String },
    /// Serve a new target. For per-initiator or mutual CHAP, use `apply`.
    Create {
        iqn: String,
        /// ip:port, one per storage address (repeat for MPIO).
        #[arg(long = "portal", required = true, value_name = "IP:PORT")]
        portals: Vec<String>,
        /// LUN NUMBER=ZVOL, e.g. 0=tank/vm1 (repeatable).
        #[arg(long = "lun", value_name = "N=ZVOL")]
        luns: Vec<String>,
        /// Only these initiators may log in (repeatable).
        #[arg(long = "initiator", value_name = "IQN", conflicts_with = "allow_all")]
        initiators: Vec<String>,
        /// Any initiator may log in.
        #[arg(long)]
        allow_all: bool,
        /// CHAP user; the secret (12-16 characters) is read like a password.
        #[arg(long, value_name = "USER")]
        chap_user: Option<String>,
    },
    /// Declare or replace a target from a JSON file (the API's IscsiTarget).
    Apply { file: PathBuf },
    /// Stop serving a target (its zvols stay).
    Delete { iqn: String },
    /// Logged-in initiators.
    Sessions,
    /// CHAP for SendTargets discovery: --user USER (secret read like a
    /// password), or --clear.
    DiscoveryChap {
        #[arg(long, conflicts_with = "clear", required_unless_present = "clear")]
        user: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum NfsCommand {
    /// Declared exports.
    List,
    /// Export a dataset (or change its export).
    Add {
        dataset: String,
        /// Network, host or * (repeatable; at least one).
        #[arg(long = "client", required = true, value_name = "CLIENT")]
        clients: Vec<String>,
        /// Read-write (the default is read-only).
        #[arg(long)]
        rw: bool,
        /// root_squash (default), no_root_squash (ESXi) or all_squash.
        #[arg(long, default_value = "root_squash")]
        squash: String,
        /// Acknowledge writes before they are on the pool (unsafe on a crash).
        #[arg(long = "async")]
        async_writes: bool,
        /// Accept unprivileged source ports (clients behind NAT).
        #[arg(long)]
        insecure: bool,
    },
    /// Stop exporting a dataset.
    Delete { dataset: String },
    /// Connected clients.
    Clients,
}

#[derive(Debug, Subcommand)]
pub enum SmbCommand {
    /// Shares.
    #[command(subcommand)]
    Share(ShareCommand),
    /// Users who log in to shares.
    #[command(subcommand)]
    User(UserCommand),
    /// Connected users.
    Sessions,
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    List,
    /// Share a dataset.
    Add {
        name: String,
        dataset: String,
        /// Only these users (repeatable; default every user).
        #[arg(long = "user", value_name = "USER")]
        users: Vec<String>,
        #[arg(long)]
        read_only: bool,
        #[arg(long, default_value = "")]
        comment: String,
    },
    Delete {
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    List,
    /// Add a user; the password is read from the terminal or stdin.
    Add {
        name: String,
    },
    /// Set a user's password (read from the terminal or stdin).
    Passwd {
        name: String,
    },
    Delete {
        name: String,
    },
}

fn secret(ctl: &mut Ctl<'_>, what: &str) -> anyhow::Result<String> {
    let first = ctl.input.secret(&format!("{what}: "))?;
    if ctl.input.interactive() && ctl.input.secret(&format!("{what} again: "))? != first {
        anyhow::bail!("the two entries differ");
    }
    Ok(first)
}

/// `done`, then what the sharing services said about the change.
fn applied(answer: &Value, done: String) -> anyhow::Result<String> {
    let report = typed::<Applied>(answer)?.report;
    let mut text = done + "\n";
    for w in &report.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    for n in &report.notes {
        text.push_str(&format!("note: {n}\n"));
    }
    Ok(text)
}

pub fn iscsi(ctl: &mut Ctl<'_>, command: IscsiCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        IscsiCommand::List => {
            let answer = ctl.client.get("/iscsi/targets")?;
            let text = render_targets(&typed(&answer)?);
            (answer, text)
        }
        IscsiCommand::Show { iqn } => {
            let answer = ctl
                .client
                .get(&format!("/iscsi/targets/{}", encode(&iqn)))?;
            let text = render_target(&typed(&answer)?);
            (answer, text)
        }
        IscsiCommand::Create {
            iqn,
            portals,
            luns,
            initiators,
            allow_all,
            chap_user,
        } => {
            let luns = luns
                .iter()
                .map(|l| {
                    let (n, zvol) = l
                        .split_once('=')
                        .with_context(|| format!("--lun {l:?}: expected NUMBER=ZVOL"))?;
                    let number: u16 = n
                        .parse()
                        .with_context(|| format!("--lun {l:?}: {n:?} is not a LUN number"))?;
                    Ok(json!({"number": number, "zvol": zvol}))
                })
                .collect::<anyhow::Result<Vec<Value>>>()?;
            if !allow_all && initiators.is_empty() {
                anyhow::bail!("say who may log in: --initiator IQN (repeatable) or --allow-all");
            }
            let chap = match chap_user {
                Some(user) => Some(json!({"user": user, "secret": secret(ctl, "CHAP secret")?})),
                None => None,
            };
            let access = if allow_all {
                json!({"mode": "allow_all", "chap": chap})
            } else {
                let acls: Vec<Value> = initiators
                    .iter()
                    .map(|i| json!({"initiator": i, "chap": chap}))
                    .collect();
                json!({"mode": "initiators", "acls": acls})
            };
            let body = json!({"iqn": iqn, "portals": portals, "luns": luns, "access": access});
            let answer = ctl.client.post("/iscsi/targets", &body)?;
            let text = applied(&answer, format!("Serving iSCSI target {iqn}."))?;
            (answer, text)
        }
        IscsiCommand::Apply { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let body: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let iqn = body
                .get("iqn")
                .and_then(Value::as_str)
                .with_context(|| format!("{}: no \"iqn\" string", file.display()))?
                .to_string();
            let path = format!("/iscsi/targets/{}", encode(&iqn));
            let exists = ctl.client.call("GET", &path, None).is_ok();
            let answer = if exists {
                ctl.client.call("PUT", &path, Some(&body))?
            } else {
                ctl.client.post("/iscsi/targets", &body)?
            };
            let text = applied(
                &answer,
                format!("Serving iSCSI target {iqn} as in {}.", file.display()),
            )?;
            (answer, text)
        }
        IscsiCommand::Delete { iqn } => {
            let answer =
                ctl.client
                    .call("DELETE", &format!("/iscsi/targets/{}", encode(&iqn)), None)?;
            (answer, format!("Stopped serving {iqn}.\n"))
        }
        IscsiCommand::Sessions => {
            let answer = ctl.client.get("/iscsi/sessions")?;
            let mut table = Table::new(["TARGET", "INITIATOR", "VIA"]);
            for s in typed::<IscsiSessionList>(&answer)?.sessions {
                let via = if s.acl { "acl" } else { "allow-all" };
                table.row([s.target, s.initiator, via.to_string()]);
            }
            (answer, table.render())
        }
        IscsiCommand::DiscoveryChap { user, clear } => {
            let chap = match (user, clear) {
                (Some(user), false) => json!({"user": user, "secret": secret(ctl, "CHAP secret")?}),
                _ => Value::Null,
            };
            let answer =
                ctl.client
                    .call("PUT", "/iscsi/discovery-chap", Some(&json!({"chap": chap})))?;
            let done = if chap.is_null() {
                "Discovery needs no CHAP now."
            } else {
                "Discovery needs CHAP now."
            };
            let text = applied(&answer, done.to_string())?;
            (answer, text)
        }
    };
    ctl.show(&answer, &text)
}

fn render_targets(list: &IscsiTargetList) -> String {
    if list.targets.is_empty() {
        return "No iSCSI targets.\n".into();
    }
    let mut table = Table::new(["IQN", "PORTALS", "LUNS", "ACCESS"]);
    for t in &list.targets {
        let portals: Vec<String> = t.portals.iter().map(ToString::to_string).collect();
        let luns: Vec<String> = t
            .luns
            .iter()
            .map(|l| format!("{}={}", l.number, l.zvol))
            .collect();
        let mode = match t.access {
            Access::Initiators { .. } => "initiators",
            Access::AllowAll { .. } => "allow_all",
        };
        table.row([
            t.iqn.to_string(),
            portals.join(","),
            luns.join(","),
            mode.to_string(),
        ]);
    }
    table.render()
}

fn render_target(t: &IscsiTargetView) -> String {
    let mut text = format!("Target {}\n", t.iqn);
    let mut table = Table::new(["LUN", "ZVOL", "BLOCK", "SERIAL", "NAA"]);
    for l in &t.luns {
        table.row([
            l.number.to_string(),
            l.zvol.to_string(),
            l.block_size.to_string(),
            cell(&l.serial),
            cell(&l.naa),
        ]);
    }
    text.push_str(&table.render());
    let esx = &t.esxcli;
    text.push_str(&format!(
        "\nOn each ESXi host (replace {} with your software iSCSI adapter):\n",
        esx.adapter_placeholder
    ));
    for line in &esx.dynamic_discovery {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str(&format!("  {}\n", esx.rescan));
    text.push_str(&format!(
        "Once per host, for Round Robin over every path:\n  {}\n",
        esx.claim_rule
    ));
    text
}

pub fn nfs(ctl: &mut Ctl<'_>, command: NfsCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        NfsCommand::List => {
            let answer = ctl.client.get("/nfs/exports")?;
            let mut table =
                Table::new(["DATASET", "PATH", "CLIENTS", "ACCESS", "SQUASH", "WRITES"]);
            let list: NfsExportList = typed(&answer)?;
            for view in &list.exports {
                let e = &view.export;
                let clients: Vec<String> = e.clients.iter().map(ToString::to_string).collect();
                table.row([
                    e.dataset.to_string(),
                    view.path.display().to_string(),
                    clients.join(","),
                    cell(e.access),
                    cell(e.squash),
                    cell(e.writes),
                ]);
            }
            let mut text = table.render();
            for w in &list.warnings {
                text.push_str(&format!("warning: {w}\n"));
            }
            (answer, text)
        }
        NfsCommand::Add {
            dataset,
            clients,
            rw,
            squash,
            async_writes,
            insecure,
        } => {
            let body = json!({
                "dataset": dataset,
                "clients": clients,
                "access": if rw { "rw" } else { "ro" },
                "squash": squash,
                "writes": if async_writes { "async" } else { "sync" },
                "insecure": insecure,
            });
            let path = format!("/nfs/exports/{}", encode(&dataset));
            let exports: NfsExportList = typed(&ctl.client.get("/nfs/exports")?)?;
            let exists = exports
                .exports
                .iter()
                .any(|e| e.export.dataset.as_str() == dataset);
            let answer = if exists {
                ctl.client.call("PUT", &path, Some(&body))?
            } else {
                ctl.client.post("/nfs/exports", &body)?
            };
            let text = applied(&answer, format!("Exported {dataset}."))?;
            (answer, text)
        }
        NfsCommand::Delete { dataset } => {
            let path = format!("/nfs/exports/{}", encode(&dataset));
            let answer = ctl.client.call("DELETE", &path, None)?;
            (answer, format!("{dataset} is no longer exported.\n"))
        }
        NfsCommand::Clients => {
            let answer = ctl.client.get("/nfs/clients")?;
            let mut table = Table::new(["ADDRESS", "VERSION", "PATH"]);
            for c in typed::<NfsClientList>(&answer)?.clients {
                table.row([c.address, c.version, cell(&c.path)]);
            }
            (answer, table.render())
        }
    };
    ctl.show(&answer, &text)
}

pub fn smb(ctl: &mut Ctl<'_>, command: SmbCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        SmbCommand::Share(ShareCommand::List) => {
            let answer = ctl.client.get("/smb/shares")?;
            let mut table = Table::new(["NAME", "DATASET", "PATH", "USERS", "READ-ONLY"]);
            for view in typed::<SmbShareList>(&answer)?.shares {
                let s = &view.share;
                let users: Vec<String> = s.valid_users.iter().map(ToString::to_string).collect();
                table.row([
                    s.name.to_string(),
                    s.dataset.to_string(),
                    view.path.display().to_string(),
                    if users.is_empty() {
                        "everyone".into()
                    } else {
                        users.join(",")
                    },
                    s.read_only.to_string(),
                ]);
            }
            (answer, table.render())
        }
        SmbCommand::Share(ShareCommand::Add {
            name,
            dataset,
            users,
            read_only,
            comment,
        }) => {
            let body = json!({
                "name": name, "dataset": dataset, "valid_users": users,
                "read_only": read_only, "comment": comment,
            });
            let answer = ctl.client.post("/smb/shares", &body)?;
            let text = applied(&answer, format!("Sharing {dataset} as {name}."))?;
            (answer, text)
        }
        SmbCommand::Share(ShareCommand::Delete { name }) => {
            let answer =
                ctl.client
                    .call("DELETE", &format!("/smb/shares/{}", encode(&name)), None)?;
            (answer, format!("Share {name} removed.\n"))
        }
        SmbCommand::User(UserCommand::List) => {
            let answer = ctl.client.get("/smb/users")?;
            let mut table = Table::new(["NAME", "UID", "PASSWORD"]);
            for u in typed::<SmbUserList>(&answer)?.users {
                let set = if u.has_password { "set" } else { "missing" };
                table.row([u.name.to_string(), u.uid.to_string(), set.to_string()]);
            }
            (answer, table.render())
        }
        SmbCommand::User(UserCommand::Add { name }) => {
            let password = secret(ctl, "Password")?;
            let body = json!({"name": name, "password": password});
            let answer = ctl.client.post("/smb/users", &body)?;
            let text = applied(&answer, format!("User {name} added."))?;
            (answer, text)
        }
        SmbCommand::User(UserCommand::Passwd { name }) => {
            let password = secret(ctl, "New password")?;
            let path = format!("/smb/users/{}/password", encode(&name));
            let answer = ctl
                .client
                .call("PUT", &path, Some(&json!({"password": password})))?;
            (answer, format!("Password of {name} set.\n"))
        }
        SmbCommand::User(UserCommand::Delete { name }) => {
            let answer =
                ctl.client
                    .call("DELETE", &format!("/smb/users/{}", encode(&name)), None)?;
            (answer, format!("User {name} removed.\n"))
        }
        SmbCommand::Sessions => {
            let answer = ctl.client.get("/smb/sessions")?;
            let mut table = Table::new(["USER", "MACHINE", "DIALECT"]);
            for s in typed::<SmbSessionList>(&answer)?.sessions {
                table.row([s.user, s.machine, s.dialect]);
            }
            (answer, table.render())
        }
    };
    ctl.show(&answer, &text)
}
