//! Upgrades against a fixture boot medium: an ESP directory, two root
//! partition files, a key in a root tree. Every refusal must leave grubenv
//! and both slots byte for byte as they were.

use std::fs;
use std::path::{Path, PathBuf};

use ironstor_contract::bundle::{
    write_bundle, Manifest, Payload, SlotRecord, FORMAT_VERSION, PAYLOAD_INITRD, PAYLOAD_KERNEL,
    PAYLOAD_ROOT,
};
use ironstor_contract::grubenv::GrubEnv;
use ironstor_contract::keys::{SecretKey, IMAGE_PUBLIC_KEY};
use sha2::{Digest, Sha256};

use super::boot::{BootVerdict, Health};
use super::install::{InstallOptions, Source};
use ironstor_contract::esp::{self, GRUBENV};

use super::layout::EspAccess;
use super::*;

const SLOT_BYTES: usize = 64 * 1024;

struct Fixture {
    dir: tempfile::TempDir,
    up: Upgrader,
}

fn key() -> SecretKey {
    SecretKey::from_seed([4; 32])
}

fn env_of(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut env = GrubEnv::new();
    for (k, v) in pairs {
        env.set(k, v).unwrap();
    }
    env.to_bytes().unwrap()
}

fn fixture(cmdline: &str, grubenv: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let p = |rel: &str| dir.path().join(rel);
    for d in ["root/usr/share/ironstor", "state"] {
        fs::create_dir_all(p(d)).unwrap();
    }
    for d in esp::directories() {
        fs::create_dir_all(p("esp").join(d)).unwrap();
    }
    fs::write(p("esp").join(GRUBENV), env_of(grubenv)).unwrap();
    let root_a = vec![0xa1u8; 20_000];
    fs::write(p("esp").join(esp::kernel(Slot::A)), b"kernel v1").unwrap();
    fs::write(p("esp").join(esp::initrd(Slot::A)), b"initrd v1").unwrap();
    let record = SlotRecord {
        image: "ironstor-qemu".into(),
        version: "1.0.0".into(),
        build_id: "one".into(),
        root_size: root_a.len() as u64,
        root_sha256: format!("{:x}", Sha256::digest(&root_a)),
    };
    fs::write(
        p("esp").join(esp::record(Slot::A)),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
    let mut part_a = root_a.clone();
    part_a.resize(SLOT_BYTES, 0);
    fs::write(p("root-a"), part_a).unwrap();
    fs::write(p("root-b"), vec![0u8; SLOT_BYTES]).unwrap();
    fs::write(p("root").join(IMAGE_PUBLIC_KEY), key().public().to_text()).unwrap();
    let layout = Layout {
        esp: EspAccess::Dir(p("esp")),
        root_a: p("root-a"),
        root_b: p("root-b"),
    };
    let up = Upgrader::new(
        layout,
        &p("root"),
        &p("state"),
        Booted::from_cmdline(cmdline),
        Some("ironstor-qemu".into()),
        Some("1.0.0".into()),
    );
    Fixture { dir, up }
}

fn steady() -> Fixture {
    fixture("ro ironstor.slot=a", &[("active", "a")])
}

fn payloads(tag: u8) -> [Vec<u8>; 3] {
    [vec![tag; 30_000], vec![tag ^ 1; 700], vec![tag ^ 2; 1500]]
}

fn manifest(image: &str, version: &str, p: &[Vec<u8>; 3]) -> Manifest {
    Manifest {
        format: FORMAT_VERSION,
        image: image.into(),
        version: version.into(),
        build_id: format!("build-{version}"),
        payloads: vec![
            Payload::of_bytes(PAYLOAD_ROOT, &p[0]),
            Payload::of_bytes(PAYLOAD_KERNEL, &p[1]),
            Payload::of_bytes(PAYLOAD_INITRD, &p[2]),
        ],
    }
}

/// A bundle of `image` `version` holding the payloads `p`, signed with
/// `key`: the manifest always describes exactly what is written.
fn bundle(image: &str, version: &str, p: &[Vec<u8>; 3], key: &SecretKey) -> Vec<u8> {
    let mut out = Vec::new();
    let [a, b, c] = p;
    write_bundle(
        &mut out,
        &manifest(image, version, p),
        key,
        &mut [&mut &a[..], &mut &b[..], &mut &c[..]],
        &mut |_| {},
    )
    .unwrap();
    out
}

/// [`bundle`] of `payloads(tag)`, signed with the image's key.
fn signed(image: &str, version: &str, tag: u8) -> Vec<u8> {
    bundle(image, version, &payloads(tag), &key())
}

fn v2() -> Vec<u8> {
    signed("ironstor-qemu", "2.0.0", 0x22)
}

const OPTS: InstallOptions = InstallOptions {
    force: false,
    tries: 3,
};

/// SHA-256 of grubenv, both root partitions and every slot file.
fn fingerprint(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = vec![
        dir.join("esp").join(GRUBENV),
        dir.join("root-a"),
        dir.join("root-b"),
    ];
    for slot in ["a", "b"] {
        let mut names: Vec<_> = fs::read_dir(dir.join("esp").join(slot))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        files.extend(names);
    }
    files
        .into_iter()
        .map(|f| {
            let sum = format!("{:x}", Sha256::digest(fs::read(&f).unwrap()));
            (f, sum)
        })
        .collect()
}

fn grubenv(f: &Fixture) -> GrubEnv {
    GrubEnv::parse(&fs::read(f.dir.path().join("esp").join(GRUBENV)).unwrap()).unwrap()
}

fn upload(
    f: &Fixture,
    bytes: &[u8],
    opts: InstallOptions,
) -> Result<install::Installed, UpgradeError> {
    let busy = f.up.begin().unwrap();
    let mut input = bytes;
    f.up.install(&busy, Source::Upload(&mut input), opts)
}

#[test]
fn an_upload_is_written_to_the_inactive_slot_and_next_points_at_it() {
    let f = steady();
    let done = upload(&f, &v2(), OPTS).unwrap();
    assert_eq!((done.slot.as_str(), done.version.as_str()), ("b", "2.0.0"));
    let p = payloads(0x22);
    let part = fs::read(f.dir.path().join("root-b")).unwrap();
    assert_eq!(&part[..p[0].len()], &p[0][..]);
    assert_eq!(
        fs::read(f.dir.path().join("esp").join(esp::kernel(Slot::B))).unwrap(),
        p[1]
    );
    assert_eq!(
        fs::read(f.dir.path().join("esp").join(esp::initrd(Slot::B))).unwrap(),
        p[2]
    );
    let env = grubenv(&f);
    assert_eq!(
        (env.get("active"), env.get("next"), env.get("tries")),
        (Some("a"), Some("b"), Some("3"))
    );
    let status = f.up.status();
    assert_eq!(status.slots[1].image.as_ref().unwrap().version, "2.0.0");
    assert!(status.blessed);
    assert_eq!(status.progress.phase, Phase::Installed);
    assert_eq!(f.up.last_outcome().unwrap().kind, OutcomeKind::Installed);
    assert!(
        !f.dir.path().join("state/upgrade/incoming.bundle").exists(),
        "spool removed"
    );

    // A second install replaces the pending one.
    let path = f.dir.path().join("v2.bundle");
    fs::write(&path, v2()).unwrap();
    let busy = f.up.begin().unwrap();
    f.up.install(
        &busy,
        Source::File(&path),
        InstallOptions {
            force: false,
            tries: 2,
        },
    )
    .unwrap();
    assert_eq!(grubenv(&f).get("tries"), Some("2"));
}

#[test]
fn refused_bundles_leave_grubenv_and_both_slots_byte_identical() {
    let f = steady();
    let good = v2();
    let mut tampered_payload = good.clone();
    // The root payload's data starts after its header (found by the last
    // occurrence of its name, the header, not the manifest).
    let header = good
        .windows(13)
        .rposition(|w| w == b"root.squashfs")
        .unwrap();
    tampered_payload[header + 512 + 1000] ^= 0xff;
    let mut tampered_manifest = good.clone();
    let at = good.windows(5).position(|w| w == b"2.0.0").unwrap();
    tampered_manifest[at] = b'9';
    let other_key = bundle(
        "ironstor-qemu",
        "2.0.0",
        &payloads(0x22),
        &SecretKey::from_seed([5; 32]),
    );
    let wrong_image = signed("ironstor-other", "2.0.0", 1);
    let downgrade = signed("ironstor-qemu", "0.9.0", 2);
    let mut huge = payloads(3);
    huge[0] = vec![3; SLOT_BYTES + 1];
    let too_large = bundle("ironstor-qemu", "2.0.0", &huge, &key());
    let garbage: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "tampered payload",
            tampered_payload,
            "payload root.squashfs has SHA-256",
        ),
        (
            "tampered manifest",
            tampered_manifest,
            "signature does not match",
        ),
        ("other key", other_key, "signed by another key"),
        (
            "truncated",
            good[..good.len() - 3000].to_vec(),
            "ends early",
        ),
        (
            "wrong image",
            wrong_image,
            "is for image \"ironstor-other\"",
        ),
        (
            "downgrade",
            downgrade,
            "version 0.9.0, lower than the running 1.0.0",
        ),
        ("too large", too_large, "holds only 65536"),
        ("garbage", garbage, "not a tar archive"),
    ];
    let before = fingerprint(f.dir.path());
    for (what, bytes, needle) in cases {
        let err = upload(&f, &bytes, OPTS).expect_err(what);
        let shown = crate::util::error_chain(&err);
        assert!(shown.contains(needle), "{what}: {shown}");
        assert!(err.is_bad_bundle(), "{what}: {shown}");
        assert_eq!(
            fingerprint(f.dir.path()),
            before,
            "{what} changed the boot medium"
        );
        assert_eq!(f.up.progress().phase, Phase::Failed);
        assert_eq!(f.up.last_outcome().unwrap().kind, OutcomeKind::Refused);
    }
    // Forced, the other image and the downgrade go in.
    let downgrade = signed("ironstor-qemu", "0.9.0", 2);
    upload(
        &f,
        &downgrade,
        InstallOptions {
            force: true,
            tries: 3,
        },
    )
    .unwrap();
}

#[test]
fn one_install_at_a_time() {
    let f = steady();
    let busy = f.up.begin().unwrap();
    assert!(matches!(f.up.begin(), Err(UpgradeError::Busy)));
    drop(busy);
    assert!(f.up.begin().is_ok());
}

#[test]
fn a_network_boot_refuses_upgrades() {
    let f = fixture("ro ironstor.slot=net", &[("active", "a")]);
    let err = upload(&f, &v2(), OPTS).unwrap_err();
    assert!(
        err.to_string().contains("the server's tree is its upgrade"),
        "{err}"
    );
    assert!(f
        .up
        .status()
        .problem
        .unwrap()
        .contains("boots from the network"));
}

#[test]
fn an_unblessed_running_slot_protects_the_fallback() {
    let f = fixture(
        "ironstor.slot=b",
        &[("active", "a"), ("next", "b"), ("tries", "2")],
    );
    let before = fingerprint(f.dir.path());
    let err = upload(&f, &v2(), OPTS).unwrap_err();
    assert!(err.to_string().contains("slot a is the fallback"), "{err}");
    assert_eq!(fingerprint(f.dir.path()), before);
}

fn health(ok: bool) -> Health {
    Health {
        state_reconciled: ok,
        pools_imported: ok,
        exports_live: true,
        problems: if ok {
            vec![]
        } else {
            vec!["declared pools not imported: tank".into()]
        },
    }
}

#[test]
fn a_healthy_trial_boot_is_blessed_and_an_unhealthy_one_rebooted() {
    let f = steady();
    upload(&f, &v2(), OPTS).unwrap();
    // GRUB counted one try down and booted b.
    let trial = [("active", "a"), ("next", "b"), ("tries", "2")];
    let sick = fixture("ironstor.slot=b", &trial);
    let before = fingerprint(sick.dir.path());
    let (verdict, lines) = sick.up.after_start(&health(false)).unwrap();
    assert_eq!(verdict, BootVerdict::RebootUnhealthy);
    assert!(
        lines[0].contains("declared pools not imported: tank"),
        "{lines:?}"
    );
    assert_eq!(
        fingerprint(sick.dir.path()),
        before,
        "an unhealthy boot changes nothing"
    );

    let well = fixture("ironstor.slot=b", &trial);
    let (verdict, _) = well.up.after_start(&health(true)).unwrap();
    assert_eq!(verdict, BootVerdict::Blessed);
    let env = grubenv(&well);
    assert_eq!(
        (env.get("active"), env.get("next"), env.get("tries")),
        (Some("b"), None, None)
    );
    assert_eq!(well.up.last_outcome().unwrap().kind, OutcomeKind::Blessed);
    // A restart of storaged after that changes nothing.
    assert_eq!(
        well.up.after_start(&health(false)).unwrap().0,
        BootVerdict::Steady
    );
}

#[test]
fn a_rollback_by_grub_is_reported_once() {
    let f = fixture(
        "ironstor.slot=a",
        &[
            ("active", "a"),
            ("next", ""),
            ("tries", ""),
            ("rolled_back", "b"),
        ],
    );
    let (verdict, lines) = f.up.after_start(&health(true)).unwrap();
    assert_eq!(verdict, BootVerdict::Steady);
    assert!(
        lines[0].starts_with("automatic rollback: slot b"),
        "{lines:?}"
    );
    let outcome = f.up.last_outcome().unwrap();
    assert_eq!(outcome.kind, OutcomeKind::RolledBack);
    assert_eq!(grubenv(&f).get("rolled_back"), None);
    assert!(f.up.after_start(&health(true)).unwrap().1.is_empty());
}

#[test]
fn rollback_on_demand_checks_the_other_slot() {
    let f = fixture("ironstor.slot=b", &[("active", "b")]);
    let message = f.up.rollback().unwrap();
    assert!(
        message.contains("rolled back to slot a (ironstor-qemu 1.0.0)"),
        "{message}"
    );
    assert_eq!(grubenv(&f).get("active"), Some("a"));

    // A damaged slot a is refused.
    let f = fixture("ironstor.slot=b", &[("active", "b")]);
    let mut part = fs::read(f.dir.path().join("root-a")).unwrap();
    part[10] ^= 1;
    fs::write(f.dir.path().join("root-a"), part).unwrap();
    let err = f.up.rollback().unwrap_err();
    assert!(
        err.to_string()
            .contains("does not hold the image its record names"),
        "{err}"
    );
    assert_eq!(grubenv(&f).get("active"), Some("b"));

    // Nothing in slot b: no rollback from a.
    let err = steady().up.rollback().unwrap_err();
    assert!(
        err.to_string().contains("slot b holds no valid image"),
        "{err}"
    );
}

#[test]
fn status_does_not_wait_for_an_install_holding_the_esp() {
    let f = steady();
    let first = f.up.status();
    assert!(first.problem.is_none(), "{:?}", first.problem);
    let _held = f.up.esp.lock().unwrap();
    let during = f.up.status();
    assert_eq!(
        during.slots, first.slots,
        "answered from what was last read"
    );
    assert_eq!(during.active.as_deref(), Some("a"));
}
