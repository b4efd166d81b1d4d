//! Schema versions of `state.json` and the migrations between them.
//!
//! A migration is a pure function over the JSON document from version N to
//! N+1. On load the chain runs from the file's version up to
//! [`CURRENT_VERSION`], and the loaded state reports which steps ran; the
//! file itself is rewritten only by the next save (which keeps the old one
//! in the history). A file from a newer version is refused, never
//! downgraded: it may hold things this build would drop.
//!
//! History:
//! - **v1**: each pool listed its members as `"devices"`, full
//!   `/dev/disk/by-id/...` paths, and there was no way to force a disk.
//! - **v2**: members are bare `DiskId`s under `"disks"` (the name is the
//!   identity; `/dev` is a root that tests and the initrd move), and each
//!   pool has a `"forced"` set of the members the admin forced past an
//!   "in use" verdict.
//! - **v3**: the iSCSI, NFS, SMB and users sections, empty objects in v2,
//!   gain their contents (targets, exports, shares, users). Every new field
//!   has a default, so a v2 file needs no change beyond its version.
//! - **v4**: a pool records its top-level vdevs: `"disks"` becomes
//!   `"vdevs": [{"disks": [...]}]`. Pools before v4 had exactly one vdev
//!   (or, for a stripe, one disk per vdev), so the old list is that vdev.

use serde::Serialize;
use serde_json::{Map, Value};

/// The schema version this build writes.
pub const CURRENT_VERSION: u32 = 4;

/// The oldest schema version this build can migrate from.
pub const OLDEST_VERSION: u32 = 1;

/// One migration step that ran on load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationRecord {
    pub from: u32,
    pub to: u32,
    pub summary: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("it has no schema_version (a positive integer)")]
    MissingVersion,
    #[error(
        "schema v{found} is newer than this storaged knows (up to v{supported}); it is refused, never downgraded"
    )]
    TooNew { found: u64, supported: u32 },
    #[error("schema v{found} is older than any this storaged can migrate (v{oldest} and later)")]
    TooOld { found: u64, oldest: u32 },
    #[error("migrating v{from} to v{to}: {reason}")]
    Step { from: u32, to: u32, reason: String },
}

/// A migration over the top-level object; the error is why it cannot go on.
type StepFn = fn(Map<String, Value>) -> Result<Map<String, Value>, String>;

struct Step {
    from: u32,
    summary: &'static str,
    apply: StepFn,
}

/// The chain: `STEPS[i]` goes from `OLDEST_VERSION + i` to the next.
const STEPS: &[Step] = &[
    Step {
        from: 1,
        summary: "pool members: /dev/disk/by-id paths under \"devices\" become bare disk ids under \"disks\"; add an empty \"forced\" set",
        apply: v1_to_v2,
    },
    Step {
        from: 2,
        summary: "iscsi, nfs, smb and users sections gain contents; nothing to convert",
        apply: v2_to_v3,
    },
    Step {
        from: 3,
        summary: "pools record their vdevs: \"disks\" becomes \"vdevs\": [{\"disks\": [...]}], the one vdev every earlier pool had",
        apply: v3_to_v4,
    },
];

/// Every step this build knows, in order.
pub fn known_migrations() -> Vec<MigrationRecord> {
    STEPS
        .iter()
        .map(|s| MigrationRecord {
            from: s.from,
            to: s.from + 1,
            summary: s.summary,
        })
        .collect()
}

/// The `schema_version` of a document.
pub fn version_of(doc: &Value) -> Result<u64, MigrateError> {
    let obj = doc.as_object().ok_or(MigrateError::NotAnObject)?;
    match obj.get("schema_version").and_then(Value::as_u64) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(MigrateError::MissingVersion),
    }
}

/// Bring a document to [`CURRENT_VERSION`], returning it and the steps that
/// ran (none when it was current already).
pub fn migrate(doc: Value) -> Result<(Value, Vec<MigrationRecord>), MigrateError> {
    let found = version_of(&doc)?;
    if found > u64::from(CURRENT_VERSION) {
        return Err(MigrateError::TooNew {
            found,
            supported: CURRENT_VERSION,
        });
    }
    if found < u64::from(OLDEST_VERSION) {
        return Err(MigrateError::TooOld {
            found,
            oldest: OLDEST_VERSION,
        });
    }
    let Value::Object(mut obj) = doc else {
        return Err(MigrateError::NotAnObject);
    };
    let mut applied = Vec::new();
    let mut version = found as u32;
    while version < CURRENT_VERSION {
        let step = &STEPS[(version - OLDEST_VERSION) as usize];
        debug_assert_eq!(step.from, version);
        obj = (step.apply)(obj).map_err(|reason| MigrateError::Step {
            from: version,
            to: version + 1,
            reason,
        })?;
        version += 1;
        obj.insert("schema_version".into(), Value::from(version));
        applied.push(MigrationRecord {
            from: step.from,
            to: version,
            summary: step.summary,
        });
    }
    Ok((Value::Object(obj), applied))
}

const BY_ID: &str = "/dev/disk/by-id/";

/// v1 → v2: see the module doc. A member that is not a by-id path (say
/// `/dev/nvme0n1`) cannot be mapped to a stable disk safely, so the step
/// fails naming it rather than guess.
fn v1_to_v2(mut doc: Map<String, Value>) -> Result<Map<String, Value>, String> {
    each_pool(&mut doc, |name, pool| {
        let devices = match pool.remove("devices") {
            Some(Value::Array(devices)) => devices,
            Some(_) => return Err(format!("pool {name}: \"devices\" is not a list")),
            None => return Err(format!("pool {name} has no \"devices\"")),
        };
        let mut disks = Vec::with_capacity(devices.len());
        for device in devices {
            let path = device
                .as_str()
                .ok_or_else(|| format!("pool {name}: a member is not a string"))?;
            let id = path.strip_prefix(BY_ID).filter(|id| !id.contains('/'));
            let id = id.ok_or_else(|| {
                format!("pool {name}: member {path} is not a {BY_ID} path, so which disk it is cannot be known")
            })?;
            disks.push(Value::from(id));
        }
        pool.insert("disks".into(), Value::Array(disks));
        pool.insert("forced".into(), Value::Array(Vec::new()));
        Ok(())
    })?;
    Ok(doc)
}

/// v2 → v3: the v2 sections were empty objects, and every v3 field in them
/// has a default. A v2 section with contents cannot exist; one that is not
/// an object is refused by name.
fn v2_to_v3(doc: Map<String, Value>) -> Result<Map<String, Value>, String> {
    for section in ["iscsi", "nfs", "smb", "users"] {
        match doc.get(section) {
            None => {}
            Some(Value::Object(fields)) if fields.is_empty() => {}
            Some(other) => {
                return Err(format!(
                    "\"{section}\" should be an empty object in v2, not {other}"
                ))
            }
        }
    }
    Ok(doc)
}

/// v3 → v4: see the module doc. A pool without a `"disks"` list is
/// refused by name rather than given an empty vdev.
fn v3_to_v4(mut doc: Map<String, Value>) -> Result<Map<String, Value>, String> {
    each_pool(&mut doc, |name, pool| {
        let disks = match pool.remove("disks") {
            Some(Value::Array(disks)) => disks,
            Some(_) => return Err(format!("pool {name}: \"disks\" is not a list")),
            None => return Err(format!("pool {name} has no \"disks\"")),
        };
        let mut vdev = Map::new();
        vdev.insert("disks".into(), Value::Array(disks));
        pool.insert("vdevs".into(), Value::Array(vec![Value::Object(vdev)]));
        Ok(())
    })?;
    Ok(doc)
}

/// Runs `step` on every pool object of `doc` with the pool's name (or
/// `#i` when it has none, for the error messages); a document without
/// pools has nothing to do.
fn each_pool(
    doc: &mut Map<String, Value>,
    mut step: impl FnMut(&str, &mut Map<String, Value>) -> Result<(), String>,
) -> Result<(), String> {
    let Some(pools) = doc.get_mut("pools") else {
        return Ok(());
    };
    let pools = pools.as_array_mut().ok_or("\"pools\" is not a list")?;
    for (i, pool) in pools.iter_mut().enumerate() {
        let pool = pool
            .as_object_mut()
            .ok_or_else(|| format!("pool #{i} is not an object"))?;
        let name = pool
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{i}"), str::to_string);
        step(&name, pool)?;
    }
    Ok(())
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    #[test]
    fn state_migration_chain_is_contiguous_and_ends_at_current() {
        for (i, step) in STEPS.iter().enumerate() {
            assert_eq!(step.from, OLDEST_VERSION + i as u32);
        }
        assert_eq!(OLDEST_VERSION + STEPS.len() as u32, CURRENT_VERSION);
    }
}
