//! The fake `zpool status -j`.

use super::model::{Pool, Scan, VdevKind};
use super::zpool_cmd::{imported, BY_ID};
use super::{fail, getopt, Reply, State};

/// Just enough JSON to print objects in insertion order, as
/// `nvlist_print_json` does.
enum J {
    Obj(Vec<(String, J)>),
    Str(String),
    Num(u64),
}

impl J {
    fn write(&self, out: &mut String) {
        match self {
            J::Obj(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).expect("strings serialize"));
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
            J::Str(s) => out.push_str(&serde_json::to_string(s).expect("strings serialize")),
            J::Num(n) => out.push_str(&n.to_string()),
        }
    }
}

fn obj(entries: Vec<(&str, J)>) -> J {
    J::Obj(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn s(v: impl Into<String>) -> J {
    J::Str(v.into())
}

/// The "status:"/"action:" paragraphs and message id `zpool status` gives
/// for the fake's failure modes.
fn explanation(
    p: &Pool,
    health: &str,
) -> Option<(&'static str, &'static str, Option<&'static str>)> {
    let bad = p.leaves.values().find(|l| l.state != "ONLINE");
    Some(match (health, bad.map(|l| l.state.as_str())) {
        ("UNAVAIL", _) => (
            "One or more devices could not be opened.  There are insufficient\n\treplicas for the pool to continue functioning.\n",
            "Attach the missing device and online it using 'zpool online'.\n",
            Some("ZFS-8000-3C"),
        ),
        (_, Some("FAULTED")) => (
            "One or more devices are faulted in response to persistent errors.\n\tSufficient replicas exist for the pool to continue functioning in a\n\tdegraded state.\n",
            "Replace the faulted device, or use 'zpool clear' to mark the device\n\trepaired.\n",
            Some("ZFS-8000-K4"),
        ),
        (_, Some("REMOVED")) => (
            "One or more devices have been removed.\n\tSufficient replicas exist for the pool to continue functioning in a\n\tdegraded state.\n",
            "Online the device using zpool online' or replace the device with\n\t'zpool replace'.\n",
            None,
        ),
        (_, Some("OFFLINE")) => (
            "One or more devices has been taken offline by the administrator.\n\tSufficient replicas exist for the pool to continue functioning in a\n\tdegraded state.\n",
            "Online the device using 'zpool online' or replace the device with\n\t'zpool replace'.\n",
            None,
        ),
        (_, Some(_)) => (
            "One or more devices could not be opened.  Sufficient replicas exist for\n\tthe pool to continue functioning in a degraded state.\n",
            "Attach the missing device and online it using 'zpool online'.\n",
            Some("ZFS-8000-2Q"),
        ),
        (_, None) if p.leaves.values().any(|l| l.read + l.write + l.checksum > 0) => (
            "One or more devices has experienced an unrecoverable error.  An\n\tattempt was made to correct the error.  Applications are unaffected.\n",
            "Determine if the device needs to be replaced, and clear the errors\n\tusing 'zpool clear' or replace the device with 'zpool replace'.\n",
            Some("ZFS-8000-9P"),
        ),
        _ => return None,
    })
}

fn pool_json(p: &Pool, as_int: bool) -> J {
    let num = |n: u64| if as_int { J::Num(n) } else { s(n.to_string()) };
    let (top_states, health) = p.vdev_states();
    let mut item = vec![
        ("name", s(&p.name)),
        ("state", s(health)),
        ("pool_guid", num(p.guid)),
        ("txg", num(p.txg)),
        ("spa_version", num(5000)),
        ("zpl_version", num(5)),
    ];
    if let Some((status, action, msgid)) = explanation(p, health) {
        item.push(("status", s(status)));
        item.push(("action", s(action)));
        if let Some(id) = msgid {
            item.push(("msgid", s(id)));
            item.push((
                "moreinfo",
                s(format!("https://openzfs.github.io/openzfs-docs/msg/{id}")),
            ));
        }
    }
    if let Some(scan) = &p.scan {
        item.push(("scan_stats", scan_json(scan, p.allocated(), num)));
    }
    let raw_total = p.raw_size().max(1);
    let alloc = p.allocated();
    let mut tops = Vec::new();
    for (i, (v, state)) in p.vdevs.iter().zip(&top_states).enumerate() {
        let raw: u64 = match v.kind {
            VdevKind::Raidz(_) => {
                v.disks.iter().map(|d| d.1).min().unwrap_or(0) * v.disks.len() as u64
            }
            _ => v.disks.iter().map(|d| d.1).min().unwrap_or(0),
        };
        let share = (alloc as u128 * raw as u128 / raw_total as u128) as u64;
        let space = || {
            let mut e = Vec::new();
            if share > 0 {
                e.push(("alloc_space", num(share)));
            }
            e.push(("total_space", num(raw)));
            e.push(("def_space", num(raw - raw / 32)));
            e
        };
        let (name, vdev_type) = match v.kind {
            VdevKind::Disk => {
                let leaf = leaf_json(p, &v.disks[0], num, space());
                tops.push((v.disks[0].0.clone(), leaf));
                continue;
            }
            VdevKind::Mirror => (format!("mirror-{i}"), "mirror"),
            VdevKind::Raidz(n) => (format!("raidz{n}-{i}"), "raidz"),
        };
        let mut e = vec![
            ("name", s(&name)),
            ("vdev_type", s(vdev_type)),
            ("guid", num(v.guid)),
            ("class", s("normal")),
            ("state", s(*state)),
        ];
        e.extend(space());
        e.extend([
            ("read_errors", num(0)),
            ("write_errors", num(0)),
            ("checksum_errors", num(0)),
        ]);
        let leaves = v
            .disks
            .iter()
            .map(|d| (d.0.clone(), leaf_json(p, d, num, Vec::new())))
            .collect();
        e.push(("vdevs", J::Obj(leaves)));
        tops.push((name, obj(e)));
    }
    let root_state = if health == "UNAVAIL" {
        "CANT_OPEN"
    } else {
        health
    };
    let mut root = vec![
        ("name", s(&p.name)),
        ("vdev_type", s("root")),
        ("guid", num(p.guid)),
        ("class", s("normal")),
        ("state", s(root_state)),
    ];
    if alloc > 0 {
        root.push(("alloc_space", num(alloc)));
    }
    root.extend([
        ("total_space", num(p.raw_size())),
        ("def_space", num(p.usable())),
        ("read_errors", num(0)),
        ("write_errors", num(0)),
        ("checksum_errors", num(0)),
        ("vdevs", J::Obj(tops)),
    ]);
    item.push(("vdevs", J::Obj(vec![(p.name.clone(), obj(root))])));
    item.push(("error_count", num(0)));
    obj(item)
}

/// A leaf vdev; `space` holds the capacity entries a top-level vdev has.
fn leaf_json(
    p: &Pool,
    (id, size): &(String, u64),
    num: impl Fn(u64) -> J,
    space: Vec<(&'static str, J)>,
) -> J {
    let leaf = p.leaves.get(id).cloned().unwrap_or_default();
    let state = match leaf.state.as_str() {
        "UNAVAIL" => "CANT_OPEN".to_string(),
        other => other.to_string(),
    };
    let mut e = vec![
        ("name", s(id)),
        ("vdev_type", s("disk")),
        ("guid", num(leaf_guid(p.guid, id))),
        ("path", s(format!("{BY_ID}/{id}-part1"))),
        ("devid", s(format!("{id}-part1"))),
        ("class", s("normal")),
        ("state", s(&state)),
    ];
    e.extend(space);
    e.extend([
        ("rep_dev_size", num(size.saturating_sub(10 << 20))),
        ("phys_space", num(*size)),
        ("read_errors", num(leaf.read)),
        ("write_errors", num(leaf.write)),
        ("checksum_errors", num(leaf.checksum)),
        ("slow_ios", num(0)),
    ]);
    match leaf.state.as_str() {
        "FAULTED" => e.push(("aux", s("ERR_EXCEEDED"))),
        "UNAVAIL" => e.push(("aux", s("OPEN_FAILED"))),
        _ => {}
    }
    obj(e)
}

/// A leaf's guid, for the import listing's missing disks.
pub(super) fn leaf_guid_of(pool_guid: u64, id: &str) -> u64 {
    leaf_guid(pool_guid, id)
}

/// A stable, distinct guid per disk of a pool (FNV-1a of its name).
fn leaf_guid(pool_guid: u64, id: &str) -> u64 {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash ^ pool_guid) >> 1
}

fn scan_json(scan: &Scan, alloc: u64, num: impl Fn(u64) -> J) -> J {
    let state = if scan.running {
        "SCANNING"
    } else if scan.canceled {
        "CANCELED"
    } else {
        "FINISHED"
    };
    obj(vec![
        ("function", s("SCRUB")),
        ("state", s(state)),
        ("start_time", num(scan.start)),
        ("end_time", num(scan.end)),
        ("to_examine", num(alloc)),
        ("examined", num(scan.examined)),
        ("skipped", num(0)),
        ("processed", num(0)),
        ("errors", num(0)),
        ("bytes_per_scan", num(scan.examined)),
        ("pass_start", num(scan.start)),
        ("scrub_pause", num(0)),
        ("scrub_spent_paused", num(0)),
        ("issued_bytes_per_scan", num(scan.examined)),
        ("issued", num(scan.examined)),
    ])
}

pub(super) fn status(st: &mut State, args: &[String]) -> Reply {
    let long = [
        "json",
        "json-int",
        "json-flat-vdevs",
        "json-pool-key-guid",
        "power",
    ];
    let o = getopt(args, "DdegiLpPstvxj", "cT", &long)?;
    if !(o.has('j') || o.long.contains("json")) {
        return Err(fail("FakeZfs: only `zpool status -j` is supported"));
    }
    let as_int = o.long.contains("json-int");
    let pools: Vec<usize> = if o.operands.is_empty() {
        (0..st.pools.len())
            .filter(|&i| st.pools[i].imported)
            .collect()
    } else {
        o.operands
            .iter()
            .map(|n| imported(st, n))
            .collect::<Result<_, _>>()?
    };
    let version = obj(vec![
        ("command", s("zpool status")),
        ("vers_major", J::Num(0)),
        ("vers_minor", J::Num(1)),
    ]);
    let entries = pools
        .into_iter()
        .map(|i| (st.pools[i].name.clone(), pool_json(&st.pools[i], as_int)))
        .collect();
    let mut out = String::new();
    obj(vec![
        ("output_version", version),
        ("pools", J::Obj(entries)),
    ])
    .write(&mut out);
    out.push('\n');
    Ok(out)
}
