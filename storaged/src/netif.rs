//! The machine's network addresses, as the console screen shows them:
//! every address of every interface that is up, loopback left out.
//!
//! Read with `getifaddrs(3)` on the machine. `--sim` reads a fixture
//! instead ([`SIM_ADDRESSES`] under the simulated root, one `interface
//! address/prefix` per line), or, without one, shows the addresses QEMU's
//! user networking gives the test VM it simulates: the host's own
//! addresses are not the simulated machine's.

use std::ffi::CStr;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// The `--sim` fixture of addresses, below the simulated root.
pub const SIM_ADDRESSES: &str = "etc/ironstor-sim/addresses";
/// What `--sim` shows without a fixture: QEMU user networking's guest.
pub const SIM_DEFAULT: &str = "ens3 10.0.2.15/24\nens3 fec0::5054:ff:fe12:3456/64\n";

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddress {
    pub interface: String,
    pub address: IpAddr,
    /// The netmask's length in bits.
    pub prefix: u8,
}

#[derive(Debug, thiserror::Error)]
pub enum NetifError {
    #[error("cannot list the network interfaces (getifaddrs)")]
    List(#[source] io::Error),
    #[error("cannot read {}", .path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}, line {line}: expected `interface address/prefix`, found {text:?}", .path.display())]
    Parse {
        path: std::path::PathBuf,
        line: usize,
        text: String,
    },
}

/// The addresses of the interfaces that are up, loopback left out, in the
/// kernel's order.
pub fn up_addresses() -> Result<Vec<IfAddress>, NetifError> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list it allocates, or
    // fails and leaves it untouched; it is freed below exactly once.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Err(NetifError::List(io::Error::last_os_error()));
    }
    let mut found = Vec::new();
    let mut next = list;
    while !next.is_null() {
        // SAFETY: `next` is a node of the list getifaddrs returned, alive
        // until freeifaddrs.
        let entry = unsafe { &*next };
        next = entry.ifa_next;
        let flags = entry.ifa_flags;
        let up = flags & libc::IFF_UP as libc::c_uint != 0;
        let loopback = flags & libc::IFF_LOOPBACK as libc::c_uint != 0;
        if !up || loopback || entry.ifa_addr.is_null() || entry.ifa_name.is_null() {
            continue;
        }
        // SAFETY: both point into the live list (checked non-null above);
        // the netmask is read only when present.
        let (address, mask) = unsafe { (ip_of(entry.ifa_addr), ip_of(entry.ifa_netmask)) };
        let Some(address) = address else { continue };
        // SAFETY: a NUL-terminated name inside the live list.
        let interface = unsafe { CStr::from_ptr(entry.ifa_name) }
            .to_string_lossy()
            .into_owned();
        let prefix = mask.map_or(0, prefix_of);
        found.push(IfAddress {
            interface,
            address,
            prefix,
        });
    }
    // SAFETY: the list getifaddrs returned, freed once; nothing refers to
    // it any more (names were copied).
    unsafe { libc::freeifaddrs(list) };
    Ok(found)
}

/// The IP address in a `sockaddr`, for the IPv4 and IPv6 families.
///
/// # Safety
/// `addr` is null or points to a valid `sockaddr` of its family's size.
unsafe fn ip_of(addr: *const libc::sockaddr) -> Option<IpAddr> {
    if addr.is_null() {
        return None;
    }
    match i32::from((*addr).sa_family) {
        libc::AF_INET => {
            let v4 = &*(addr as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr))))
        }
        libc::AF_INET6 => {
            let v6 = &*(addr as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

/// The length of a netmask (its leading ones).
fn prefix_of(mask: IpAddr) -> u8 {
    let ones = match mask {
        IpAddr::V4(m) => u32::from(m).leading_ones(),
        IpAddr::V6(m) => u128::from(m).leading_ones(),
    };
    u8::try_from(ones).expect("at most 128")
}

/// `--sim`'s addresses: the fixture under `root`, or [`SIM_DEFAULT`].
pub fn sim_addresses(root: &Path) -> Result<Vec<IfAddress>, NetifError> {
    let path = root.join(SIM_ADDRESSES);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => SIM_DEFAULT.to_string(),
        Err(source) => return Err(NetifError::Read { path, source }),
    };
    parse_fixture(&text).map_err(|(line, text)| NetifError::Parse { path, line, text })
}

/// `interface address/prefix` lines; blank lines and `#` comments skipped.
/// The error is the 1-based line and its text.
pub fn parse_fixture(text: &str) -> Result<Vec<IfAddress>, (usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let parsed = trimmed
            .split_once(char::is_whitespace)
            .and_then(|(name, cidr)| {
                let (address, prefix) = cidr.trim().split_once('/')?;
                let address: IpAddr = address.parse().ok()?;
                let prefix: u8 = prefix.parse().ok()?;
                let max = if address.is_ipv4() { 32 } else { 128 };
                (prefix <= max).then(|| IfAddress {
                    interface: name.to_string(),
                    address,
                    prefix,
                })
            });
        match parsed {
            Some(a) => found.push(a),
            None => return Err((i + 1, line.to_string())),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks_become_prefix_lengths() {
        assert_eq!(prefix_of("255.255.255.0".parse().unwrap()), 24);
        assert_eq!(prefix_of("255.255.0.0".parse().unwrap()), 16);
        assert_eq!(prefix_of("ffff:ffff:ffff:ffff::".parse().unwrap()), 64);
    }

    #[test]
    fn the_machines_list_has_no_loopback() {
        let found = up_addresses().unwrap();
        assert!(found.iter().all(|a| !a.address.is_loopback()), "{found:?}");
    }

    #[test]
    fn fixtures_parse_and_bad_lines_are_named() {
        let found = parse_fixture(SIM_DEFAULT).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].interface, "ens3");
        assert_eq!(found[0].address, IpAddr::from([10, 0, 2, 15]));
        assert_eq!(found[0].prefix, 24);
        assert_eq!(found[1].prefix, 64);
        assert_eq!(
            parse_fixture("# c\n\neth0 10.0.0.1/33\n"),
            Err((3, "eth0 10.0.0.1/33".to_string()))
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SIM_ADDRESSES);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "eth1 192.168.7.2/24\n").unwrap();
        let found = sim_addresses(dir.path()).unwrap();
        assert_eq!(found[0].interface, "eth1");
    }
}
