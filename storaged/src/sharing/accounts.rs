//! The Unix accounts of SMB users, for libnss-extrausers.
//!
//! smbd runs each session as a Unix user, and `smbpasswd -a` refuses a name
//! the system does not know. `/etc/passwd` is on the read-only root, so the
//! image's `nsswitch.conf` adds `extrausers`, which reads `passwd` and
//! `group` from `/var/lib/extrausers`; storaged writes both from its state.
//! Accounts have no password and no shell: they exist only for file
//! ownership and smbd.

use crate::state::{User, USERS_GID};

/// The group every storaged user is in.
pub const USERS_GROUP: &str = "storage-users";

/// `passwd(5)` lines, one per user.
pub fn render_passwd(users: &[User]) -> String {
    users
        .iter()
        .map(|u| {
            format!(
                "{}:x:{}:{USERS_GID}:ironstor user:/nonexistent:/usr/sbin/nologin\n",
                u.name, u.uid
            )
        })
        .collect()
}

/// `group(5)`: the one group, listing every user.
pub fn render_group(users: &[User]) -> String {
    let members: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
    format!("{USERS_GROUP}:x:{USERS_GID}:{}\n", members.join(","))
}
