//! Every template, embedded in the binary, and the one Tera instance that
//! renders them.
//!
//! Adding a page's template is one line in [`TEMPLATES`]. Names end in
//! `.html`, so Tera escapes every `{{ value }}` (auto-escaping is on for
//! `.html`); `| safe` is never needed for data and must not be used on it.

use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tera::{Context, Tera};

use super::assets;

/// `(name, text)`: the name is the path under `storaged/web/templates/`.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../web/templates/base.html")),
    ("bare.html", include_str!("../../web/templates/bare.html")),
    ("error.html", include_str!("../../web/templates/error.html")),
    ("login.html", include_str!("../../web/templates/login.html")),
    ("setup.html", include_str!("../../web/templates/setup.html")),
    (
        "dashboard.html",
        include_str!("../../web/templates/dashboard.html"),
    ),
    (
        "upgrade.html",
        include_str!("../../web/templates/upgrade.html"),
    ),
    (
        "settings.html",
        include_str!("../../web/templates/settings.html"),
    ),
    // Resource pages (`web/pages/`): one line each, below.
    ("pools.html", include_str!("../../web/templates/pools.html")),
    ("pool.html", include_str!("../../web/templates/pool.html")),
    (
        "storage.html",
        include_str!("../../web/templates/storage.html"),
    ),
    ("iscsi.html", include_str!("../../web/templates/iscsi.html")),
    (
        "iscsi_target.html",
        include_str!("../../web/templates/iscsi_target.html"),
    ),
    ("smb.html", include_str!("../../web/templates/smb.html")),
    ("nfs.html", include_str!("../../web/templates/nfs.html")),
    (
        "drives.html",
        include_str!("../../web/templates/drives.html"),
    ),
    (
        "snapshots.html",
        include_str!("../../web/templates/snapshots.html"),
    ),
    ("ssh.html", include_str!("../../web/templates/ssh.html")),
];

/// Built once, on first use. A template that does not parse is a bug in
/// this build, caught by `every_template_parses`; at run time it panics
/// the first render rather than serving half a console.
static TERA: LazyLock<Tera> = LazyLock::new(|| build().expect("the embedded templates parse"));

fn build() -> Result<Tera, tera::Error> {
    let mut tera = Tera::new();
    tera.autoescape_on([".html"]);
    // `asset["app.js"]` is that file's URL with its fingerprint, so
    // templates never spell a version and browsers may cache forever.
    tera.global_context().insert("asset", &assets::urls());
    tera.register_filter(
        "bytes",
        |v: tera::Value, _: tera::Kwargs, _: &tera::State| {
            v.as_f64().map_or_else(|| DASH.to_string(), bytes)
        },
    );
    tera.register_filter(
        "bitrate",
        |v: tera::Value, _: tera::Kwargs, _: &tera::State| {
            v.as_f64().map_or_else(|| DASH.to_string(), bitrate)
        },
    );
    tera.register_filter(
        "epoch",
        |v: tera::Value, kwargs: tera::Kwargs, _: &tera::State| {
            let seconds = kwargs.get::<bool>("seconds")?.unwrap_or(false);
            Ok::<_, tera::Error>(
                v.as_f64()
                    .filter(|s| *s >= 1.0)
                    .map_or_else(|| DASH.to_string(), |s| epoch(s as u64, seconds)),
            )
        },
    );
    tera.add_raw_templates(TEMPLATES.iter().copied())?;
    Ok(tera)
}

/// What a template shows for a value it does not have.
pub const DASH: &str = "—";

/// Bytes per second -> `12.4 Mbit/s`: network rates as links are sold.
/// `static/dashboard.js` formats the same way.
pub fn bitrate(bytes_per_second: f64) -> String {
    const UNITS: [&str; 5] = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
    let mut value = bytes_per_second * 8.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 || value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Seconds since the epoch -> `2026-12-07 18:05 UTC` (`18:05:09` with
/// `with_seconds`).
pub fn epoch(seconds: u64, with_seconds: bool) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (hours, minutes) = (rest / 3600, rest % 3600 / 60);
    if with_seconds {
        format!(
            "{year:04}-{month:02}-{day:02} {hours:02}:{minutes:02}:{:02} UTC",
            rest % 60
        )
    } else {
        format!("{year:04}-{month:02}-{day:02} {hours:02}:{minutes:02} UTC")
    }
}

/// `1536` -> `1.5 KiB`: sizes as people read them.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = n;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else if value.abs() < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// A page that could not be rendered: a bug (a template reads a value the
/// handler did not give), answered as a plain 500 naming the template.
#[derive(Debug, thiserror::Error)]
#[error("cannot render template {template}: {source}")]
pub struct RenderError {
    pub template: String,
    #[source]
    pub source: tera::Error,
}

impl IntoResponse for RenderError {
    fn into_response(self) -> Response {
        eprintln!("storaged: {self}");
        // Plain text: the message may hold template text.
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

/// Renders `template` with `context`.
pub fn render(template: &str, context: &Context) -> Result<Html<String>, RenderError> {
    TERA.render(template, context)
        .map(Html)
        .map_err(|source| RenderError {
            template: template.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let tera = build().unwrap_or_else(|e| panic!("{e:?}"));
        for (name, _) in TEMPLATES {
            assert!(tera.contains_template(name), "{name}");
        }
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(10.0 * 1024.0 * 1024.0 * 1024.0), "10 GiB");
        let mut tera = build().unwrap();
        tera.add_raw_template("probe.html", "{{ n | bytes }}")
            .unwrap();
        let mut context = Context::new();
        context.insert("n", &2048u64);
        assert_eq!(tera.render("probe.html", &context).unwrap(), "2.0 KiB");
    }

    #[test]
    fn rates_and_dates() {
        assert_eq!(bitrate(0.0), "0 bit/s");
        assert_eq!(bitrate(1_550_000.0), "12.4 Mbit/s");
        assert_eq!(bitrate(125_000_000.0), "1.0 Gbit/s");
        assert_eq!(epoch(0, false), "1970-01-01 00:00 UTC");
        assert_eq!(epoch(1_796_666_709, true), "2026-12-07 18:05:09 UTC");
        assert_eq!(epoch(951_782_400, false), "2000-02-29 00:00 UTC");
        let mut tera = build().unwrap();
        tera.add_raw_template(
            "probe.html",
            "{{ a | bitrate }}|{{ b | bytes }}|{{ c | epoch }}",
        )
        .unwrap();
        let mut context = Context::new();
        context.insert("a", &None::<f64>);
        context.insert("b", &None::<u64>);
        context.insert("c", &0u64);
        assert_eq!(tera.render("probe.html", &context).unwrap(), "—|—|—");
    }

    #[test]
    fn values_are_escaped() {
        let mut tera = build().unwrap();
        tera.add_raw_template("probe.html", "{{ x }}").unwrap();
        let mut context = Context::new();
        context.insert("x", "<script>alert(1)</script>");
        let out = tera.render("probe.html", &context).unwrap();
        assert!(!out.contains("<script>"), "{out}");
    }
}
