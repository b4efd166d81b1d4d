//! What the engine does once at start and once the daemon is ready: the
//! start-up reconcile (pools, datasets, volumes, then the sharing
//! services) and the verdict on a trial boot of an upgraded slot.

use std::sync::Arc;

use crate::reconcile::{reconcile_at_start_report, StartReport};
use crate::state::StateStore;
use crate::upgrade::boot::{reboot, BootVerdict, Health};
use crate::util::error_chain;

use super::Machine;

/// Ready means reconciled: declared pools imported, their datasets and
/// volumes made, or the lines say why not. A state file that does not load
/// is one loud line and is skipped; it never stops the daemon. Then the
/// sharing services: LIO, exports, smb.conf, accounts.
pub fn reconcile_at_start(machine: &Machine) -> StartReport {
    let mut start = reconcile_at_start_report(
        machine.runner.as_ref(),
        &machine.state_dir,
        &machine.roots.root,
    );
    if start.report.is_some() {
        let (lines, sharing) = apply_sharing_at_start(machine);
        start.lines.extend(lines);
        start.sharing = sharing;
    }
    // Host keys on the first boot, and SSH as declared (off by default).
    start.lines.extend(super::ssh::reconcile_at_start(machine));
    start
}

/// The sharing half of the start-up reconcile: log lines, and whether
/// every declared target, export and share is now served (the upgrade's
/// health check reads it). A failure is logged and the API still serves.
fn apply_sharing_at_start(machine: &Machine) -> (Vec<String>, Result<(), String>) {
    let state = match StateStore::new(&machine.state_dir).load() {
        Ok(loaded) => loaded.state,
        // reconcile_at_start_report has said why already.
        Err(e) => return (Vec::new(), Err(error_chain(&e))),
    };
    match machine.sharing.apply(machine.runner.as_ref(), &state) {
        Ok(report) => {
            let mut lines = vec![format!(
                "sharing reconciled: {} targets, {} exports, {} shares, {} users; {} configfs changes",
                state.iscsi().targets().len(),
                state.nfs_exports().len(),
                state.smb().shares().len(),
                state.users().len(),
                report.iscsi_changes
            )];
            lines.extend(report.warnings.iter().map(|w| format!("warning: {w}")));
            lines.extend(report.notes);
            (lines, Ok(()))
        }
        Err(e) => {
            let why = format!("sharing not reconciled: {}", error_chain(&e));
            (vec![format!("ERROR: {why}")], Err(why))
        }
    }
}

/// After READY: bless or give up on a trial boot (rebooting it), log what
/// happened. `start` is `None` when the reconcile task itself failed.
pub async fn after_ready(machine: Arc<Machine>, start: Option<StartReport>) {
    let health = match &start {
        Some(start) => Health::from_start(start),
        None => Health {
            state_reconciled: false,
            pools_imported: false,
            exports_live: false,
            problems: vec!["the reconcile at start failed".into()],
        },
    };
    let checking = Arc::clone(&machine);
    let checked = tokio::task::spawn_blocking(move || checking.upgrade.after_start(&health)).await;
    let verdict = match checked {
        Ok(Ok((verdict, lines))) => {
            lines
                .iter()
                .for_each(|l| println!("storaged: upgrade: {l}"));
            verdict
        }
        Ok(Err(e)) => {
            println!("storaged: upgrade: ERROR: {}", error_chain(&e));
            return;
        }
        Err(e) => {
            println!("storaged: upgrade: ERROR: a background task failed: {e}");
            return;
        }
    };
    if verdict == BootVerdict::RebootUnhealthy {
        // Let the console and the journal show why before the reboot.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let rebooting = tokio::task::spawn_blocking(move || reboot(machine.runner.as_ref()));
        if let Ok(Err(e)) = rebooting.await {
            println!("storaged: upgrade: ERROR: {}", error_chain(&e));
        }
    }
}
