//! The OpenAPI document describes exactly the routes the router serves.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use super::*;
use crate::api::{groups, openapi, router, Peer, PREFIX};

/// (METHOD, path below /api/v1) for every operation in the document.
fn documented() -> BTreeSet<(String, String)> {
    let doc = openapi::document();
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_ascii_uppercase(), path.clone()))
        })
        .collect()
}

/// (METHOD, path below /api/v1) for every endpoint the router is built
/// from, in the document's spelling: axum's catch-all `{*name}` is
/// `{name}` there, and nothing else differs.
fn routed() -> BTreeSet<(String, String)> {
    groups()
        .into_iter()
        .flat_map(|g| g.endpoints)
        .map(|e| {
            let path = e.path.replace("{*", "{");
            assert_eq!(openapi::document_path(e.path), path, "{}", e.path);
            (e.method.to_string(), path)
        })
        .collect()
}

#[test]
fn the_document_lists_every_route_and_nothing_else() {
    let routed = routed();
    let documented = documented();
    assert_eq!(routed, documented);
    for expected in [
        ("GET", "/status"),
        ("GET", "/openapi.json"),
        ("GET", "/setup"),
        ("POST", "/setup"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/drives"),
        ("GET", "/pools"),
        ("POST", "/pools"),
        ("GET", "/pools/{pool}"),
        ("POST", "/pools/{pool}/import"),
        ("POST", "/pools/{pool}/export"),
        ("POST", "/pools/{pool}/scrub"),
        ("DELETE", "/pools/{pool}"),
        ("GET", "/datasets"),
        ("POST", "/datasets"),
        ("PATCH", "/datasets/{name}"),
        ("DELETE", "/datasets/{name}"),
        ("GET", "/volumes"),
        ("POST", "/volumes"),
        ("PATCH", "/volumes/{name}"),
        ("DELETE", "/volumes/{name}"),
        ("GET", "/snapshots"),
        ("POST", "/snapshots"),
        ("POST", "/snapshots/rollback"),
        ("DELETE", "/snapshots/{name}"),
    ] {
        assert!(
            routed.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?}"
        );
    }
}

/// Every documented operation reaches a handler on the real router (not the
/// 404/405 fallbacks: a handler may well answer 404 for a pool it does not
/// find, so the error code tells them apart), and an undocumented path
/// does not. Parameters take their own names as values, so `{name}` of a
/// dataset is `tank/name`, which also shows the catch-all takes a `/`.
#[test]
fn the_router_serves_every_documented_operation() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let router = router(app_state(dir.path()), axum::Router::new());
        let call = |method: &str, path: &str| {
            let path = path
                .replace("{name}", "tank/name@x")
                .replace(['{', '}'], "");
            let mut request = Request::builder()
                .method(method)
                .uri(format!("{PREFIX}{path}"))
                .body(Body::empty())
                .unwrap();
            request.extensions_mut().insert(Peer::Local);
            router.clone().oneshot(request)
        };
        let fallback = |status: u16, body: &[u8]| {
            let code = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
            (status == 404 || status == 405)
                && !matches!(code.as_deref(), Some("not_found" | "conflict"))
        };
        for (method, path) in documented() {
            let response = call(&method, &path).await.unwrap();
            let status = response.status().as_u16();
            // An event stream never ends: its status is the answer.
            let streams = response
                .headers()
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
            if streams {
                assert_eq!(status, 200, "{method} {path}");
                continue;
            }
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            assert!(
                !fallback(status, &body),
                "{method} {path}: {status} {}",
                String::from_utf8_lossy(&body)
            );
        }
        for (method, path) in [
            ("GET", "/not-documented"),
            ("GET", "/pools/a/b"),
            ("PUT", "/pools"),
        ] {
            let response = call(method, path).await.unwrap();
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            assert!(fallback(status, &body), "{method} {path}: {status}");
        }
    });
}

#[test]
fn the_document_is_well_formed() {
    let doc = openapi::document();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["servers"][0]["url"], PREFIX);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}"
            );
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{at}"));
            assert!(operation_ids.insert(id.to_string()), "{at}: duplicate {id}");
            assert!(!op["responses"].as_object().unwrap().is_empty(), "{at}");
            assert!(op["tags"].as_array().is_some_and(|t| t.len() == 1), "{at}");
        }
    }
    // Every path parameter is declared by each operation on that path.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let wanted: BTreeSet<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(declared, wanted, "{method} {path}");
        }
    }
    // Every $ref points at a schema that exists.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = piece.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
    // Admin operations document the login answer; public ones opt out.
    assert!(doc["paths"]["/status"]["get"]["responses"]["401"].is_object());
    assert_eq!(
        doc["paths"]["/login"]["post"]["security"],
        serde_json::json!([])
    );
    assert!(doc["paths"]["/setup"]["post"]["responses"]["422"].is_object());
}

/// `docs/openapi.json` is the document clients are generated from and
/// reviewed against, so it must be exactly what the code serves.
#[test]
fn docs_openapi_json_is_what_the_code_generates() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let generated = serde_json::to_string_pretty(openapi::document()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from the document the code generates; regenerate it with\n\
         \n    UPDATE_OPENAPI=1 cargo test -p storaged docs_openapi_json\n\
         \nand review the diff",
        path.display()
    );
}

/// Every schema in `components` is reached from an operation, directly or
/// through other schemas: a type listed in a group's `types` that no
/// operation names any more is a stale entry.
#[test]
fn every_schema_is_reached_from_an_operation() {
    let doc = openapi::document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let refs = |value: &serde_json::Value| -> Vec<String> {
        let text = value.to_string();
        text.split("\"$ref\":\"#/components/schemas/")
            .skip(1)
            .map(|piece| piece.split('"').next().unwrap().to_string())
            .collect()
    };
    let mut reached = BTreeSet::new();
    let mut todo = refs(&doc["paths"]);
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone()) {
            todo.extend(refs(&schemas[&name]));
        }
    }
    let defined: BTreeSet<String> = schemas.keys().cloned().collect();
    let unreached: Vec<&String> = defined.difference(&reached).collect();
    assert!(unreached.is_empty(), "no operation reaches {unreached:?}");
}
