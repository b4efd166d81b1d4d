//! The fake `zfs`'s properties: which apply where, their values as
//! `zfs list -p`/`zfs get -p` print them, and `zfs set`.

use super::model::{parent, thick_reservation, Kind, Pool, INHERITED};
use super::zfs_cmd::{holder, power_of_two_block};
use super::{fail, getopt, nicebytes, parse_size, usage, Fail, Reply, State};
use crate::zfs::props::{Compression, SyncMode, VolMode};

/// Whether `k=v` may be set on a dataset of `kind`; the error is the
/// message `zfs` prints after "cannot create 'x': ".
pub(super) fn check_prop(k: &str, v: &str, kind: Kind) -> Result<(), String> {
    use Kind::{Filesystem as Fs, Volume as Vol};
    let one_of = |values: &str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!("'{k}' must be one of '{values}'"))
        }
    };
    let size_or = |words: &[&str]| {
        if words.contains(&v) || parse_size(v).is_some() {
            Ok(())
        } else {
            Err(format!("bad numeric value '{v}'"))
        }
    };
    let (applies, valid) = match k {
        "compression" | "compress" => (
            [Fs, Vol].contains(&kind),
            one_of(
                "on | off | lzjb | gzip | gzip-[1-9] | zle | lz4 | zstd | zstd-[1-19] | zstd-fast | zstd-fast-[1-10,20,30,40,50,60,70,80,90,100,500,1000]",
                v.parse::<Compression>().is_ok(),
            ),
        ),
        "sync" => (
            [Fs, Vol].contains(&kind),
            one_of("standard | always | disabled", v.parse::<SyncMode>().is_ok()),
        ),
        "volmode" => (
            [Fs, Vol].contains(&kind),
            one_of("default | full | geom | dev | none", v.parse::<VolMode>().is_ok()),
        ),
        "atime" | "relatime" => (kind == Fs, one_of("on | off", ["on", "off"].contains(&v))),
        "canmount" => (
            kind == Fs,
            one_of("on | off | noauto", ["on", "off", "noauto"].contains(&v)),
        ),
        "xattr" => (
            kind == Fs,
            one_of("on | off | dir | sa", ["on", "off", "dir", "sa"].contains(&v)),
        ),
        "acltype" => (
            kind == Fs,
            one_of(
                "off | nfsv4 | posix",
                ["off", "noacl", "nfsv4", "posix", "posixacl"].contains(&v),
            ),
        ),
        "mountpoint" => (
            kind == Fs,
            if v.starts_with('/') || v == "none" || v == "legacy" {
                Ok(())
            } else {
                Err(format!(
                    "bad mount point '{v}': must be an absolute path, 'none', or 'legacy'"
                ))
            },
        ),
        "recordsize" | "volblocksize" => (
            kind == if k == "recordsize" { Fs } else { Vol },
            if power_of_two_block(v) {
                Ok(())
            } else {
                Err(format!("'{k}' must be power of 2 from 512B to 16M"))
            },
        ),
        "quota" | "refquota" => (kind == Fs, size_or(&["none"])),
        "reservation" | "refreservation" => ([Fs, Vol].contains(&kind), size_or(&["none", "auto"])),
        "volsize" => (kind == Vol, size_or(&[])),
        _ => return Err(format!("invalid property '{k}'")),
    };
    if !applies {
        return Err(format!("'{k}' does not apply to datasets of this type"));
    }
    valid
}

pub(super) fn canonical(prop: &str) -> &str {
    match prop {
        "avail" => "available",
        "refer" => "referenced",
        "compress" => "compression",
        "volblock" => "volblocksize",
        "reserv" => "reservation",
        "refreserv" => "refreservation",
        other => other,
    }
}

/// A property as `zfs list -p`/`zfs get -p` print it: `-` where it does
/// not apply, `None` for one the fake does not know.
pub(super) fn value(p: &Pool, name: &str, prop: &str) -> Option<String> {
    let d = &p.datasets[name];
    let (fs, vol, snap) = (
        d.kind == Kind::Filesystem,
        d.kind == Kind::Volume,
        d.kind == Kind::Snapshot,
    );
    let na = || "-".to_string();
    let local_or = |key: &str, default: &str| {
        d.local
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let prop = canonical(prop);
    Some(match prop {
        "name" => name.to_string(),
        "type" => d.kind.name().to_string(),
        "used" => p.used(name).to_string(),
        "available" if !snap => p.available(name).to_string(),
        "referenced" => p.refer(name).to_string(),
        "creation" => d.created.to_string(),
        "createtxg" => d.createtxg.to_string(),
        "guid" => d.guid.to_string(),
        "volsize" if vol || (snap && d.volsize > 0) => d.volsize.to_string(),
        "volblocksize" if vol => d.volblocksize.to_string(),
        "compression" | "sync" | "volmode" if !snap => p.inherited(name, prop).0,
        "atime" | "xattr" | "acltype" | "recordsize" if fs => p.inherited(name, prop).0,
        "quota" | "refquota" | "reservation" if fs || (vol && prop == "reservation") => {
            local_or(prop, "0")
        }
        "refreservation" if !snap => d.refreservation.to_string(),
        "canmount" if fs => local_or(prop, "on"),
        "mountpoint" if fs => p.mountpoint(name).0,
        "mounted" if fs => (if d.mounted { "yes" } else { "no" }).to_string(),
        "available" | "volsize" | "volblocksize" | "compression" | "sync" | "volmode" | "atime"
        | "xattr" | "acltype" | "recordsize" | "quota" | "refquota" | "reservation"
        | "refreservation" | "canmount" | "mountpoint" | "mounted" | "origin" => na(),
        _ => return None,
    })
}

/// The `source` column of `zfs get`.
pub(super) fn source(p: &Pool, name: &str, prop: &str) -> String {
    let d = &p.datasets[name];
    let prop = canonical(prop);
    if d.kind != Kind::Snapshot && INHERITED.iter().any(|(k, _)| *k == prop) {
        return p.inherited(name, prop).1;
    }
    match prop {
        "mountpoint" if d.kind == Kind::Filesystem => p.mountpoint(name).1,
        "quota" | "refquota" | "reservation" | "canmount" if d.local.contains_key(prop) => {
            "local".into()
        }
        "refreservation" if d.refreservation > 0 => "local".into(),
        "volsize" if d.kind == Kind::Volume => "local".into(),
        "volblocksize" if d.kind == Kind::Volume => "default".into(),
        "quota" | "refquota" | "reservation" | "canmount" | "refreservation" => "default".into(),
        _ => "-".into(),
    }
}

pub(super) fn bad_prop(prop: &str) -> Fail {
    usage(format!("bad property list: invalid property '{prop}'"))
}

pub(super) fn set(st: &mut State, args: &[String]) -> Reply {
    let o = getopt(args, "u", "", &[])?;
    let (assigns, names): (Vec<&String>, Vec<&String>) =
        o.operands.iter().partition(|a| a.contains('='));
    if assigns.is_empty() {
        return Err(usage("missing property=value argument"));
    }
    if names.is_empty() {
        return Err(usage("missing dataset name(s)"));
    }
    for name in names {
        let i = holder(st, name)?;
        for kv in &assigns {
            let (k, v) = kv.split_once('=').expect("partitioned on '='");
            apply_set(&mut st.pools[i], name, canonical(k), v)
                .map_err(|aux| fail(format!("cannot set property for '{name}': {aux}")))?;
        }
    }
    Ok(String::new())
}

pub(super) fn apply_set(p: &mut Pool, name: &str, k: &str, v: &str) -> Result<(), String> {
    const READONLY: [&str; 10] = [
        "used",
        "available",
        "referenced",
        "type",
        "creation",
        "createtxg",
        "mounted",
        "guid",
        "origin",
        "volblocksize",
    ];
    if READONLY.contains(&k) {
        return Err(format!("'{k}' is readonly"));
    }
    let kind = p.datasets[name].kind;
    if kind == Kind::Snapshot {
        return Err("this property can not be modified for snapshots".into());
    }
    check_prop(k, v, kind)?;
    match k {
        "volsize" => {
            let new = parse_size(v).expect("checked");
            let d = &p.datasets[name];
            let vbs = d.volblocksize;
            if new == 0 {
                return Err("'volsize' cannot be zero".into());
            }
            if new.checked_rem(vbs) != Some(0) {
                return Err(format!(
                    "'volsize' must be a multiple of volume block size ({})",
                    nicebytes(vbs)
                ));
            }
            let thick =
                d.refreservation != 0 && d.refreservation == thick_reservation(d.volsize, vbs);
            let old_reservation = d.refreservation;
            if thick {
                let reservation = thick_reservation(new, vbs);
                let parent_name = parent(name).expect("zvols have a parent");
                if reservation.saturating_sub(old_reservation) > p.available(parent_name) {
                    return Err("out of space".into());
                }
                p.datasets.get_mut(name).expect("exists").refreservation = reservation;
            }
            p.datasets.get_mut(name).expect("exists").volsize = new;
        }
        "quota" | "refquota" => {
            let d = p.datasets.get_mut(name).expect("exists");
            if v == "none" {
                d.local.remove(k);
                return Ok(());
            }
            let q = parse_size(v).expect("checked");
            let floor = if k == "quota" {
                p.used(name)
            } else {
                p.refer(name)
            };
            if q < floor {
                return Err("size is less than current used or reserved space".into());
            }
            p.datasets
                .get_mut(name)
                .expect("exists")
                .local
                .insert(k.into(), q.to_string());
        }
        "refreservation" => {
            let d = &p.datasets[name];
            let n = match v {
                "none" => 0,
                "auto" => thick_reservation(d.volsize, d.volblocksize),
                _ => parse_size(v).expect("checked"),
            };
            p.datasets.get_mut(name).expect("exists").refreservation = n;
        }
        _ => {
            p.datasets
                .get_mut(name)
                .expect("exists")
                .local
                .insert(k.into(), v.into());
            if k == "mountpoint" && !p.mountable(name) {
                p.datasets.get_mut(name).expect("exists").mounted = false;
            }
        }
    }
    Ok(())
}
