//! `drives` and `drives show ID`.

use serde_json::Value;

use crate::cli::{DrivesArgs, DrivesCommand};
use crate::table::{bytes, cell, key_values, Table};
use crate::Ctl;

pub fn run(ctl: &mut Ctl<'_>, args: DrivesArgs) -> anyhow::Result<()> {
    let answer = ctl.client.get("/drives")?;
    match args.command.unwrap_or(DrivesCommand::List) {
        DrivesCommand::List => {
            if ctl.json {
                return ctl.print_json(&answer);
            }
            ctl.print(&render_list(&answer))
        }
        DrivesCommand::Show { id } => {
            let disk = answer["disks"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| {
                    d["id"] == id.as_str()
                        || d["by_id"]
                            .as_array()
                            .is_some_and(|l| l.iter().any(|l| l == id.as_str()))
                })
                .cloned()
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no disk {id:?} in the inventory (storagectl drives lists them)"
                    )
                })?;
            if ctl.json {
                return ctl.print_json(&disk);
            }
            ctl.print(&render_disk(&disk))
        }
    }
}

/// One line per disk, then why each disk that is not usable is not.
pub fn render_list(answer: &Value) -> String {
    let disks = answer["disks"].as_array().cloned().unwrap_or_default();
    let mut table = Table::new(["ID", "DEVICE", "TRANSPORT", "SIZE", "MODEL", "VERDICT"]);
    for d in &disks {
        table.row([
            cell(&d["id"]),
            cell(&d["kernel_name"]),
            cell(&d["transport"]),
            d["size_bytes"].as_u64().map_or("-".into(), bytes),
            cell(&d["model"]),
            cell(&d["verdict"]),
        ]);
    }
    let mut out = table.render();
    let refused: Vec<&Value> = disks.iter().filter(|d| d["verdict"] != "usable").collect();
    if !refused.is_empty() {
        out.push('\n');
        for d in refused {
            let id = if d["id"].is_null() {
                cell(&d["kernel_name"])
            } else {
                cell(&d["id"])
            };
            let why = d["reasons"][0].as_str().unwrap_or("no reason given");
            out.push_str(&format!("{id} is {}: {why}\n", cell(&d["verdict"])));
        }
    }
    out
}

fn render_disk(d: &Value) -> String {
    let list = |v: &Value| {
        let items: Vec<String> = v.as_array().into_iter().flatten().map(cell).collect();
        if items.is_empty() {
            "-".to_string()
        } else {
            items.join(", ")
        }
    };
    let mut pairs = vec![
        ("id", cell(&d["id"])),
        ("device", cell(&d["kernel_name"])),
        ("verdict", cell(&d["verdict"])),
        ("model", cell(&d["model"])),
        ("serial", cell(&d["serial"])),
        ("firmware", cell(&d["firmware"])),
        ("size", d["size_bytes"].as_u64().map_or("-".into(), bytes)),
        ("transport", cell(&d["transport"])),
        ("driver", cell(&d["driver"])),
        ("by-id links", list(&d["by_id"])),
        ("signatures", list(&d["signatures"])),
    ];
    if let Some(nvme) = d["nvme"].as_object() {
        pairs.push((
            "temperature",
            nvme.get("temperature_celsius")
                .map_or("-".into(), |t| format!("{} °C", cell(t))),
        ));
        if let Some(link) = nvme.get("pcie_link").and_then(Value::as_object) {
            pairs.push((
                "pcie link",
                format!(
                    "{} GT/s x{} (max {} GT/s x{}){}",
                    cell(&link["speed_gts"]),
                    cell(&link["width"]),
                    cell(&link["max_speed_gts"]),
                    cell(&link["max_width"]),
                    if link["degraded"] == true {
                        ", degraded"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    let mut out = key_values(&pairs);
    for (title, key) in [("why", "reasons"), ("note", "warnings")] {
        for line in d[key].as_array().into_iter().flatten() {
            out.push_str(&format!("{title}: {}\n", cell(line)));
        }
    }
    out
}
