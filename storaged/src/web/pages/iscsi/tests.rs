//! The iSCSI pages against `storaged --sim`.

use serde_json::json;

use crate::web::pages::pools::tests::with_tank;
use crate::web::tests::{text, Sim};

const IQN: &str = "iqn.2026-12.org.ironstor:esx";

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}

fn with_target(sim: &Sim) {
    with_tank(sim);
    let r = sim.send(
        "POST",
        "/api/v1/volumes",
        &[],
        Some(&json!({"name": "tank/esx1", "size": 1073741824u64, "sparse": true})),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
    let target = json!({
        "iqn": IQN,
        "portals": ["0.0.0.0:3260"],
        "luns": [{"number": 0, "zvol": "tank/esx1"}],
        "access": {"mode": "initiators", "acls": [{
            "initiator": "iqn.1998-01.com.vmware:esx1",
            "chap": {"user": "esxuser", "secret": "secret123456"},
        }]},
    });
    let r = sim.send("POST", "/api/v1/iscsi/targets", &[], Some(&target));
    assert_eq!(r.status, 201, "{}", text(&r));
}

#[test]
fn the_iscsi_page_lists_targets_and_has_the_create_form() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_target(&sim);
    let r = sim.get("/ui/iscsi", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(
        html.contains(&format!(r#"<tr data-iqn="{IQN}">"#)),
        "{html}"
    );
    assert!(html.contains(&format!(r#"href="/ui/iscsi/{IQN}""#)));
    assert!(html.contains("iqn.1998-01.com.vmware:esx1, CHAP"), "{html}");
    assert!(html.contains(
        r#"id="target-create" data-api="POST /api/v1/iscsi/targets" data-build="iscsiTarget""#
    ));
    for id in [
        "targets",
        "target-iqn",
        "target-portal",
        "target-lun-volume",
        "target-initiator",
        "target-allow-all",
        "target-chap-user",
        "target-chap-secret",
        "target-create-submit",
        "iscsi-sessions",
    ] {
        assert!(has_id(&html, id), "#{id} missing");
    }
    assert!(
        html.contains(r#"value="0.0.0.0:3260""#),
        "the default portal"
    );
    assert!(
        html.contains(r#"<option value="tank/esx1">"#),
        "volumes offered: {html}"
    );
    assert!(html.contains(&crate::web::assets::urls()["iscsi.js"]));
}

#[test]
fn the_target_page_shows_luns_and_the_esxi_lines() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_target(&sim);
    let api = sim.send("GET", &format!("/api/v1/iscsi/targets/{IQN}"), &[], None);
    let api = api.json().unwrap();
    let r = sim.get(&format!("/ui/iscsi/{IQN}"), Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    for id in [
        "luns",
        "esxi-lines",
        "target-edit",
        "target-delete",
        "target-portals",
        "target-acls",
    ] {
        assert!(has_id(&html, id), "#{id} missing");
    }
    // The LUN's identity, as the API gives it.
    let serial = api["luns"][0]["serial"].as_str().unwrap();
    let naa = api["luns"][0]["naa"].as_str().unwrap();
    assert!(html.contains(serial) && html.contains(naa), "{html}");
    // Every esxcli line the API gives, in the <pre>.
    let pre = html
        .split(r#"id="esxi-lines" class="lines">"#)
        .nth(1)
        .unwrap();
    let pre = pre.split("</pre>").next().unwrap();
    let esxcli = &api["esxcli"];
    let mut lines: Vec<&str> = vec![
        esxcli["rescan"].as_str().unwrap(),
        esxcli["claim_rule"].as_str().unwrap(),
    ];
    for key in ["dynamic_discovery", "static_discovery"] {
        lines.extend(
            esxcli[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap()),
        );
    }
    assert!(lines.len() >= 4);
    for line in lines {
        let escaped = line.replace('"', "&quot;");
        assert!(pre.contains(&escaped), "{line} not in {pre}");
    }
    // The edit form sends the whole target back with PUT; secrets are
    // never in the page.
    assert!(html.contains(&format!(
        r#"data-api="PUT /api/v1/iscsi/targets/{IQN}" data-build="iscsiTarget""#
    )));
    assert!(html.contains(&format!(r#"data-api="DELETE /api/v1/iscsi/targets/{IQN}""#)));
    assert!(html.contains(r#"value="esxuser""#));
    assert!(
        html.contains("in place of 0.0.0.0"),
        "the wildcard portal's hint"
    );
    assert!(!html.contains("secret123456") && !html.contains("********"));
    assert!(
        html.contains(r#"<option value="tank/esx1" selected>"#),
        "{html}"
    );
}

#[test]
fn iscsi_pages_need_a_session_and_a_target() {
    let sim = Sim::with_password();
    assert_eq!(sim.get("/ui/iscsi", None).status, 303);
    assert_eq!(sim.get(&format!("/ui/iscsi/{IQN}"), None).status, 303);
    let cookie = sim.login();
    assert_eq!(
        sim.get(&format!("/ui/iscsi/{IQN}"), Some(&cookie)).status,
        404
    );
    assert_eq!(
        sim.get("/ui/iscsi/not%20an%20iqn", Some(&cookie)).status,
        422
    );
}
