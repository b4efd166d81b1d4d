//! The fake `zpool`.

use super::model::{Dataset, Kind, Pool, Scan, Vdev, VdevKind};
use super::{fail, getopt, usage, zfs_props, Fail, Reply, State};

pub(super) const BY_ID: &str = "/dev/disk/by-id";

pub(super) fn run(st: &mut State, args: &[String]) -> Reply {
    let Some((sub, rest)) = args.split_first() else {
        return Err(usage("missing command"));
    };
    match sub.as_str() {
        "create" => create(st, rest),
        "import" => import(st, rest),
        "export" => export(st, rest),
        "destroy" => destroy(st, rest),
        "list" => list(st, rest),
        "get" => get(st, rest),
        "status" => super::zpool_status::status(st, rest),
        "scrub" => scrub(st, rest),
        "replace" => super::zpool_maint::replace(st, rest),
        "online" => super::zpool_maint::online(st, rest),
        "offline" => super::zpool_maint::offline(st, rest),
        "clear" => super::zpool_maint::clear(st, rest),
        other => Err(usage(format!("unrecognized command '{other}'"))),
    }
}

/// A freshly created, imported pool with its root filesystem.
pub(super) fn new_pool(st: &mut State, name: &str, mut vdevs: Vec<Vdev>) -> Pool {
    for v in &mut vdevs {
        v.guid = st.guid();
    }
    let created = st.tick();
    let guid = st.guid();
    let root = Dataset::new(Kind::Filesystem, created, 1, st.guid());
    Pool {
        name: name.to_string(),
        guid,
        vdevs,
        imported: true,
        foreign_host: None,
        datasets: [(name.to_string(), root)].into_iter().collect(),
        scan: None,
        leaves: Default::default(),
        ashift: 12,
        txg: 4,
        cachefile: None,
    }
}

fn no_such_pool(name: &str) -> Fail {
    fail(format!("cannot open '{name}': no such pool"))
}

pub(super) fn imported(st: &State, name: &str) -> Result<usize, Fail> {
    st.imported(name).ok_or_else(|| no_such_pool(name))
}

fn resolve(st: &State, arg: &str) -> Result<(String, u64), Fail> {
    if !arg.starts_with('/') {
        return Err(fail(format!(
            "cannot open '{arg}': no such device in /dev\nmust be a full path or shorthand device name"
        )));
    }
    arg.strip_prefix(BY_ID)
        .and_then(|id| id.strip_prefix('/'))
        .and_then(|id| st.disks.get(id).map(|&size| (id.to_string(), size)))
        .ok_or_else(|| fail(format!("cannot resolve path '{arg}'")))
}

fn group_kind(token: &str) -> Result<Option<VdevKind>, Fail> {
    Ok(match token {
        "mirror" => Some(VdevKind::Mirror),
        "raidz" | "raidz1" => Some(VdevKind::Raidz(1)),
        "raidz2" => Some(VdevKind::Raidz(2)),
        "raidz3" => Some(VdevKind::Raidz(3)),
        "log" | "cache" | "spare" | "special" | "dedup" => {
            return Err(fail(format!(
                "FakeZfs: vdev class '{token}' is not supported"
            )))
        }
        t if t.starts_with("draid") => {
            return Err(fail(format!("FakeZfs: vdev type '{t}' is not supported")))
        }
        _ => None,
    })
}

fn parse_vdevs(st: &State, pool: &str, spec: &[String]) -> Result<Vec<Vdev>, Fail> {
    let mut vdevs = Vec::new();
    let mut i = 0;
    while i < spec.len() {
        let token = &spec[i];
        i += 1;
        let Some(kind) = group_kind(token)? else {
            vdevs.push(Vdev {
                kind: VdevKind::Disk,
                disks: vec![resolve(st, token)?],
                guid: 0,
            });
            continue;
        };
        let mut disks = Vec::new();
        while i < spec.len() && group_kind(&spec[i])?.is_none() {
            disks.push(resolve(st, &spec[i])?);
            i += 1;
        }
        let min = match kind {
            VdevKind::Raidz(p) => usize::from(p) + 1,
            _ => 2,
        };
        if disks.len() < min {
            return Err(fail(format!(
                "invalid vdev specification: {token} requires at least {min} devices"
            )));
        }
        vdevs.push(Vdev {
            kind,
            disks,
            guid: 0,
        });
    }
    if vdevs.is_empty() {
        return Err(usage("missing vdev specification"));
    }
    let all: Vec<&str> = vdevs
        .iter()
        .flat_map(|v| v.disks.iter().map(|d| d.0.as_str()))
        .collect();
    if all.iter().enumerate().any(|(i, d)| all[..i].contains(d)) {
        return Err(fail(format!(
            "cannot create '{pool}': one or more vdevs refer to the same device, or one of\nthe devices is part of an active md or lvm device"
        )));
    }
    Ok(vdevs)
}

fn owner(st: &State, disk: &str) -> Option<usize> {
    st.pools.iter().position(|p| {
        p.vdevs
            .iter()
            .any(|v| v.disks.iter().any(|(d, _)| d == disk))
    })
}

fn create(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "fnd", "omOR", &[])?;
    let Some((name, spec)) = o.operands.split_first() else {
        return Err(usage("missing pool name argument"));
    };
    super::namecheck::pool(name).map_err(|aux| fail(format!("cannot create '{name}': {aux}")))?;
    if st.imported(name).is_some() {
        return Err(fail(format!("cannot create '{name}': pool already exists")));
    }
    let vdevs = parse_vdevs(st, name, spec)?;
    let (mut in_use, mut overwritten) = (Vec::new(), Vec::new());
    for (disk, _) in vdevs.iter().flat_map(|v| &v.disks) {
        // As check_disk() does for a GPT disk: each partition is probed,
        // and one holding a filesystem stops the create unless forced.
        if let Some(fstype) = st.partition_tables.get(disk) {
            if !o.has('f') {
                in_use.push(format!(
                    "{BY_ID}/{disk}-part1 contains a filesystem of type '{fstype}'"
                ));
            }
        }
        let Some(i) = owner(st, disk) else { continue };
        let p = &st.pools[i];
        let desc = if p.imported {
            "active"
        } else if p.foreign_host.is_some() {
            "potentially active"
        } else {
            "exported"
        };
        if p.imported || !o.has('f') {
            in_use.push(format!(
                "{BY_ID}/{disk}-part1 is part of {desc} pool '{}'",
                p.name
            ));
        } else {
            overwritten.push(i);
        }
    }
    if !in_use.is_empty() {
        return Err(fail(format!(
            "invalid vdev specification\nuse '-f' to override the following errors:\n{}",
            in_use.join("\n")
        )));
    }
    let mut ashift = 12;
    let mut cachefile = None;
    for kv in o.all('o') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| usage("missing '=' for property=value argument"))?;
        match k {
            "ashift" => {
                ashift = v
                    .parse()
                    .ok()
                    .filter(|a| (9..=16).contains(a))
                    .ok_or_else(|| fail(format!("property 'ashift' number {v} is invalid.")))?;
            }
            "cachefile" => cachefile = Some(v.to_string()),
            "autotrim" | "autoexpand" | "comment" | "failmode" | "multihost" => {}
            _ => {
                return Err(fail(format!(
                    "property '{k}' is not a valid pool or vdev property"
                )))
            }
        }
    }
    let mut root_props = Vec::new();
    for kv in o.all('O') {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| usage("missing '=' for property=value argument"))?;
        zfs_props::check_prop(k, v, Kind::Filesystem)
            .map_err(|aux| fail(format!("cannot create '{name}': {aux}")))?;
        root_props.push((k.to_string(), v.to_string()));
    }
    if let Some(mp) = o.value('m') {
        root_props.push(("mountpoint".into(), mp.to_string()));
    }
    if o.has('n') {
        return Ok(format!(
            "would create '{name}' with the following layout:\n"
        ));
    }
    overwritten.sort_unstable();
    overwritten.dedup();
    for i in overwritten.into_iter().rev() {
        st.pools.remove(i);
    }
    // The disks now carry zpool's own GPT label instead.
    for (disk, _) in vdevs.iter().flat_map(|v| &v.disks) {
        st.partition_tables.remove(disk);
    }
    let mut pool = new_pool(st, name, vdevs);
    pool.ashift = ashift;
    pool.cachefile = cachefile;
    let root = pool
        .datasets
        .get_mut(name.as_str())
        .expect("new pool has a root");
    root.local.extend(root_props);
    let mountable = pool.mountable(name);
    pool.datasets.get_mut(name.as_str()).expect("root").mounted = mountable;
    st.pools.push(pool);
    Ok(String::new())
}

fn import(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "NfaDlFnmXq", "doRc", &[])?;
    let Some(name) = o.operands.first() else {
        let dirs: Vec<&str> = o.all('d').collect();
        return super::zpool_maint::listing(st, &dirs);
    };
    if o.operands.len() > 1 {
        return Err(fail("FakeZfs: importing under a new name is not supported"));
    }
    // `-o` is a pool property with `=`, else mount options (ignored here).
    let mut cachefile = None;
    for kv in o.all('o') {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        match k {
            "cachefile" => cachefile = Some(v.to_string()),
            "readonly" | "multihost" | "failmode" | "autotrim" | "autoexpand" | "comment" => {}
            _ => {
                return Err(fail(format!(
                    "property '{k}' is not a valid pool or vdev property"
                )))
            }
        }
    }
    if st.imported(name).is_some() {
        return Err(fail(format!(
            "cannot import '{name}': a pool with that name already exists\nuse the form 'zpool import <pool | id> <newpool>' to give it a new name"
        )));
    }
    let dirs: Vec<&str> = o.all('d').collect();
    let searched = dirs.is_empty() || dirs.iter().any(|d| d.trim_end_matches('/') == BY_ID);
    let found = st.pools.iter().position(|p| {
        searched
            && !p.imported
            && (p.name == *name || p.guid.to_string() == *name)
            && p.vdevs
                .iter()
                .all(|v| v.disks.iter().all(|(d, _)| st.disks.contains_key(d)))
    });
    let Some(i) = found else {
        return Err(fail(format!(
            "cannot import '{name}': no such pool available"
        )));
    };
    if let Some(host) = &st.pools[i].foreign_host {
        if !o.has('f') {
            return Err(fail(format!(
                "cannot import '{name}': pool was previously in use from another system.\nLast accessed by {host} (hostid=5f3a9c21) at Tue Jun  3 09:12:44 2025\nThe pool can be imported, use 'zpool import -f' to import the pool."
            )));
        }
    }
    st.tick();
    let pool = &mut st.pools[i];
    pool.imported = true;
    pool.foreign_host = None;
    pool.end_temporary_offlines();
    pool.cachefile = cachefile;
    pool.txg += 1;
    if !o.has('N') {
        let names: Vec<String> = pool.datasets.keys().cloned().collect();
        for n in names {
            let mount = pool.datasets[&n].kind == Kind::Filesystem && pool.mountable(&n);
            pool.datasets.get_mut(&n).expect("listed").mounted = mount;
        }
    }
    Ok(String::new())
}

fn export(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "fa", "", &[])?;
    if o.operands.is_empty() {
        return Err(usage("missing pool argument"));
    }
    for name in &o.operands {
        let i = imported(st, name)?;
        let pool = &mut st.pools[i];
        pool.imported = false;
        for d in pool.datasets.values_mut() {
            d.mounted = false;
        }
    }
    Ok(String::new())
}

fn destroy(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "f", "", &[])?;
    let [name] = o.operands.as_slice() else {
        return Err(usage("missing pool argument"));
    };
    let i = imported(st, name)?;
    st.pools.remove(i);
    Ok(String::new())
}

/// A pool property as `zpool list -p`/`zpool get -p` print it; `None` for
/// a property the fake does not know.
fn pool_value(p: &Pool, col: &str) -> Option<String> {
    let size = p.raw_size();
    let alloc = p.allocated().min(size);
    Some(match col {
        "name" => p.name.clone(),
        "size" => size.to_string(),
        "allocated" | "alloc" => alloc.to_string(),
        "free" => (size - alloc).to_string(),
        "capacity" | "cap" => (alloc * 100 / size.max(1)).to_string(),
        "fragmentation" | "frag" => "0".into(),
        "health" => p.vdev_states().1.to_string(),
        "guid" => p.guid.to_string(),
        "ashift" => p.ashift.to_string(),
        "dedupratio" | "dedup" => "1.00".into(),
        "cachefile" => p.cachefile.clone().unwrap_or_else(|| "-".into()),
        "altroot" | "expandsize" | "checkpoint" | "ckpoint" => "-".into(),
        _ => return None,
    })
}

fn bad_pool_prop(col: &str) -> Fail {
    usage(format!(
        "property '{col}' is not a valid pool or vdev property"
    ))
}

fn list(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "HpgLPvj", "oT", &["json-int", "json-pool-key-guid"])?;
    if o.has('j') {
        return Err(fail("FakeZfs: `zpool list -j` is not supported; use -H -p"));
    }
    let cols: Vec<&str> = o
        .value('o')
        .unwrap_or("name,size,allocated,free,checkpoint,expandsize,fragmentation,capacity,dedupratio,health,altroot")
        .split(',')
        .collect();
    let pools: Vec<usize> = if o.operands.is_empty() {
        let mut all: Vec<usize> = (0..st.pools.len())
            .filter(|&i| st.pools[i].imported)
            .collect();
        all.sort_by(|&a, &b| st.pools[a].name.cmp(&st.pools[b].name));
        all
    } else {
        o.operands
            .iter()
            .map(|n| imported(st, n))
            .collect::<Result<_, _>>()?
    };
    let mut out = String::new();
    if !o.has('H') {
        out.push_str(&cols.join("\t").to_uppercase());
        out.push('\n');
    }
    for i in pools {
        let row: Vec<String> = cols
            .iter()
            .map(|c| pool_value(&st.pools[i], c).ok_or_else(|| bad_pool_prop(c)))
            .collect::<Result<_, _>>()?;
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    Ok(out)
}

fn get(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "Hp", "o", &[])?;
    let Some((props, names)) = o.operands.split_first() else {
        return Err(usage("missing property argument"));
    };
    let cols: Vec<&str> = o
        .value('o')
        .unwrap_or("name,property,value,source")
        .split(',')
        .collect();
    let mut out = String::new();
    for name in names {
        let p = &st.pools[imported(st, name)?];
        for prop in props.split(',') {
            let value = pool_value(p, prop).ok_or_else(|| bad_pool_prop(prop))?;
            let source = if prop == "ashift" { "local" } else { "-" };
            let row: Vec<&str> = cols
                .iter()
                .map(|c| match *c {
                    "name" => name.as_str(),
                    "property" => prop,
                    "value" => value.as_str(),
                    _ => source,
                })
                .collect();
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
    }
    Ok(out)
}

fn scrub(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "spwe", "", &[])?;
    let [name] = o.operands.as_slice() else {
        return Err(usage("missing pool name argument"));
    };
    let i = imported(st, name)?;
    let running = st.pools[i].scan.as_ref().is_some_and(|s| s.running);
    if o.has('s') {
        if !running {
            return Err(fail(format!(
                "cannot cancel scrubbing {name}: there is no active scrub"
            )));
        }
        let now = st.tick();
        let scan = st.pools[i].scan.as_mut().expect("running");
        scan.running = false;
        scan.canceled = true;
        scan.end = now;
        return Ok(String::new());
    }
    if running {
        return Err(fail(format!(
            "cannot scrub {name}: currently scrubbing; use 'zpool scrub -s' to cancel scrub"
        )));
    }
    let now = st.tick();
    let long = st.long_scrubs;
    let pool = &mut st.pools[i];
    let alloc = pool.allocated();
    pool.scan = Some(Scan {
        running: long,
        canceled: false,
        start: now,
        end: if long { 0 } else { now + 1 },
        examined: if long { 0 } else { alloc },
    });
    Ok(String::new())
}
