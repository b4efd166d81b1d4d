//! `preset list|vmware-iscsi|smb-video|pi-nfs-root`: the API's presets,
//! one request each; the text answer is what ran, the warnings and what
//! to do next (for pi-nfs-root, the Pi's cmdline.txt line).

use clap::Subcommand;
use serde_json::{json, Value};
use storaged::api::presets::{PiNfsRootAnswer, PresetList, SmbVideoAnswer, VmwareIscsiAnswer};
use storaged::zfs::Plan;

use crate::{typed, Ctl};

#[derive(Debug, Subcommand)]
pub enum PresetCommand {
    /// The presets, what they set and their warnings.
    List,
    /// A sparse zvol with 16K blocks for an ESXi datastore.
    VmwareIscsi {
        /// pool/name of the zvol.
        volume: String,
        #[arg(long, value_name = "SIZE", value_parser = crate::table::parse_size)]
        size: u64,
        /// Add it as a LUN of this declared iSCSI target.
        #[arg(long, value_name = "IQN")]
        target: Option<String>,
        /// The LUN number (the lowest free one when not given).
        #[arg(long, requires = "target")]
        lun: Option<u16>,
    },
    /// A dataset with 1M records for video files, optionally shared over SMB.
    SmbVideo {
        /// pool/name of the dataset.
        dataset: String,
        /// Share it over SMB under this name.
        #[arg(long)]
        share: Option<String>,
        /// A declared user allowed into the share (repeat; every user when none).
        #[arg(long = "user", value_name = "USER", requires = "share")]
        users: Vec<String>,
    },
    /// A dataset exported as one Raspberry Pi's NFS root.
    PiNfsRoot {
        /// pool/name of the dataset.
        dataset: String,
        /// The Pi's IPv4 address.
        #[arg(long)]
        client: String,
        /// Acknowledge writes before they are on the pool (risky).
        #[arg(long = "async")]
        async_writes: bool,
        /// Accept requests from unprivileged ports (risky).
        #[arg(long)]
        insecure: bool,
        /// The box's address for nfsroot= (else the one it routes to the Pi from).
        #[arg(long)]
        server: Option<String>,
    },
}

pub fn run(ctl: &mut Ctl<'_>, command: PresetCommand) -> anyhow::Result<()> {
    let (answer, text) = match command {
        PresetCommand::List => {
            let answer = ctl.client.get("/presets")?;
            let mut text = String::new();
            for p in typed::<PresetList>(&answer)?.presets {
                text.push_str(&format!("{}: {}\n  {}\n", p.id, p.title, p.description));
                for s in &p.sets {
                    text.push_str(&format!("  sets {s}\n"));
                }
                for w in &p.warnings {
                    text.push_str(&format!("  warning: {w}\n"));
                }
            }
            (answer, text)
        }
        PresetCommand::VmwareIscsi {
            volume,
            size,
            target,
            lun,
        } => {
            let body = json!({"volume": volume, "size": size, "target": target, "lun": lun});
            let answer = ctl.client.post("/presets/vmware-iscsi", &body)?;
            let done: VmwareIscsiAnswer = typed(&answer)?;
            let mut text = plan(&done.volume, &answer["volume"]);
            if let Some(lun) = &done.lun {
                text.push_str(&format!("LUN {} of {}.\n", lun.number, lun.target));
            }
            text.push_str(&next(&done.next_steps));
            (answer, text)
        }
        PresetCommand::SmbVideo {
            dataset,
            share,
            users,
        } => {
            let body = json!({"dataset": dataset, "share": share, "users": users});
            let answer = ctl.client.post("/presets/smb-video", &body)?;
            let done: SmbVideoAnswer = typed(&answer)?;
            let mut text = plan(&done.dataset, &answer["dataset"]);
            if let Some(share) = &done.share {
                text.push_str(&format!("Shared over SMB as {share}.\n"));
            }
            for note in done.sharing.iter().flat_map(|r| &r.notes) {
                text.push_str(&format!("note: {note}\n"));
            }
            text.push_str(&next(&done.next_steps));
            (answer, text)
        }
        PresetCommand::PiNfsRoot {
            dataset,
            client,
            async_writes,
            insecure,
            server,
        } => {
            let body = json!({"dataset": dataset, "client": client, "async": async_writes,
                              "insecure": insecure, "server": server});
            let answer = ctl.client.post("/presets/pi-nfs-root", &body)?;
            let done: PiNfsRootAnswer = typed(&answer)?;
            let mut text = plan(&done.dataset, &answer["dataset"]);
            text.push_str(&format!("Exported {} to {client}.\n", done.path));
            for w in &done.warnings {
                text.push_str(&format!("warning: {w}\n"));
            }
            text.push_str(&format!("cmdline.txt:\n  {}\n", done.cmdline));
            text.push_str(&next(&done.next_steps));
            (answer, text)
        }
    };
    ctl.show(&answer, &text)
}

/// What ran: a client cannot rebuild `Plan::commands` from the JSON, so
/// they are read from it as text.
fn plan(plan: &Plan, json: &Value) -> String {
    let mut text = format!("Created {}:\n", plan.target);
    for command in json["commands"].as_array().into_iter().flatten() {
        text.push_str(&format!("  {}\n", command.as_str().unwrap_or_default()));
    }
    for w in &plan.warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    text
}

fn next(steps: &[String]) -> String {
    steps.iter().map(|s| format!("next: {s}\n")).collect()
}
