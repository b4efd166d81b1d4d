//! After a boot: bless a healthy trial slot, reboot an unhealthy one so
//! GRUB counts it down, report a rollback GRUB did; and rollback or reboot
//! on request.
//!
//! Health is what the start-up reconcile found ([`Health::from_start`]):
//! the state file loaded and every action succeeded, and every declared
//! pool is imported. Exports join once storaged serves them: see
//! [`exports_live`]. A trial boot that hangs before it gets here is
//! rebooted by `ironstor-bless-deadline.service` (FailureAction=reboot
//! when the slot is not blessed in time) or, if the machine itself hangs,
//! by the hardware watchdog systemd keeps armed.

use ironstor_contract::grubenv::{KEY_ACTIVE, KEY_NEXT, KEY_ROLLED_BACK, KEY_TRIES};
use ironstor_contract::Slot;

use crate::reconcile::StartReport;
use crate::runner::{CommandLine, CommandRunner, Program};
use crate::state::reconcile::Drift;

use super::{OutcomeKind, UpgradeError, Upgrader};

/// Whether this boot is fit to become the one GRUB falls back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub state_reconciled: bool,
    pub pools_imported: bool,
    pub exports_live: bool,
    /// What is wrong, in words, when something is.
    pub problems: Vec<String>,
}

impl Health {
    pub fn ok(&self) -> bool {
        self.state_reconciled && self.pools_imported && self.exports_live
    }

    /// Health from the start-up reconcile's report, plus the exports hook.
    pub fn from_start(start: &StartReport) -> Health {
        let mut problems = Vec::new();
        let (state_reconciled, pools_imported) = match &start.report {
            None => {
                problems.push("the state file did not load".to_string());
                (false, false)
            }
            Some(report) => {
                if let Some(error) = &report.error {
                    problems.push(format!("reconcile stopped: {error}"));
                }
                for failed in report.failures() {
                    problems.push(format!("failed: {failed}"));
                }
                let missing: Vec<String> = report
                    .drift
                    .iter()
                    .filter_map(|d| match d {
                        Drift::PoolMissing { pool } | Drift::PoolInUseElsewhere { pool, .. } => {
                            Some(pool.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                if !missing.is_empty() {
                    problems.push(format!(
                        "declared pools not imported: {}",
                        missing.join(", ")
                    ));
                }
                (
                    report.error.is_none() && report.failures().next().is_none(),
                    report.error.is_none() && missing.is_empty(),
                )
            }
        };
        let exports_live = match exports_live(start) {
            Ok(()) => true,
            Err(problem) => {
                problems.push(problem);
                false
            }
        };
        Health {
            state_reconciled,
            pools_imported,
            exports_live,
            problems,
        }
    }
}

/// The exports part of health: the start-up reconcile brought LIO, the
/// NFS exports and smb.conf to the declared targets, exports and shares
/// (`engine::start::reconcile_at_start`).
pub fn exports_live(start: &StartReport) -> Result<(), String> {
    start.sharing.clone()
}

/// What [`Upgrader::after_start`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootVerdict {
    /// Not a trial boot (or no slot): nothing to do.
    Steady,
    /// The trial slot was healthy and is now active.
    Blessed,
    /// The trial slot is unhealthy: reboot so GRUB counts it down.
    RebootUnhealthy,
    /// An operator's rollback waits for a reboot: leave grubenv alone.
    RollbackPending,
}

impl Upgrader {
    /// Runs once storaged is up: records a rollback GRUB made, and blesses
    /// (or gives up on) a trial boot. Returns the verdict and log lines.
    pub fn after_start(&self, health: &Health) -> Result<(BootVerdict, Vec<String>), UpgradeError> {
        let Ok(running) = self.running_slot() else {
            return Ok((BootVerdict::Steady, Vec::new()));
        };
        let _esp = self.esp_lock();
        self.layout.with_esp(|esp| {
            let mut env = esp.read_grubenv()?;
            let mut lines = Vec::new();
            let mut changed = false;
            let version_of = |slot: &str| {
                slot.parse::<Slot>()
                    .ok()
                    .and_then(|s| esp.slot_record(s))
                    .map_or("unknown version".to_string(), |r| format!("{} {}", r.image, r.version))
            };
            if let Some(from) = env.get(KEY_ROLLED_BACK).filter(|v| !v.is_empty()).map(str::to_string) {
                let message = format!(
                    "automatic rollback: slot {from} ({}) never became healthy in its tries; GRUB booted slot {running} ({}) again",
                    version_of(&from),
                    version_of(running.name())
                );
                self.record(OutcomeKind::RolledBack, message.clone());
                lines.push(message);
                env.unset(KEY_ROLLED_BACK);
                changed = true;
            }
            let active = env.get(KEY_ACTIVE).unwrap_or(Slot::A.name()).to_string();
            let next = env.get(KEY_NEXT).unwrap_or("").to_string();
            let verdict = if active == running.name() {
                BootVerdict::Steady
            } else if next != running.name() {
                lines.push(format!(
                    "slot {active} is active but this boot runs slot {running}: a rollback waits for a reboot"
                ));
                BootVerdict::RollbackPending
            } else if health.ok() {
                env.set(KEY_ACTIVE, running.name()).expect("valid name");
                env.unset(KEY_NEXT);
                env.unset(KEY_TRIES);
                changed = true;
                let message = format!(
                    "slot {running} ({}) is healthy and now active; slot {active} stays as the fallback",
                    version_of(running.name())
                );
                self.record(OutcomeKind::Blessed, message.clone());
                lines.push(message);
                BootVerdict::Blessed
            } else {
                lines.push(format!(
                    "trial boot of slot {running} is not healthy ({}); rebooting so GRUB counts it down ({} tries left, then slot {active})",
                    health.problems.join("; "),
                    env.get(KEY_TRIES).unwrap_or("0")
                ));
                BootVerdict::RebootUnhealthy
            };
            if changed {
                esp.write_grubenv(&env)?;
            }
            Ok((verdict, lines))
        })
    }

    /// Makes the other slot active again, after checking it holds the image
    /// its record names (its root partition's SHA-256). Takes effect at the
    /// next reboot.
    pub fn rollback(&self) -> Result<String, UpgradeError> {
        let running = self.running_slot()?;
        let other = running.other();
        let _esp = self.esp_lock();
        let message = self.layout.with_esp(|esp| {
            let record = esp.slot_record(other).ok_or_else(|| UpgradeError::NoValidImage {
                slot: other,
                reason: "it has no kernel, initrd and record on the ESP".into(),
            })?;
            let device = self.layout.root(other);
            let mut part = std::fs::File::open(device).map_err(|source| UpgradeError::Io {
                what: format!("cannot open {}", device.display()),
                source,
            })?;
            let (sha, size) = ironstor_contract::bundle::sha256_of(
                &mut std::io::Read::take(&mut part, record.root_size),
            )
            .map_err(|source| UpgradeError::Io {
                what: format!("cannot read {}", device.display()),
                source,
            })?;
            if size != record.root_size || sha != record.root_sha256 {
                return Err(UpgradeError::NoValidImage {
                    slot: other,
                    reason: format!(
                        "its root partition does not hold the image its record names (SHA-256 {sha}, expected {})",
                        record.root_sha256
                    ),
                });
            }
            let mut env = esp.read_grubenv()?;
            env.set(KEY_ACTIVE, other.name()).expect("valid name");
            env.unset(KEY_NEXT);
            env.unset(KEY_TRIES);
            esp.write_grubenv(&env)?;
            Ok(format!(
                "rolled back to slot {other} ({} {}); it runs after the next reboot",
                record.image, record.version
            ))
        })?;
        self.record(OutcomeKind::RollbackRequested, message.clone());
        println!("storaged: upgrade: {message}");
        Ok(message)
    }
}

/// Asks systemd for a clean reboot.
pub fn reboot(runner: &dyn CommandRunner) -> Result<(), UpgradeError> {
    runner
        .run(&CommandLine::new(Program::Systemctl, ["reboot"]))
        .map(drop)
        .map_err(UpgradeError::Reboot)
}
