//! The fake `zfs`.

use super::model::{parent, thick_reservation, Dataset, Kind};
use super::namecheck;
use super::zfs_list::{get, list, select};
use super::zfs_props::{canonical, check_prop, set};
use super::{fail, getopt, parse_size, usage, Fail, Reply, State};

pub(super) fn run(st: &mut State, args: &[String]) -> Reply {
    let Some((sub, rest)) = args.split_first() else {
        return Err(usage("missing command"));
    };
    match sub.as_str() {
        "create" => create(st, rest),
        "list" => list(st, rest),
        "get" => get(st, rest),
        "set" => set(st, rest),
        "destroy" => destroy(st, rest),
        "snapshot" | "snap" => snapshot(st, rest),
        "rollback" => rollback(st, rest),
        "mount" => mount(st, rest),
        other => Err(usage(format!("unrecognized command '{other}'"))),
    }
}

fn no_dataset(name: &str) -> Fail {
    fail(format!("cannot open '{name}': dataset does not exist"))
}

pub(super) fn holder(st: &State, name: &str) -> Result<usize, Fail> {
    namecheck::dataset(name, None, false)
        .map_err(|aux| fail(format!("cannot open '{name}': {aux}")))?;
    st.holder(name).ok_or_else(|| no_dataset(name))
}

pub(super) fn power_of_two_block(v: &str) -> bool {
    parse_size(v).is_some_and(|n| n.is_power_of_two() && (512..=16 << 20).contains(&n))
}

fn create(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "psvnuP", "oVb", &[])?;
    let [name] = o.operands.as_slice() else {
        return Err(usage("missing dataset name"));
    };
    let volume = o.value('V');
    if volume.is_none() && (o.has('s') || o.value('b').is_some()) {
        return Err(usage(
            "'-s' and '-b' can only be used when creating a volume",
        ));
    }
    namecheck::dataset(name, Some(false), true)
        .map_err(|aux| fail(format!("cannot create '{name}': {aux}")))?;
    let Some(parent_name) = parent(name) else {
        return Err(fail(format!(
            "cannot create '{name}': missing dataset name"
        )));
    };
    let pool_name = name.split('/').next().unwrap_or(name);
    let Some(pi) = st.imported(pool_name) else {
        return Err(fail(format!(
            "cannot create '{name}': no such pool '{pool_name}'"
        )));
    };
    let kind = if volume.is_some() {
        Kind::Volume
    } else {
        Kind::Filesystem
    };
    let mut props = Vec::new();
    for kv in o.all('o') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| usage("missing '=' for property=value argument"))?;
        check_prop(k, v, kind).map_err(|aux| fail(format!("cannot create '{name}': {aux}")))?;
        props.push((canonical(k).to_string(), v.to_string()));
    }
    if st.pools[pi].datasets.contains_key(name.as_str()) {
        return Err(fail(format!(
            "cannot create '{name}': dataset already exists"
        )));
    }
    let mut missing = Vec::new();
    let mut cur = Some(parent_name);
    while let Some(n) = cur.filter(|n| !st.pools[pi].datasets.contains_key(*n)) {
        missing.push(n.to_string());
        cur = parent(n);
    }
    if !missing.is_empty() && !o.has('p') {
        return Err(fail(format!(
            "cannot create '{name}': parent does not exist"
        )));
    }
    if cur.is_some_and(|n| st.pools[pi].datasets[n].kind != Kind::Filesystem) {
        return Err(fail(format!(
            "cannot create '{name}': parent is not a filesystem"
        )));
    }
    let mut new = Dataset::new(kind, 0, 0, 0);
    if let Some(size) = volume {
        let size = parse_size(size)
            .ok_or_else(|| fail(format!("cannot create '{name}': bad volume size '{size}'")))?;
        let vbs_arg = o.value('b').or_else(|| {
            props
                .iter()
                .find(|(k, _)| k == "volblocksize")
                .map(|(_, v)| v.as_str())
        });
        if let Some(b) = o.value('b').filter(|b| !power_of_two_block(b)) {
            return Err(fail(format!(
                "cannot create '{name}': 'volblocksize' must be power of 2 from 512B to 16M ({b})"
            )));
        }
        let vbs = vbs_arg.and_then(parse_size).unwrap_or(16384);
        if size == 0 {
            return Err(fail(format!(
                "cannot create '{name}': volume size cannot be zero"
            )));
        }
        if size.checked_rem(vbs) != Some(0) {
            return Err(fail(format!(
                "cannot create '{name}': volume size must be a multiple of volume block size"
            )));
        }
        new.volsize = size;
        new.volblocksize = vbs;
        new.refreservation = match props.iter().find(|(k, _)| k == "refreservation") {
            Some((_, v)) if v == "none" => 0,
            Some((_, v)) if v != "auto" => parse_size(v).unwrap_or(0),
            _ if o.has('s') => 0,
            _ => thick_reservation(size, vbs),
        };
        if new.refreservation > st.pools[pi].available(cur.unwrap_or(pool_name)) {
            return Err(fail(format!("cannot create '{name}': out of space")));
        }
    }
    props.retain(|(k, _)| !["volblocksize", "refreservation", "volsize"].contains(&k.as_str()));
    new.local.extend(props);
    for n in missing.iter().rev() {
        let (created, txg, guid) = (st.tick(), bump_txg(st, pi), st.guid());
        let d = Dataset::new(Kind::Filesystem, created, txg, guid);
        st.pools[pi].datasets.insert(n.clone(), d);
    }
    new.created = st.tick();
    new.createtxg = bump_txg(st, pi);
    new.guid = st.guid();
    let pool = &mut st.pools[pi];
    pool.datasets.insert(name.clone(), new);
    for n in missing.iter().map(String::as_str).chain([name.as_str()]) {
        let mount = pool.datasets[n].kind == Kind::Filesystem && pool.mountable(n);
        pool.datasets.get_mut(n).expect("just inserted").mounted = mount;
    }
    Ok(String::new())
}

fn bump_txg(st: &mut State, pi: usize) -> u64 {
    st.pools[pi].txg += 1;
    st.pools[pi].txg
}

fn destroy(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "rRfnpvd", "", &[])?;
    let [name] = o.operands.as_slice() else {
        return Err(usage("missing dataset argument"));
    };
    let recursive = o.has('r') || o.has('R');
    if let Some((ds, snap)) = name.split_once('@') {
        let i = holder(st, ds)?;
        let pool = &mut st.pools[i];
        let mut targets: Vec<String> = vec![name.clone()];
        if o.has('r') {
            targets.extend(
                pool.descendants(ds)
                    .into_iter()
                    .filter(|n| !n.contains('@'))
                    .map(|n| format!("{n}@{snap}")),
            );
        }
        targets.retain(|t| pool.datasets.contains_key(t));
        if targets.is_empty() {
            return Err(fail(
                "could not find any snapshots to destroy; check snapshot names.",
            ));
        }
        for t in targets {
            pool.datasets.remove(&t);
        }
        return Ok(String::new());
    }
    let i = holder(st, name)?;
    if !name.contains('/') {
        return Err(fail(format!(
            "cannot destroy '{name}': operation does not apply to pools\nuse 'zfs destroy -r {name}' to destroy all datasets in the pool\nuse 'zpool destroy {name}' to destroy the pool itself"
        )));
    }
    let pool = &mut st.pools[i];
    let dependents = pool.descendants(name);
    if !dependents.is_empty() && !recursive {
        let kind = pool.datasets[name.as_str()].kind.name();
        return Err(fail(format!(
            "cannot destroy '{name}': {kind} has children\nuse '-r' to destroy the following datasets:\n{}",
            dependents.join("\n")
        )));
    }
    for n in dependents.iter().chain([name]) {
        pool.datasets.remove(n);
    }
    Ok(String::new())
}

fn snapshot(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "r", "o", &[])?;
    if o.operands.is_empty() {
        return Err(usage("missing snapshot argument"));
    }
    for name in &o.operands {
        namecheck::dataset(name, Some(true), true)
            .map_err(|aux| fail(format!("cannot create snapshot '{name}': {aux}")))?;
        let (ds, snap) = name.split_once('@').expect("checked above");
        let i = holder(st, ds)?;
        let mut sources = vec![ds.to_string()];
        if o.has('r') {
            sources.extend(
                st.pools[i]
                    .descendants(ds)
                    .into_iter()
                    .filter(|n| !n.contains('@')),
            );
        }
        let targets: Vec<String> = sources.iter().map(|s| format!("{s}@{snap}")).collect();
        if let Some(t) = targets
            .iter()
            .find(|t| st.pools[i].datasets.contains_key(*t))
        {
            return Err(fail(format!(
                "cannot create snapshot '{t}': dataset already exists"
            )));
        }
        let (created, txg) = (st.tick(), bump_txg(st, i));
        for (src, target) in sources.iter().zip(targets) {
            let guid = st.guid();
            let pool = &mut st.pools[i];
            let mut snapshot = Dataset::new(Kind::Snapshot, created, txg, guid);
            snapshot.written = pool.refer(src);
            snapshot.volsize = pool.datasets[src].volsize;
            pool.datasets.insert(target, snapshot);
        }
    }
    Ok(String::new())
}

fn rollback(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "rRf", "", &[])?;
    let [name] = o.operands.as_slice() else {
        return Err(usage("missing dataset argument"));
    };
    let Some((ds, _)) = name.split_once('@') else {
        return Err(fail(format!("'{name}' is not a snapshot")));
    };
    let i = holder(st, name)?;
    let pool = &mut st.pools[i];
    let txg = pool.datasets[name.as_str()].createtxg;
    let newer: Vec<String> = pool
        .snapshots(ds)
        .into_iter()
        .filter(|s| pool.datasets[*s].createtxg > txg)
        .map(String::from)
        .collect();
    if !(newer.is_empty() || o.has('r') || o.has('R')) {
        return Err(fail(format!(
            "cannot rollback to '{name}': more recent snapshots or bookmarks exist\nuse '-r' to force deletion of the following snapshots and bookmarks:\n{}",
            newer.join("\n")
        )));
    }
    for n in &newer {
        pool.datasets.remove(n);
    }
    let refer = pool.datasets[name.as_str()].written;
    let volsize = pool.datasets[name.as_str()].volsize;
    let target = pool
        .datasets
        .get_mut(ds)
        .expect("a snapshot's dataset exists");
    let base = match target.kind {
        Kind::Volume => super::model::VOL_REFER,
        _ => super::model::FS_REFER,
    };
    target.written = refer.saturating_sub(base);
    if target.kind == Kind::Volume {
        target.volsize = volsize;
    }
    Ok(String::new())
}

fn mount(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "aRlvOf", "o", &[])?;
    let targets: Vec<(usize, String)> = if o.has('a') {
        select(st, &[], Some(&[Kind::Filesystem]), None)?
    } else {
        let [fs] = o.operands.as_slice() else {
            return Err(usage("missing filesystem argument"));
        };
        let i = holder(st, fs)?;
        let pool = &st.pools[i];
        if pool.datasets[fs.as_str()].kind != Kind::Filesystem {
            return Err(fail(format!(
                "cannot open '{fs}': operation not applicable to datasets of this type"
            )));
        }
        if !o.has('R') {
            if pool.datasets[fs.as_str()].mounted {
                return Err(fail(format!(
                    "cannot mount '{fs}': filesystem already mounted"
                )));
            }
            if !pool.mountable(fs) {
                return Err(fail(format!("cannot mount '{fs}': no mountpoint set")));
            }
            vec![(i, fs.clone())]
        } else {
            select(
                st,
                std::slice::from_ref(fs),
                Some(&[Kind::Filesystem]),
                None,
            )?
        }
    };
    for (i, n) in targets {
        let pool = &mut st.pools[i];
        if pool.mountable(&n) {
            pool.datasets.get_mut(&n).expect("selected").mounted = true;
        }
    }
    Ok(String::new())
}
