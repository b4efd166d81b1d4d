//! `drives` and `drives show ID`.

use storaged::drives::{Disk, Inventory, Verdict};

use crate::cli::{DrivesArgs, DrivesCommand};
use crate::table::{bytes, cell, key_values, Table};
use crate::{typed, Ctl};

pub fn run(ctl: &mut Ctl<'_>, args: DrivesArgs) -> anyhow::Result<()> {
    let answer = ctl.client.get("/drives")?;
    let inventory: Inventory = typed(&answer)?;
    match args.command.unwrap_or(DrivesCommand::List) {
        DrivesCommand::List => {
            if ctl.json {
                return ctl.print_json(&answer);
            }
            ctl.print(&render_list(&inventory))
        }
        DrivesCommand::Show { id } => {
            let index = inventory
                .disks
                .iter()
                .position(|d| {
                    d.id.as_ref().is_some_and(|i| i.as_str() == id) || d.by_id.contains(&id)
                })
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "no disk {id:?} in the inventory (storagectl drives lists them)"
                    )
                })?;
            if ctl.json {
                // The disk as the server wrote it, not as storagectl re-reads it.
                return ctl.print_json(&answer["disks"][index]);
            }
            ctl.print(&render_disk(&inventory.disks[index]))
        }
    }
}

/// One line per disk, then why each disk that is not usable is not.
pub fn render_list(inventory: &Inventory) -> String {
    let mut table = Table::new(["ID", "DEVICE", "TRANSPORT", "SIZE", "MODEL", "VERDICT"]);
    for d in &inventory.disks {
        table.row([
            cell(&d.id),
            d.kernel_name.clone(),
            cell(d.transport),
            bytes(d.size_bytes),
            cell(&d.model),
            cell(d.verdict),
        ]);
    }
    let mut out = table.render();
    let refused: Vec<&Disk> = inventory
        .disks
        .iter()
        .filter(|d| d.verdict != Verdict::Usable)
        .collect();
    if !refused.is_empty() {
        out.push('\n');
        for d in refused {
            let id =
                d.id.as_ref()
                    .map_or(d.kernel_name.clone(), |id| id.to_string());
            let why = d.reasons.first().map_or("no reason given", String::as_str);
            out.push_str(&format!("{id} is {}: {why}\n", cell(d.verdict)));
        }
    }
    out
}

/// `a, b, c`, or `-` for none.
fn list<T: serde::Serialize>(items: &[T]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.iter().map(cell).collect::<Vec<_>>().join(", ")
    }
}

fn render_disk(d: &Disk) -> String {
    let mut pairs = vec![
        ("id", cell(&d.id)),
        ("device", d.kernel_name.clone()),
        ("verdict", cell(d.verdict)),
        ("model", cell(&d.model)),
        ("serial", cell(&d.serial)),
        ("firmware", cell(&d.firmware)),
        ("size", bytes(d.size_bytes)),
        ("transport", cell(d.transport)),
        ("driver", cell(&d.driver)),
        ("by-id links", list(&d.by_id)),
        ("signatures", list(&d.signatures)),
    ];
    if let Some(nvme) = &d.nvme {
        pairs.push((
            "temperature",
            format!("{} °C", cell(nvme.temperature_celsius)),
        ));
        if let Some(link) = &nvme.pcie_link {
            pairs.push((
                "pcie link",
                format!(
                    "{} GT/s x{} (max {} GT/s x{}){}",
                    cell(link.speed_gts),
                    cell(link.width),
                    cell(link.max_speed_gts),
                    cell(link.max_width),
                    if link.degraded { ", degraded" } else { "" }
                ),
            ));
        }
    }
    let mut out = key_values(&pairs);
    for (title, lines) in [("why", &d.reasons), ("note", &d.warnings)] {
        for line in lines {
            out.push_str(&format!("{title}: {line}\n"));
        }
    }
    out
}
