//! Plain-text output: aligned columns, no colour, no borders, so it reads
//! on a serial console and greps well.

use std::fmt::Write;

/// Rows under a header, each column as wide as its widest cell.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(header: I) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, cells: I) -> &mut Table {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    pub fn render(&self) -> String {
        let lines: Vec<&Vec<String>> = std::iter::once(&self.header)
            .filter(|h| !h.is_empty())
            .chain(&self.rows)
            .collect();
        render_lines(&lines)
    }
}

/// `name  value` lines, names aligned: for one object.
pub fn key_values(pairs: &[(&str, String)]) -> String {
    let mut table = Table::new(Vec::<String>::new());
    for (key, value) in pairs {
        table.row([key.to_string(), value.clone()]);
    }
    table.render()
}

fn render_lines(lines: &[&Vec<String>]) -> String {
    let columns = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in lines {
        let mut text = String::new();
        for (c, cell) in line.iter().enumerate() {
            if c + 1 == line.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[c]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// `1d 2h 3m 4s`, leading zero units dropped.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let parts = [(d, "d"), (h, "h"), (m, "m"), (s, "s")];
    let first = parts.iter().position(|(n, _)| *n != 0).unwrap_or(3);
    parts[first..]
        .iter()
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A size as typed: bytes (`268435456`), or a whole number with `K`, `M`,
/// `G`, `T` or `P` (powers of 1024; `MiB`, `MB` and `m` read the same).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(digits_end);
    let unknown = || {
        format!("{s:?} is not a size: use bytes, or a whole number with K, M, G, T or P (256M, 1G)")
    };
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        "p" | "pb" | "pib" => 50,
        _ => return Err(unknown()),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size: it needs a whole number first (256M, 1G)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// A value as a table cell, spelled as in the API's JSON: `-` for
/// null (`None`), strings and enums unquoted.
pub fn cell(v: impl serde::Serialize) -> String {
    match serde_json::to_value(v).unwrap_or_default() {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// `yes` or `no`.
pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A byte count as a table cell: `-` when absent.
pub fn size_cell(v: impl Into<Option<u64>>) -> String {
    v.into().map_or("-".into(), bytes)
}

/// Bytes for people: `512B`, `16K`, `256M`, `1.5G`, in powers of 1024.
pub fn bytes(n: u64) -> String {
    const UNITS: [(u32, char); 5] = [(50, 'P'), (40, 'T'), (30, 'G'), (20, 'M'), (10, 'K')];
    for (shift, unit) in UNITS {
        let size = 1u64 << shift;
        if n >= size {
            let tenths = (u128::from(n) * 10 + u128::from(size) / 2) / u128::from(size);
            return if tenths % 10 == 0 {
                format!("{}{unit}", tenths / 10)
            } else {
                format!("{}.{}{unit}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{n}B")
}

/// Seconds since the epoch as `2025-06-15 12:00:00` UTC.
pub fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's days_from_civil, inverted.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_lines_have_no_trailing_space() {
        let mut t = Table::new(["NAME", "SIZE", "STATE"]);
        t.row(["tank", "4T", "ONLINE"])
            .row(["scratch-pool", "500G", ""]);
        assert_eq!(
            t.render(),
            "NAME          SIZE  STATE\ntank          4T    ONLINE\nscratch-pool  500G\n"
        );
    }

    #[test]
    fn key_values_align() {
        let text = key_values(&[("version", "1".into()), ("slot", "a".into())]);
        assert_eq!(text, "version  1\nslot     a\n");
    }

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("268435456"), Ok(268_435_456));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1t"), Ok(1 << 40));
        assert_eq!(parse_size("16KiB"), Ok(16 << 10));
        for bad in ["", "M", "1.5G", "12X", "-1", "99999999999P"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn bytes_read_naturally() {
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(16384), "16K");
        assert_eq!(bytes(256 << 20), "256M");
        assert_eq!(bytes(3 << 29), "1.5G");
        assert_eq!(bytes(4 << 40), "4T");
    }

    #[test]
    fn times_are_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_750_000_001), "2025-06-15 15:06:41");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(61), "1m 1s");
        assert_eq!(duration(90_061), "1d 1h 1m 1s");
        assert_eq!(duration(3600), "1h 0m 0s");
    }
}
