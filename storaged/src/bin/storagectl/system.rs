//! `status` and `openapi`.

use serde_json::Value;
use storaged::api::Status;
use storaged::var_source::VarSource;

use crate::table::{duration, key_values};
use crate::Ctl;

pub fn status(ctl: &mut Ctl<'_>) -> anyhow::Result<()> {
    let answer = ctl.client.get("/status")?;
    if ctl.json {
        return ctl.print_json(&answer);
    }
    let status: Status = serde_json::from_value(answer)?;
    let text = render_status(&status);
    ctl.print(&text)
}

pub fn openapi(ctl: &mut Ctl<'_>) -> anyhow::Result<()> {
    let answer = ctl.client.get("/openapi.json")?;
    ctl.print_json(&answer)
}

fn render_status(s: &Status) -> String {
    let unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    let later = |v: &Option<Value>| match v {
        None | Some(Value::Null) => "not reported yet".to_string(),
        Some(v) => v.to_string(),
    };
    let mut pairs = vec![
        ("version", s.version.clone()),
        (
            "image",
            format!(
                "{} {} (build {})",
                unknown(&s.image.id),
                unknown(&s.image.version),
                unknown(&s.image.build)
            ),
        ),
        ("slot", s.slot.clone().unwrap_or_else(|| "none".into())),
        (
            "/var",
            match &s.var {
                Some(VarSource::Partition { device }) => format!("data partition {device}"),
                Some(VarSource::Tmpfs) => "tmpfs: nothing persists across a reboot".into(),
                None => "unknown".into(),
            },
        ),
        ("uptime", duration(s.uptime_seconds)),
    ];
    if s.sim {
        pairs.push((
            "mode",
            "simulation (--sim): fixture disks, fake zpool and zfs".into(),
        ));
    }
    pairs.push((
        "admin password",
        if s.setup_required {
            "not set: run `storagectl setup`".into()
        } else {
            "set".into()
        },
    ));
    pairs.extend([
        ("drives", later(&s.drives)),
        ("pools", later(&s.pools)),
        ("services", later(&s.services)),
    ]);
    key_values(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use storaged::api::ImageInfo;

    #[test]
    fn status_reads_as_a_list() {
        let s = Status {
            version: "0.1.0".into(),
            image: ImageInfo {
                id: Some("ironstor-qemu".into()),
                version: Some("1.2.3".into()),
                build: None,
            },
            slot: Some("b".into()),
            var: Some(VarSource::Tmpfs),
            uptime_seconds: 3661,
            sim: false,
            setup_required: true,
            drives: None,
            pools: None,
            services: None,
        };
        let text = render_status(&s);
        assert!(text.starts_with("version         0.1.0\n"), "{text}");
        assert!(text.contains("image           ironstor-qemu 1.2.3 (build unknown)\n"));
        assert!(text.contains("slot            b\n"));
        assert!(text.contains("/var            tmpfs: nothing persists across a reboot\n"));
        assert!(text.contains("uptime          1h 1m 1s\n"));
        assert!(text.contains("admin password  not set: run `storagectl setup`\n"));
        assert!(text.contains("pools           not reported yet\n"));
        assert!(!text.contains("mode"));
    }
}
