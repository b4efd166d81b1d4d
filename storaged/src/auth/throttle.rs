//! Failed attempts, counted per client address. One address guessing
//! passwords slows only itself: the admin logging in from another address
//! is never refused because of it. The local socket is never counted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::AuthError;

/// Failed attempts allowed per address per window before more are refused.
pub const MAX_FAILURES: usize = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most: bounds memory whatever arrives. When
/// full, the address whose last failure is oldest is forgotten.
const MAX_TRACKED: usize = 4096;

/// The key a client is counted under: its IPv4 address, or the /64 of its
/// IPv6 one (one host usually owns a whole /64, so single IPv6 addresses
/// would bound nothing).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    }
}

/// Recent failures per client key.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Throttle {
    /// Refuses `client` while it has too many recent failures.
    pub fn check(&mut self, client: IpAddr, now: Instant) -> Result<(), AuthError> {
        let key = client_key(client);
        let Some(times) = self.failures.get_mut(&key) else {
            return Ok(());
        };
        forget_old(times, now);
        if times.is_empty() {
            self.failures.remove(&key);
            return Ok(());
        }
        if times.len() >= MAX_FAILURES {
            let oldest = *times.front().expect("not empty");
            return Err(AuthError::Throttled {
                retry_after: FAILURE_WINDOW.saturating_sub(now.saturating_duration_since(oldest)),
            });
        }
        Ok(())
    }

    /// Counts a failure of `client`.
    pub fn fail(&mut self, client: IpAddr, now: Instant) {
        let key = client_key(client);
        if !self.failures.contains_key(&key) && self.failures.len() >= MAX_TRACKED {
            self.failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
            if self.failures.len() >= MAX_TRACKED {
                let stalest = self
                    .failures
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(k, _)| *k);
                if let Some(stalest) = stalest {
                    self.failures.remove(&stalest);
                }
            }
        }
        let times = self.failures.entry(key).or_default();
        times.push_back(now);
        // Only the last MAX_FAILURES matter for the verdict.
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }
}

fn forget_old(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= FAILURE_WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn one_address_failing_does_not_throttle_another() {
        let mut t = Throttle::default();
        let (bad, good): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES * 3 {
            t.fail(bad, t0);
        }
        assert!(matches!(t.check(bad, t0), Err(AuthError::Throttled { .. })));
        t.check(good, t0).unwrap();
        t.check(bad, t0 + FAILURE_WINDOW).unwrap();
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Throttle::default();
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 100) {
            t.fail(IpAddr::V4(i.into()), t0);
        }
        assert!(t.failures.len() <= MAX_TRACKED);
    }
}
