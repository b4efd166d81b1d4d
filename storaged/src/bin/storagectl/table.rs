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
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(61), "1m 1s");
        assert_eq!(duration(90_061), "1d 1h 1m 1s");
        assert_eq!(duration(3600), "1h 0m 0s");
    }
}
