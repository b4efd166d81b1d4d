//! `volume list|create|resize|destroy`.

use serde_json::{json, Value};
use storaged::api::datasets::Listed;
use storaged::api::volumes::{UpdateVolume, VolumeList, VolumeUpdated};
use storaged::zfs::Change;

use crate::cli::VolumeCommand;
use crate::dataset::{destroy, list_path, none_of, warnings};
use crate::table::{bytes, cell, size_cell, yes_no, Table};
use crate::{body, encode, typed, with_given, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: VolumeCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        VolumeCommand::List { pool } => {
            let answer = ctl.client.get(&list_path("volumes", pool.as_deref()))?;
            let text = render_list(&typed::<VolumeList>(&answer)?.volumes);
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
            let body = with_given(
                json!({"name": name, "size": size, "sparse": sparse}),
                [
                    ("volblocksize", volblocksize.map(Value::from)),
                    ("sync", sync.map(Value::from)),
                    ("compression", compression.map(Value::from)),
                ],
            );
            let answer = ctl.client.post("/volumes", &body)?;
            let text = format!(
                "Created volume {name} ({}, /dev/zvol/{name}).\n",
                bytes(size)
            ) + &warnings(&typed(&answer)?);
            (answer, text)
        }
        VolumeCommand::Resize { name, size, shrink } => {
            let answer = ctl.client.call(
                "PATCH",
                &format!("/volumes/{}", encode(&name)),
                Some(&body(&UpdateVolume { size, shrink })?),
            )?;
            let text = if typed::<VolumeUpdated>(&answer)?.change == Change::Unchanged {
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

fn render_list(rows: &[Listed]) -> String {
    if rows.is_empty() {
        return none_of("volumes");
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
    for Listed { row: v, declared } in rows {
        table.row([
            v.name.clone(),
            size_cell(v.volsize),
            size_cell(v.volblocksize),
            size_cell(v.used),
            if v.refreservation == 0 {
                "thin"
            } else {
                "thick"
            }
            .to_string(),
            cell(v.sync),
            v.compression.to_string(),
            yes_no(*declared),
        ]);
    }
    table.render()
}
