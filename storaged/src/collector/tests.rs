//! The collector on the fixture machine (`--sim`'s QEMU test VM): what a
//! sample holds there, one sample shared by every reader, and rest when
//! nobody looks.

use std::sync::Arc;
use std::time::Duration;

use super::sampler::Sampler;
use super::{Collector, Timing};
use crate::config::Config;
use crate::engine::Machine;
use crate::platform::Platform;

fn sim_machine(dir: &std::path::Path) -> Arc<Machine> {
    let config = Config::sim_in(dir);
    for d in [&config.state_dir, &config.runtime_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let platform = Platform::detect(&config.roots.root);
    Arc::new(config.machine(platform).unwrap())
}

#[test]
fn a_sample_of_the_fixture_machine() {
    let dir = tempfile::tempdir().unwrap();
    let machine = sim_machine(dir.path());
    let mut sampler = Sampler::default();
    let first = sampler.sample(&machine);
    assert_eq!(first.interval_ms, None);
    let nvme: Vec<_> = first
        .drives
        .iter()
        .filter(|d| d.kernel_name.starts_with("nvme"))
        .collect();
    assert_eq!(nvme.len(), 4, "{:?}", first.drives);
    assert!(
        nvme.iter().all(|d| d.temperature_celsius.is_some()),
        "{nvme:?}"
    );
    assert!(first.drives.iter().all(|d| !d.verdict.is_empty()));
    assert!(first.pools.is_empty());
    assert_eq!(first.sessions.smb, Some(0));
    let second = sampler.sample(&machine);
    assert!(second.interval_ms.is_some());
    assert!(second.at_ms >= first.at_ms);
}

fn quick() -> Timing {
    Timing {
        interval: Duration::from_millis(30),
        idle_after: Duration::from_millis(200),
    }
}

#[tokio::test]
async fn every_reader_gets_the_same_sample() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Collector::with_timing(sim_machine(dir.path()), quick());
    let mut readers: Vec<_> = (0..5).map(|_| collector.subscribe()).collect();
    for r in &mut readers {
        tokio::time::timeout(Duration::from_secs(10), r.changed())
            .await
            .unwrap()
            .unwrap();
    }
    // Wait for a sample that every reader has as its newest.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let samples: Vec<_> = readers
        .iter_mut()
        .map(|r| r.borrow_and_update().clone().unwrap())
        .collect();
    let same = samples
        .windows(2)
        .filter(|w| Arc::ptr_eq(&w[0], &w[1]))
        .count();
    // At most one new sample can land between the borrows.
    assert!(same >= 3, "the readers got different samples");
    let latest = collector.latest(Duration::from_secs(10)).await.unwrap();
    assert!(latest.at_ms >= samples[0].at_ms);
}

#[tokio::test]
async fn it_rests_when_nobody_looks() {
    let dir = tempfile::tempdir().unwrap();
    let collector = Collector::with_timing(sim_machine(dir.path()), quick());
    let first = collector.latest(Duration::from_secs(10)).await.unwrap();
    assert!(collector.busy());
    // Past the idle window, and a little more for the sample in flight.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!collector.busy());
    let rested = collector.0.samples.borrow().clone().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = collector.0.samples.borrow().clone().unwrap();
    assert!(Arc::ptr_eq(&rested, &still), "it sampled while idle");
    assert!(rested.at_ms >= first.at_ms);

    // A reader wakes it: a fresh sample comes.
    let mut reader = collector.subscribe();
    tokio::time::timeout(Duration::from_secs(10), reader.changed())
        .await
        .unwrap()
        .unwrap();
    let woken = reader.borrow().clone().unwrap();
    assert!(woken.at_ms > still.at_ms);
}
