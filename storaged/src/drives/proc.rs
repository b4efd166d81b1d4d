//! What `/proc` says about disks: what is mounted where, and which slot the
//! running system booted.

use std::path::Path;

use ironstor_contract::Slot;

use super::model::DevNum;
use super::sysfs::read_required;
use super::DriveError;

/// One line of `/proc/self/mountinfo`, reduced to what ties a mount to a
/// disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mount {
    pub devnum: DevNum,
    pub mount_point: String,
    pub fs_type: String,
}

pub(super) fn read_mounts(proc: &Path) -> Result<Vec<Mount>, DriveError> {
    Ok(parse_mountinfo(&read_required(
        &proc.join("self/mountinfo"),
    )?))
}

/// Parses proc(5) `mountinfo`:
/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw`.
/// Field 3 is the device number, field 5 the mount point (with `\040`-style
/// escapes), and the file system type follows the `-` separator. Mountinfo
/// rather than `/proc/mounts` because its device numbers survive renamed
/// and deleted device nodes.
pub(super) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let devnum = DevNum::parse(fields.get(2)?)?;
            let mount_point = unescape(fields.get(4)?);
            let sep = fields.iter().position(|f| *f == "-")?;
            let fs_type = fields.get(sep + 1)?.to_string();
            Some(Mount {
                devnum,
                mount_point,
                fs_type,
            })
        })
        .collect()
}

/// Undoes the octal escapes (`\040` for a space) the kernel writes for
/// space, tab, newline and backslash.
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let octal = s
                .get(i + 1..i + 4)
                .and_then(|o| u8::from_str_radix(o, 8).ok());
            if let Some(byte) = octal {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The A/B slot GRUB booted, from `ironstor.slot=` on the kernel command
/// line; `None` outside an ironstor boot (PXE without a slot, tests).
pub(super) fn read_booted_slot(proc: &Path) -> Result<Option<Slot>, DriveError> {
    Ok(Slot::from_cmdline(&read_required(&proc.join("cmdline"))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_give_device_number_mount_point_and_type() {
        let mounts = parse_mountinfo(
            "21 1 8:35 / / ro,relatime shared:1 - squashfs /dev/sdc3 ro,errors=continue\n\
             30 21 8:37 / /var rw,relatime shared:15 - ext4 /dev/sdc5 rw\n\
             41 21 8:17 /export /srv/old\\040data rw,relatime master:3 shared:21 - ext4 /dev/sdb1 rw\n\
             garbage line\n",
        );
        let dev = |major, minor| DevNum { major, minor };
        assert_eq!(
            mounts,
            vec![
                Mount {
                    devnum: dev(8, 35),
                    mount_point: "/".into(),
                    fs_type: "squashfs".into()
                },
                Mount {
                    devnum: dev(8, 37),
                    mount_point: "/var".into(),
                    fs_type: "ext4".into()
                },
                Mount {
                    devnum: dev(8, 17),
                    mount_point: "/srv/old data".into(),
                    fs_type: "ext4".into()
                },
            ]
        );
    }

    #[test]
    fn unescape_keeps_text_that_is_not_an_octal_escape() {
        assert_eq!(unescape("a\\134b\\9x\\"), "a\\b\\9x\\");
    }
}
