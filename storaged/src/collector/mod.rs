//! The collector: the one place storaged samples the machine for people
//! and programs that watch it (the dashboard now; the monitor and the
//! metrics later read it too, rather than polling again).
//!
//! One background task takes a [`Sample`] every [`Timing::interval`]
//! (2 s), however many readers there are, and publishes it on a `watch`
//! channel: [`Collector::subscribe`] for a stream (each dashboard's SSE
//! connection), [`Collector::latest`] for one sample. When nobody has
//! subscribed or asked for [`Timing::idle_after`] (60 s), the task stops
//! sampling until someone does, so an idle appliance spends nothing on it.
//!
//! The reading itself ([`sampler`]) runs on the blocking pool; its parsers
//! ([`procfs`], [`net`], [`temps`]) take text or a sysfs root, so tests
//! point them at fixtures, and `--sim` at the fixture machine's roots.

mod net;
mod procfs;
mod sample;
mod sampler;
mod temps;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Notify};

use crate::engine::Machine;

pub use sample::{Arc as ArcStats, Cpu, Drive, Memory, Nic, Pool, Sample, Scrub, Sessions};

/// How often the collector samples, and when it rests.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub interval: Duration,
    /// Sampling stops this long after the last reader left.
    pub idle_after: Duration,
}

impl Timing {
    pub const DEFAULT: Timing = Timing {
        interval: Duration::from_secs(2),
        idle_after: Duration::from_secs(60),
    };
}

/// A handle on the one collector; cheap to clone.
#[derive(Clone)]
pub struct Collector(Arc<Inner>);

struct Inner {
    machine: Arc<Machine>,
    timing: Timing,
    samples: watch::Sender<Option<Arc<Sample>>>,
    /// When [`Collector::latest`] last asked.
    asked: Mutex<Instant>,
    wake: Notify,
    started: AtomicBool,
    /// Set when the daemon stops: streams end, sampling ends.
    closing: watch::Sender<bool>,
}

/// No sample came in time (the blocking pool is saturated, or sampling
/// hangs on a program).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no sample of the machine within {waited_ms} ms")]
pub struct NoSample {
    pub waited_ms: u64,
}

impl Collector {
    pub fn new(machine: Arc<Machine>) -> Collector {
        Collector::with_timing(machine, Timing::DEFAULT)
    }

    pub fn with_timing(machine: Arc<Machine>, timing: Timing) -> Collector {
        Collector(Arc::new(Inner {
            machine,
            timing,
            samples: watch::Sender::new(None),
            asked: Mutex::new(Instant::now()),
            wake: Notify::new(),
            started: AtomicBool::new(false),
            closing: watch::Sender::new(false),
        }))
    }

    pub fn timing(&self) -> Timing {
        self.0.timing
    }

    /// Each new sample, as long as the receiver lives (which keeps the
    /// collector sampling). The current one, if any, is already marked
    /// seen: wait with `changed()`, or read `borrow()` first.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Sample>>> {
        let receiver = self.0.samples.subscribe();
        self.start();
        self.0.wake.notify_one();
        receiver
    }

    /// The newest sample, fresh (younger than two intervals): the one in
    /// hand, else the next, waiting at most `wait`.
    pub async fn latest(&self, wait: Duration) -> Result<Arc<Sample>, NoSample> {
        *self.0.asked.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let mut receiver = self.0.samples.subscribe();
        let fresh = |s: &Option<Arc<Sample>>| {
            s.as_ref()
                .filter(|s| age_ms(s) <= 2 * self.0.timing.interval.as_millis() as u64)
                .cloned()
        };
        if let Some(sample) = fresh(&receiver.borrow_and_update()) {
            return Ok(sample);
        }
        self.start();
        self.0.wake.notify_one();
        let next = tokio::time::timeout(wait, receiver.changed()).await;
        let sample = receiver.borrow().clone();
        match (next, sample) {
            (Ok(Ok(())), Some(sample)) => Ok(sample),
            _ => Err(NoSample {
                waited_ms: wait.as_millis() as u64,
            }),
        }
    }

    /// Ends every stream ([`Collector::closed`] resolves) and the task: the
    /// daemon is stopping.
    pub fn close(&self) {
        self.0.closing.send_replace(true);
        self.0.wake.notify_one();
    }

    /// Resolves once [`Collector::close`] was called: a stream's reader
    /// selects on it to end.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.0.closing.subscribe();
        async move {
            let _ = closing.wait_for(|c| *c).await;
        }
    }

    /// Whether the task is sampling now (a reader is there or asked
    /// lately), for tests.
    pub fn busy(&self) -> bool {
        self.0.wanted()
    }

    /// Starts the one task, on first use (so it runs on the daemon's
    /// runtime, whoever built the handle).
    fn start(&self) {
        if !self.0.started.swap(true, Ordering::SeqCst) {
            tokio::spawn(run(Arc::clone(&self.0)));
        }
    }
}

impl Inner {
    fn wanted(&self) -> bool {
        let asked = *self.asked.lock().unwrap_or_else(|e| e.into_inner());
        self.samples.receiver_count() > 0 || asked.elapsed() < self.timing.idle_after
    }
}

fn age_ms(sample: &Sample) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    now.saturating_sub(sample.at_ms)
}

/// The task: sample while wanted, rest otherwise. Ends when every handle
/// is gone (only this task's own reference is left).
async fn run(inner: Arc<Inner>) {
    let mut sampler = Some(sampler::Sampler::default());
    let mut ticks = tokio::time::interval(inner.timing.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if Arc::strong_count(&inner) == 1 || *inner.closing.borrow() {
            return;
        }
        if !inner.wanted() {
            // Wake on a new reader, or look again now and then: the last
            // `latest` may have been just inside the idle window.
            let _ = tokio::time::timeout(inner.timing.idle_after, inner.wake.notified()).await;
            ticks.reset_immediately();
            continue;
        }
        ticks.tick().await;
        let machine = Arc::clone(&inner.machine);
        let mut taken = sampler.take().unwrap_or_default();
        let done = tokio::task::spawn_blocking(move || {
            let sample = taken.sample(&machine);
            (taken, sample)
        })
        .await;
        match done {
            Ok((back, sample)) => {
                sampler = Some(back);
                inner.samples.send_replace(Some(Arc::new(sample)));
            }
            // A panic in a reader: start over with no history.
            Err(e) => eprintln!("storaged: sampling the machine failed: {e}"),
        }
    }
}
