//! Network interfaces from sysfs (`class/net/<nic>/{operstate,speed,mtu,
//! statistics/rx_bytes,statistics/tx_bytes}`) and their byte rates.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::sample::Nic;

/// One interface as read, before rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicReading {
    pub name: String,
    pub state: String,
    pub speed_mbps: Option<u64>,
    pub mtu: Option<u32>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// Every interface under `<sysfs>/class/net` but loopback, by name. A
/// missing directory is a machine without them (the fixture), not an
/// error; an unreadable interface is left out.
pub fn read_nics(sysfs: &Path) -> BTreeMap<String, NicReading> {
    let dir = sysfs.join("class/net");
    let Ok(entries) = fs::read_dir(&dir) else {
        return BTreeMap::new();
    };
    let mut nics = BTreeMap::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "lo" {
            continue;
        }
        if let Some(nic) = read_nic(&dir.join(&name), name.clone()) {
            nics.insert(name, nic);
        }
    }
    nics
}

fn read_nic(dir: &Path, name: String) -> Option<NicReading> {
    let read = |file: &str| fs::read_to_string(dir.join(file)).ok();
    let number = |file: &str| read(file).and_then(|t| t.trim().parse::<u64>().ok());
    Some(NicReading {
        name,
        state: read("operstate").map_or_else(|| "unknown".into(), |s| s.trim().to_string()),
        speed_mbps: parse_speed(read("speed").as_deref()),
        mtu: number("mtu").and_then(|m| u32::try_from(m).ok()),
        rx_bytes: number("statistics/rx_bytes")?,
        tx_bytes: number("statistics/tx_bytes")?,
    })
}

/// `speed` is `-1` (or unreadable: `EINVAL`) without a link.
pub fn parse_speed(text: Option<&str>) -> Option<u64> {
    text?
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|s| *s > 0)
        .map(|s| s as u64)
}

/// The interfaces with their rates against `before` over `seconds`. A
/// counter that went back (the interface was re-created) has no rate.
pub fn nics(
    now: &BTreeMap<String, NicReading>,
    before: Option<&BTreeMap<String, NicReading>>,
    seconds: Option<f64>,
) -> Vec<Nic> {
    now.values()
        .map(|n| {
            let previous = before.and_then(|b| b.get(&n.name));
            let rate = |now: u64, then: Option<u64>| {
                let seconds = seconds.filter(|s| *s > 0.0)?;
                let delta = now.checked_sub(then?)?;
                Some((delta as f64 / seconds).round())
            };
            Nic {
                name: n.name.clone(),
                state: n.state.clone(),
                speed_mbps: n.speed_mbps,
                mtu: n.mtu,
                rx_bytes: n.rx_bytes,
                tx_bytes: n.tx_bytes,
                rx_bytes_per_second: rate(n.rx_bytes, previous.map(|p| p.rx_bytes)),
                tx_bytes_per_second: rate(n.tx_bytes, previous.map(|p| p.tx_bytes)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn reads_interfaces_and_computes_rates() {
        let sys = tempfile::tempdir().unwrap();
        let eth = sys.path().join("class/net/eno1");
        write(&eth, "operstate", "up\n");
        write(&eth, "speed", "1000\n");
        write(&eth, "mtu", "9000\n");
        write(&eth, "statistics/rx_bytes", "1000\n");
        write(&eth, "statistics/tx_bytes", "500\n");
        let lo = sys.path().join("class/net/lo");
        write(&lo, "statistics/rx_bytes", "1\n");
        write(&lo, "statistics/tx_bytes", "1\n");
        let down = sys.path().join("class/net/eno2");
        write(&down, "operstate", "down\n");
        write(&down, "speed", "-1\n");
        write(&down, "statistics/rx_bytes", "0\n");
        write(&down, "statistics/tx_bytes", "0\n");

        let before = read_nics(sys.path());
        assert_eq!(before.keys().collect::<Vec<_>>(), ["eno1", "eno2"]);
        assert_eq!(before["eno1"].speed_mbps, Some(1000));
        assert_eq!(before["eno1"].mtu, Some(9000));
        assert_eq!(before["eno2"].speed_mbps, None);

        write(&eth, "statistics/rx_bytes", "5000\n");
        write(&eth, "statistics/tx_bytes", "100\n"); // went back: re-created
        let now = read_nics(sys.path());
        let shown = nics(&now, Some(&before), Some(2.0));
        assert_eq!(shown[0].rx_bytes_per_second, Some(2000.0));
        assert_eq!(shown[0].tx_bytes_per_second, None);
        assert_eq!(shown[1].rx_bytes_per_second, Some(0.0));
        assert_eq!(nics(&now, None, None)[0].rx_bytes_per_second, None);
    }

    #[test]
    fn no_class_net_is_no_interfaces() {
        let sys = tempfile::tempdir().unwrap();
        assert!(read_nics(sys.path()).is_empty());
    }

    #[test]
    fn speed_without_a_link() {
        assert_eq!(parse_speed(Some("-1\n")), None);
        assert_eq!(parse_speed(Some("10000\n")), Some(10000));
        assert_eq!(parse_speed(None), None);
    }
}
