//! What one client may hold of the HTTPS listener: how long a request body
//! may stall, and how many connections one address may keep open. Without
//! these, connections that send a request's headers and then stall in the
//! body hold their slot for ever, and a few hundred of them from one
//! address starve everyone else, the admin included.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::time::Sleep;

use crate::auth::client_key;

/// The listener's limits; [`Limits::default`] is what `storaged` uses,
/// tests shorten the timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A request body that delivers nothing for this long fails and its
    /// connection is closed. On no progress, not on total time: a bundle
    /// upload is large and may be slow, but it keeps moving.
    pub body_idle_timeout: Duration,
    /// Connections one client address (an IPv6 /64) may hold on the HTTPS
    /// listener; more are closed as soon as accepted. A browser keeps a
    /// few live (dashboard stream, page loads): at least 32.
    pub connections_per_address: usize,
    /// A client that has not sent a request's headers by then is dropped:
    /// the first request's, and the next one's on a kept-alive connection.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_idle_timeout: Duration::from_secs(30),
            connections_per_address: 48,
            header_timeout: Duration::from_secs(30),
        }
    }
}

/// Open connections per client key.
#[derive(Debug, Default)]
pub struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; un-counts itself when dropped.
#[derive(Debug)]
pub struct Slot {
    table: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    /// Counts a new connection from `ip`, or `None` when its address
    /// already holds `cap`.
    pub fn admit(table: &Arc<PerAddress>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let key = client_key(ip);
        let mut open = table.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(Slot {
            table: Arc::clone(table),
            key,
        })
    }

    #[cfg(test)]
    pub fn open(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&client_key(ip)).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// The body stalled longer than [`Limits::body_idle_timeout`].
#[derive(Debug, thiserror::Error)]
#[error("the request body sent nothing for {} s", .0.as_secs())]
pub struct BodyStalled(pub Duration);

/// A request body that fails when it delivers nothing for `idle`. The
/// clock runs only while someone waits for the body, so a handler that
/// reads late is not punished; any frame restarts it.
pub struct IdleBody<B> {
    inner: B,
    idle: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<B> IdleBody<B> {
    pub fn new(inner: B, idle: Duration) -> IdleBody<B> {
        IdleBody {
            inner,
            idle,
            waiting: None,
        }
    }
}

impl<B> Body for IdleBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let timer = this
                    .waiting
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_address_is_refused_until_a_slot_is_given_back() {
        let table = Arc::new(PerAddress::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let mut slots: Vec<Slot> = (0..3)
            .map(|_| PerAddress::admit(&table, ip, 3).unwrap())
            .collect();
        assert!(PerAddress::admit(&table, ip, 3).is_none());
        assert!(PerAddress::admit(&table, other, 3).is_some());
        slots.pop();
        assert_eq!(table.open(ip), 2);
        assert!(PerAddress::admit(&table, ip, 3).is_some());
        drop(slots);
        assert_eq!(table.open(ip), 0);
    }
}
