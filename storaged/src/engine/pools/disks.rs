//! The disk check of pool creation: every member must be in the inventory
//! and `usable`, or forced by id (never the boot medium).

use std::collections::BTreeSet;

use super::{Forced, NewPool};
use crate::drives::{Inventory, Verdict};
use crate::names::{DiskId, PoolName};

/// Why disks were refused for a new pool, before anything ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiskRefusal {
    #[error("pool {pool}: `{field}` names disks not in the drive inventory: {} (GET /drives lists the disk ids)", .ids.join(", "))]
    Unknown {
        pool: PoolName,
        field: &'static str,
        ids: Vec<String>,
    },
    #[error("pool {pool}: `{field}` names {id}, a /dev/disk/by-id link that {} all claim, so it may point at any of them; name each by its own id ({})", .disks.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(" and "), .disks.iter().map(|(k, id)| format!("{k}: {}", id.as_deref().unwrap_or("none, it cannot be used"))).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        pool: PoolName,
        field: &'static str,
        id: DiskId,
        /// Kernel name and own id of each disk claiming the link.
        disks: Vec<(String, Option<String>)>,
    },
    #[error("pool {pool}: `force` names {}, not among `disks`", .ids.join(", "))]
    ForceNotMember { pool: PoolName, ids: Vec<String> },
    #[error("pool {pool}: refusing {}", describe_refused(.disks))]
    Refused {
        pool: PoolName,
        disks: Vec<RefusedDisk>,
    },
}

/// A disk the pool may not have, with the inventory's verdict and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDisk {
    pub id: DiskId,
    pub verdict: Verdict,
    pub reason: String,
}

fn describe_refused(disks: &[RefusedDisk]) -> String {
    let each: Vec<String> = disks
        .iter()
        .map(|d| {
            let what_now = if d.verdict == Verdict::BootMedium {
                "the boot medium is never used, even when forced"
            } else {
                "name it in `force` (storagectl: --force ID) to overwrite it anyway"
            };
            format!("disk {} ({}: {}; {what_now})", d.id, d.verdict, d.reason)
        })
        .collect();
    each.join("; ")
}

/// The members `force` lets past their verdict, or why the disks are
/// refused. Pure: the inventory is taken by the caller.
pub fn check_disks(request: &NewPool, inventory: &Inventory) -> Result<Vec<Forced>, DiskRefusal> {
    check_members(
        &request.name,
        &request.disks(),
        &request.force,
        ("disks", "force"),
        inventory,
    )
}

/// The check of [`check_disks`] for any list of new members (`zpool
/// replace` checks its new disk with it); `fields` names the request's
/// member and force fields in the errors.
pub fn check_members(
    pool: &PoolName,
    disks: &[DiskId],
    force: &[DiskId],
    fields: (&'static str, &'static str),
    inventory: &Inventory,
) -> Result<Vec<Forced>, DiskRefusal> {
    let stray: Vec<String> = force
        .iter()
        .filter(|id| !disks.contains(id))
        .map(ToString::to_string)
        .collect();
    if !stray.is_empty() {
        return Err(DiskRefusal::ForceNotMember {
            pool: pool.clone(),
            ids: stray,
        });
    }
    // A link two disks claim is no disk's id: say so, not "unknown".
    for id in disks.iter().filter(|id| inventory.get(id).is_none()) {
        let sharing = inventory.sharing(id);
        if !sharing.is_empty() {
            return Err(DiskRefusal::Ambiguous {
                pool: pool.clone(),
                field: fields.0,
                id: id.clone(),
                disks: sharing
                    .iter()
                    .map(|d| {
                        (
                            d.kernel_name.clone(),
                            d.id.as_ref().map(ToString::to_string),
                        )
                    })
                    .collect(),
            });
        }
    }
    let unknown: Vec<String> = disks
        .iter()
        .filter(|id| inventory.get(id).is_none())
        .map(ToString::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(DiskRefusal::Unknown {
            pool: pool.clone(),
            field: fields.0,
            ids: unknown,
        });
    }
    let mut forced = Vec::new();
    let mut refused = Vec::new();
    let mut seen = BTreeSet::new();
    for id in disks {
        let disk = inventory.get(id).expect("checked above");
        if disk.verdict == Verdict::Usable || !seen.insert(id) {
            continue;
        }
        if disk.verdict != Verdict::BootMedium && force.contains(id) {
            forced.push(Forced {
                id: id.clone(),
                verdict: disk.verdict,
            });
        } else {
            refused.push(RefusedDisk {
                id: id.clone(),
                verdict: disk.verdict,
                reason: disk
                    .reasons
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no reason recorded".into()),
            });
        }
    }
    if refused.is_empty() {
        Ok(forced)
    } else {
        Err(DiskRefusal::Refused {
            pool: pool.clone(),
            disks: refused,
        })
    }
}
