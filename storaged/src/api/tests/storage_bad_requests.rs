//! Requests to the storage endpoints that cannot be carried out: each gets
//! a 4xx whose message names the field or the object at fault, and changes
//! nothing: the state file keeps its bytes and the fake `zpool`/`zfs`
//! receives no command (a snapshot's existence can only be learnt from
//! `zfs list`, so for those the only commands allowed are listings).

use serde_json::json;

use super::*;

/// tank (a stripe over two NVMe) with tank/share, tank/share/sub and the
/// 256 MiB volume tank/vm1 with snapshots a and b; the SATA disk carries a
/// partition table.
fn rig() -> Harness {
    let h = Harness::local_with_partitioned(&["sda"]);
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "stripe", "disks": &NVME[..2]})),
        201,
    );
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/share"})),
        201,
    );
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/share/sub"})),
        201,
    );
    h.expect(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/vm1", "size": 256u64 << 20})),
        201,
    );
    for snap in ["tank/vm1@a", "tank/vm1@b"] {
        h.expect("POST", "/snapshots", Some(json!({"name": snap})), 201);
    }
    h
}

/// One refused request and what it must answer.
struct Case {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    body: Body,
    status: u16,
    /// The field the error names, when it is about one.
    field: Option<&'static str>,
    /// Words the message must hold: the field or object named.
    mentions: Vec<String>,
    /// A lookup (`zfs list`) is needed to tell: listings may run.
    reads: bool,
}

enum Body {
    None,
    Json(Value),
    Raw(&'static str, &'static str),
}

fn case(
    what: &'static str,
    method: &'static str,
    path: &'static str,
    body: Value,
    status: u16,
    field: Option<&'static str>,
    mentions: &[&str],
) -> Case {
    Case {
        what,
        method,
        path,
        body: if body.is_null() {
            Body::None
        } else {
            Body::Json(body)
        },
        status,
        field,
        mentions: mentions.iter().map(|s| s.to_string()).collect(),
        reads: false,
    }
}

fn reading(mut c: Case) -> Case {
    c.reads = true;
    c
}

fn check(h: &Harness, c: &Case) {
    let before = h.footprint();
    let r = match &c.body {
        Body::None => h.call(c.method, c.path, None),
        Body::Json(v) => h.call(c.method, c.path, Some(v.clone())),
        Body::Raw(content_type, text) => {
            h.call_raw(c.method, c.path, content_type, text.as_bytes())
        }
    };
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(r.status, c.status, "{}: {text}", c.what);
    let (_, field) = error_of(&r);
    assert_eq!(field.as_deref(), c.field, "{}: {text}", c.what);
    let message = error_message(&r);
    // The field is named in `field`; the message names it too unless it
    // names the object at fault instead.
    let words = if c.mentions.is_empty() {
        c.field.iter().map(|f| f.to_string()).collect()
    } else {
        c.mentions.clone()
    };
    for word in words {
        assert!(
            message.contains(&word),
            "{}: the message does not name {word:?}: {message}",
            c.what
        );
    }
    let after = h.footprint();
    assert_eq!(after.state, before.state, "{}: the state changed", c.what);
    if c.reads {
        let new = &after.commands[before.commands.len()..];
        assert_eq!(
            &after.commands[..before.commands.len()],
            &before.commands[..]
        );
        for command in new {
            assert!(
                command.starts_with("zfs list ")
                    || command.starts_with("zpool list ")
                    || command.starts_with("zpool status ")
                    || command == "zpool import -d /dev/disk/by-id",
                "{}: ran {command}",
                c.what
            );
        }
    } else {
        assert_eq!(after.commands, before.commands, "{}: ran a command", c.what);
    }
    if let Some(template) = documented_template(c.method, c.path) {
        assert_documented(c.method, &template, c.status, &r.json().unwrap());
    }
}

/// The document's path for a concrete one, when it documents that answer.
fn documented_template(method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap();
    let doc = crate::api::openapi::document();
    doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|template| {
            let t: Vec<&str> = template.split('/').collect();
            let p: Vec<&str> = path.split('/').collect();
            let open_ended = t.last().is_some_and(|l| *l == "{name}");
            (t.len() == p.len() || open_ended && p.len() >= t.len())
                && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
        })
        .filter(|t| doc["paths"][t.as_str()][method.to_ascii_lowercase()].is_object())
        .cloned()
}

#[test]
fn bad_storage_requests_are_refused_naming_the_culprit_and_change_nothing() {
    let h = rig();
    let pool = |body: Value| body;
    let cases = vec![
        case(
            "an unknown layout",
            "POST",
            "/pools",
            pool(json!({"name": "bulk", "layout": "raid5", "disks": [NVME[2]]})),
            422,
            Some("layout"),
            &["raid5"],
        ),
        case(
            "too few disks for raidz2",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "raidz2", "disks": [NVME[2], NVME[3], SATA]}),
            422,
            Some("disks"),
            &["raidz2", "4"],
        ),
        case(
            "a disk id the inventory does not have",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "stripe", "disks": ["nvme-NOT_THERE_0001"]}),
            422,
            Some("disks"),
            &["nvme-NOT_THERE_0001"],
        ),
        case(
            "an in-use disk without force",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "stripe", "disks": [NVME[2], SATA]}),
            409,
            None,
            &[SATA, "in-use", "force"],
        ),
        case(
            "the boot medium, even when forced",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "mirror", "disks": [NVME[2], STICK], "force": [STICK]}),
            409,
            None,
            &[STICK, "boot-medium"],
        ),
        case(
            "force naming a disk not among disks",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "stripe", "disks": [NVME[2]], "force": [SATA]}),
            422,
            Some("force"),
            &[SATA],
        ),
        case(
            "the same disk twice",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "mirror", "disks": [NVME[2], NVME[2]]}),
            422,
            Some("disks"),
            &[NVME[2]],
        ),
        case(
            "no disks at all",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "stripe", "disks": []}),
            422,
            Some("disks"),
            &["stripe"],
        ),
        case(
            "a disk of another declared pool",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "mirror", "disks": [NVME[0], NVME[2]]}),
            409,
            None,
            &[NVME[0], "tank"],
        ),
        case(
            "a bad pool name",
            "POST",
            "/pools",
            json!({"name": "1tank", "layout": "stripe", "disks": [NVME[2]]}),
            422,
            Some("name"),
            &["1tank"],
        ),
        case(
            "a pool name ZFS reserves",
            "POST",
            "/pools",
            json!({"name": "mirror", "layout": "stripe", "disks": [NVME[2]]}),
            422,
            Some("name"),
            &["reserved"],
        ),
        case(
            "a pool that exists",
            "POST",
            "/pools",
            json!({"name": "tank", "layout": "stripe", "disks": [NVME[2]]}),
            409,
            None,
            &["tank"],
        ),
        case(
            "an unknown field",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "stripe", "disks": [NVME[2]], "ashift": 9}),
            422,
            Some("ashift"),
            &[],
        ),
        case(
            "disks of the wrong type",
            "POST",
            "/pools",
            json!({"name": "bulk", "layout": "stripe", "disks": NVME[2]}),
            422,
            Some("disks"),
            &[],
        ),
        case(
            "a bad pool name in the path",
            "GET",
            "/pools/1tank",
            Value::Null,
            422,
            Some("pool"),
            &["1tank"],
        ),
        reading(case(
            "importing a pool that is neither declared nor importable",
            "POST",
            "/pools/bulk/import",
            json!({}),
            404,
            None,
            &["bulk"],
        )),
        case(
            "destroying a pool without confirmation",
            "DELETE",
            "/pools/tank",
            json!({}),
            422,
            Some("confirm"),
            &[],
        ),
        case(
            "destroying a pool with the wrong confirmation",
            "DELETE",
            "/pools/tank",
            json!({"confirm": "tnak"}),
            422,
            Some("confirm"),
            &["tank", "tnak"],
        ),
        case(
            "destroying a pool with no body",
            "DELETE",
            "/pools/tank",
            Value::Null,
            415,
            None,
            &["application/json"],
        ),
        case(
            "a bad dataset name",
            "POST",
            "/datasets",
            json!({"name": "tank/a b"}),
            422,
            Some("name"),
            &["tank/a b"],
        ),
        case(
            "a dataset name without a dataset",
            "POST",
            "/datasets",
            json!({"name": "tank"}),
            422,
            Some("name"),
            &["tank"],
        ),
        case(
            "a dataset under an undeclared pool",
            "POST",
            "/datasets",
            json!({"name": "bulk/share"}),
            422,
            Some("name"),
            &["bulk"],
        ),
        case(
            "a dataset under an undeclared dataset",
            "POST",
            "/datasets",
            json!({"name": "tank/nope/share"}),
            422,
            Some("name"),
            &["tank/nope"],
        ),
        case(
            "a dataset that exists",
            "POST",
            "/datasets",
            json!({"name": "tank/share"}),
            409,
            None,
            &["tank/share"],
        ),
        case(
            "a dataset named like a volume",
            "POST",
            "/datasets",
            json!({"name": "tank/vm1"}),
            409,
            None,
            &["tank/vm1"],
        ),
        case(
            "an unknown compression",
            "POST",
            "/datasets",
            json!({"name": "tank/new", "compression": "brotli"}),
            422,
            Some("compression"),
            &["brotli"],
        ),
        case(
            "an unknown sync mode",
            "POST",
            "/datasets",
            json!({"name": "tank/new", "sync": "sometimes"}),
            422,
            Some("sync"),
            &["sometimes"],
        ),
        case(
            "a quota of 0",
            "POST",
            "/datasets",
            json!({"name": "tank/new", "quota": 0}),
            422,
            Some("quota"),
            &["tank/new"],
        ),
        case(
            "an unknown dataset field",
            "POST",
            "/datasets",
            json!({"name": "tank/new", "recordsize": 4096}),
            422,
            Some("recordsize"),
            &[],
        ),
        case(
            "a quota change without a quota",
            "PATCH",
            "/datasets/tank/share",
            json!({}),
            422,
            Some("quota"),
            &[],
        ),
        case(
            "a quota of 0 on a dataset",
            "PATCH",
            "/datasets/tank/share",
            json!({"quota": 0}),
            422,
            Some("quota"),
            &["tank/share"],
        ),
        case(
            "a quota on a volume",
            "PATCH",
            "/datasets/tank/vm1",
            json!({"quota": 1 << 30}),
            404,
            None,
            &["tank/vm1"],
        ),
        case(
            "destroying a dataset with a declared child",
            "DELETE",
            "/datasets/tank/share",
            Value::Null,
            409,
            None,
            &["tank/share", "recursive"],
        ),
        case(
            "destroying a dataset that is not declared",
            "DELETE",
            "/datasets/tank/nope",
            Value::Null,
            404,
            None,
            &["tank/nope"],
        ),
        case(
            "recursive that is not a yes or no",
            "DELETE",
            "/datasets/tank/share?recursive=maybe",
            Value::Null,
            422,
            Some("recursive"),
            &["maybe"],
        ),
        case(
            "an unknown query parameter",
            "GET",
            "/datasets?pol=tank",
            Value::Null,
            422,
            Some("pol"),
            &[],
        ),
        case(
            "a bad pool name in the query",
            "GET",
            "/volumes?pool=1tank",
            Value::Null,
            422,
            Some("pool"),
            &["1tank"],
        ),
        case(
            "a volume of size 0",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2", "size": 0}),
            422,
            Some("size"),
            &["tank/vm2"],
        ),
        case(
            "a volume size not a multiple of volblocksize",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2", "size": 1000000}),
            422,
            Some("size"),
            &["tank/vm2", "volblocksize"],
        ),
        case(
            "a volblocksize that is not a power of two",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2", "size": 1 << 20, "volblocksize": 3000}),
            422,
            Some("volblocksize"),
            &["tank/vm2"],
        ),
        case(
            "a volblocksize over 128K",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2", "size": 1 << 20, "volblocksize": 262144}),
            422,
            Some("volblocksize"),
            &[],
        ),
        case(
            "a size of the wrong type",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2", "size": "256M"}),
            422,
            Some("size"),
            &[],
        ),
        case(
            "a volume without a size",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2"}),
            422,
            Some("size"),
            &[],
        ),
        case(
            "a negative size",
            "POST",
            "/volumes",
            json!({"name": "tank/vm2", "size": -1}),
            422,
            Some("size"),
            &[],
        ),
        case(
            "a volume that exists",
            "POST",
            "/volumes",
            json!({"name": "tank/vm1", "size": 1 << 20}),
            409,
            None,
            &["tank/vm1"],
        ),
        case(
            "a volume below a volume",
            "POST",
            "/volumes",
            json!({"name": "tank/vm1/disk", "size": 1 << 20}),
            422,
            Some("name"),
            &["tank/vm1"],
        ),
        case(
            "resizing a volume that is not declared",
            "PATCH",
            "/volumes/tank/nope",
            json!({"size": 1 << 30}),
            404,
            None,
            &["tank/nope"],
        ),
        case(
            "shrinking a volume without saying so",
            "PATCH",
            "/volumes/tank/vm1",
            json!({"size": 128u64 << 20}),
            409,
            None,
            &["tank/vm1"],
        ),
        case(
            "resizing to a size that is not a multiple of volblocksize",
            "PATCH",
            "/volumes/tank/vm1",
            json!({"size": (1u64 << 30) + 512}),
            422,
            Some("size"),
            &["tank/vm1"],
        ),
        case(
            "a snapshot name without @",
            "POST",
            "/snapshots",
            json!({"name": "tank/vm1"}),
            422,
            Some("name"),
            &["tank/vm1", "@"],
        ),
        case(
            "a snapshot of something not declared",
            "POST",
            "/snapshots",
            json!({"name": "tank/nope@x"}),
            404,
            None,
            &["tank/nope"],
        ),
        reading(case(
            "rolling back to a snapshot that does not exist",
            "POST",
            "/snapshots/rollback",
            json!({"name": "tank/vm1@nope"}),
            404,
            None,
            &["tank/vm1@nope"],
        )),
        reading(case(
            "rolling back past a newer snapshot",
            "POST",
            "/snapshots/rollback",
            json!({"name": "tank/vm1@a"}),
            409,
            None,
            &["tank/vm1@a", "tank/vm1@b", "destroy"],
        )),
        reading(case(
            "destroying a snapshot that does not exist",
            "DELETE",
            "/snapshots/tank/vm1@nope",
            Value::Null,
            404,
            None,
            &["tank/vm1@nope"],
        )),
        case(
            "destroying a snapshot named without @",
            "DELETE",
            "/snapshots/tank/vm1",
            Value::Null,
            422,
            Some("name"),
            &["tank/vm1"],
        ),
        Case {
            body: Body::Raw("application/json", "{\"name\": \"tank/x"),
            ..case(
                "a truncated body",
                "POST",
                "/datasets",
                Value::Null,
                400,
                Some("name"),
                &["JSON", "name"],
            )
        },
        Case {
            body: Body::Raw("text/plain", "{\"name\": \"tank/x\"}"),
            ..case(
                "a body that is not JSON",
                "POST",
                "/datasets",
                Value::Null,
                415,
                None,
                &["application/json"],
            )
        },
    ];
    assert!(cases.len() >= 20);
    for c in &cases {
        check(&h, c);
    }
    // Still all there, and still usable.
    let state = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    for name in ["\"tank\"", "tank/share", "tank/share/sub", "tank/vm1"] {
        assert!(state.contains(name), "{name}: {state}");
    }
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "bulk", "layout": "stripe", "disks": [SATA], "force": [SATA]})),
        201,
    );
}
