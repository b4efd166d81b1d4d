//! The disk check of pool creation: every member must be in the inventory
//! and `usable`, or forced by id (never the boot medium).

use std::collections::BTreeSet;

use super::{Forced, NewPool};
use crate::drives::{Inventory, Verdict};
use crate::names::{DiskId, PoolName};

/// Why disks were refused for a new pool, before anything ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiskRefusal {
    #[error("pool {pool}: `disks` names disks not in the drive inventory: {} (GET /drives lists the disk ids)", .ids.join(", "))]
    Unknown { pool: PoolName, ids: Vec<String> },
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
    let pool = &request.name;
    let stray: Vec<String> = request
        .force
        .iter()
        .filter(|id| !request.disks.contains(id))
        .map(ToString::to_string)
        .collect();
    if !stray.is_empty() {
        return Err(DiskRefusal::ForceNotMember {
            pool: pool.clone(),
            ids: stray,
        });
    }
    let unknown: Vec<String> = request
        .disks
        .iter()
        .filter(|id| inventory.get(id).is_none())
        .map(ToString::to_string)
        .collect();
    if !unknown.is_empty() {
        return Err(DiskRefusal::Unknown {
            pool: pool.clone(),
            ids: unknown,
        });
    }
    let mut forced = Vec::new();
    let mut refused = Vec::new();
    let mut seen = BTreeSet::new();
    for id in &request.disks {
        let disk = inventory.get(id).expect("checked above");
        if disk.verdict == Verdict::Usable || !seen.insert(id) {
            continue;
        }
        if disk.verdict != Verdict::BootMedium && request.force.contains(id) {
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
