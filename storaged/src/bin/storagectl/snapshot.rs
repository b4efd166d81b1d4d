//! `snapshot list|create|rollback|destroy`.

use serde_json::json;
use storaged::api::snapshots::{RolledBack, SnapshotList};
use storaged::zfs::SnapshotRow;

use crate::cli::SnapshotCommand;
use crate::dataset::none_of;
use crate::table::{bytes, utc, Table};
use crate::{encode, typed, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: SnapshotCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        SnapshotCommand::List { dataset, pool } => {
            let path = match (dataset, pool) {
                (Some(d), _) => format!("/snapshots?dataset={}", encode(&d)),
                (None, Some(p)) => format!("/snapshots?pool={}", encode(&p)),
                (None, None) => "/snapshots".to_string(),
            };
            let answer = ctl.client.get(&path)?;
            let text = render_list(&typed::<SnapshotList>(&answer)?.snapshots);
            (answer, text)
        }
        SnapshotCommand::Create { name } => {
            let answer = ctl.client.post("/snapshots", &json!({"name": name}))?;
            (answer, format!("Created snapshot {name}.\n"))
        }
        SnapshotCommand::Rollback {
            name,
            destroy_newer,
        } => {
            let answer = ctl.client.post(
                "/snapshots/rollback",
                &json!({"name": name, "destroy_newer": destroy_newer}),
            )?;
            let mut text = format!("Rolled back to {name}.\n");
            let gone = typed::<RolledBack>(&answer)?.destroyed;
            if !gone.is_empty() {
                text.push_str(&format!(
                    "Destroyed the newer snapshots {}.\n",
                    gone.join(", ")
                ));
            }
            (answer, text)
        }
        SnapshotCommand::Destroy { name } => {
            let answer =
                ctl.client
                    .call("DELETE", &format!("/snapshots/{}", encode(&name)), None)?;
            (answer, format!("Destroyed snapshot {name}.\n"))
        }
    };
    ctl.show(&answer, &text)
}

fn render_list(rows: &[SnapshotRow]) -> String {
    if rows.is_empty() {
        return none_of("snapshots");
    }
    let mut table = Table::new(["NAME", "USED", "REFER", "CREATED (UTC)"]);
    for s in rows {
        table.row([
            s.name.clone(),
            bytes(s.used),
            bytes(s.referenced),
            utc(s.created),
        ]);
    }
    table.render()
}
