//! `dataset list|create|resize|destroy`.

use serde_json::{json, Value};
use storaged::api::datasets::{DatasetList, DatasetUpdated, Destroyed, Listed, UpdateDataset};
use storaged::zfs::{Change, Plan, Warning};

use crate::cli::{DatasetCommand, Quota};
use crate::table::{bytes, cell, size_cell, yes_no, Table};
use crate::{body, encode, typed, with_given, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: DatasetCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        DatasetCommand::List { pool } => {
            let answer = ctl.client.get(&list_path("datasets", pool.as_deref()))?;
            let text = render_list(&typed::<DatasetList>(&answer)?.datasets, "datasets");
            (answer, text)
        }
        DatasetCommand::Create {
            name,
            compression,
            sync,
            quota,
        } => {
            let body = with_given(
                json!({"name": name}),
                [
                    ("compression", compression.map(Value::from)),
                    ("sync", sync.map(Value::from)),
                    ("quota", quota.map(Value::from)),
                ],
            );
            let answer = ctl.client.post("/datasets", &body)?;
            let text = format!("Created dataset {name}.\n") + &warnings(&typed(&answer)?);
            (answer, text)
        }
        DatasetCommand::Resize {
            name,
            quota: Quota(quota),
        } => {
            let answer = ctl.client.call(
                "PATCH",
                &format!("/datasets/{}", encode(&name)),
                Some(&body(&UpdateDataset { quota })?),
            )?;
            let what = quota.map_or("no quota".to_string(), |q| {
                format!("a quota of {}", bytes(q))
            });
            let text = if typed::<DatasetUpdated>(&answer)?.change == Change::Unchanged {
                format!("{name} already has {what}.\n")
            } else {
                format!("{name} now has {what}.\n")
            };
            (answer, text)
        }
        DatasetCommand::Destroy { name, recursive } => destroy(ctl, "datasets", &name, recursive)?,
    };
    ctl.show(&answer, &text)
}

/// `WARNING: ...` lines for a plan's warnings.
pub fn warnings(plan: &Plan) -> String {
    warnings_of(&plan.warnings)
}

/// `WARNING: ...` lines, one a warning.
pub fn warnings_of(warnings: &[Warning]) -> String {
    warnings
        .iter()
        .map(|w| format!("WARNING: {}\n", w.message))
        .collect()
}

/// What a destroy answer says went.
/// `/datasets` or `/volumes`, narrowed to one pool when asked.
pub fn list_path(collection: &str, pool: Option<&str>) -> String {
    match pool {
        Some(pool) => format!("/{collection}?pool={}", encode(pool)),
        None => format!("/{collection}"),
    }
}

/// `DELETE /datasets/{name}` or `/volumes/{name}`, and what it destroyed.
pub fn destroy(
    ctl: &mut Ctl<'_>,
    collection: &str,
    name: &str,
    recursive: bool,
) -> anyhow::Result<(Value, String)> {
    let path = format!(
        "/{collection}/{}{}",
        encode(name),
        if recursive { "?recursive=true" } else { "" }
    );
    let answer = ctl.client.call("DELETE", &path, None)?;
    let text = format!(
        "Destroyed {}.\n",
        typed::<Destroyed>(&answer)?.destroyed.join(", ")
    );
    Ok((answer, text))
}

/// `No datasets.` (or volumes) when there are none.
pub fn none_of(what: &str) -> String {
    format!("No {what}.\n")
}

fn render_list(rows: &[Listed], what: &str) -> String {
    if rows.is_empty() {
        return none_of(what);
    }
    let mut table = Table::new([
        "NAME",
        "USED",
        "AVAIL",
        "QUOTA",
        "COMPRESSION",
        "SYNC",
        "MOUNTPOINT",
        "DECLARED",
    ]);
    for Listed { row: d, declared } in rows {
        table.row([
            d.name.clone(),
            size_cell(d.used),
            size_cell(d.available),
            d.quota.map_or("none".into(), bytes),
            d.compression.to_string(),
            cell(d.sync),
            cell(&d.mountpoint),
            yes_no(*declared),
        ]);
    }
    table.render()
}
