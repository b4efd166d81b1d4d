//! A/B upgrades: install a signed bundle into the inactive slot, bless a
//! new slot once it is healthy, report GRUB's automatic rollbacks, roll
//! back on demand.
//!
//! The boot contract (grubenv keys, slot records, bundle format) is in
//! `ironstor_contract`; GRUB's side is the builder's `grub.cfg`. This
//! module owns storaged's side:
//!
//! - [`install`]: refuses what must not be installed before touching
//!   anything (network boot, unblessed running slot, bad signature, other
//!   image, downgrade, too big), verifies every payload's hash *before*
//!   writing a byte to a slot (an upload is spooled to `/var` while it is
//!   verified, a local file is read twice), then writes the inactive slot
//!   in the crash-safe order and points grubenv's `next` at it;
//! - [`boot`]: after the start-up reconcile, blesses a trial boot that is
//!   healthy, reboots one that is not (GRUB counts it down), and records a
//!   rollback GRUB did;
//! - [`Upgrader`]: the state both share with the API: progress, the last
//!   outcome, one install at a time.

pub mod boot;
pub mod install;
pub mod layout;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use ironstor_contract::bundle::{BundleError, SlotRecord};
use ironstor_contract::grubenv::{GrubEnv, GrubEnvError};
use ironstor_contract::keys::{KeyError, PublicKey, IMAGE_PUBLIC_KEY};
use ironstor_contract::slot::Booted;
use ironstor_contract::Slot;
use serde::{Deserialize, Serialize};

use crate::runner::CommandError;
pub use layout::Layout;

/// Where storaged keeps the last outcome and spools uploads, under its
/// state directory.
pub const UPGRADE_DIR: &str = "upgrade";
const OUTCOME_FILE: &str = "last-outcome.json";

#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    #[error("this appliance boots from the network (ironstor.slot=net): the server's tree is its upgrade; update the PXE server instead")]
    NetworkBoot,
    #[error("this system was not booted from an ironstor slot (no ironstor.slot=a or =b on the kernel command line); there is no inactive slot to install into")]
    NotAnAbBoot,
    #[error("this image has no update key at {}: it accepts no bundles (name one in the profile's [update] public_key)", .path.display())]
    NoUpdateKey { path: PathBuf },
    #[error("the image's update key {} is unusable", .path.display())]
    BadUpdateKey {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    #[error("the boot medium is not there: {} is missing", .missing.display())]
    NoBootMedium { missing: PathBuf },
    #[error("the running slot {running} is not blessed yet (grubenv says active={active}): slot {active} is the fallback and is not overwritten; wait until this boot is marked healthy, or roll back")]
    NotBlessed { running: Slot, active: String },
    #[error("an upgrade is already installing; wait for it to finish (GET /api/v1/upgrade shows its progress)")]
    Busy,
    #[error("the bundle was refused")]
    Bundle(#[source] BundleError),
    #[error("the bundle is for image {bundle:?} but this appliance runs {running:?}; force to install it anyway")]
    WrongImage { bundle: String, running: String },
    #[error(
        "the bundle holds version {bundle}, lower than the running {running}; force to downgrade"
    )]
    Downgrade { bundle: String, running: String },
    #[error("payload {payload} is {size} bytes; {place} holds only {room}")]
    TooLarge {
        payload: String,
        size: u64,
        place: String,
        room: u64,
    },
    #[error("spooling the upload needs {need} bytes in {}, only {free} are free", .dir.display())]
    NoSpace { need: u64, free: u64, dir: PathBuf },
    #[error("the upload ended before the bundle did ({0})")]
    UploadInterrupted(String),
    #[error("{} is not a usable grubenv", .path.display())]
    GrubEnv {
        path: PathBuf,
        #[source]
        source: GrubEnvError,
    },
    #[error("slot {slot} holds no valid image to roll back to: {reason}")]
    NoValidImage { slot: Slot, reason: String },
    #[error("tries must be 1 to {max}, not {tries}")]
    BadTries { tries: u32, max: u32 },
    #[error("cannot reboot")]
    Reboot(#[source] CommandError),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl UpgradeError {
    /// True for refusals of the bundle itself (the caller sent a bad one).
    pub fn is_bad_bundle(&self) -> bool {
        matches!(
            self,
            UpgradeError::Bundle(_)
                | UpgradeError::WrongImage { .. }
                | UpgradeError::Downgrade { .. }
                | UpgradeError::TooLarge { .. }
        )
    }
}

/// What an install is doing, for the progress bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Idle,
    /// Reading the bundle and checking every hash (an upload is spooled).
    Verifying,
    /// Writing the verified payloads into the inactive slot.
    Writing,
    Installed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Progress {
    pub phase: Phase,
    /// Bytes of payload handled in this phase, of `total`.
    pub done: u64,
    pub total: u64,
    /// The version being installed, once the manifest is read.
    pub version: Option<String>,
    pub slot: Option<String>,
    /// What failed, or what was installed.
    pub message: Option<String>,
}

impl Progress {
    fn idle() -> Progress {
        Progress {
            phase: Phase::Idle,
            done: 0,
            total: 0,
            version: None,
            slot: None,
            message: None,
        }
    }
}

/// How the last upgrade ended, kept across reboots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// A bundle was installed; the slot waits for a reboot.
    Installed,
    /// A bundle was refused or the install failed; nothing changed.
    Refused,
    /// The new slot booted healthy and is now active.
    Blessed,
    /// GRUB gave up on a slot that never became healthy.
    RolledBack,
    /// An operator rolled back.
    RollbackRequested,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub message: String,
    /// Seconds since the epoch.
    pub at: u64,
}

/// grubenv and what each slot holds, as read from the ESP.
type EspView = (GrubEnv, Vec<(Slot, Option<SlotRecord>)>);

/// storaged's upgrade state; one per daemon, shared with the API.
pub struct Upgrader {
    pub layout: Layout,
    /// The public key file baked into the image.
    pub key_path: PathBuf,
    pub booted: Booted,
    /// The running image's name and version (os-release).
    pub image_id: Option<String>,
    pub image_version: Option<String>,
    /// `/var/lib/storaged/upgrade`.
    pub dir: PathBuf,
    progress: Mutex<Progress>,
    busy: Arc<AtomicBool>,
    /// One ESP operation at a time (install, bless, rollback, status).
    esp: Mutex<()>,
    /// grubenv and the slot records as last read, for status requests
    /// while an install holds the ESP.
    seen: Mutex<Option<EspView>>,
}

/// Holds the one install slot; frees it when dropped.
pub struct Busy(Arc<AtomicBool>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Upgrader {
    /// The appliance's upgrader: partitions under the `/dev` root, the key
    /// under the root, state under the state directory; where it booted
    /// from as the platform read it.
    pub fn for_machine(
        roots: &crate::roots::Roots,
        runtime_dir: &Path,
        state_dir: &Path,
        platform: &crate::platform::Platform,
    ) -> Upgrader {
        Upgrader::new(
            Layout::appliance(&roots.dev, runtime_dir),
            &roots.root,
            state_dir,
            platform.booted,
            platform.image_id.clone(),
            platform.image_version.clone(),
        )
    }

    pub fn new(
        layout: Layout,
        root: &Path,
        state_dir: &Path,
        booted: Booted,
        image_id: Option<String>,
        image_version: Option<String>,
    ) -> Upgrader {
        Upgrader {
            layout,
            key_path: root.join(IMAGE_PUBLIC_KEY),
            booted,
            image_id,
            image_version,
            dir: state_dir.join(UPGRADE_DIR),
            progress: Mutex::new(Progress::idle()),
            busy: Arc::new(AtomicBool::new(false)),
            esp: Mutex::new(()),
            seen: Mutex::new(None),
        }
    }

    /// Takes the one install slot, or says an install is running.
    pub fn begin(&self) -> Result<Busy, UpgradeError> {
        self.busy
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .map(|_| Busy(Arc::clone(&self.busy)))
            .map_err(|_| UpgradeError::Busy)
    }

    pub fn progress(&self) -> Progress {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_progress(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.progress.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn esp_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.esp.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The running slot, or why there is none to upgrade from.
    pub fn running_slot(&self) -> Result<Slot, UpgradeError> {
        match self.booted {
            Booted::Slot(slot) => Ok(slot),
            Booted::Network => Err(UpgradeError::NetworkBoot),
            Booted::Unknown => Err(UpgradeError::NotAnAbBoot),
        }
    }

    pub fn public_key(&self) -> Result<PublicKey, UpgradeError> {
        let path = self.key_path.clone();
        let text = std::fs::read_to_string(&path)
            .map_err(|_| UpgradeError::NoUpdateKey { path: path.clone() })?;
        PublicKey::parse(&text).map_err(|source| UpgradeError::BadUpdateKey { path, source })
    }

    pub fn last_outcome(&self) -> Option<Outcome> {
        let bytes = std::fs::read(self.dir.join(OUTCOME_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn record(&self, kind: OutcomeKind, message: String) {
        let outcome = Outcome {
            kind,
            message,
            at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        let bytes = serde_json::to_vec_pretty(&outcome).expect("serialises");
        let saved = std::fs::create_dir_all(&self.dir)
            .and_then(|()| crate::util::write_atomic(&self.dir.join(OUTCOME_FILE), &bytes, 0o600));
        if let Err(e) = saved {
            println!(
                "storaged: upgrade: cannot save the outcome ({}): {e}",
                outcome.message
            );
        }
    }

    /// Both slots, grubenv's view and the install progress.
    pub fn status(&self) -> UpgradeStatus {
        let booted = match self.booted {
            Booted::Slot(s) => Some(s.name().to_string()),
            Booted::Network => Some(ironstor_contract::slot::CMDLINE_NETWORK.to_string()),
            Booted::Unknown => None,
        };
        let mut status = UpgradeStatus {
            booted,
            active: None,
            next: None,
            tries: None,
            blessed: false,
            slots: Vec::new(),
            progress: self.progress(),
            last_outcome: self.last_outcome(),
            problem: None,
        };
        if !matches!(self.booted, Booted::Slot(_)) {
            status.problem = self.running_slot().err().map(|e| e.to_string());
            return status;
        }
        // An install holds the ESP for minutes: answer from what was last
        // read rather than wait (the progress is what matters then).
        let read = match self.esp.try_lock() {
            Err(std::sync::TryLockError::WouldBlock) => self
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .ok_or_else(|| "an install is writing the ESP".to_string()),
            Ok(_guard) => self.read_view(),
            Err(std::sync::TryLockError::Poisoned(p)) => {
                let _guard = p.into_inner();
                self.read_view()
            }
        };
        match read {
            Err(problem) => status.problem = Some(problem),
            Ok((env, records)) => {
                let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).map(str::to_string);
                status.active = get(ironstor_contract::grubenv::KEY_ACTIVE);
                status.next = get(ironstor_contract::grubenv::KEY_NEXT);
                status.tries =
                    get(ironstor_contract::grubenv::KEY_TRIES).and_then(|t| t.parse().ok());
                status.blessed = status.active == status.booted;
                status.slots = records
                    .into_iter()
                    .map(|(slot, record)| SlotStatus {
                        slot: slot.name().to_string(),
                        running: Booted::Slot(slot) == self.booted,
                        active: status.active.as_deref() == Some(slot.name()),
                        next: status.next.as_deref() == Some(slot.name()),
                        image: record,
                    })
                    .collect();
            }
        }
        status
    }
}

impl Upgrader {
    /// grubenv and both slots' records, read from the ESP (the caller holds
    /// the ESP lock) and remembered.
    fn read_view(&self) -> Result<EspView, String> {
        let view = self
            .layout
            .with_esp(|esp| {
                let env = esp.read_grubenv()?;
                let records: Vec<_> = Slot::ALL.iter().map(|&s| (s, esp.slot_record(s))).collect();
                Ok((env, records))
            })
            .map_err(|e| crate::util::error_chain(&e))?;
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(view.clone());
        Ok(view)
    }
}

/// `GET /upgrade`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UpgradeStatus {
    /// The slot this boot runs from (`a`, `b`, `net`), from the kernel
    /// command line.
    pub booted: Option<String>,
    pub active: Option<String>,
    pub next: Option<String>,
    pub tries: Option<u32>,
    /// The running slot is grubenv's `active`: an install may overwrite the
    /// other one.
    pub blessed: bool,
    pub slots: Vec<SlotStatus>,
    pub progress: Progress,
    pub last_outcome: Option<Outcome>,
    /// Why the slots cannot be shown or upgraded, when they cannot.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SlotStatus {
    pub slot: String,
    pub running: bool,
    pub active: bool,
    pub next: bool,
    /// What the slot holds; `null` when it holds no whole image.
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub image: Option<SlotRecord>,
}
