//! Who may mount an export: a network in CIDR form, one host, or (only when
//! asked for in so many words) everyone.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One entry of an export's client list, as `exports(5)` spells it.
///
/// In JSON it is a plain string: `"192.168.10.0/24"`, `"10.0.0.21"`,
/// `"esx1.lan"`, `"fd00:10::/64"`, or `"*"` for every client.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub enum Client {
    /// `*`: any host that can reach the server. Never a default.
    Any,
    /// A network; the address has no host bits set.
    Network { addr: IpAddr, prefix: u8 },
    /// One address.
    Address(IpAddr),
    /// One host by DNS name (RFC 1123 labels, no wildcards).
    Host(String),
}

/// Why a client string was refused; the message quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid client {value:?}: {reason}")]
pub struct ClientError {
    pub value: String,
    pub reason: String,
}

impl FromStr for Client {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Self, ClientError> {
        let bad = |reason: &str| ClientError {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        if s == "*" {
            return Ok(Client::Any);
        }
        if let Some((addr, prefix)) = s.split_once('/') {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| bad("the part before / is not an IPv4 or IPv6 address"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max).ok_or_else(|| {
                bad(&format!(
                    "the prefix length must be a number from 0 to {max}"
                ))
            })?;
            let network = mask(addr, prefix);
            if network != addr {
                return Err(bad(&format!(
                    "host bits are set; the network is {network}/{prefix}"
                )));
            }
            return Ok(Client::Network { addr, prefix });
        }
        if let Ok(addr) = s.parse::<IpAddr>() {
            return Ok(Client::Address(addr));
        }
        check_hostname(s).map_err(bad)?;
        Ok(Client::Host(s.to_ascii_lowercase()))
    }
}

/// `addr` with every bit past `prefix` cleared.
fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & m).into())
        }
    }
}

fn check_hostname(s: &str) -> Result<(), &'static str> {
    if s.contains('*') || s.contains('?') {
        return Err("wildcards are not supported; use a network, or \"*\" alone for every client");
    }
    if s.starts_with('@') {
        return Err("NIS netgroups are not supported");
    }
    if s.is_empty() || s.len() > 253 {
        return Err("a host name must be 1-253 characters");
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !s.split('.').all(label_ok) {
        return Err("not an address, a network in CIDR form (a.b.c.d/n) or a host name");
    }
    Ok(())
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Client::Any => f.write_str("*"),
            Client::Network { addr, prefix } => write!(f, "{addr}/{prefix}"),
            Client::Address(addr) => write!(f, "{addr}"),
            Client::Host(name) => f.write_str(name),
        }
    }
}

impl TryFrom<String> for Client {
    type Error = ClientError;
    fn try_from(s: String) -> Result<Self, ClientError> {
        s.parse()
    }
}

impl From<Client> for String {
    fn from(c: Client) -> String {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_networks_addresses_hosts_and_any() {
        for (s, shown) in [
            ("192.168.10.0/24", "192.168.10.0/24"),
            ("10.0.0.21", "10.0.0.21"),
            ("ESX1.lan", "esx1.lan"),
            ("fd00:10::/64", "fd00:10::/64"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("*", "*"),
        ] {
            let c: Client = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(c.to_string(), shown);
        }
    }

    #[test]
    fn refuses_bad_cidr_and_wildcards_with_reasons() {
        for (s, reason) in [
            (
                "192.168.10.5/24",
                "host bits are set; the network is 192.168.10.0/24",
            ),
            (
                "192.168.10.0/33",
                "prefix length must be a number from 0 to 32",
            ),
            ("192.168.10.0/", "prefix length"),
            ("300.1.1.0/24", "not an IPv4 or IPv6 address"),
            ("*.lan", "wildcards are not supported"),
            ("@esx", "netgroups"),
            ("bad host", "not an address"),
            ("", "1-253 characters"),
        ] {
            let err = s.parse::<Client>().unwrap_err().to_string();
            assert!(err.contains(reason), "{s:?}: {err}");
        }
    }
}
