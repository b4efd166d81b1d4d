//! `pool list|status|create|import|export|scrub|destroy`.

use serde_json::json;
use storaged::api::pools::{
    DestroyPool, ImportPool, PoolCreated, PoolDestroyed, PoolDetail, PoolImported, PoolList,
    PoolScrub,
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
            force,
        } => {
            let body = json!({"name": name, "layout": layout, "disks": disks, "force": force});
            let answer = ctl.client.post("/pools", &body)?;
            let text = render_created(&typed(&answer)?);
            (answer, text)
        }
        PoolCommand::Import { name, force } => {
            let answer = ctl.client.post(
                &format!("/pools/{}/import", encode(&name)),
                &body(&ImportPool { force })?,
            )?;
            let text = match typed::<PoolImported>(&answer)?.outcome {
                ImportOutcome::AlreadyImported => format!("Pool {name} was already imported.\n"),
                ImportOutcome::Imported { forced: true } => {
                    format!("Imported pool {name} (forced: it looked in use by another system).\n")
                }
                ImportOutcome::Imported { forced: false } => format!("Imported pool {name}.\n"),
            };
            (answer, text)
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
        pairs.push(("layout", cell(declared.layout)));
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
                "{} {} ({}% examined, {} errors)",
                cell(scan.function),
                cell(scan.state),
                scan.examined * 100 / scan.to_examine.max(1),
                scan.errors
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
