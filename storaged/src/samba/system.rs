//! Names an SMB user must not take: the system's accounts and groups.
//!
//! smbd runs each session as the Unix user of the same name, and the
//! image's `nsswitch.conf` reads `/etc/passwd` before extrausers: an SMB
//! user named `root` would log in as uid 0, one named `backup` as the
//! owner of the backups. A user named like a system group would be taken
//! for it where Samba resolves names (`valid users = @x` against `x`).

use std::fs;
use std::io;
use std::path::Path;

use super::names::AccountName;
use super::SambaError;

/// The image's system accounts and groups (Debian's base-passwd, systemd,
/// dbus, NFS, Samba and the daemons an owner may switch on), refused even
/// where `/etc` lacks them (`--sim`, a newer image that drops one):
/// today's state must not become a login tomorrow. `storage-users` is the
/// group every SMB user is in.
pub const SYSTEM_NAMES: &[&str] = &[
    // base-passwd users
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "_apt",
    "nobody",
    // base-passwd groups
    "adm",
    "tty",
    "disk",
    "kmem",
    "dialout",
    "fax",
    "voice",
    "cdrom",
    "floppy",
    "tape",
    "sudo",
    "audio",
    "dip",
    "operator",
    "src",
    "shadow",
    "utmp",
    "video",
    "sasl",
    "plugdev",
    "staff",
    "users",
    "nogroup",
    "input",
    "kvm",
    "render",
    "sgx",
    "clock",
    "netdev",
    // daemons of the image and its options
    "messagebus",
    "sshd",
    "_rpc",
    "statd",
    "avahi",
    "avahi-autoipd",
    "polkitd",
    "tss",
    "uuidd",
    "dnsmasq",
    "_chrony",
    "ntp",
    "ntpsec",
    "tcpdump",
    "usbmux",
    "rtkit",
    "_laurel",
    "syslog",
    "storaged",
    "storage-users",
];

/// Names that start with one of these belong to the system too:
/// `systemd-network`, `systemd-timesync`, `systemd-journal`, ...
const SYSTEM_PREFIXES: &[&str] = &["systemd-"];

/// Refuses `name` for a new SMB user when it is a system account or group:
/// one of [`SYSTEM_NAMES`], a `systemd-` name, or any name in
/// `<etc>/passwd` or `<etc>/group`. Not only those below uid 1000: the
/// image has no people in `/etc`, and since nsswitch reads `/etc` before
/// extrausers, an SMB user named like any entry there would run as that
/// entry, not as the uid storaged gives it. `etc` is the machine's `/etc`
/// under its roots, so `--sim` reads its fixture. A missing file has no
/// names; an unreadable one is an error.
pub fn check_user_name(etc: &Path, name: &AccountName) -> Result<(), SambaError> {
    let refuse = |what: String| SambaError::SystemAccount {
        user: name.clone(),
        what,
    };
    let n = name.as_str();
    if SYSTEM_NAMES.contains(&n) || SYSTEM_PREFIXES.iter().any(|p| n.starts_with(p)) {
        return Err(refuse("a system account or group of the appliance".into()));
    }
    for (file, kind) in [("passwd", "account"), ("group", "group")] {
        let path = etc.join(file);
        if let Some(id) = system_id(&path, n)? {
            return Err(refuse(format!(
                "the system {kind} with id {id} in {}",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The id of `name` in a `passwd(5)` or `group(5)` file, if it is there.
fn system_id(path: &Path, name: &str) -> Result<Option<u32>, SambaError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SambaError::ReadSystemAccounts {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let entry = fields.next()?;
            let id = fields.nth(1)?.trim().parse::<u32>().ok()?;
            (entry == name).then_some(id)
        })
        .next())
}
