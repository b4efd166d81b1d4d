//! `upgrade`: status, install a bundle file, roll back, reboot, and
//! `await-blessed` for the bless-deadline unit.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use serde_json::json;
use storaged::api::upgrade::Message;
use storaged::upgrade::install::Installed;
use storaged::upgrade::UpgradeStatus;

use crate::{typed, Ctl};

#[derive(Debug, Subcommand)]
pub enum UpgradeCommand {
    /// Both slots, which is active, install progress and the last outcome.
    Status,
    /// Install a bundle file on the appliance into the inactive slot.
    Install(InstallArgs),
    /// Make the other slot active again (its image is checked first).
    Rollback,
    /// Reboot into the slot grubenv picks.
    Reboot,
    /// Wait until the running slot is blessed; fail after --within. For
    /// ironstor-bless-deadline.service, whose failure reboots the machine.
    AwaitBlessed(AwaitArgs),
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    pub path: PathBuf,
    /// Install another image's bundle, or a lower version.
    #[arg(long)]
    pub force: bool,
    /// Boots the new slot gets before GRUB falls back (1-9).
    #[arg(long, default_value_t = 3)]
    pub tries: u32,
}

#[derive(Debug, Args)]
pub struct AwaitArgs {
    /// Seconds to wait (`--timeout` is how long one API call may take).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub within: u64,
}

pub fn run(ctl: &mut Ctl<'_>, command: UpgradeCommand) -> anyhow::Result<()> {
    match command {
        UpgradeCommand::Status => {
            let answer = ctl.client.get("/upgrade")?;
            let status: UpgradeStatus = typed(&answer)?;
            ctl.show(&answer, &render(&status))
        }
        UpgradeCommand::Install(args) => {
            let path = std::fs::canonicalize(&args.path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.path.display()))?;
            let body = json!({"path": path, "force": args.force, "tries": args.tries});
            let answer = ctl.client.post("/upgrade/install", &body)?;
            let message = typed::<Installed>(&answer)?.message;
            ctl.show(&answer, &format!("{message}\n"))
        }
        UpgradeCommand::Rollback => {
            let answer = ctl.client.post("/upgrade/rollback", &json!({}))?;
            let message = typed::<Message>(&answer)?.message;
            ctl.show(&answer, &format!("{message}\n"))
        }
        UpgradeCommand::Reboot => {
            let answer = ctl.client.post("/upgrade/reboot", &json!({}))?;
            ctl.show(&answer, "Rebooting.\n")
        }
        UpgradeCommand::AwaitBlessed(args) => await_blessed(ctl, Duration::from_secs(args.within)),
    }
}

/// Polls storaged until the running slot is blessed (or was never on
/// trial). storaged not answering counts as not blessed yet: a hung
/// storaged is what the deadline is for.
fn await_blessed(ctl: &mut Ctl<'_>, timeout: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    let mut last = String::from("storaged did not answer");
    while start.elapsed() < timeout {
        match ctl.client.get("/upgrade") {
            Ok(answer) => match serde_json::from_value::<UpgradeStatus>(answer) {
                Ok(s) if s.blessed => {
                    return ctl.print(&format!(
                        "slot {} is blessed\n",
                        s.booted.unwrap_or_default()
                    ))
                }
                // Not booted from a slot (network, or no boot medium):
                // nothing to bless, nothing to roll back to.
                Ok(s) if s.active.is_none() => {
                    return ctl.print(&format!(
                        "nothing to bless: {}\n",
                        s.problem.unwrap_or_default()
                    ))
                }
                Ok(s) => last = format!("slot {} is on trial", s.booted.unwrap_or_default()),
                Err(e) => last = format!("unreadable status: {e}"),
            },
            Err(e) => last = format!("storaged: {e}"),
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    anyhow::bail!(
        "the running slot was not blessed within {} s ({last}); this boot gives up so GRUB can count it down",
        timeout.as_secs()
    )
}

fn render(s: &UpgradeStatus) -> String {
    let mut out = String::new();
    if let Some(problem) = &s.problem {
        out += &format!("problem   {problem}\n");
    }
    out += "SLOT  IMAGE                     STATE\n";
    for slot in &s.slots {
        let image = slot.image.as_ref().map_or("(empty)".to_string(), |r| {
            format!("{} {}", r.image, r.version)
        });
        let mut state = Vec::new();
        if slot.running {
            state.push("running");
        }
        if slot.active {
            state.push("active");
        }
        if slot.next {
            state.push("next");
        }
        out += &format!("{:<5} {:<25} {}\n", slot.slot, image, state.join(", "));
    }
    if let Some(tries) = s.tries {
        out += &format!(
            "tries     {tries} left for slot {}\n",
            s.next.clone().unwrap_or_default()
        );
    }
    out += &format!(
        "blessed   {}\n",
        if s.blessed {
            "yes"
        } else {
            "no: this boot is on trial"
        }
    );
    out += &format!("install   {:?}", s.progress.phase).to_lowercase();
    if s.progress.total > 0 {
        out += &format!(
            " ({} of {} MiB)",
            s.progress.done >> 20,
            s.progress.total >> 20
        );
    }
    out += "\n";
    if let Some(o) = &s.last_outcome {
        out += &format!("last      {:?}: {}\n", o.kind, o.message);
    }
    out
}
