//! What the kernel creates inside a config group on `mkdir`, with its
//! default values (from `drivers/target/`; defaults quoted from the
//! kernel's `#define`s where they matter to storaged).

use std::path::Path;

use super::{FakeConfigfs, Mode};

/// Where a `mkdir` landed, by path shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupKind {
    IscsiFabric,
    Hba,
    StorageObject,
    Target,
    PortalGroup,
    Lun,
    Portal,
    Acl,
    AclLun,
}

fn numbered(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.parse::<u32>().is_ok())
}

/// Which group `path` would be, or `None` where configfs refuses `mkdir`.
pub(super) fn classify(path: &Path) -> Option<GroupKind> {
    let c: Vec<&str> = path.iter().filter_map(|s| s.to_str()).collect();
    let tpg_at = |i: usize| c.len() > i && c[2] != "discovery_auth" && numbered(c[i], "tpgt_");
    match c.as_slice() {
        ["target", "iscsi"] => Some(GroupKind::IscsiFabric),
        ["target", "core", hba] if numbered(hba, "iblock_") => Some(GroupKind::Hba),
        ["target", "core", hba, _] if numbered(hba, "iblock_") => Some(GroupKind::StorageObject),
        ["target", "iscsi", wwn] if *wwn != "discovery_auth" => Some(GroupKind::Target),
        ["target", "iscsi", _, _] if tpg_at(3) => Some(GroupKind::PortalGroup),
        ["target", "iscsi", _, _, "lun", l] if tpg_at(3) && numbered(l, "lun_") => {
            Some(GroupKind::Lun)
        }
        ["target", "iscsi", _, _, "np", _] if tpg_at(3) => Some(GroupKind::Portal),
        ["target", "iscsi", _, _, "acls", _] if tpg_at(3) => Some(GroupKind::Acl),
        ["target", "iscsi", _, _, "acls", _, l] if tpg_at(3) && numbered(l, "lun_") => {
            Some(GroupKind::AclLun)
        }
        _ => None,
    }
}

const CHAP_FILES: [&str; 4] = ["userid", "password", "userid_mutual", "password_mutual"];

impl FakeConfigfs {
    /// Fill a freshly made group the way the kernel does.
    pub(super) fn populate(&mut self, path: &Path, group: GroupKind) {
        let rw = |name: &str, v: &str| (name.to_string(), v.to_string(), Mode::ReadWrite);
        let ro = |name: &str, v: &str| (name.to_string(), v.to_string(), Mode::ReadOnly);
        let (dirs, attrs): (Vec<&str>, Vec<(String, String, Mode)>) = match group {
            GroupKind::IscsiFabric => {
                let mut a = vec![
                    ro("lio_version", "Datera Inc. iSCSI Target v4.1.0"),
                    rw("discovery_auth/enforce_discovery_auth", "0"),
                    ro("discovery_auth/authenticate_target", "0"),
                ];
                a.extend(CHAP_FILES.map(|f| rw(&format!("discovery_auth/{f}"), "")));
                (vec!["discovery_auth"], a)
            }
            GroupKind::Hba => (
                vec![],
                vec![
                    ro("hba_info", "HBA Index: 0 plugin: iblock version: v5.0"),
                    rw("hba_mode", "0"),
                ],
            ),
            GroupKind::StorageObject => (
                vec!["attrib", "wwn", "pr", "statistics", "alua"],
                vec![
                    ("control".into(), String::new(), Mode::WriteOnly),
                    rw("enable", "0"),
                    ro("info", ""),
                    rw("udev_path", ""),
                    rw("alias", ""),
                    rw("attrib/block_size", "512"),
                    ro("attrib/hw_block_size", "512"),
                    rw("attrib/emulate_tpu", "0"),
                    rw("attrib/emulate_tpws", "0"),
                    rw("attrib/emulate_caw", "1"),
                    rw("attrib/emulate_3pc", "1"),
                    rw("attrib/emulate_write_cache", "0"),
                    rw("attrib/is_nonrot", "0"),
                    rw("wwn/vpd_unit_serial", ""),
                    rw("wwn/vendor_id", "LIO-ORG"),
                    rw("wwn/product_id", "IBLOCK"),
                    rw("wwn/revision", "4.0"),
                    rw("wwn/company_id", "0x001405"),
                ],
            ),
            GroupKind::Target => (vec!["fabric_statistics"], vec![]),
            GroupKind::PortalGroup => {
                let mut a = vec![
                    rw("enable", "0"),
                    ro("dynamic_sessions", ""),
                    // TA_AUTHENTICATION is 1 in iscsi_target_core.h.
                    rw("attrib/authentication", "1"),
                    rw("attrib/generate_node_acls", "0"),
                    rw("attrib/cache_dynamic_acls", "0"),
                    rw("attrib/demo_mode_write_protect", "1"),
                    rw("attrib/prod_mode_write_protect", "0"),
                    rw("attrib/demo_mode_discovery", "1"),
                    rw("attrib/login_timeout", "15"),
                    rw("attrib/default_cmdsn_depth", "64"),
                    ro("auth/authenticate_target", "0"),
                    rw("param/AuthMethod", "CHAP,None"),
                    rw("param/MaxConnections", "1"),
                ];
                a.extend(CHAP_FILES.map(|f| rw(&format!("auth/{f}"), "")));
                (vec!["lun", "acls", "np", "attrib", "auth", "param"], a)
            }
            GroupKind::Lun => (
                vec!["statistics"],
                vec![rw("alua_tg_pt_offline", "0"), rw("alua_tg_pt_status", "0")],
            ),
            GroupKind::Portal => (vec![], vec![rw("iser", "0")]),
            GroupKind::Acl => {
                let mut a = vec![
                    ro("info", "No active iSCSI Session"),
                    rw("cmdsn_depth", "64"),
                    rw("tag", ""),
                    ro("auth/authenticate_target", "0"),
                    // NA_AUTHENTICATION_INHERITED: follow the portal group.
                    rw("attrib/authentication", "-1"),
                    rw("attrib/dataout_timeout", "3"),
                ];
                a.extend(CHAP_FILES.map(|f| rw(&format!("auth/{f}"), "")));
                (vec!["auth", "attrib", "param"], a)
            }
            GroupKind::AclLun => (vec!["statistics"], vec![rw("write_protect", "0")]),
        };
        for d in dirs {
            self.add_default_dir(&path.join(d));
        }
        for (name, value, mode) in attrs {
            self.add_attr(&path.join(name), &value, mode);
        }
    }
}
