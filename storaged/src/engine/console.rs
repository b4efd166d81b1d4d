//! The console screen's facts, and the machine's power: what the screen on
//! tty1 and the serial console shows (addresses, the HTTPS URL and the
//! certificate's fingerprint, the setup token until it is used, health,
//! open alerts, the running slot) and the reboot and shut-down it offers.
//!
//! Reading the facts is cheap enough to do every two seconds per console:
//! `getifaddrs`, two small files, the state file and one `zpool list`.

use std::net::IpAddr;
use std::sync::Arc;

use crate::auth::Auth;
use crate::netif::{self, IfAddress};
use crate::runner::{CommandLine, Program};
use crate::tls::CertStore;

use super::{pools, EngineError, Machine};

/// Where the HTTPS listener is, for the URLs and the fingerprint.
#[derive(Debug, Clone)]
pub struct HttpsEndpoint {
    /// The port bound (443 on an appliance).
    pub port: u16,
    /// The certificate the listener serves, as it serves it: one replaced
    /// through the API shows at once, and nothing is read from disk.
    pub certificate: Arc<CertStore>,
}

/// A pool as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolHealth {
    pub name: String,
    /// `ONLINE`, `DEGRADED`..., or `NOT IMPORTED` for a declared pool
    /// `zpool` does not show.
    pub health: String,
}

/// Everything the console screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub hostname: String,
    pub addresses: Vec<IfAddress>,
    pub https_urls: Vec<String>,
    pub certificate_fingerprint_sha256: Option<String>,
    pub setup_required: bool,
    /// Only when the caller may see it (see [`facts`]).
    pub setup_token: Option<String>,
    pub pools: Vec<PoolHealth>,
    /// What is wrong, in words: a pool not healthy, a fact not readable.
    pub problems: Vec<String>,
    pub open_alerts: u32,
    pub version: String,
    pub image_version: Option<String>,
    pub slot: Option<String>,
}

/// The console's facts. `show_token`: the caller is on the appliance (the
/// local socket), where the token is as visible as on the screen anyway;
/// over the network it is never shown.
pub fn facts(
    machine: &Machine,
    auth: &Auth,
    https: Option<&HttpsEndpoint>,
    show_token: bool,
) -> Facts {
    let mut problems = Vec::new();
    let addresses = match addresses(machine) {
        Ok(found) => found,
        Err(e) => {
            problems.push(crate::util::error_chain(&e));
            Vec::new()
        }
    };
    let https_urls = https.map_or_else(Vec::new, |h| urls(&addresses, h.port));
    let certificate_fingerprint_sha256 = https.map(|h| h.certificate.info().fingerprint_sha256);
    let pools = match pools::list(machine) {
        Ok(seen) => pool_health(&seen),
        Err(e) => {
            problems.push(format!(
                "cannot list the pools: {}",
                crate::util::error_chain(&e)
            ));
            Vec::new()
        }
    };
    problems.extend(
        pools
            .iter()
            .filter(|p| p.health != "ONLINE")
            .map(|p| format!("pool {} is {}", p.name, p.health)),
    );
    let setup_required = auth.setup_required();
    let platform = &machine.platform;
    Facts {
        hostname: hostname(machine),
        addresses,
        https_urls,
        certificate_fingerprint_sha256,
        setup_required,
        setup_token: if show_token && setup_required {
            auth.setup_token()
        } else {
            None
        },
        pools,
        problems,
        // The alerts issue fills this in; nothing raises alerts yet.
        open_alerts: 0,
        version: env!("CARGO_PKG_VERSION").to_string(),
        image_version: platform.image_version.clone(),
        slot: platform.slot.map(|s| s.name().to_string()),
    }
}

/// The kernel's host name under the machine's root (`--sim`: the fixture's,
/// when it has one), else `/etc/hostname`.
fn hostname(machine: &Machine) -> String {
    let root = &machine.roots.root;
    ["proc/sys/kernel/hostname", "etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(root.join(p)).ok())
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "(unknown)".to_string())
}

fn addresses(machine: &Machine) -> Result<Vec<IfAddress>, netif::NetifError> {
    if machine.sim {
        netif::sim_addresses(&machine.roots.root)
    } else {
        netif::up_addresses()
    }
}

/// `https://<addr>[:port]/` for each address a browser can use: IPv6
/// link-local ones need a zone a URL cannot carry, so they are left out.
pub fn urls(addresses: &[IfAddress], port: u16) -> Vec<String> {
    let port = if port == 443 {
        String::new()
    } else {
        format!(":{port}")
    };
    let mut urls: Vec<String> = addresses
        .iter()
        .filter_map(|a| match a.address {
            IpAddr::V4(v4) => Some(format!("https://{v4}{port}/")),
            IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => None,
            IpAddr::V6(v6) => Some(format!("https://[{v6}]{port}/")),
        })
        .collect();
    urls.dedup();
    urls
}

fn pool_health(seen: &pools::Seen) -> Vec<PoolHealth> {
    let mut found: Vec<PoolHealth> = seen
        .imported
        .iter()
        .map(|row| PoolHealth {
            name: row.name.clone(),
            health: row.health.to_string(),
        })
        .collect();
    for declared in &seen.declared {
        let name = declared.name.to_string();
        if !found.iter().any(|p| p.name == name) {
            found.push(PoolHealth {
                name,
                health: "NOT IMPORTED".to_string(),
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// A new setup token while no admin password is set.
pub fn renew_setup_token(auth: &Auth) -> Result<String, EngineError> {
    Ok(auth.renew_setup_token()?)
}

/// What the machine is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    Reboot,
    Shutdown,
}

impl Power {
    pub fn verb(self) -> &'static str {
        match self {
            Power::Reboot => "reboot",
            Power::Shutdown => "poweroff",
        }
    }
}

/// Asks systemd for a clean reboot or power-off, through the machine's
/// runner: under `--sim` that is the fake, which runs nothing on the host.
pub fn power(machine: &Machine, what: Power) -> Result<(), EngineError> {
    machine
        .runner
        .run(&CommandLine::new(Program::Systemctl, [what.verb()]))
        .map(drop)
        .map_err(|source| EngineError::Power {
            verb: what.verb(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(interface: &str, address: &str, prefix: u8) -> IfAddress {
        IfAddress {
            interface: interface.into(),
            address: address.parse().unwrap(),
            prefix,
        }
    }

    #[test]
    fn urls_bracket_ipv6_name_odd_ports_and_skip_link_local() {
        let found = [
            at("eth0", "192.168.1.20", 24),
            at("eth0", "fe80::1", 64),
            at("eth0", "2001:db8::20", 64),
        ];
        assert_eq!(
            urls(&found, 443),
            ["https://192.168.1.20/", "https://[2001:db8::20]/"]
        );
        assert_eq!(urls(&found[..1], 8443), ["https://192.168.1.20:8443/"]);
    }
}
