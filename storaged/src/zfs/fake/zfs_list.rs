//! The fake `zfs list` and `zfs get`.

use super::model::Kind;
use super::zfs_cmd::holder;
use super::zfs_props::{bad_prop, source, value};
use super::{fail, getopt, usage, Fail, Opts, Reply, State};

/// How many levels `name` is below `base` (a snapshot is one level below
/// its dataset).
fn depth_below(name: &str, base: &str) -> usize {
    let rest = &name[base.len()..];
    rest.matches('/').count() + usize::from(rest.contains('@'))
}

/// The datasets `zfs list`/`zfs get` print for these operands, in `zfs`'s
/// default order (dataset name, then the dataset before its snapshots,
/// snapshots oldest first).
pub(super) fn select(
    st: &State,
    operands: &[String],
    types: Option<&[Kind]>,
    depth: Option<usize>,
) -> Result<Vec<(usize, String)>, Fail> {
    let roots: Vec<(usize, String)> = if operands.is_empty() {
        (0..st.pools.len())
            .filter(|&i| st.pools[i].imported)
            .map(|i| (i, st.pools[i].name.clone()))
            .collect()
    } else {
        operands
            .iter()
            .map(|n| holder(st, n).map(|i| (i, n.clone())))
            .collect::<Result<_, _>>()?
    };
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, root) in roots {
        let pool = &st.pools[i];
        let wanted = |n: &str| match types {
            None => true,
            Some(t) => t.contains(&pool.datasets[n].kind),
        };
        let default_types = |n: &str| pool.datasets[n].kind != Kind::Snapshot || n == root;
        let mut names = vec![root.clone()];
        if depth != Some(0) {
            names.extend(pool.descendants(&root).into_iter().filter(|n| match depth {
                None => true,
                Some(d) => depth_below(n, &root) <= d,
            }));
        }
        for n in names {
            let keep = if types.is_some() {
                wanted(&n)
            } else {
                default_types(&n)
            };
            if keep && !out.iter().any(|(j, m)| *j == i && *m == n) {
                out.push((i, n));
            }
        }
    }
    out.sort_by_key(|(i, n)| {
        let (ds, snap) = n
            .split_once('@')
            .map_or((n.as_str(), false), |(d, _)| (d, true));
        (ds.to_string(), snap, st.pools[*i].datasets[n].createtxg)
    });
    Ok(out)
}

pub(super) fn parse_types(o: &Opts) -> Result<Option<Vec<Kind>>, Fail> {
    let Some(t) = o.value('t') else {
        return Ok(None);
    };
    let mut kinds = Vec::new();
    for word in t.split(',') {
        match word {
            "filesystem" | "fs" => kinds.push(Kind::Filesystem),
            "volume" | "vol" => kinds.push(Kind::Volume),
            "snapshot" | "snap" => kinds.push(Kind::Snapshot),
            "all" => kinds.extend([Kind::Filesystem, Kind::Volume, Kind::Snapshot]),
            "bookmark" => {}
            other => return Err(usage(format!("invalid type '{other}'"))),
        }
    }
    Ok(Some(kinds))
}

pub(super) fn parse_depth(o: &Opts, operands_given: bool) -> Result<Option<usize>, Fail> {
    if let Some(d) = o.value('d') {
        return d
            .parse()
            .map(Some)
            .map_err(|_| usage(format!("invalid depth '{d}'")));
    }
    Ok(if o.has('r') || !operands_given {
        None
    } else {
        Some(0)
    })
}

pub(super) fn list(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "Hprj", "otsSd", &["json", "json-int"])?;
    if o.has('j') || o.long.contains("json") {
        return Err(fail("FakeZfs: `zfs list -j` is not supported; use -H -p"));
    }
    let cols: Vec<&str> = o
        .value('o')
        .unwrap_or("name,used,available,referenced,mountpoint")
        .split(',')
        .collect();
    let types = parse_types(&o)?;
    let depth = parse_depth(&o, !o.operands.is_empty())?;
    let mut rows = select(st, &o.operands, types.as_deref(), depth)?;
    let sort = o
        .value('s')
        .map(|c| (c, false))
        .or(o.value('S').map(|c| (c, true)));
    if let Some((col, descending)) = sort {
        let key =
            |(i, n): &(usize, String)| value(&st.pools[*i], n, col).ok_or_else(|| bad_prop(col));
        let mut keyed: Vec<(String, (usize, String))> = rows
            .into_iter()
            .map(|r| key(&r).map(|k| (k, r)))
            .collect::<Result<_, _>>()?;
        let numeric = keyed.iter().all(|(k, _)| k.parse::<u64>().is_ok());
        keyed.sort_by(|(a, _), (b, _)| {
            if numeric {
                a.parse::<u64>().unwrap_or(0).cmp(&b.parse().unwrap_or(0))
            } else {
                a.cmp(b)
            }
        });
        if descending {
            keyed.reverse();
        }
        rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
    let mut out = String::new();
    if !o.has('H') {
        out.push_str(&cols.join("\t").to_uppercase());
        out.push('\n');
    }
    for (i, name) in rows {
        let row: Vec<String> = cols
            .iter()
            .map(|c| value(&st.pools[i], &name, c).ok_or_else(|| bad_prop(c)))
            .collect::<Result<_, _>>()?;
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    Ok(out)
}

const ALL_PROPS: [&str; 20] = [
    "type",
    "creation",
    "used",
    "available",
    "referenced",
    "quota",
    "reservation",
    "volsize",
    "volblocksize",
    "recordsize",
    "mountpoint",
    "compression",
    "atime",
    "sync",
    "refquota",
    "refreservation",
    "volmode",
    "xattr",
    "acltype",
    "mounted",
];

pub(super) fn get(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "Hpr", "otsd", &["json", "json-int"])?;
    let Some((props, names)) = o.operands.split_first() else {
        return Err(usage("missing property argument"));
    };
    let props: Vec<&str> = if props == "all" {
        ALL_PROPS.to_vec()
    } else {
        props.split(',').collect()
    };
    let cols: Vec<&str> = o
        .value('o')
        .unwrap_or("name,property,value,source")
        .split(',')
        .collect();
    let depth = parse_depth(&o, !names.is_empty())?;
    let mut out = String::new();
    for (i, name) in select(st, names, parse_types(&o)?.as_deref(), depth)? {
        let pool = &st.pools[i];
        for prop in &props {
            let v = value(pool, &name, prop).ok_or_else(|| bad_prop(prop))?;
            if v == "-" && props.len() > 1 && o.operands[0] == "all" {
                continue;
            }
            let row: Vec<String> = cols
                .iter()
                .map(|c| match *c {
                    "name" => name.clone(),
                    "property" => prop.to_string(),
                    "value" => v.clone(),
                    "source" => source(pool, &name, prop),
                    _ => "-".to_string(),
                })
                .collect();
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
    }
    Ok(out)
}
