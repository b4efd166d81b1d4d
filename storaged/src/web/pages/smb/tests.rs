//! The SMB page against `storaged --sim`.

use serde_json::json;

use crate::web::pages::pools::tests::with_tank;
use crate::web::tests::{text, Sim};

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}

#[test]
fn the_smb_page_shows_users_and_shares_with_their_forms() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    for (path, body) in [
        ("/api/v1/datasets", json!({"name": "tank/video"})),
        (
            "/api/v1/smb/users",
            json!({"name": "editor", "password": "a long smb password"}),
        ),
        (
            "/api/v1/smb/shares",
            json!({"name": "video", "dataset": "tank/video", "valid_users": ["editor"]}),
        ),
    ] {
        let r = sim.send("POST", path, &[], Some(&body));
        assert_eq!(r.status, 201, "{path}: {}", text(&r));
    }
    let r = sim.get("/ui/smb", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains(r#"<tr data-user="editor">"#), "{html}");
    assert!(html.contains(r#"data-api="PUT /api/v1/smb/users/editor/password""#));
    assert!(html.contains(r#"data-api="DELETE /api/v1/smb/users/editor""#));
    let shares = html.split(r#"id="smb-shares""#).nth(1).unwrap();
    let shares = shares.split("</table>").next().unwrap();
    assert!(shares.contains(r#"<tr data-share="video">"#), "{shares}");
    assert!(shares.contains("tank/video") && shares.contains("editor"));
    assert!(html.contains(r#"data-api="DELETE /api/v1/smb/shares/video""#));
    assert!(html.contains(r#"id="smb-user-create" data-api="POST /api/v1/smb/users""#));
    assert!(html.contains(r#"id="smb-share-create" data-api="POST /api/v1/smb/shares""#));
    for id in [
        "smb-users",
        "smb-user-name",
        "smb-user-password",
        "smb-user-submit",
        "smb-shares",
        "smb-share-name",
        "smb-share-dataset",
        "smb-share-users",
        "smb-share-submit",
        "smb-sessions",
    ] {
        assert!(has_id(&html, id), "#{id} missing");
    }
    assert!(html.contains(r#"name="valid_users" data-type="list""#));
    assert!(html.contains(r#"<option value="tank/video">"#));
    assert_eq!(sim.get("/ui/smb", None).status, 303);
}
