//! The fake `zpool replace`, `online`, `offline`, `clear`, and `zpool
//! import` without a pool (the listing), with the real tools' wording.

use super::model::{Leaf, Pool, VdevKind};
use super::zpool_cmd::{imported, BY_ID};
use super::{fail, getopt, usage, Fail, Reply, State};

/// The member `arg` names (a by-id path or its last component), as
/// `(vdev index, disk index)`.
fn member(p: &Pool, arg: &str) -> Option<(usize, usize)> {
    let id = arg
        .strip_prefix(BY_ID)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(arg);
    p.vdevs
        .iter()
        .enumerate()
        .find_map(|(v, vdev)| vdev.disks.iter().position(|(d, _)| d == id).map(|i| (v, i)))
}

fn no_such_device(verb: &str, arg: &str) -> Fail {
    fail(format!("cannot {verb} {arg}: no such device in pool"))
}

fn pool_and_disk<'a>(
    st: &State,
    o: &'a [String],
    verb: &str,
) -> Result<(usize, &'a str, (usize, usize)), Fail> {
    let [pool, disk] = o else {
        return Err(usage(format!("missing pool name or device for '{verb}'")));
    };
    let i = imported(st, pool)?;
    let at = member(&st.pools[i], disk).ok_or_else(|| no_such_device(verb, disk))?;
    Ok((i, disk.as_str(), at))
}

pub(super) fn replace(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "fsw", "o", &[])?;
    let [pool, old, new] = o.operands.as_slice() else {
        return Err(usage(
            "FakeZfs: only `zpool replace <pool> <old> <new>` is supported",
        ));
    };
    let i = imported(st, pool)?;
    let Some((v, d)) = member(&st.pools[i], old) else {
        return Err(fail(format!(
            "cannot replace {old} with {new}: no such device in pool"
        )));
    };
    let Some(id) = new.strip_prefix(BY_ID).and_then(|r| r.strip_prefix('/')) else {
        return Err(fail(format!("cannot open '{new}': no such device in /dev")));
    };
    let Some(&size) = st.disks.get(id) else {
        return Err(fail(format!("cannot resolve path '{new}'")));
    };
    if let Some(other) = st.pools.iter().find(|p| member(p, id).is_some()) {
        let desc = if other.imported { "active" } else { "exported" };
        if other.imported || !o.has('f') {
            return Err(fail(format!(
                "invalid vdev specification\nuse '-f' to override the following errors:\n{BY_ID}/{id}-part1 is part of {desc} pool '{}'",
                other.name
            )));
        }
    }
    if let Some(fstype) = st.partition_tables.get(id) {
        if !o.has('f') {
            return Err(fail(format!(
                "invalid vdev specification\nuse '-f' to override the following errors:\n{BY_ID}/{id}-part1 contains a filesystem of type '{fstype}'"
            )));
        }
    }
    let pool = &st.pools[i];
    let old_size = pool.vdevs[v].disks[d].1;
    if size < old_size {
        return Err(fail(format!(
            "cannot replace {old} with {new}: device is too small"
        )));
    }
    if pool.vdevs[v].kind == VdevKind::Disk
        && pool
            .leaves
            .get(&pool.vdevs[v].disks[d].0)
            .is_some_and(|l| l.state != "ONLINE")
    {
        // A lone disk that is gone has nothing to resilver from.
        return Err(fail(format!(
            "cannot replace {old} with {new}: no valid replicas"
        )));
    }
    // Exported pools that held the new disk lose it, as `-f` overwrites.
    st.pools.retain(|p| p.imported || member(p, id).is_none());
    st.partition_tables.remove(id);
    let i = imported(st, pool_name(&o.operands))?;
    let pool = &mut st.pools[i];
    let old_id = std::mem::replace(&mut pool.vdevs[v].disks[d], (id.to_string(), size)).0;
    pool.leaves.remove(&old_id);
    pool.leaves.insert(id.to_string(), Leaf::default());
    // The fake resilvers at once; what a scrub found before stays shown.
    Ok(String::new())
}

fn pool_name(operands: &[String]) -> &str {
    operands.first().map_or("", String::as_str)
}

pub(super) fn online(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "et", "", &[])?;
    let (i, _, (v, d)) = pool_and_disk(st, &o.operands, "online")?;
    let pool = &mut st.pools[i];
    let id = pool.vdevs[v].disks[d].0.clone();
    let leaf = pool.leaves.entry(id).or_default();
    leaf.state = "ONLINE".into();
    leaf.temporary = false;
    Ok(String::new())
}

pub(super) fn offline(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "tf", "", &[])?;
    let (i, arg, (v, d)) = pool_and_disk(st, &o.operands, "offline")?;
    let pool = &mut st.pools[i];
    let vdev = &pool.vdevs[v];
    let down = vdev
        .disks
        .iter()
        .enumerate()
        .filter(|(k, (id, _))| *k != d && pool.leaves.get(id).is_some_and(|l| l.state != "ONLINE"))
        .count();
    if down + 1 > vdev.redundancy() {
        return Err(fail(format!("cannot offline {arg}: no valid replicas")));
    }
    let id = vdev.disks[d].0.clone();
    let leaf = pool.leaves.entry(id).or_default();
    leaf.state = "OFFLINE".into();
    leaf.temporary = o.has('t');
    Ok(String::new())
}

pub(super) fn clear(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "Fnr", "", &["power"])?;
    let (pool, disk) = match o.operands.as_slice() {
        [pool] => (pool, None),
        [pool, disk] => (pool, Some(disk)),
        _ => return Err(usage("missing pool name")),
    };
    let i = imported(st, pool)?;
    let p = &mut st.pools[i];
    let ids: Vec<String> = match disk {
        Some(arg) => {
            let (v, d) = member(p, arg).ok_or_else(|| {
                fail(format!(
                    "cannot clear errors for {arg}: no such device in pool"
                ))
            })?;
            vec![p.vdevs[v].disks[d].0.clone()]
        }
        None => p.leaves.keys().cloned().collect(),
    };
    for id in ids {
        if let Some(leaf) = p.leaves.get_mut(&id) {
            leaf.read = 0;
            leaf.write = 0;
            leaf.checksum = 0;
            // A faulted disk gets another chance; offline stays offline.
            if leaf.state == "FAULTED" {
                leaf.state = "ONLINE".into();
            }
        }
    }
    Ok(String::new())
}

/// `zpool import [-d dir]…` with no pool: the listing of exported pools
/// whose disks are (partly) present, in OpenZFS 2.3's layout.
pub(super) fn listing(st: &State, dirs: &[&str]) -> Reply {
    let searched = dirs.is_empty() || dirs.iter().any(|d| d.trim_end_matches('/') == BY_ID);
    let mut out = String::new();
    for p in st.pools.iter().filter(|p| !p.imported && searched) {
        let present = |id: &str| st.disks.contains_key(id);
        let mut bad_tops = 0;
        let mut lines = Vec::new();
        let width = 40;
        for (i, v) in p.vdevs.iter().enumerate() {
            let missing = v.disks.iter().filter(|(d, _)| !present(d)).count();
            let state = if missing == 0 {
                "ONLINE"
            } else if missing <= v.redundancy() {
                "DEGRADED"
            } else {
                bad_tops += 1;
                "UNAVAIL"
            };
            let leaf = |d: &str, indent: &str| {
                if present(d) {
                    format!("\t{indent}{d:<w$}  ONLINE", w = width - indent.len())
                } else {
                    format!(
                        "\t{indent}{:<w$}  UNAVAIL  cannot open",
                        super::zpool_status::leaf_guid_of(p.guid, d),
                        w = width - indent.len()
                    )
                }
            };
            match v.kind {
                VdevKind::Disk => lines.push(leaf(&v.disks[0].0, "  ")),
                kind => {
                    let name = match kind {
                        VdevKind::Mirror => format!("mirror-{i}"),
                        VdevKind::Raidz(n) => format!("raidz{n}-{i}"),
                        VdevKind::Disk => unreachable!("matched above"),
                    };
                    lines.push(format!("\t  {name:<w$}  {state}", w = width - 2));
                    for (d, _) in &v.disks {
                        lines.push(leaf(d, "    "));
                    }
                }
            }
        }
        let degraded = p
            .vdevs
            .iter()
            .any(|v| v.disks.iter().any(|(d, _)| !present(d)));
        let health = if bad_tops > 0 {
            "UNAVAIL"
        } else if degraded {
            "DEGRADED"
        } else {
            "ONLINE"
        };
        let action = match (health, &p.foreign_host) {
            ("UNAVAIL", _) => "The pool cannot be imported. Attach the missing\n\tdevices and try again.".to_string(),
            (_, Some(_)) => "The pool can be imported using its name or numeric identifier and\n\tthe '-f' flag.".to_string(),
            ("DEGRADED", _) => "The pool can be imported despite missing or damaged devices.  The\n\tfault tolerance of the pool may be compromised if imported.".to_string(),
            _ => "The pool can be imported using its name or numeric identifier.".to_string(),
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!(
            "   pool: {}\n     id: {}\n  state: {health}\n",
            p.name, p.guid
        ));
        if p.foreign_host.is_some() {
            out.push_str(&format!(
                "status: The pool was last accessed by another system.\n action: {action}\n   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-EY\n"
            ));
        } else {
            out.push_str(&format!(" action: {action}\n"));
        }
        out.push_str(" config:\n\n");
        out.push_str(&format!("\t{:<w$}  {health}\n", p.name, w = width));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    if out.is_empty() {
        return Err(fail("no pools available to import"));
    }
    Ok(out)
}
