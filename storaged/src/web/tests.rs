//! The console against `storaged --sim` (`Background::sim_in`), over its
//! unix socket with a browser's cookie: pages render for a session and
//! send a browser without one to login or setup; every answer carries the
//! security headers; static files come with their types.

use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::json;

use super::{assets, CSP};
use crate::api::client::{self, Response};
use crate::daemon::Background;

pub const PASSWORD: &str = "a long enough password";

pub struct Sim {
    _dir: tempfile::TempDir,
    pub daemon: Background,
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_partitioned(&[])
    }

    /// Started with a partition table on these simulated disks (kernel
    /// names, `nvme3n1`), so they are `in-use`.
    pub fn start_partitioned(partitioned: &[&str]) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Background::sim_in(dir.path(), partitioned).unwrap();
        Sim { _dir: dir, daemon }
    }

    /// Started, with the admin password set.
    pub fn with_password() -> Sim {
        Sim::with_password_partitioned(&[])
    }

    /// [`Sim::start_partitioned`], with the admin password set.
    pub fn with_password_partitioned(partitioned: &[&str]) -> Sim {
        let sim = Sim::start_partitioned(partitioned);
        let r = sim.send(
            "POST",
            "/api/v1/setup",
            &[],
            Some(&json!({"password": PASSWORD})),
        );
        assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
        sim
    }

    /// A new session's cookie header value.
    pub fn login(&self) -> String {
        let r = self.send(
            "POST",
            "/api/v1/login",
            &[],
            Some(&json!({"username": "admin", "password": PASSWORD})),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let token = r.json().unwrap()["token"].as_str().unwrap().to_string();
        format!("storaged_session={token}")
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Response {
        let mut stream = UnixStream::connect(self.daemon.socket_path()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        client::send(&mut stream, method, path, headers, body).unwrap()
    }

    /// `GET path` as a browser with `cookie` (or none).
    pub fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        match cookie {
            Some(c) => self.send("GET", path, &[("Cookie", c)], None),
            None => self.send("GET", path, &[], None),
        }
    }
}

pub fn text(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

fn assert_secure_headers(r: &Response, what: &str) {
    assert_eq!(r.header("content-security-policy"), Some(CSP), "{what}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
}

const PAGES: &[&str] = &[
    "/ui/",
    "/ui/upgrade",
    "/ui/settings",
    "/ui/pools",
    "/ui/storage",
    "/ui/iscsi",
    "/ui/smb",
    "/ui/nfs",
    "/ui/drives",
    "/ui/snapshots",
    "/ui/ssh",
];

#[test]
fn root_goes_to_the_dashboard() {
    let sim = Sim::start();
    let r = sim.get("/", None);
    assert_eq!(r.status, 303, "{}", text(&r));
    assert_eq!(r.header("location"), Some("/ui/"));
}

#[test]
fn before_setup_every_page_goes_to_setup() {
    let sim = Sim::start();
    for page in PAGES.iter().chain(&["/ui/login"]) {
        let r = sim.get(page, None);
        assert_eq!(r.status, 303, "{page}");
        assert_eq!(r.header("location"), Some("/ui/setup"), "{page}");
    }
    let r = sim.get("/ui/setup", None);
    assert_eq!(r.status, 200);
    assert_secure_headers(&r, "setup");
    let html = text(&r);
    assert!(html.contains(r#"data-api="POST /api/v1/setup""#), "{html}");
    assert!(html.contains(r#"name="token""#) && html.contains(r#"name="password""#));
}

#[test]
fn without_a_session_pages_go_to_login_and_come_back() {
    let sim = Sim::with_password();
    let r = sim.get("/ui/", None);
    assert_eq!(r.header("location"), Some("/ui/login"));
    let r = sim.get("/ui/upgrade", Some("storaged_session=not-a-session"));
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/ui/login?next=/ui/upgrade"));
    let r = sim.get("/ui/setup", None);
    assert_eq!(r.header("location"), Some("/ui/login"), "setup is done");

    let r = sim.get("/ui/login?next=/ui/upgrade", None);
    assert_eq!(r.status, 200);
    assert_secure_headers(&r, "login");
    let html = text(&r);
    for id in ["password", "login-button"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
    assert!(html.contains(r#"data-then="/ui/upgrade""#), "{html}");
    let r = sim.get("/ui/login?next=//evil.example/", None);
    assert!(text(&r).contains(r#"data-then="/ui/""#));
}

#[test]
fn pages_render_for_a_session() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    let token = cookie.split_once('=').unwrap().1;
    let csrf = crate::auth::csrf_token(token);
    for page in PAGES {
        let r = sim.get(page, Some(&cookie));
        assert_eq!(r.status, 200, "{page}: {}", text(&r));
        assert_secure_headers(&r, page);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{page}");
        let html = text(&r);
        assert!(
            html.contains(&format!(r#"<meta name="csrf-token" content="{csrf}">"#)),
            "{page}: no CSRF meta"
        );
        assert!(html.contains(">Log out<"), "{page}");
        assert!(!html.contains("<script>"), "{page}: inline script");
        assert!(!html.contains("style="), "{page}: inline style");
    }
    // A logged-in browser skips the login page.
    let r = sim.get("/ui/login?next=/ui/settings", Some(&cookie));
    assert_eq!(r.header("location"), Some("/ui/settings"));
}

#[test]
fn the_upgrade_page_has_what_the_browser_test_drives() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    let html = text(&sim.get("/ui/upgrade", Some(&cookie)));
    for id in [
        "slots",
        "outcome",
        "bundle",
        "upload",
        "upload-progress",
        "install-progress",
        "message",
        "reboot",
        "reboot-yes",
        "rollback",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
}

#[test]
fn static_files_come_with_their_types_and_fingerprints() {
    let sim = Sim::start();
    for (name, content_type, bytes) in assets::ASSETS {
        let url = &assets::urls()[name];
        let r = sim.get(url, None);
        assert_eq!(r.status, 200, "{url}");
        assert_eq!(r.header("content-type"), Some(*content_type), "{url}");
        assert_eq!(&r.body, bytes, "{url}");
        assert!(
            r.header("cache-control").unwrap().contains("immutable"),
            "{url}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        // Without the current fingerprint: served, not cached for long.
        let r = sim.get(&format!("/static/{name}"), None);
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{name}");
    }
    assert_eq!(sim.get("/static/nothing.js", None).status, 404);
    assert_eq!(sim.get("/static/../Cargo.toml", None).status, 404);
}

#[test]
fn no_static_script_writes_html() {
    for (name, _, bytes) in assets::ASSETS {
        // The vendored uPlot too: it builds its DOM with textContent.
        if !name.ends_with(".js") {
            continue;
        }
        let text = std::str::from_utf8(bytes).unwrap();
        for bad in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
        ] {
            assert!(!text.contains(bad), "{name} uses {bad}");
        }
    }
}

#[test]
fn the_dashboard_renders_the_first_sample() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    let r = sim.get("/ui/", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    for id in [
        "nic-throughput",
        "drive-temps",
        "pool-usage",
        "sessions",
        "chart-nic",
        "chart-cpu",
        "chart-arc",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
    // The fixture's NVMe drives, with the temperatures of their sensors.
    assert!(html.contains(r#"<tr data-drive="nvme0n1">"#), "{html}");
    assert!(html.contains(" °C</td>"), "no temperature: {html}");
    assert!(html.contains("No pools yet."));
    for asset in [
        "dashboard.js",
        "vendor/uplot/uPlot.iife.min.js",
        "vendor/uplot/uPlot.min.css",
    ] {
        assert!(html.contains(&assets::urls()[asset]), "{asset} not linked");
    }
}

#[test]
fn one_sample_over_the_api() {
    let sim = Sim::with_password();
    let r = sim.send("GET", "/api/v1/dashboard", &[], None);
    assert_eq!(r.status, 200, "{}", text(&r));
    let sample: crate::collector::Sample = serde_json::from_slice(&r.body).unwrap();
    assert!(sample.drives.iter().any(|d| d.kernel_name == "nvme0n1"));
    assert!(sample.at_ms > 0);
}

/// Opens `GET /api/v1/dashboard/stream` on the socket and reads until the
/// first whole event; answers the head and that event.
fn first_event(sim: &Sim) -> (String, String) {
    let (head, event, _) = open_stream(sim);
    (head, event)
}

/// As [`first_event`], keeping the connection open.
fn open_stream(sim: &Sim) -> (String, String, UnixStream) {
    use std::io::{Read, Write};
    let mut stream = UnixStream::connect(sim.daemon.socket_path()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"GET /api/v1/dashboard/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).expect("an event within 20 s");
        assert!(
            n > 0,
            "the stream ended: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            if let Some(at) = body.find("event: sample") {
                if let Some(end) = body[at..].find("\n\n") {
                    return (head.to_string(), body[at..at + end].to_string(), stream);
                }
            }
        }
    }
}

#[test]
fn several_streams_each_get_a_first_event() {
    let sim = Sim::with_password();
    let handles: Vec<_> = (0..5).map(|_| first_event(&sim)).collect();
    for (head, event) in handles {
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: text/event-stream"),
            "{head}"
        );
        let data = event
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("a data line");
        // The chunked framing may split a line; the sample is one line.
        let sample: Result<crate::collector::Sample, _> = serde_json::from_str(data);
        assert!(sample.is_ok() || data.len() > 100, "{data}");
    }
}

#[test]
fn stopping_the_daemon_ends_the_streams() {
    use std::io::Read;
    let sim = Sim::with_password();
    let (_, _, mut stream) = open_stream(&sim);
    let started = std::time::Instant::now();
    let Sim { _dir, daemon } = sim;
    daemon.stop().unwrap();
    // Without closing the streams, the drain would wait its 10 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopping took {:?}",
        started.elapsed()
    );
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
}
