//! `dataset list|create|resize|destroy`.

use serde_json::{json, Value};

use crate::cli::{DatasetCommand, Quota};
use crate::table::{bytes, cell, size_cell, Table};
use crate::{encode, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: DatasetCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        DatasetCommand::List { pool } => {
            let answer = ctl.client.get(&list_path("datasets", pool.as_deref()))?;
            let text = render_list(&answer);
            (answer, text)
        }
        DatasetCommand::Create {
            name,
            compression,
            sync,
            quota,
        } => {
            let mut body = json!({"name": name});
            if let Some(c) = compression {
                body["compression"] = json!(c);
            }
            if let Some(s) = sync {
                body["sync"] = json!(s);
            }
            if let Some(q) = quota {
                body["quota"] = json!(q);
            }
            let answer = ctl.client.post("/datasets", &body)?;
            let text = format!("Created dataset {name}.\n") + &warnings(&answer);
            (answer, text)
        }
        DatasetCommand::Resize {
            name,
            quota: Quota(quota),
        } => {
            let answer = ctl.client.call(
                "PATCH",
                &format!("/datasets/{}", encode(&name)),
                Some(&json!({"quota": quota})),
            )?;
            let what = quota.map_or("no quota".to_string(), |q| {
                format!("a quota of {}", bytes(q))
            });
            let text = if answer["change"] == "unchanged" {
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
pub fn warnings(plan: &Value) -> String {
    plan["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| format!("WARNING: {}\n", cell(&w["message"])))
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
    let text = destroyed(&answer);
    Ok((answer, text))
}

fn destroyed(answer: &Value) -> String {
    let gone: Vec<String> = answer["destroyed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(cell)
        .collect();
    format!("Destroyed {}.\n", gone.join(", "))
}

fn render_list(answer: &Value) -> String {
    let rows = answer["datasets"].as_array().cloned().unwrap_or_default();
    if rows.is_empty() {
        return "No datasets.\n".into();
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
    for d in &rows {
        table.row([
            cell(&d["name"]),
            size_cell(&d["used"]),
            size_cell(&d["available"]),
            if d["quota"].is_null() {
                "none".into()
            } else {
                size_cell(&d["quota"])
            },
            cell(&d["compression"]),
            cell(&d["sync"]),
            cell(&d["mountpoint"]),
            if d["declared"] == true { "yes" } else { "no" }.to_string(),
        ]);
    }
    table.render()
}
