//! `/proc/stat`, `/proc/meminfo` and ZFS's `arcstats`: parsers of their
//! text, and the rates between two readings.

use super::sample::{Arc, Cpu, Memory};

/// The `cpu` line of `/proc/stat`: cumulative ticks of all CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTicks {
    /// Every field summed (guest time is already inside user and nice).
    pub total: u64,
    pub idle: u64,
    pub iowait: u64,
    pub cores: u32,
}

/// Reads the aggregate `cpu` line and counts the `cpuN` lines.
pub fn parse_stat(text: &str) -> Option<CpuTicks> {
    let mut ticks = None;
    let mut cores = 0;
    for line in text.lines() {
        let mut words = line.split_ascii_whitespace();
        match words.next() {
            Some("cpu") => {
                let fields: Vec<u64> = words.map_while(|w| w.parse().ok()).collect();
                if fields.len() < 4 {
                    return None;
                }
                // user nice system idle iowait irq softirq steal guest guest_nice
                let total = fields.iter().take(8).sum();
                ticks = Some(CpuTicks {
                    total,
                    idle: fields[3],
                    iowait: fields.get(4).copied().unwrap_or(0),
                    cores: 0,
                });
            }
            Some(w) if w.starts_with("cpu") => cores += 1,
            _ => {}
        }
    }
    ticks.map(|t| CpuTicks { cores, ..t })
}

/// Busy and I/O-wait percentages between two readings.
pub fn cpu(now: CpuTicks, before: Option<CpuTicks>) -> Cpu {
    let (busy, iowait) = match before {
        Some(b) if now.total > b.total => {
            let total = (now.total - b.total) as f64;
            let idle = now.idle.saturating_sub(b.idle) as f64;
            let iowait = now.iowait.saturating_sub(b.iowait) as f64;
            (
                Some(round1(
                    (100.0 * (total - idle - iowait) / total).clamp(0.0, 100.0),
                )),
                Some(round1((100.0 * iowait / total).clamp(0.0, 100.0))),
            )
        }
        _ => (None, None),
    };
    Cpu {
        cores: now.cores,
        busy_percent: busy,
        iowait_percent: iowait,
    }
}

/// `MemTotal` and `MemAvailable`, in bytes.
pub fn parse_meminfo(text: &str) -> Option<Memory> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
            Some(kib * 1024)
        })
    };
    let total = field("MemTotal")?;
    let available = field("MemAvailable").or_else(|| field("MemFree"))?;
    Some(Memory {
        total_bytes: total,
        available_bytes: available,
        used_bytes: total.saturating_sub(available),
    })
}

/// The counters of `arcstats` the dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArcCounters {
    pub size: u64,
    pub target: u64,
    pub max: u64,
    pub hits: u64,
    pub misses: u64,
}

/// `/proc/spl/kstat/zfs/arcstats`: two header lines, then `name type
/// data` rows.
pub fn parse_arcstats(text: &str) -> Option<ArcCounters> {
    let mut found = [None; 5];
    for line in text.lines().skip(2) {
        let mut words = line.split_ascii_whitespace();
        let (Some(name), Some(_type), Some(data)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        let slot = match name {
            "size" => 0,
            "c" => 1,
            "c_max" => 2,
            "hits" => 3,
            "misses" => 4,
            _ => continue,
        };
        found[slot] = data.parse::<u64>().ok();
    }
    Some(ArcCounters {
        size: found[0]?,
        target: found[1].unwrap_or(0),
        max: found[2].unwrap_or(0),
        hits: found[3]?,
        misses: found[4]?,
    })
}

/// The ARC's state and its hit ratio since the reading before.
pub fn arc(now: ArcCounters, before: Option<ArcCounters>) -> Arc {
    let hit_percent = before.and_then(|b| {
        let hits = now.hits.checked_sub(b.hits)?;
        let misses = now.misses.checked_sub(b.misses)?;
        (hits + misses > 0).then(|| round1(100.0 * hits as f64 / (hits + misses) as f64))
    });
    Arc {
        size_bytes: now.size,
        target_bytes: now.target,
        max_bytes: now.max,
        hit_percent,
        hits: now.hits,
        misses: now.misses,
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 800 40 0 5 0 0 0
cpu0 50 2 25 400 20 0 3 0 0 0
cpu1 50 3 25 400 20 0 2 0 0 0
intr 12345 0 0
ctxt 999
btime 1700000000
";

    #[test]
    fn stat_reads_the_aggregate_line_and_counts_cores() {
        let t = parse_stat(STAT).unwrap();
        assert_eq!(t.total, 1000);
        assert_eq!(t.idle, 800);
        assert_eq!(t.iowait, 40);
        assert_eq!(t.cores, 2);
        assert_eq!(parse_stat("intr 1\n"), None);
        assert_eq!(parse_stat("cpu 1 2\n"), None);
    }

    #[test]
    fn cpu_percentages_are_over_the_interval() {
        let before = parse_stat(STAT).unwrap();
        // 200 ticks later: 100 idle, 20 iowait, 80 busy.
        let now = CpuTicks {
            total: 1200,
            idle: 900,
            iowait: 60,
            cores: 2,
        };
        let c = cpu(now, Some(before));
        assert_eq!(c.busy_percent, Some(40.0));
        assert_eq!(c.iowait_percent, Some(10.0));
        assert_eq!(cpu(now, None).busy_percent, None);
        // No ticks passed (or the counters went back): no rate.
        assert_eq!(cpu(before, Some(now)).busy_percent, None);
    }

    #[test]
    fn meminfo_in_bytes() {
        let text = "MemTotal:        8048576 kB\nMemFree:          100000 kB\nMemAvailable:    6000000 kB\nBuffers: 1 kB\n";
        let m = parse_meminfo(text).unwrap();
        assert_eq!(m.total_bytes, 8048576 * 1024);
        assert_eq!(m.available_bytes, 6000000 * 1024);
        assert_eq!(m.used_bytes, (8048576 - 6000000) * 1024);
        assert_eq!(parse_meminfo("MemFree: 1 kB\n"), None);
    }

    const ARCSTATS: &str = "13 1 0x01 123 33456 1234567 8901234
name                            type data
hits                            4    9000
misses                          4    1000
c                               4    2147483648
c_max                           4    4294967296
size                            4    1073741824
";

    #[test]
    fn arcstats_and_the_hit_ratio_between_readings() {
        let before = parse_arcstats(ARCSTATS).unwrap();
        assert_eq!(before.size, 1 << 30);
        assert_eq!(before.target, 1 << 31);
        assert_eq!(before.max, 1 << 32);
        let a = arc(before, None);
        assert_eq!(a.hit_percent, None);
        let now = ArcCounters {
            hits: 9300,
            misses: 1100,
            ..before
        };
        // 300 hits, 100 misses since.
        assert_eq!(arc(now, Some(before)).hit_percent, Some(75.0));
        // No reads: no ratio, not 0 % or NaN.
        assert_eq!(arc(before, Some(before)).hit_percent, None);
        assert_eq!(parse_arcstats("x\ny\nc 4 1\n"), None);
    }
}
