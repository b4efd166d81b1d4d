//! Profile parsing: the shipped profiles parse, and each kind of bad profile
//! fails with an error naming the file, the line and the key.

use std::path::{Path, PathBuf};

use super::settings::{self, SETTINGS};
use super::*;

fn images_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../images")
}

const GOOD: &str = r#"
[image]
name = "ironstor-test"
version = "1.2.3"

[distribution]
package_sets = ["base"]

[kernel]
modules = ["nvme"]
command_line = ["console=ttyS0,115200"]

[disk]
esp_size = "128M"
slot_size = "512M"
data_size = "64M"
"#;

fn parse_text(text: &str) -> Result<Profile, ProfileError> {
    parse(&images_dir().join("under-test.toml"), text)
}

/// `GOOD` with `from` replaced by `to` (which must occur).
fn with(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from:?} not in the base profile");
    GOOD.replacen(from, to, 1)
}

#[test]
fn shipped_profiles_parse() {
    for name in ["hpe-ml310e.toml", "qemu.toml"] {
        let p = load(&images_dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.all_packages().contains(&"zfsutils-linux".to_string()));
        assert!(p.kernel.zfs);
    }
    let hpe = load(&images_dir().join("hpe-ml310e.toml")).unwrap();
    for module in [
        "nvme",
        "ahci",
        "hpsa",
        "smartpqi",
        "ixgbe",
        "tg3",
        "usb-storage",
        "hpwdt",
    ] {
        assert!(hpe.kernel.modules.iter().any(|m| m == module), "{module}");
    }
}

#[test]
fn minimal_profile_gets_documented_defaults() {
    let p = parse_text(GOOD).unwrap();
    assert_eq!(p.image.hostname, "ironstor");
    assert_eq!(p.distribution.suite, "trixie");
    assert_eq!(p.distribution.components, ["main", "contrib"]);
    assert_eq!(p.distribution.mirror, None);
    assert_eq!(p.rootfs.compression, Compression::Zstd);
    assert_eq!(p.disk.slot_size, 512 * MIB);
    assert_eq!(p.qemu.nvme_drives, 4);
    assert_eq!(p.pxe.base_url, None);
}

/// Each bad profile, the line the error must point at (if any) and words
/// the message must contain.
#[test]
fn bad_profiles_fail_naming_line_and_key() {
    let cases: Vec<(&str, String, Option<usize>, &str)> = vec![
        (
            "unknown key",
            with("version = \"1.2.3\"", "version = \"1.2.3\"\nnmae = \"x\""),
            Some(5),
            "unknown field `nmae`",
        ),
        (
            "wrong type",
            with("[disk]", "[qemu]\nnvme_drives = \"four\"\n\n[disk]"),
            Some(14),
            "invalid type: string \"four\"",
        ),
        (
            "slot smaller than a root image",
            with("slot_size = \"512M\"", "slot_size = \"64M\""),
            Some(15),
            "disk.slot_size: 64 MiB is too small: at least 128 MiB",
        ),
        (
            "unknown package set",
            with("[\"base\"]", "[\"base\", \"gui\"]"),
            Some(7),
            "unknown package set \"gui\"",
        ),
        (
            "missing overlay",
            with("[disk]", "[rootfs]\noverlays = [\"../nope\"]\n\n[disk]"),
            Some(14),
            "rootfs.overlays: directory \"../nope\"",
        ),
        (
            "size that is not a size",
            with("esp_size = \"128M\"", "esp_size = \"lots\""),
            Some(14),
            "\"lots\" is not a size",
        ),
        (
            "PXE base URL that is not plain HTTP",
            with(
                "[disk]",
                "[pxe]\nbase_url = \"https://boot.lan/\"\n\n[disk]",
            ),
            Some(14),
            "pxe.base_url: \"https://boot.lan/\" must start with http://",
        ),
        (
            "size not whole MiB",
            with("data_size = \"64M\"", "data_size = 67108865"),
            Some(16),
            "not a whole number of MiB",
        ),
        (
            "builder-owned kernel parameter",
            with("\"console=ttyS0,115200\"", "\"root=/dev/sda3\""),
            Some(11),
            "root= is set by the builder",
        ),
        (
            "bad image name",
            with("ironstor-test", "Iron Stor"),
            Some(3),
            "image.name: \"Iron Stor\" is not a valid image name",
        ),
        (
            "bad version",
            with("1.2.3", "1.2"),
            Some(4),
            "expected MAJOR.MINOR.PATCH",
        ),
        (
            "unknown compression",
            with("[disk]", "[rootfs]\ncompression = \"brotli\"\n\n[disk]"),
            Some(14),
            "unknown compression \"brotli\"",
        ),
        (
            "unknown component",
            with(
                "[distribution]",
                "[distribution]\ncomponents = [\"main\", \"universe\"]",
            ),
            Some(7),
            "unknown component \"universe\"",
        ),
        (
            "missing table",
            GOOD.replace(
                "[disk]\nesp_size = \"128M\"\nslot_size = \"512M\"\ndata_size = \"64M\"\n",
                "",
            ),
            Some(1),
            "missing field `disk`",
        ),
        (
            "stick smaller than the image",
            with("[disk]", "[qemu]\nstick_size = \"256M\"\n\n[disk]"),
            Some(14),
            "smaller than the image itself",
        ),
        (
            "too many drives",
            with("[disk]", "[qemu]\nnvme_drives = 20\n\n[disk]"),
            Some(14),
            "20 is out of range: 0 to 8",
        ),
        (
            "mirror not a URL",
            with("[distribution]", "[distribution]\nmirror = \"deb mirror\""),
            Some(7),
            "is not an http://, https:// or file:// URL",
        ),
        (
            "TOML syntax",
            with("[kernel]", "[kernel"),
            Some(9),
            "invalid table header",
        ),
        (
            "private key named as the public key",
            with(
                "[disk]",
                "[update]\npublic_key = \"../tests/keys/TEST-ONLY-qemu.key\"\n\n[disk]",
            ),
            Some(14),
            "update.public_key: \"../tests/keys/TEST-ONLY-qemu.key\": this is a private key file",
        ),
        (
            "missing public key",
            with("[disk]", "[update]\npublic_key = \"nope.pub\"\n\n[disk]"),
            Some(14),
            "update.public_key: cannot read \"nope.pub\"",
        ),
        (
            "bad unit name",
            with("[disk]", "[rootfs]\nenable_units = [\"sshd\"]\n\n[disk]"),
            Some(14),
            "\"sshd\" is not a valid unit name",
        ),
    ];
    assert!(cases.len() >= 10);
    let file = images_dir().join("under-test.toml");
    for (what, text, line, needle) in cases {
        let err = parse_text(&text).expect_err(what);
        let shown = err.to_string();
        assert!(
            shown.starts_with(&file.display().to_string()),
            "{what}: {shown}"
        );
        assert!(shown.contains(needle), "{what}: {shown:?} lacks {needle:?}");
        assert_eq!(err.line, line, "{what}: {shown}");
    }
}

#[test]
fn every_documented_key_parses_from_its_example() {
    let mut text = String::new();
    let mut table = "";
    for s in SETTINGS {
        let (t, key) = s.key.split_once('.').unwrap();
        if t != table {
            text += &format!("\n[{t}]\n");
            table = t;
        }
        // Examples name paths that must exist; point them at real ones.
        let example = match s.key {
            "rootfs.overlays" => "[\"../rootfs/overlay\"]",
            "kernel.command_line" => "[\"console=ttyS0,115200\"]",
            "qemu.stick_size" => "\"4G\"",
            "update.public_key" => "\"../tests/keys/TEST-ONLY-qemu.pub\"",
            _ => s.example,
        };
        text += &format!("{key} = {example}\n");
    }
    parse_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
}

#[test]
fn every_key_in_the_shipped_profiles_is_documented() {
    for name in ["hpe-ml310e.toml", "qemu.toml"] {
        let text = std::fs::read_to_string(images_dir().join(name)).unwrap();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        for (table, values) in doc {
            for key in values.as_table().unwrap().keys() {
                let dotted = format!("{table}.{key}");
                assert!(
                    SETTINGS.iter().any(|s| s.key == dotted),
                    "{name}: {dotted} is not in profile::settings::SETTINGS"
                );
            }
        }
    }
}

#[test]
fn profile_reference_doc_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/profile.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == settings::markdown(),
        "docs/profile.md is stale: run `ironstor profile keys --markdown > docs/profile.md`"
    );
}
