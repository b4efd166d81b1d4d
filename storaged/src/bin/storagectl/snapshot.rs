//! `snapshot list|create|rollback|destroy`.

use serde_json::{json, Value};

use crate::cli::SnapshotCommand;
use crate::table::{bytes, utc, Table};
use crate::{encode, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: SnapshotCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        SnapshotCommand::List { dataset, pool } => {
            let path = match (dataset, pool) {
                (Some(d), _) => format!("/snapshots?dataset={}", encode(&d)),
                (None, Some(p)) => format!("/snapshots?pool={}", encode(&p)),
                (None, None) => "/snapshots".to_string(),
            };
            let answer = ctl.client.get(&path)?;
            let text = render_list(&answer);
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
            let gone: Vec<&str> = answer["destroyed"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
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

fn render_list(answer: &Value) -> String {
    let rows = answer["snapshots"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "No snapshots.\n".into();
    }
    let mut table = Table::new(["NAME", "USED", "REFER", "CREATED (UTC)"]);
    for s in &rows {
        table.row([
            s["name"].as_str().unwrap_or("-").to_string(),
            s["used"].as_u64().map_or("-".into(), bytes),
            s["referenced"].as_u64().map_or("-".into(), bytes),
            s["created"].as_u64().map_or("-".into(), utc),
        ]);
    }
    table.render()
}
