//! The resource pages, one module each (see the `web` module's doc), and
//! the small helpers they share.

mod drives;
mod iscsi;
mod nfs;
pub(crate) mod pools;
mod smb;
mod snapshots;
mod ssh;
mod storage;

use axum::response::Redirect;
use axum::routing::{get, MethodRouter};

use crate::api::AppState;

/// Every resource page's route: one line per page, e.g.
/// `("/ui/pools", get(pools::page)),`.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        // Resource pages: one line each, below.
        ("/ui/pools", get(pools::page)),
        ("/ui/pools/{pool}", get(pools::detail)),
        ("/ui/storage", get(storage::page)),
        ("/ui/datasets", get(to_storage)),
        ("/ui/iscsi", get(iscsi::page)),
        ("/ui/iscsi/{iqn}", get(iscsi::target)),
        ("/ui/smb", get(smb::page)),
        ("/ui/nfs", get(nfs::page)),
        ("/ui/drives", get(drives::page)),
        ("/ui/snapshots", get(snapshots::page)),
        ("/ui/ssh", get(ssh::page)),
    ]
}

/// The nav's first spelling of the datasets & volumes page.
async fn to_storage() -> Redirect {
    Redirect::to("/ui/storage")
}

/// Seconds since the Unix epoch as `2026-12-07 18:40 UTC`; `None` for 0,
/// which ZFS uses for "never".
pub fn utc(unix: u64) -> Option<String> {
    if unix == 0 {
        return None;
    }
    let days = (unix / 86_400) as i64;
    let rest = unix % 86_400;
    // Howard Hinnant's days-to-civil, for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    ))
}

/// `value` as JSON text for a `data-body` attribute (Tera escapes it for
/// the attribute; the browser gives `app.js` the JSON back).
pub fn json_attr(value: &serde_json::Value) -> String {
    value.to_string()
}

#[cfg(test)]
mod host_tools;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_utc() {
        assert_eq!(utc(0), None);
        assert_eq!(utc(1).as_deref(), Some("1970-01-01 00:00 UTC"));
        assert_eq!(utc(951_827_696).as_deref(), Some("2000-02-29 12:34 UTC"));
        assert_eq!(utc(1_796_668_800).as_deref(), Some("2026-12-07 18:40 UTC"));
    }
}
