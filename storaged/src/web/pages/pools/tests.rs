//! The pools pages against `storaged --sim`: what the engine has, the ids
//! and API paths the browser test drives, the redirect without a session.

use serde_json::json;

use crate::web::tests::{text, Sim};

const NVME: [&str; 4] = [
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003",
];

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}

/// A mirror `tank` of the first two NVMe drives, made through the API.
pub fn with_tank(sim: &Sim) {
    let r = sim.send(
        "POST",
        "/api/v1/pools",
        &[],
        Some(&json!({"name": "tank", "layout": "mirror", "disks": [NVME[0], NVME[1]]})),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
}

#[test]
fn the_pools_page_lists_pools_and_offers_the_free_disks() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    let html = text(&sim.get("/ui/pools", Some(&cookie)));
    assert!(html.contains("No pool yet"), "{html}");
    for id in NVME {
        assert!(
            html.contains(&format!(r#"class="pool-disk" name="disks[]" value="{id}""#)),
            "{id} not offered: {html}"
        );
    }
    with_tank(&sim);
    let r = sim.get("/ui/pools", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains(r#"<tr data-pool="tank">"#), "{html}");
    assert!(
        html.contains(r#"class="health state-online">ONLINE<"#),
        "{html}"
    );
    assert!(html.contains(r#"href="/ui/pools/tank""#));
    // Members of tank are no longer offered; the other two are.
    assert!(!html.contains(&format!(r#"value="{}""#, NVME[0])), "{html}");
    assert!(html.contains(&format!(
        r#"class="pool-disk" name="disks[]" value="{}""#,
        NVME[2]
    )));
    // The boot stick is never offered, not even with force.
    assert!(!html.contains("usb-QEMU_QEMU_HARDDISK"), "{html}");
    // The form the browser test fills.
    assert!(
        html.contains(r#"id="pool-create" data-api="POST /api/v1/pools" data-build="poolCreate""#)
    );
    for id in [
        "pool-name",
        "pool-layout",
        "pool-vdev-width",
        "pool-create-submit",
        "pool-stripe-warning",
        "importable",
    ] {
        assert!(has_id(&html, id), "#{id} missing");
    }
    for layout in ["stripe", "mirror", "raidz1", "raidz2", "raidz3"] {
        assert!(
            html.contains(&format!(r#"<option value="{layout}""#)),
            "{layout}"
        );
    }
    assert!(html.contains(&crate::web::assets::urls()["pools.js"]));
}

#[test]
fn a_non_usable_disk_gets_a_force_box() {
    let sim = Sim::with_password_partitioned(&["nvme3n1"]);
    let cookie = sim.login();
    let html = text(&sim.get("/ui/pools", Some(&cookie)));
    let row = html
        .split("<tr data-disk-id=")
        .find(|r| r.starts_with(&format!("\"{}\"", NVME[3])))
        .unwrap_or_else(|| panic!("no row for {}: {html}", NVME[3]));
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("in-use"), "{row}");
    assert!(
        row.contains(&format!(
            r#"class="pool-force" name="force[]" value="{}""#,
            NVME[3]
        )),
        "{row}"
    );
    // A usable disk has none.
    let usable = html
        .split("<tr data-disk-id=")
        .find(|r| r.starts_with(&format!("\"{}\"", NVME[0])))
        .unwrap();
    assert!(!usable.split("</tr>").next().unwrap().contains("pool-force"));
}

#[test]
fn the_pool_page_shows_the_vdev_tree_and_its_actions() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    let r = sim.send("POST", "/api/v1/pools/tank/scrub", &[], None);
    assert_eq!(r.status, 200, "{}", text(&r));
    let r = sim.get("/ui/pools/tank", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    for id in [
        "vdevs",
        "scrub",
        "last-scrub",
        "pool-destroy",
        "pool-health",
    ] {
        assert!(has_id(&html, id), "#{id} missing: {html}");
    }
    assert!(
        html.contains(r#"<tr data-vdev="mirror-0" class="depth-0">"#),
        "{html}"
    );
    for disk in [NVME[0], NVME[1]] {
        assert!(
            html.contains(&format!(r#"<tr data-vdev="{disk}" class="depth-1">"#)),
            "{disk}: {html}"
        );
        assert!(html.contains(&format!(r#"name="old" value="{disk}""#)));
    }
    for action in ["online", "offline", "clear", "replace", "scrub"] {
        assert!(
            html.contains(&format!(r#"data-api="POST /api/v1/pools/tank/{action}""#)),
            "{action}"
        );
    }
    assert!(
        html.contains(
            "data-body='{&quot;disk&quot;:&quot;nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000&quot;}'"
        ),
        "{html}"
    );
    assert!(
        html.contains("&quot;temporary&quot;:true"),
        "offline until reboot"
    );
    assert!(html.contains(r#"data-api="DELETE /api/v1/pools/tank""#));
    assert!(html.contains(r#"data-confirm-value="tank""#));
    // A replacement is offered from the free disks.
    assert!(html.contains(&format!(r#"<option value="{}">"#, NVME[2])));
    let scrub = html.split(r#"id="last-scrub">"#).nth(1).unwrap();
    assert!(scrub.starts_with("scrub "), "{scrub}");
}

#[test]
fn pool_pages_need_a_session_and_an_existing_pool() {
    let sim = Sim::with_password();
    for page in ["/ui/pools", "/ui/pools/tank"] {
        let r = sim.get(page, None);
        assert_eq!(r.status, 303, "{page}");
        assert_eq!(
            r.header("location"),
            Some(format!("/ui/login?next={page}").as_str())
        );
    }
    let cookie = sim.login();
    let r = sim.get("/ui/pools/nothing", Some(&cookie));
    assert_eq!(r.status, 404, "{}", text(&r));
    assert!(text(&r).contains("nothing"));
}

#[test]
fn an_exported_pool_is_offered_for_import() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    let r = sim.send("POST", "/api/v1/pools/tank/export", &[], None);
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&sim.get("/ui/pools", Some(&cookie)));
    assert!(html.contains(r#"class="health">not imported<"#), "{html}");
    let importable = html.split(r#"<table id="importable">"#).nth(1).unwrap();
    let importable = importable.split("</table>").next().unwrap();
    assert!(
        importable.contains(r#"<tr data-pool="tank">"#),
        "{importable}"
    );
    assert!(importable.contains(r#"data-api="POST /api/v1/pools/tank/import""#));
    let r = sim.get("/ui/pools/tank", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains("declared but not imported"), "{html}");
    assert!(html.contains(r#"data-api="POST /api/v1/pools/tank/import""#));
    assert!(html.contains(r#"id="pool-destroy""#));
}

#[test]
fn a_disk_is_never_offered_by_an_id_another_disk_answers_to() {
    let sim = Sim::with_password();
    let mut inventory = sim.send("GET", "/api/v1/drives", &[], None).json().unwrap();
    let disks = inventory["disks"].as_array_mut().unwrap();
    // A second drive udev gave the first NVMe drive's by-id name (one
    // serial reported by two drives).
    let mut twin = disks.iter().find(|d| d["id"] == NVME[0]).unwrap().clone();
    twin["kernel_name"] = "nvme9n1".into();
    twin["devnum"] = "259:99".into();
    twin["verdict"] = "duplicate-serial".into();
    disks.push(twin);
    let inventory: crate::drives::Inventory = serde_json::from_value(inventory).unwrap();
    let offered: Vec<String> = super::choices(&inventory, &Default::default())
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(!offered.iter().any(|id| id == NVME[0]), "{offered:?}");
    assert!(offered.iter().any(|id| id == NVME[1]), "{offered:?}");
}
