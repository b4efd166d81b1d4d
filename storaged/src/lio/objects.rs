//! iblock storage objects: `target/core/iblock_<n>/<name>`, one per zvol.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::fs::{Configfs, EntryKind};
use super::report::ObjectKind;
use super::writer::{storage_object_name, FoundObject, LioError, WantedObject, Writer};
use super::{ApplianceId, IscsiConfig, LunIdentity, PRODUCT_ID, VENDOR_ID};

/// What `wwn/vpd_unit_serial` shows before the serial itself.
pub const SERIAL_SHOWN_PREFIX: &str = "T10 VPD Unit Serial Number: ";

/// Attributes written after `enable`, in this order. `emulate_tpu` and
/// `emulate_tpws` default to 0 (no UNMAP for VMware); `emulate_caw` and
/// `emulate_3pc` default to 1 but are checked like the rest.
/// `emulate_write_cache` is never written: iblock refuses it, and the zvol
/// reports its own write cache and FUA.
pub const ATTRIBUTES: [(&str, &str); 4] = [
    ("emulate_tpu", "1"),
    ("emulate_tpws", "1"),
    ("emulate_caw", "1"),
    ("emulate_3pc", "1"),
];

/// Wanted storage objects by name.
pub(super) fn wanted_objects(
    desired: &IscsiConfig,
    appliance: &ApplianceId,
) -> BTreeMap<String, WantedObject> {
    let mut out = BTreeMap::new();
    for lun in desired.targets.iter().flat_map(|t| &t.luns) {
        out.insert(
            storage_object_name(lun),
            WantedObject {
                udev_path: lun.udev_path(),
                read_only: lun.read_only,
                block_size: lun.block_size.bytes(),
                identity: LunIdentity::derive(appliance, &lun.zvol),
            },
        );
    }
    out
}

/// One `key: value` out of the iblock `info` text, e.g. `UDEV PATH:` or
/// `readonly:` in
/// `iBlock device: zd0  UDEV PATH: /dev/zvol/tank/vm1  readonly: 0`.
pub fn parse_info<'a>(info: &'a str, key: &str) -> Option<&'a str> {
    let at = info.find(key)? + key.len();
    info[at..].split_whitespace().next()
}

/// Every iblock storage object in configfs, by name.
pub(super) fn found_objects<F: Configfs + ?Sized>(
    w: &Writer<'_, F>,
) -> Result<BTreeMap<String, FoundObject>, LioError> {
    let core = Path::new("target/core");
    let mut out = BTreeMap::new();
    for hba in w.entries(core, EntryKind::Dir) {
        if !hba.starts_with("iblock_") {
            continue;
        }
        for name in w.entries(&core.join(&hba), EntryKind::Dir) {
            let path = core.join(&hba).join(&name);
            let info = w.read(&path.join("info"))?;
            let serial = w.read(&path.join("wwn/vpd_unit_serial"))?;
            let found = FoundObject {
                enabled: w.read(&path.join("enable"))? == "1",
                udev_path: parse_info(&info, "UDEV PATH:").map(str::to_string),
                read_only: parse_info(&info, "readonly:") == Some("1"),
                serial: serial
                    .strip_prefix(SERIAL_SHOWN_PREFIX)
                    .unwrap_or(&serial)
                    .to_string(),
                vendor: w.read(&path.join("wwn/vendor_id"))?,
                product: w.read(&path.join("wwn/product_id"))?,
                block_size: w.read(&path.join("attrib/block_size"))?,
                path,
            };
            out.insert(name, found);
        }
    }
    Ok(out)
}

/// Objects to remove: unwanted, or enabled with a backing or identity the
/// kernel will not change in place (it refuses `udev_path=` once enabled
/// and the serial, vendor, product and block size once exported).
pub(super) fn stale_objects(
    wanted: &BTreeMap<String, WantedObject>,
    found: &BTreeMap<String, FoundObject>,
) -> BTreeSet<PathBuf> {
    found
        .iter()
        .filter(|(name, f)| match wanted.get(*name) {
            None => true,
            Some(w) => {
                f.enabled
                    && (f.udev_path.as_deref() != Some(&w.udev_path)
                        || f.read_only != w.read_only
                        || f.serial != w.identity.serial
                        || f.vendor != VENDOR_ID
                        || f.product != PRODUCT_ID
                        || f.block_size != w.block_size.to_string())
            }
        })
        .map(|(_, f)| f.path.clone())
        .collect()
}

/// Create or finish one storage object at `path`.
pub(super) fn ensure_object<F: Configfs + ?Sized>(
    w: &mut Writer<'_, F>,
    path: &Path,
    obj: &WantedObject,
) -> Result<(), LioError> {
    if let Some(hba) = path.parent() {
        if !w.exists(hba) {
            w.fs.mkdir(hba)
                .map_err(super::writer::io_err("create", hba))?;
        }
    }
    let idx = w.ensure_dir(ObjectKind::StorageObject, path)?;
    if w.read(&path.join("enable"))? != "1" {
        // Everything here is refused by the kernel once enabled or
        // exported, so it happens before `enable`.
        let info = w.read(&path.join("info"))?;
        if parse_info(&info, "UDEV PATH:") != Some(obj.udev_path.as_str()) {
            let v = format!("udev_path={}", obj.udev_path);
            w.write(idx, &path.join("control"), &v)?;
        }
        if (parse_info(&info, "readonly:") == Some("1")) != obj.read_only {
            let v = format!("readonly={}", u8::from(obj.read_only));
            w.write(idx, &path.join("control"), &v)?;
        }
        let serial = w.read(&path.join("wwn/vpd_unit_serial"))?;
        if serial.strip_prefix(SERIAL_SHOWN_PREFIX).unwrap_or(&serial) != obj.identity.serial {
            w.write(idx, &path.join("wwn/vpd_unit_serial"), &obj.identity.serial)?;
        }
        w.set(idx, &path.join("wwn/vendor_id"), VENDOR_ID)?;
        w.set(idx, &path.join("wwn/product_id"), PRODUCT_ID)?;
        w.write(idx, &path.join("enable"), "1")?;
    }
    // emulate_tpu/tpws need the discard limits the kernel learns at enable.
    for (name, value) in ATTRIBUTES {
        w.set(idx, &path.join("attrib").join(name), value)?;
    }
    w.set(
        idx,
        &path.join("attrib/block_size"),
        &obj.block_size.to_string(),
    )?;
    Ok(())
}
