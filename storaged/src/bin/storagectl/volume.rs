//! `volume list|create|resize|destroy`.

use serde_json::{json, Value};

use crate::cli::VolumeCommand;
use crate::dataset::{destroy, list_path, warnings};
use crate::table::{bytes, cell, size_cell, Table};
use crate::{encode, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: VolumeCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        VolumeCommand::List { pool } => {
            let answer = ctl.client.get(&list_path("volumes", pool.as_deref()))?;
            let text = render_list(&answer);
            (answer, text)
        }
        VolumeCommand::Create {
            name,
            size,
            volblocksize,
            sparse,
            sync,
            compression,
        } => {
            let mut body = json!({"name": name, "size": size, "sparse": sparse});
            if let Some(b) = volblocksize {
                body["volblocksize"] = json!(b);
            }
            if let Some(s) = sync {
                body["sync"] = json!(s);
            }
            if let Some(c) = compression {
                body["compression"] = json!(c);
            }
            let answer = ctl.client.post("/volumes", &body)?;
            let text = format!(
                "Created volume {name} ({}, /dev/zvol/{name}).\n",
                bytes(size)
            ) + &warnings(&answer);
            (answer, text)
        }
        VolumeCommand::Resize { name, size, shrink } => {
            let answer = ctl.client.call(
                "PATCH",
                &format!("/volumes/{}", encode(&name)),
                Some(&json!({"size": size, "shrink": shrink})),
            )?;
            let text = if answer["change"] == "unchanged" {
                format!("{name} is already {}.\n", bytes(size))
            } else {
                format!("{name} is now {}.\n", bytes(size))
            };
            (answer, text)
        }
        VolumeCommand::Destroy { name, recursive } => destroy(ctl, "volumes", &name, recursive)?,
    };
    ctl.show(&answer, &text)
}

fn render_list(answer: &Value) -> String {
    let rows = answer["volumes"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "No volumes.\n".into();
    }
    let mut table = Table::new([
        "NAME",
        "SIZE",
        "BLOCK",
        "USED",
        "PROVISIONING",
        "SYNC",
        "COMPRESSION",
        "DECLARED",
    ]);
    for v in &rows {
        table.row([
            cell(&v["name"]),
            size_cell(&v["volsize"]),
            size_cell(&v["volblocksize"]),
            size_cell(&v["used"]),
            if v["refreservation"] == 0 {
                "thin"
            } else {
                "thick"
            }
            .to_string(),
            cell(&v["sync"]),
            cell(&v["compression"]),
            if v["declared"] == true { "yes" } else { "no" }.to_string(),
        ]);
    }
    table.render()
}
