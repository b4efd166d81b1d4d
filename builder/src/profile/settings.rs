//! Every profile setting with its type, default and meaning: the one table
//! behind `ironstor profile keys`, `docs/profile.md` and the tests that keep
//! the two in step with the parser.

/// One documented profile key.
pub struct Setting {
    pub key: &'static str,
    pub kind: &'static str,
    pub default: Option<&'static str>,
    /// A TOML value that parses, used in docs and tests.
    pub example: &'static str,
    pub doc: &'static str,
}

const fn s(
    key: &'static str,
    kind: &'static str,
    default: Option<&'static str>,
    example: &'static str,
    doc: &'static str,
) -> Setting {
    Setting {
        key,
        kind,
        default,
        example,
        doc,
    }
}

pub const SETTINGS: &[Setting] = &[
    s("image.name", "string", None, "\"ironstor-hpe-ml310e\"",
      "Image name: 1-64 of a-z, 0-9 and '-', starting with a letter. Written to os-release as IMAGE_ID; update bundles must match it."),
    s("image.version", "string", None, "\"0.1.0\"",
      "Image version, MAJOR.MINOR.PATCH with an optional -suffix. Written to os-release as IMAGE_VERSION; upgrades refuse lower versions."),
    s("image.hostname", "string", Some("\"ironstor\""), "\"nas\"",
      "Host name the appliance boots with."),
    s("distribution.suite", "string", Some("\"trixie\""), "\"trixie\"",
      "Debian suite the root is assembled from."),
    s("distribution.components", "list of strings", Some("[\"main\", \"contrib\"]"), "[\"main\", \"contrib\"]",
      "Archive components: main, contrib, non-free, non-free-firmware. ZFS needs contrib."),
    s("distribution.mirror", "URL", Some("mmdebstrap's default"), "\"http://mirror.example/debian\"",
      "Debian mirror for mmdebstrap and apt (http://, https:// or file://). Unset: let mmdebstrap choose."),
    s("distribution.package_sets", "list of strings", None, "[\"base\", \"storage\"]",
      "Package sets to install: each names <packages_dir>/<name>.list, one package per line, # comments."),
    s("distribution.packages", "list of strings", Some("[]"), "[\"htop\"]",
      "Extra packages beyond the sets."),
    s("kernel.modules", "list of strings", Some("[]"), "[\"nvme\", \"hpwdt\"]",
      "Modules loaded at every boot (modules-load.d). Each must exist in the image's kernel; checked during assembly."),
    s("kernel.command_line", "list of strings", Some("[]"), "[\"console=ttyS0,115200\"]",
      "Extra kernel parameters, one per item. root=, rootfstype=, init=, boot= and ironstor.slot= belong to the builder. The last console=ttyS<n>,<baud> is also GRUB's serial console."),
    s("kernel.zfs", "boolean", Some("true"), "true",
      "Build ZFS modules with zfs-dkms for the image's kernel (needs zfsutils-linux in a package set)."),
    s("rootfs.packages_dir", "path", Some("\"../rootfs/packages\""), "\"../rootfs/packages\"",
      "Directory of package set lists, relative to the profile."),
    s("rootfs.initramfs_dir", "path", Some("\"../rootfs/initramfs\""), "\"../rootfs/initramfs\"",
      "Tree copied over /etc/initramfs-tools before the initramfs is made, relative to the profile."),
    s("rootfs.units_dir", "path", Some("\"../units\""), "\"../units\"",
      "systemd units installed to /usr/lib/systemd/system and enabled, relative to the profile."),
    s("rootfs.overlays", "list of paths", Some("[\"../rootfs/overlay\"]"), "[\"../rootfs/overlay\"]",
      "Trees copied over the root in order, relative to the profile; files become root-owned."),
    s("rootfs.enable_units", "list of strings", Some("[]"), "[\"systemd-networkd.service\"]",
      "Units from packages or overlays to enable, from their [Install] sections."),
    s("rootfs.compression", "string", Some("\"zstd\""), "\"zstd\"",
      "squashfs compressor: gzip, xz, zstd, lz4 or lzo."),
    s("disk.esp_size", "size", None, "\"256M\"",
      "ESP size (at least 64M): GRUB, grubenv and both slots' kernel and initrd."),
    s("disk.slot_size", "size", None, "\"1G\"",
      "Size of each root slot (at least 128M); the squashfs must fit, checked after it is made."),
    s("disk.data_size", "size", None, "\"512M\"",
      "Initial size of the /var data partition (at least 32M); it grows to fill the medium on first boot."),
    s("qemu.memory", "size", Some("\"2G\""), "\"2G\"", "Guest memory for `ironstor qemu` (at least 1G)."),
    s("qemu.nvme_drives", "integer", Some("4"), "4", "Emulated NVMe drives, 0-8, with distinct serials."),
    s("qemu.sata_drives", "integer", Some("1"), "1", "Emulated SATA disks on AHCI, 0-6."),
    s("qemu.drive_size", "size", Some("\"1G\""), "\"1G\"", "Size of each emulated drive (at least 64M)."),
    s("qemu.stick_size", "size", Some("\"4G\""), "\"3G\"",
      "Size of the emulated USB stick; at least the image, larger to exercise /var growing."),
    s("pxe.base_url", "URL", Some("none: given to `ironstor pxe serve --url`"), "\"http://192.168.1.5:8080/\"",
      "Where the network-boot tree (out/<image>/pxe) is served over HTTP: http://, ending in /. The loaders fetch the kernel and initrd from it and the kernel command line names <base_url>root.squashfs with its SHA-256. Unset: the tree's loader configs are written when `ironstor pxe serve --url` names the server."),
    s("update.public_key", "path", Some("none: the image refuses every update bundle"), "\"../tests/keys/TEST-ONLY-qemu.pub\"",
      "The ed25519 public key (from `ironstor keygen`) the image checks update bundles against; baked into the image. `ironstor build --signing-key` signs the bundle with the matching private key."),
];

/// The settings as a Markdown reference.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Image profile reference\n\nGenerated by `ironstor profile keys --markdown`; do not edit.\n\
         Sizes are strings such as \"512M\" or \"2G\" (K, M, G, T; powers of 1024) or a number of bytes,\n\
         and must be whole MiB. Paths are relative to the profile file. Unknown keys are errors.\n",
    );
    let mut table = "";
    for setting in SETTINGS {
        let (t, _) = setting.key.split_once('.').expect("dotted");
        if t != table {
            out += &format!("\n## [{t}]\n\n");
            table = t;
        }
        out += &format!(
            "### `{}`\n\n{}\n\n- type: {}\n- default: {}\n- example: `{}`\n\n",
            setting.key.split_once('.').expect("dotted").1,
            setting.doc,
            setting.kind,
            setting.default.unwrap_or("none, required"),
            setting.example
        );
    }
    out
}
