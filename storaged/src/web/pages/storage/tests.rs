//! The datasets & volumes page against `storaged --sim`.

use serde_json::json;

use crate::web::pages::pools::tests::with_tank;
use crate::web::tests::{text, Sim};

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}

#[test]
fn the_storage_page_lists_what_the_engine_has() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    for (path, body) in [
        (
            "/api/v1/datasets",
            json!({"name": "tank/share", "quota": 1073741824u64}),
        ),
        (
            "/api/v1/volumes",
            json!({"name": "tank/esx1", "size": 2147483648u64, "sparse": true}),
        ),
    ] {
        let r = sim.send("POST", path, &[], Some(&body));
        assert_eq!(r.status, 201, "{path}: {}", text(&r));
    }
    let r = sim.get("/ui/storage", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    let datasets = html.split(r#"id="datasets""#).nth(1).unwrap();
    let datasets = datasets.split("</table>").next().unwrap();
    assert!(
        datasets.contains(r#"<tr data-name="tank/share">"#),
        "{datasets}"
    );
    assert!(datasets.contains("1.0 GiB"), "the quota: {datasets}");
    assert!(!datasets.contains("tank/esx1"), "{datasets}");
    let volumes = html.split(r#"id="volumes""#).nth(1).unwrap();
    let volumes = volumes.split("</table>").next().unwrap();
    assert!(
        volumes.contains(r#"<tr data-name="tank/esx1">"#),
        "{volumes}"
    );
    assert!(
        volumes.contains("2.0 GiB") && volumes.contains("sparse"),
        "{volumes}"
    );
    assert!(html.contains(r#"data-api="DELETE /api/v1/datasets/tank/share""#));
    assert!(html.contains(r#"data-api="DELETE /api/v1/volumes/tank/esx1""#));
    assert!(html.contains(r#"data-api="DELETE /api/v1/datasets/tank/share?recursive=true""#));
    assert!(html.contains(r#"data-api="PATCH /api/v1/datasets/tank/share""#));
    assert!(html.contains(r#"data-api="PATCH /api/v1/volumes/tank/esx1""#));
    assert!(
        html.contains(r#"name="quota" data-type="size" value="1073741824""#),
        "{html}"
    );
    assert!(
        html.contains(r#"placeholder="tank/share""#),
        "the pool in the hints"
    );
}

#[test]
fn the_storage_page_has_the_forms_the_browser_test_drives() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    let html = text(&sim.get("/ui/storage", Some(&cookie)));
    assert!(html.contains("create a pool"), "no pool yet: {html}");
    for (form, api) in [
        ("dataset-create", "POST /api/v1/datasets"),
        ("volume-create", "POST /api/v1/volumes"),
        ("preset-vmware-iscsi", "POST /api/v1/presets/vmware-iscsi"),
        ("preset-smb-video", "POST /api/v1/presets/smb-video"),
        ("preset-pi-nfs-root", "POST /api/v1/presets/pi-nfs-root"),
    ] {
        assert!(
            html.contains(&format!(r#"id="{form}" data-api="{api}""#)),
            "#{form} {api}"
        );
    }
    for id in [
        "datasets",
        "volumes",
        "vmware-volume",
        "vmware-size",
        "vmware-submit",
        "video-dataset",
        "video-submit",
        "pi-dataset",
        "pi-client",
        "pi-async",
        "pi-insecure",
        "pi-submit",
        "pi-cmdline",
    ] {
        assert!(has_id(&html, id), "#{id} missing");
    }
    // The field names the preset endpoints take, and the size parsed.
    assert!(html.contains(r#"id="vmware-size" name="size" data-type="size""#));
    assert!(html.contains(r#"id="pi-async" type="checkbox" name="async""#));
    assert!(html.contains(r#"id="pi-insecure" type="checkbox" name="insecure""#));
    // The answer's cmdline lands in #pi-cmdline.
    assert!(html.contains(r##"data-show="#pi-result""##));
    assert!(html.contains(r#"<pre id="pi-cmdline" class="lines" data-field="cmdline">"#));
    // The old nav path still leads here.
    let r = sim.get("/ui/datasets", Some(&cookie));
    assert_eq!(r.header("location"), Some("/ui/storage"));
    assert_eq!(sim.get("/ui/storage", None).status, 303);
}
