//! `pool list|status|create|import|export|scrub|destroy`.

use serde_json::{json, Value};

use crate::cli::PoolCommand;
use crate::table::{cell, key_values, size_cell, Table};
use crate::{encode, Ctl};

pub fn run(ctl: &mut Ctl<'_>, command: PoolCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        PoolCommand::List => {
            let answer = ctl.client.get("/pools")?;
            let text = render_list(&answer);
            (answer, text)
        }
        PoolCommand::Status { name } => {
            let answer = ctl.client.get(&format!("/pools/{}", encode(&name)))?;
            let text = render_status(&answer);
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
            let text = render_created(&answer);
            (answer, text)
        }
        PoolCommand::Import { name, force } => {
            let answer = ctl.client.post(
                &format!("/pools/{}/import", encode(&name)),
                &json!({"force": force}),
            )?;
            let text = match answer["outcome"].as_str() {
                Some("already_imported") => format!("Pool {name} was already imported.\n"),
                _ if answer["forced"] == true => {
                    format!("Imported pool {name} (forced: it looked in use by another system).\n")
                }
                _ => format!("Imported pool {name}.\n"),
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
            let text = match answer["outcome"].as_str() {
                Some("already_running") => format!("A scrub of {name} is already running.\n"),
                _ => format!(
                    "Scrub of {name} started; `storagectl pool status {name}` shows its progress.\n"
                ),
            };
            (answer, text)
        }
        PoolCommand::Destroy { name, confirm } => {
            let answer = ctl.client.call(
                "DELETE",
                &format!("/pools/{}", encode(&name)),
                Some(&json!({"confirm": confirm})),
            )?;
            let mut text = format!("Destroyed pool {name} and all its data.\n");
            let undeclared: Vec<&str> = answer["undeclared"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !undeclared.is_empty() {
                text.push_str(&format!("No longer declared: {}.\n", undeclared.join(", ")));
            }
            (answer, text)
        }
    };
    ctl.show(&answer, &text)
}

fn percent(v: &Value) -> String {
    v.as_u64().map_or("-".into(), |p| format!("{p}%"))
}

pub fn render_list(answer: &Value) -> String {
    let pools = answer["pools"].as_array().cloned().unwrap_or_default();
    if pools.is_empty() {
        return "No pools. Create one with `storagectl pool create NAME --layout LAYOUT ID...`.\n"
            .into();
    }
    let mut table = Table::new([
        "NAME", "HEALTH", "SIZE", "ALLOC", "FREE", "CAP", "LAYOUT", "DISKS", "DECLARED",
    ]);
    for p in &pools {
        let health = if p["imported"] == true {
            cell(&p["health"])
        } else {
            "not imported".into()
        };
        table.row([
            cell(&p["name"]),
            health,
            size_cell(&p["size"]),
            size_cell(&p["allocated"]),
            size_cell(&p["free"]),
            percent(&p["capacity_percent"]),
            cell(&p["layout"]),
            p["disks"].as_array().map_or(0, Vec::len).to_string(),
            if p["declared"] == true { "yes" } else { "no" }.to_string(),
        ]);
    }
    table.render()
}

pub fn render_status(s: &Value) -> String {
    let mut pairs = vec![
        ("pool", cell(&s["name"])),
        ("health", cell(&s["health"])),
        (
            "capacity",
            format!(
                "{} of {} used ({}), {} free",
                size_cell(&s["allocated"]),
                size_cell(&s["size"]),
                percent(&s["capacity_percent"]),
                size_cell(&s["free"])
            ),
        ),
        ("fragmentation", percent(&s["fragmentation_percent"])),
    ];
    if let Some(declared) = s["declared"].as_object() {
        pairs.push(("layout", cell(&declared["layout"])));
    } else {
        pairs.push((
            "declared",
            "no: imported, but not in the desired state".into(),
        ));
    }
    if let Some(scan) = s["scan"].as_object() {
        let examined = scan["examined"].as_u64().unwrap_or(0);
        let total = scan["to_examine"].as_u64().unwrap_or(0).max(1);
        pairs.push((
            "last scan",
            format!(
                "{} {} ({}% examined, {} errors)",
                cell(&scan["function"]),
                cell(&scan["state"]),
                examined * 100 / total,
                cell(&scan["errors"])
            ),
        ));
    }
    for key in ["status", "action"] {
        if let Some(line) = s[key].as_str() {
            pairs.push((key, line.to_string()));
        }
    }
    pairs.push(("data errors", cell(&s["error_count"])));
    let mut out = key_values(&pairs);
    out.push('\n');
    let mut table = Table::new(["VDEV", "STATE", "READ", "WRITE", "CKSUM"]);
    fn walk(table: &mut Table, vdev: &Value, depth: usize) {
        let e = &vdev["errors"];
        let mut state = cell(&vdev["state"]);
        if let Some(aux) = vdev["aux"].as_str() {
            state.push_str(&format!(" ({aux})"));
        }
        table.row([
            format!("{}{}", "  ".repeat(depth), cell(&vdev["name"])),
            state,
            cell(&e["read"]),
            cell(&e["write"]),
            cell(&e["checksum"]),
        ]);
        for child in vdev["children"].as_array().into_iter().flatten() {
            walk(table, child, depth + 1);
        }
    }
    for vdev in s["vdevs"].as_array().into_iter().flatten() {
        walk(&mut table, vdev, 0);
    }
    out.push_str(&table.render());
    out
}

pub fn render_created(c: &Value) -> String {
    let disks = c["disks"].as_array().map_or(0, Vec::len);
    let mut out = format!(
        "Created pool {}: {} of {disks} disk{}, mounted at {}; it survives {} failed disk{}.\n",
        cell(&c["pool"]),
        cell(&c["layout"]),
        if disks == 1 { "" } else { "s" },
        cell(&c["mountpoint"]),
        cell(&c["tolerated_failures"]),
        if c["tolerated_failures"] == 1 {
            ""
        } else {
            "s"
        },
    );
    for f in c["forced"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "Forced: {} ({}); what it held is overwritten.\n",
            cell(&f["id"]),
            cell(&f["verdict"])
        ));
    }
    for w in c["warnings"].as_array().into_iter().flatten() {
        out.push_str(&format!("WARNING: {}\n", cell(&w["message"])));
    }
    out
}
