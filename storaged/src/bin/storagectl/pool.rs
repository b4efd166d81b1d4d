//! `pool list|status|create|import|export|scrub|destroy`, and maintenance:
//! `pool importable|replace|online|offline|clear`.

use serde_json::json;
use storaged::api::pools::{
    ClearErrors, DestroyPool, DiskMaintained, DiskReplaced, ImportPool, ImportablePools,
    OfflineDisk, OnlineDisk, PoolCreated, PoolDestroyed, PoolDetail, PoolImported, PoolList,
    PoolScrub, ReplaceDisk,
};
use storaged::zfs::{ImportOutcome, ScrubOutcome, VdevStatus};

use crate::cli::PoolCommand;
use crate::table::{cell, key_values, size_cell, yes_no, Table};
use crate::{body, encode, typed, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: PoolCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        PoolCommand::List => {
            let answer = ctl.client.get("/pools")?;
            let text = render_list(&typed(&answer)?);
            (answer, text)
        }
        PoolCommand::Status { name } => {
            let answer = ctl.client.get(&format!("/pools/{}", encode(&name)))?;
            let text = render_status(&typed(&answer)?);
            (answer, text)
        }
        PoolCommand::Create {
            name,
            layout,
            disks,
            vdevs,
            force,
        } => {
            let body = if vdevs.is_empty() {
                json!({"name": name, "layout": layout, "disks": disks, "force": force})
            } else {
                let more = vdevs.iter().map(|v| {
                    v.split(',')
                        .filter(|d| !d.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                });
                let vdevs: Vec<_> = std::iter::once(disks)
                    .chain(more)
                    .map(|d| json!({"layout": layout, "disks": d}))
                    .collect();
                json!({"name": name, "vdevs": vdevs, "force": force})
            };
            let answer = ctl.client.post("/pools", &body)?;
            let text = render_created(&typed(&answer)?);
            (answer, text)
        }
        PoolCommand::Import { name, force } => {
            let answer = ctl.client.post(
                &format!("/pools/{}/import", encode(&name)),
                &body(&ImportPool { force })?,
            )?;
            let imported = typed::<PoolImported>(&answer)?;
            let mut text = match imported.outcome {
                ImportOutcome::AlreadyImported => format!("Pool {name} was already imported.\n"),
                ImportOutcome::Imported { forced: true } => {
                    format!("Imported pool {name} (forced: it looked in use by another system).\n")
                }
                ImportOutcome::Imported { forced: false } => format!("Imported pool {name}.\n"),
            };
            if imported.adopted {
                text.push_str(&format!(
                    "It was not declared; it is now ({} of {} vdev{}), and imported at every start.\n",
                    cell(imported.declared.layout),
                    imported.declared.vdevs.len(),
                    if imported.declared.vdevs.len() == 1 { "" } else { "s" },
                ));
            }
            (answer, text)
        }
        PoolCommand::Importable => {
            let answer = ctl.client.get("/pools/importable")?;
            let text = render_importable(&typed(&answer)?);
            (answer, text)
        }
        PoolCommand::Replace {
            name,
            old,
            new,
            force,
        } => {
            let request = ReplaceDisk {
                old: old.parse()?,
                new: new.parse()?,
                force,
            };
            let answer = ctl.client.post(
                &format!("/pools/{}/replace", encode(&name)),
                &body(&request)?,
            )?;
            let r = typed::<DiskReplaced>(&answer)?;
            let mut text = format!(
                "Replacing {} with {} in pool {name}; `storagectl pool status {name}` shows the \
                 resilver.\n",
                r.old, r.new
            );
            if let Some(f) = &r.forced {
                text.push_str(&format!(
                    "Forced: {} ({}); what it held is overwritten.\n",
                    f.id,
                    cell(f.verdict)
                ));
            }
            (answer, text)
        }
        PoolCommand::Online { name, disk } => {
            let request = OnlineDisk {
                disk: disk.parse()?,
            };
            let answer = ctl.client.post(
                &format!("/pools/{}/online", encode(&name)),
                &body(&request)?,
            )?;
            typed::<DiskMaintained>(&answer)?;
            (answer, format!("Brought {disk} of pool {name} online.\n"))
        }
        PoolCommand::Offline {
            name,
            disk,
            temporary,
        } => {
            let request = OfflineDisk {
                disk: disk.parse()?,
                temporary,
            };
            let answer = ctl.client.post(
                &format!("/pools/{}/offline", encode(&name)),
                &body(&request)?,
            )?;
            typed::<DiskMaintained>(&answer)?;
            let until = if temporary {
                "until the next import"
            } else {
                "until `storagectl pool online`"
            };
            (
                answer,
                format!("Took {disk} of pool {name} offline {until}.\n"),
            )
        }
        PoolCommand::Clear { name, disk } => {
            let request = ClearErrors {
                disk: disk.as_deref().map(str::parse).transpose()?,
            };
            let answer = ctl
                .client
                .post(&format!("/pools/{}/clear", encode(&name)), &body(&request)?)?;
            typed::<DiskMaintained>(&answer)?;
            let what = disk.map_or("all disks".to_string(), |d| d.to_string());
            (
                answer,
                format!("Cleared the errors of {what} in pool {name}.\n"),
            )
        }
        PoolCommand::Export { name } => {
            let answer =
                ctl.client
                    .call("POST", &format!("/pools/{}/export", encode(&name)), None)?;
            let text = format!(
                "Exported pool {name}. It stays declared, so storaged imports it again at its \
                 next start; `storagectl pool destroy` forgets it.\n"
            );
            (answer, text)
        }
        PoolCommand::Scrub { name } => {
            let answer =
                ctl.client
                    .call("POST", &format!("/pools/{}/scrub", encode(&name)), None)?;
            let text = match typed::<PoolScrub>(&answer)?.outcome {
                ScrubOutcome::AlreadyRunning => format!("A scrub of {name} is already running.\n"),
                ScrubOutcome::Started => format!(
                    "Scrub of {name} started; `storagectl pool status {name}` shows its progress.\n"
                ),
            };
            (answer, text)
        }
        PoolCommand::Destroy { name, confirm } => {
            let answer = ctl.client.call(
                "DELETE",
                &format!("/pools/{}", encode(&name)),
                Some(&body(&DestroyPool { confirm })?),
            )?;
            let mut text = format!("Destroyed pool {name} and all its data.\n");
            let undeclared = typed::<PoolDestroyed>(&answer)?.undeclared;
            if !undeclared.is_empty() {
                text.push_str(&format!("No longer declared: {}.\n", undeclared.join(", ")));
            }
            (answer, text)
        }
    };
    ctl.show(&answer, &text)
}

fn percent(p: impl Into<Option<u64>>) -> String {
    p.into().map_or("-".into(), |p| format!("{p}%"))
}

pub fn render_list(answer: &PoolList) -> String {
    if answer.pools.is_empty() {
        return "No pools. Create one with `storagectl pool create NAME --layout LAYOUT ID...`.\n"
            .into();
    }
    let mut table = Table::new([
        "NAME", "HEALTH", "SIZE", "ALLOC", "FREE", "CAP", "LAYOUT", "DISKS", "DECLARED",
    ]);
    for p in &answer.pools {
        let health = if p.imported {
            cell(&p.health)
        } else {
            "not imported".into()
        };
        table.row([
            p.name.clone(),
            health,
            size_cell(p.size),
            size_cell(p.allocated),
            size_cell(p.free),
            percent(p.capacity_percent),
            cell(p.layout),
            p.disks.len().to_string(),
            yes_no(p.declared),
        ]);
    }
    table.render()
}

pub fn render_importable(answer: &ImportablePools) -> String {
    if answer.pools.is_empty() {
        return "No pools to import: every pool on the disks is imported.\n".into();
    }
    let mut table = Table::new(["NAME", "ID", "STATE", "DECLARED", "MEMBERS"]);
    for p in &answer.pools {
        let members: Vec<String> = p
            .members
            .iter()
            .map(|m| match &m.vdev {
                Some(v) => format!("{v}:{}", m.name),
                None => m.name.clone(),
            })
            .collect();
        table.row([
            p.name.clone(),
            p.id.clone(),
            cell(&p.state),
            yes_no(p.declared),
            members.join(" "),
        ]);
    }
    let mut out = table.render();
    out.push_str(
        "`storagectl pool import NAME` imports one; one not declared is adopted into the state.\n",
    );
    out
}

pub fn render_status(detail: &PoolDetail) -> String {
    let s = &detail.status;
    let mut pairs = vec![
        ("pool", s.name.clone()),
        ("health", cell(&s.health)),
        (
            "capacity",
            format!(
                "{} of {} used ({}), {} free",
                size_cell(s.allocated),
                size_cell(s.size),
                percent(s.capacity_percent),
                size_cell(s.free)
            ),
        ),
        ("fragmentation", percent(s.fragmentation_percent)),
    ];
    if let Some(declared) = &detail.declared {
        let n = declared.vdevs.len();
        pairs.push((
            "layout",
            format!(
                "{} x {n} vdev{}",
                cell(declared.layout),
                if n == 1 { "" } else { "s" }
            ),
        ));
    } else {
        pairs.push((
            "declared",
            "no: imported, but not in the desired state".into(),
        ));
    }
    if let Some(scan) = &s.scan {
        pairs.push((
            "last scan",
            format!(
                "{} {} ({}% examined, {} errors{})",
                cell(scan.function),
                cell(scan.state),
                scan.examined * 100 / scan.to_examine.max(1),
                scan.errors,
                if scan.end_time > 0 {
                    format!(", ended at {} (Unix time)", scan.end_time)
                } else {
                    String::new()
                }
            ),
        ));
    }
    for (key, line) in [("status", &s.status), ("action", &s.action)] {
        if let Some(line) = line {
            pairs.push((key, line.clone()));
        }
    }
    pairs.push(("data errors", s.error_count.to_string()));
    let mut out = key_values(&pairs);
    out.push('\n');
    let mut table = Table::new(["VDEV", "STATE", "READ", "WRITE", "CKSUM"]);
    fn walk(table: &mut Table, vdev: &VdevStatus, depth: usize) {
        let e = &vdev.errors;
        let mut state = cell(&vdev.state);
        if let Some(aux) = &vdev.aux {
            state.push_str(&format!(" ({aux})"));
        }
        table.row([
            format!("{}{}", "  ".repeat(depth), vdev.name),
            state,
            e.read.to_string(),
            e.write.to_string(),
            e.checksum.to_string(),
        ]);
        for child in &vdev.children {
            walk(table, child, depth + 1);
        }
    }
    for vdev in &s.vdevs {
        walk(&mut table, vdev, 0);
    }
    out.push_str(&table.render());
    out
}

pub fn render_created(created: &PoolCreated) -> String {
    let c = &created.plan;
    let disks = c.disks.len();
    let mut out = format!(
        "Created pool {}: {} of {disks} disk{}, mounted at {}; it survives {} failed disk{}.\n",
        c.pool,
        cell(c.layout),
        if disks == 1 { "" } else { "s" },
        c.mountpoint.display(),
        c.tolerated_failures,
        if c.tolerated_failures == 1 { "" } else { "s" },
    );
    for f in &created.forced {
        out.push_str(&format!(
            "Forced: {} ({}); what it held is overwritten.\n",
            f.id,
            cell(f.verdict)
        ));
    }
    out.push_str(&crate::dataset::warnings_of(&c.warnings));
    out
}
