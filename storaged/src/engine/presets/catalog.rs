//! The presets as `GET /presets` lists them: what each sets, its options
//! and its warnings (the operations answer the same warnings).

use serde::{Deserialize, Serialize};

use super::PI_NFSROOT_OPTIONS;

/// One preset as the catalog shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PresetInfo {
    /// The path segment: `POST /api/v1/presets/{id}`.
    pub id: String,
    pub title: String,
    pub description: String,
    /// What it sets, one line each.
    pub sets: Vec<String>,
    /// The choices the request may make beyond the names.
    pub options: Vec<PresetOption>,
    /// What the admin should know before using it.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PresetOption {
    /// The request field.
    pub name: String,
    pub description: String,
    /// Shown when the option is used, if it is risky.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

fn option(name: &str, description: &str, warning: Option<&str>) -> PresetOption {
    PresetOption {
        name: name.into(),
        description: description.into(),
        warning: warning.map(Into::into),
    }
}

pub(super) const THIN_WARNING: &str = "sparse (thin): the pool can be over-committed; if it fills up, \
    writes fail and the VMs on the datastore stop or corrupt their disks. Watch the pool's free space.";
pub const ASYNC_WARNING: &str = "async: the box acknowledges the Pi's writes before they are on \
    the pool; if the box loses power or crashes, the Pi's root filesystem can lose writes it \
    believes are safe and be corrupted. Faster for package installs; use only if you can re-image the Pi.";
pub const INSECURE_WARNING: &str = "insecure: requests from source ports above 1023 are accepted, \
    so any program (not only root) on a machine holding the Pi's address can use the export. Only \
    needed by clients that cannot use a privileged port; the Linux kernel's nfsroot can.";
pub(super) const ROOT_SQUASH_WARNING: &str = "no_root_squash: root on the Pi is root on this dataset, as a root \
    filesystem needs; it is exported to the Pi's one address only, so give the Pi a fixed DHCP lease.";

/// Every preset, in the order pages show them.
pub fn catalog() -> Vec<PresetInfo> {
    vec![
        PresetInfo {
            id: "vmware-iscsi".into(),
            title: "VMware iSCSI datastore".into(),
            description: "A zvol for an ESXi VMFS datastore, optionally added as the next LUN \
                of a declared iSCSI target."
                .into(),
            sets: vec![
                "volblocksize=16K".into(),
                "sparse (thin provisioned, no refreservation)".into(),
                "volmode=dev, compression=lz4, sync=standard".into(),
            ],
            options: vec![
                option("target", "A declared target's IQN: the zvol becomes its next LUN.", None),
                option("lun", "The LUN number (the lowest free one when not given).", None),
            ],
            warnings: vec![THIN_WARNING.into()],
        },
        PresetInfo {
            id: "smb-video".into(),
            title: "Video editing over SMB".into(),
            description: "A dataset for large media files edited from Windows or macOS, \
                optionally shared over SMB to named users."
                .into(),
            sets: vec![
                "recordsize=1M (large sequential reads and writes)".into(),
                "compression=lz4 (skips incompressible video at almost no cost)".into(),
                "sync=standard".into(),
                "atime=off (inherited: storaged creates pools with atime=off)".into(),
            ],
            options: vec![
                option("share", "An SMB share of that name on the dataset.", None),
                option("users", "Declared users allowed in (needs `share`); every user when empty.", None),
            ],
            warnings: vec![
                "1M records make small random writes (databases, VM disks) slow: keep those elsewhere."
                    .into(),
            ],
        },
        PresetInfo {
            id: "pi-nfs-root".into(),
            title: "Raspberry Pi NFS root".into(),
            description: "A dataset exported to one Raspberry Pi as its root filesystem, and \
                the line for the Pi's cmdline.txt."
                .into(),
            sets: vec![
                "an NFS export to the Pi's one IPv4 address".into(),
                "rw, no_root_squash".into(),
                "sync (unless `async` is asked for)".into(),
                format!("cmdline.txt: root=/dev/nfs nfsroot=<box>:<path>,{PI_NFSROOT_OPTIONS} rw ip=dhcp rootwait"),
            ],
            options: vec![
                option("client", "The Pi's IPv4 address.", None),
                option("async", "Acknowledge writes before they are on the pool.", Some(ASYNC_WARNING)),
                option("insecure", "Accept requests from unprivileged ports.", Some(INSECURE_WARNING)),
                option(
                    "server",
                    "The box's address the Pi mounts from (else the one the box routes to the Pi from).",
                    None,
                ),
            ],
            warnings: vec![ROOT_SQUASH_WARNING.into()],
        },
    ]
}
