//! Reconcile benchmark: 100 declared zvols and 20 datasets on one pool,
//! reconciled against the fake `zpool`/`zfs` from a fresh boot (import,
//! then every creation) and again once everything exists (reads only).
//! Prints figures; asserts nothing. Run through `bench/reconcile.sh`.
//!
//! The fake answers in microseconds where the real tools take milliseconds
//! per command, so these figures are storaged's own cost (planning,
//! parsing, bookkeeping) plus the fake's, and the command counts are what
//! to multiply by the real per-command time.
//!
//! Usage: `cargo run --release -p storaged --example reconcile [ROUNDS]`

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use storaged::names::DiskId;
use storaged::reconcile::{self, ActionResult, ReconcileReport};
use storaged::state::{self, Dataset, DatasetProps, DesiredState, Layout, Pool, Volume};
use storaged::zfs::fake::FakeZfs;
use storaged::zfs::{self, PoolSpec};

const DATASETS: usize = 20;
const VOLUMES: usize = 100;
const MOUNT_BASE: &str = "/var/mnt";

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("ROUNDS is a number"))
        .unwrap_or(20);
    let desired = declared();

    let mut fresh = Vec::new();
    let mut again = Vec::new();
    let mut planning = Vec::new();
    let mut observing = Vec::new();
    let mut counts = None;
    for _ in 0..rounds {
        let fake = machine(&desired);
        fake.simulate_reboot();
        fake.clear_commands();

        let start = Instant::now();
        let first = reconcile::reconcile(&fake, &desired, Path::new(MOUNT_BASE));
        fresh.push(start.elapsed());
        check(&first, 1 + DATASETS + VOLUMES);
        let fresh_commands = fake.commands().len();
        fake.clear_commands();

        let start = Instant::now();
        let second = reconcile::reconcile(&fake, &desired, Path::new(MOUNT_BASE));
        again.push(start.elapsed());
        check(&second, 0);
        assert_eq!(second.unchanged, 1 + DATASETS + VOLUMES);
        counts = Some((
            first.actions.len(),
            first.passes,
            fresh_commands,
            second.passes,
            fake.commands().len(),
        ));

        let start = Instant::now();
        let observed = reconcile::observe(&fake, &desired).expect("observe");
        observing.push(start.elapsed());
        let start = Instant::now();
        let plan = state::plan(&desired, &observed);
        planning.push(start.elapsed());
        assert!(plan.actions.is_empty());
    }
    let (actions, fresh_passes, fresh_commands, again_passes, again_commands) =
        counts.expect("at least one round");
    let objects = 1 + DATASETS + VOLUMES;

    println!(
        "reconcile bench: 1 pool, {DATASETS} datasets, {VOLUMES} zvols, FakeZfs, median of {rounds} rounds"
    );
    let fresh = median(&mut fresh);
    let again = median(&mut again);
    println!(
        "  fresh boot     {:>9}  {actions} actions in {fresh_passes} passes, {fresh_commands} commands; {} per action",
        ms(fresh),
        us(fresh / actions as u32),
    );
    println!(
        "  all in place   {:>9}  0 actions in {again_passes} pass, {again_commands} commands; {} per declared object",
        ms(again),
        us(again / objects as u32),
    );
    println!(
        "  observe only   {:>9}  (zpool list + zfs list -r, the fake's answer and its parsing)",
        ms(median(&mut observing)),
    );
    println!(
        "  planning only  {:>9}  (state::plan over the converged observation)",
        ms(median(&mut planning)),
    );
}

/// Pool tank, datasets tank/ds00..ds19, five 8 GiB zvols in each.
fn declared() -> DesiredState {
    let disks: Vec<DiskId> = (0..4)
        .map(|i| format!("nvme-BENCH_{i:04}").parse().unwrap())
        .collect();
    let mut state = DesiredState::default()
        .add_pool(Pool {
            name: "tank".parse().unwrap(),
            layout: Layout::Raidz1,
            vdevs: vec![storaged::state::PoolVdev { disks }],
            forced: BTreeSet::new(),
            created_unix: 1_750_000_000,
        })
        .unwrap();
    for d in 0..DATASETS {
        state = state
            .add_dataset(Dataset {
                name: format!("tank/ds{d:02}").parse().unwrap(),
                properties: DatasetProps::default(),
            })
            .unwrap();
    }
    for v in 0..VOLUMES {
        let name = format!("tank/ds{:02}/lun{v:03}", v % DATASETS);
        state = state
            .add_volume(Volume::new(name.parse().unwrap(), 8 << 30))
            .unwrap();
    }
    state
}

/// The declared pool made on a fake, empty, as the API leaves it.
fn machine(desired: &DesiredState) -> FakeZfs {
    let pool = &desired.pools()[0];
    let fake = FakeZfs::with_disks(pool.disks().iter().map(DiskId::as_str), 2 << 40);
    zfs::create_pool(
        &fake,
        &PoolSpec {
            name: pool.name.clone(),
            layout: pool.layout,
            vdevs: pool.vdev_disks(),
            mount_base: MOUNT_BASE.into(),
            force: false,
        },
    )
    .expect("create the pool");
    fake
}

fn check(report: &ReconcileReport, actions: usize) {
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(report.actions.len(), actions);
    assert!(report
        .actions
        .iter()
        .all(|e| matches!(e.result, ActionResult::Done { .. })));
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
