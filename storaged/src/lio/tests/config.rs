//! Validation, names, identity and esxcli rendering: pure functions.

use super::*;

fn refused(cfg: &IscsiConfig) -> ConfigError {
    cfg.validate().expect_err("should be refused")
}

#[test]
fn sample_is_valid_and_round_trips_through_json() {
    let cfg = sample();
    cfg.validate().unwrap();
    let json = serde_json::to_string(&cfg).unwrap();
    assert!(json.contains(r#""mode":"initiators""#), "{json}");
    assert!(json.contains(r#""block_size":4096"#), "{json}");
    assert!(json.contains(r#""10.0.1.5:3260""#), "{json}");
    let back: IscsiConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
}

#[test]
fn json_refuses_unknown_fields_and_odd_block_sizes() {
    let lun = r#"{"number":0,"zvol":"tank/a","block_size":512,"colour":"red"}"#;
    assert!(serde_json::from_str::<Lun>(lun).is_err());
    let lun = r#"{"number":0,"zvol":"tank/a","block_size":1024}"#;
    let e = serde_json::from_str::<Lun>(lun).unwrap_err().to_string();
    assert!(e.contains("neither 512 nor 4096"), "{e}");
    let access = r#"{"mode":"allow_all","chap":null,"acls":[]}"#;
    assert!(serde_json::from_str::<Access>(access).is_err());
    let lun: Lun = serde_json::from_str(r#"{"number":3,"zvol":"tank/a"}"#).unwrap();
    assert_eq!((lun.block_size, lun.read_only), (BlockSize::B512, false));
    assert_eq!(lun.udev_path(), "/dev/zvol/tank/a");
}

#[test]
fn iqns_follow_rfc_3720() {
    for good in [
        TARGET,
        ESX1,
        "iqn.1991-05.com.microsoft:desktop-7k2",
        "iqn.2003-01.org.linux-iscsi.host.x8664:sn.5b1e9a0c7d3f",
        "iqn.2026-12.com.example",
    ] {
        assert!(good.parse::<Iqn>().is_ok(), "{good}");
    }
    for (bad, why) in [
        ("iqn.2026-01.org.ironstor:VM", "lowercase"),
        ("eui.02004567a425678d", "iqn."),
        ("iqn.26-01.org.ironstor:x", "YYYY-MM"),
        ("iqn.2026-13.org.ironstor:x", "01-12"),
        ("iqn.2026-01.ironstor:x", "reversed domain"),
        ("iqn.2026-01.org..ironstor", "domain label"),
        ("iqn.2026-01.org.ironstor:", "not be empty"),
        ("iqn.2026-01.org.ironstor:a b", "only a-z"),
        ("iqn.2026-01org.ironstor", "followed by"),
    ] {
        let e = bad.parse::<Iqn>().expect_err(bad).to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
    let long = format!("iqn.2026-01.org.ironstor:{}", "a".repeat(200));
    assert!(long.parse::<Iqn>().is_err());
}

#[test]
fn validation_names_the_field() {
    let mut c = sample();
    if let Access::Initiators { acls } = &mut c.targets[0].access {
        acls[1].chap.as_mut().unwrap().secret = "short".into();
    }
    let e = refused(&c);
    assert_eq!(e.field, "targets[0].access.acls[1].chap.secret");
    assert!(e.to_string().contains("12-16 characters"), "{e}");

    let mut c = sample();
    c.targets[0].luns[1].number = 0;
    assert_eq!(refused(&c).field, "targets[0].luns[1].number");

    let mut c = sample();
    c.targets[0].luns[1].zvol = "tank/vm/esx-a".parse().unwrap();
    assert_eq!(refused(&c).field, "targets[0].luns[1].zvol");

    let mut c = sample();
    if let Access::Initiators { acls } = &mut c.targets[0].access {
        acls[1].initiator = ESX1.parse().unwrap();
    }
    assert_eq!(refused(&c).field, "targets[0].access.acls[1].initiator");

    let mut c = sample();
    if let Access::Initiators { acls } = &mut c.targets[0].access {
        acls[1].chap = None;
    }
    let e = refused(&c);
    assert_eq!(e.field, "targets[0].access.acls");
    assert!(e.reason.contains("every initiator"), "{e}");

    let mut c = sample();
    if let Access::Initiators { acls } = &mut c.targets[0].access {
        acls[0]
            .chap
            .as_mut()
            .unwrap()
            .mutual
            .as_mut()
            .unwrap()
            .secret = "esx01-secret-1".into();
    }
    assert_eq!(
        refused(&c).field,
        "targets[0].access.acls[0].chap.mutual.secret"
    );

    let mut c = sample();
    c.discovery_chap = Some(chap("NULL", "discovery-sec"));
    assert_eq!(refused(&c).field, "discovery_chap.user");

    let mut c = sample();
    c.discovery_chap = Some(chap("d", "seventeen-chars!!"));
    assert_eq!(refused(&c).field, "discovery_chap.secret");

    let mut c = sample();
    c.targets[0].portals.clear();
    assert_eq!(refused(&c).field, "targets[0].portals");

    let mut c = sample();
    let p = c.targets[0].portals[0];
    c.targets[0].portals.push(p);
    assert_eq!(refused(&c).field, "targets[0].portals[2]");

    let mut c = sample();
    let t = c.targets[0].clone();
    c.targets.push(t);
    assert_eq!(refused(&c).field, "targets[1].iqn");
}

#[test]
fn wildcard_portal_is_refused_beside_specific_addresses() {
    let mut c = sample();
    c.targets[0].portals.push("0.0.0.0:3260".parse().unwrap());
    let e = refused(&c);
    assert_eq!(e.field, "targets[0].portals[2]");
    assert!(e.reason.contains("take the port from 10.0.1.5:3260"), "{e}");
    // On its own, or on another port, the wildcard is allowed.
    let mut c = sample();
    c.targets[0].portals = vec!["0.0.0.0:3260".parse().unwrap()];
    c.validate().unwrap();
    let mut c = sample();
    c.targets[0].portals.push("[::]:3261".parse().unwrap());
    c.validate().unwrap();
}

#[test]
fn portals_print_as_lio_names_them() {
    let v6: Portal = "[fd00:1::5]:3260".parse().unwrap();
    assert_eq!(v6.to_string(), "[fd00:1::5]:3260");
    assert!("10.0.0.1".parse::<Portal>().is_err());
    assert!("10.0.0.1:0".parse::<Portal>().is_err());
    assert!("[fe80::1%2]:3260".parse::<Portal>().is_err());
    assert!("fd00::1:3260".parse::<Portal>().is_err());
}

#[test]
fn identity_is_stable_and_distinct_per_lun() {
    let id: ApplianceId = "5b1e9a0c-7d3f-4c2a-9e61-0f8d2b4a6c13".parse().unwrap();
    let a: crate::names::DatasetName = "tank/vm/esx-a".parse().unwrap();
    let b: crate::names::DatasetName = "tank/vm/esx-b".parse().unwrap();
    let one = LunIdentity::derive(&id, &a);
    assert_eq!(one, LunIdentity::derive(&id, &a));
    assert_eq!(one.serial.len(), 32);
    assert!(one
        .serial
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(one.naa, format!("naa.6001405{}", &one.serial[..25]));
    assert_eq!(one.naa.len(), 4 + 32);
    // Pinned: a change here would make every datastore a new disk to ESXi.
    assert_eq!(one.serial, "e49f090fd8c30d256ede2295f8911720");
    let two = LunIdentity::derive(&id, &b);
    assert_ne!(one.serial, two.serial);
    assert_ne!(one.naa, two.naa);
    let other: ApplianceId = "0c7a4e2b-1111-4c2a-9e61-0f8d2b4a6c13".parse().unwrap();
    assert_ne!(LunIdentity::derive(&other, &a).serial, one.serial);
    assert!("short".parse::<ApplianceId>().is_err());
    assert!(VENDOR_ID.len() <= 8 && PRODUCT_ID.len() <= 16);
}

#[test]
fn esxcli_lines_for_a_target() {
    let cfg = sample();
    let lines = esxcli_lines(&cfg.targets[0], "vmhba64");
    assert_eq!(
        lines.dynamic_discovery,
        [
            "esxcli iscsi adapter discovery sendtarget add -A vmhba64 -a 10.0.1.5:3260",
            "esxcli iscsi adapter discovery sendtarget add -A vmhba64 -a 10.0.2.5:3260",
        ]
    );
    assert_eq!(
        lines.static_discovery[1],
        format!("esxcli iscsi adapter discovery statictarget add -A vmhba64 -a 10.0.2.5:3260 -n {TARGET}")
    );
    assert_eq!(
        lines.rescan,
        "esxcli storage core adapter rescan -A vmhba64"
    );
    assert_eq!(
        lines.claim_rule,
        "esxcli storage nmp satp rule add -s VMW_SATP_ALUA -V IRONSTOR -M ZVOL -P VMW_PSP_RR -O iops=1 -c tpgs_on -e \"ironstor Round Robin\""
    );
}

#[test]
fn redacted_targets_hide_every_chap_secret_and_keep_the_rest() {
    for target in &sample().targets {
        let shown = target.redacted();
        let text = serde_json::to_string(&shown).unwrap();
        assert!(!text.contains("-secret-"), "{text}");
        assert_eq!(
            (&shown.iqn, &shown.portals, &shown.luns),
            (&target.iqn, &target.portals, &target.luns)
        );
        let secrets = |t: &Target| -> Vec<(String, String)> {
            let chaps: Vec<&Chap> = match &t.access {
                Access::Initiators { acls } => {
                    acls.iter().filter_map(|a| a.chap.as_ref()).collect()
                }
                Access::AllowAll { chap } => chap.iter().collect(),
            };
            chaps
                .iter()
                .flat_map(|c| {
                    let mut v = vec![(c.user.clone(), c.secret.clone())];
                    v.extend(c.mutual.iter().map(|m| (m.user.clone(), m.secret.clone())));
                    v
                })
                .collect()
        };
        let (before, after) = (secrets(target), secrets(&shown));
        assert!(!before.is_empty());
        assert_eq!(before.len(), after.len());
        for ((user, _), (shown_user, secret)) in before.iter().zip(&after) {
            assert_eq!((user, secret.as_str()), (shown_user, "********"));
        }
    }
}

/// The probe panicked the handler with a non-ASCII IQN (a byte offset
/// inside a multi-byte character). Every position is refused, not one
/// panics: in the prefix, the date, the domain and the suffix, with two-,
/// three- and four-byte characters.
#[test]
fn non_ascii_iqns_are_refused_without_panicking() {
    let iqns = [
        "iqn.2026-0é.org.ironstor:x",
        "iqn.202é-01.org.ironstor:x",
        "iqn.2é26-01.org.ironstor:x",
        "iqn.2026é01.org.ironstor:x",
        "iqn.2026-01é.org.ironstor:x",
        "iqn.2026-01.örg.ironstor:x",
        "iqn.2026-01.org.ironstor:vm€",
        "iqn.2026-01.org.ironstor:😀",
        "iqn.€026-01.org.ironstor:x",
        "iqn€2026-01.org.ironstor:x",
        "ïqn.2026-01.org.ironstor:x",
        "iqn.2026-€",
        "iqn.😀",
        "iqn.2026-01.org.ironstor:\u{0301}",
    ];
    for bad in iqns {
        let e = std::panic::catch_unwind(|| bad.parse::<Iqn>())
            .unwrap_or_else(|_| panic!("{bad:?} panicked"))
            .expect_err(bad)
            .to_string();
        assert!(
            e.contains("invalid iSCSI name") && e.contains(&format!("{bad:?}")),
            "{bad}: {e}"
        );
        let json = serde_json::to_string(bad).unwrap();
        assert!(serde_json::from_str::<Iqn>(&json).is_err(), "{bad}");
    }
    assert!("iqn.2026-0é.org.ironstor:x"
        .parse::<Iqn>()
        .unwrap_err()
        .to_string()
        .contains("only ASCII"));
}

/// A portal LIO cannot bind: the target would be declared and unreachable.
#[test]
fn multicast_and_broadcast_portals_are_refused() {
    for bad in ["224.0.0.1:3260", "255.255.255.255:3260", "[ff02::1]:3260"] {
        let e = bad.parse::<Portal>().expect_err(bad);
        assert!(e.contains("multicast or broadcast"), "{bad}: {e}");
    }
    for good in ["10.0.0.255:3260", "0.0.0.0:3260", "[fd00::1]:3260"] {
        assert!(good.parse::<Portal>().is_ok(), "{good}");
    }
}
