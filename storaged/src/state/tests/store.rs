//! The state file on disk (fixture: temp dirs) and its migrations.

use std::fs;
use std::path::Path;

use serde_json::json;

use super::*;
use crate::state::migrate::{known_migrations, migrate};
use crate::state::store::{HISTORY_DIR, STATE_FILE};
use crate::state::{LoadError, MigrateError, Outcome, SaveError, StateStore, HISTORY_KEEP};

const V1: &str = include_str!("fixtures/state-v1.json");

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn state_store_missing_file_is_empty_state() {
    let tmp = tempfile::tempdir().unwrap();
    let store = StateStore::new(tmp.path().join("not-yet"));
    let loaded = store.load().unwrap();
    assert_eq!(loaded.state, DesiredState::default());
    assert!(!loaded.file_existed);
    assert!(loaded.migrations.is_empty());
}

#[test]
fn state_store_round_trips_and_reports_outcomes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path().join("storaged"));
    let state = sample_state();
    assert_eq!(store.save(&state).unwrap(), Outcome::Created);
    assert_eq!(store.save(&state).unwrap(), Outcome::Unchanged);
    let loaded = store.load().unwrap();
    assert_eq!(loaded.state, state);
    assert!(loaded.file_existed);
    assert!(loaded.migrations.is_empty());

    let smaller = state.remove_volume(&dn("tank/vm/esx")).unwrap();
    assert_eq!(store.save(&smaller).unwrap(), Outcome::Updated);
    assert_eq!(store.load().unwrap().state, smaller);
    assert_eq!(
        fs::read_to_string(store.state_path()).unwrap(),
        smaller.to_json()
    );
}

#[test]
fn state_store_atomic_write_leaves_no_temp_files_and_keeps_history() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path());
    let mut versions = Vec::new();
    let mut state = sample_state();
    for i in 0..(HISTORY_KEEP + 3) {
        state = state
            .add_dataset(dataset(&format!("tank/d{i:02}")))
            .unwrap();
        store.save(&state).unwrap();
        versions.push(state.to_json());
        // The first save replaces nothing, so there is no history yet.
        let expected = if i == 0 {
            vec![STATE_FILE]
        } else {
            vec![HISTORY_DIR, STATE_FILE]
        };
        assert_eq!(listing(tmp.path()), expected, "after save {i}");
    }
    let history = store.history().unwrap();
    assert_eq!(history.len(), HISTORY_KEEP);
    // 13 saves replaced 12 files, numbered 1..=12; the oldest two are pruned.
    let names: Vec<_> = history
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names.first().unwrap(), "state-3.json");
    assert_eq!(names.last().unwrap(), "state-12.json");
    for (path, expected) in history.iter().zip(&versions[2..versions.len() - 1]) {
        assert_eq!(&fs::read_to_string(path).unwrap(), expected, "{path:?}");
    }
    assert_eq!(
        fs::read_to_string(store.state_path()).unwrap(),
        *versions.last().unwrap()
    );
}

#[test]
fn state_store_removes_temp_files_a_crash_left() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path());
    fs::write(tmp.path().join(".state.json.tmp-4242-0"), "{\"half").unwrap();
    store.save(&sample_state()).unwrap();
    assert_eq!(listing(tmp.path()), [STATE_FILE]);
}

#[cfg(unix)]
#[test]
fn state_store_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path());
    store.save(&sample_state()).unwrap();
    let mode = fs::metadata(store.state_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn state_store_corrupt_file_names_file_and_position_and_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path());
    let garbage = "{\n  \"schema_version\": 2,\n  \"pools\": [\n    {\"name\": \"tank\",\n";
    fs::write(store.state_path(), garbage).unwrap();
    let err = store.load().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "state file {} is corrupt at line 5 column 0: EOF while parsing a value",
            store.state_path().display()
        )
    );
    assert!(matches!(err, LoadError::Corrupt { line: 5, .. }));

    // Saving over it is refused; the bytes stay as they were.
    let err = store.save(&sample_state()).unwrap_err();
    assert!(
        matches!(err, SaveError::Existing(LoadError::Corrupt { .. })),
        "{err:?}"
    );
    assert_eq!(fs::read_to_string(store.state_path()).unwrap(), garbage);
    assert_eq!(listing(tmp.path()), [STATE_FILE]);

    // Only an explicit reset sets it aside; then the state starts empty.
    let aside = store.reset(1_700_000_000).unwrap().unwrap();
    assert_eq!(aside, tmp.path().join("state.json.corrupt-1700000000"));
    assert_eq!(fs::read_to_string(&aside).unwrap(), garbage);
    assert_eq!(store.load().unwrap().state, DesiredState::default());
    assert_eq!(store.save(&sample_state()).unwrap(), Outcome::Created);
    assert_eq!(
        store
            .reset(1_700_000_000)
            .unwrap()
            .unwrap()
            .file_name()
            .unwrap(),
        "state.json.corrupt-1700000000.1"
    );
    assert_eq!(store.reset(1_700_000_001).unwrap(), None);
}

#[test]
fn state_store_wrong_field_is_reported_at_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    let store = StateStore::new(tmp.path());
    let text = DesiredState::default()
        .to_json()
        .replace("\"pools\": []", "\"pools\": [],\n  \"pool\": []");
    fs::write(store.state_path(), text).unwrap();
    let err = store.load().unwrap_err().to_string();
    assert!(
        err.contains("is corrupt at line 4 column 8: unknown field `pool`"),
        "{err}"
    );

    let text = sample_state()
        .to_json()
        .replace("\"bulk\"", "\"bulk;reboot\"");
    fs::write(store.state_path(), text).unwrap();
    let err = store.load().unwrap_err().to_string();
    assert!(err.contains("invalid pool name \"bulk;reboot\""), "{err}");
    assert!(err.contains(" is corrupt at line "), "{err}");
}

#[test]
fn state_store_impossible_state_is_refused_naming_file() {
    let tmp = tempfile::tempdir().unwrap();
    let store = StateStore::new(tmp.path());
    let mut doc = serde_json::to_value(sample_state()).unwrap();
    doc["pools"].as_array_mut().unwrap().remove(0); // bulk, but bulk/video stays
    fs::write(store.state_path(), doc.to_string()).unwrap();
    let err = store.load().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "state file {} declares an impossible state",
            store.state_path().display()
        )
    );
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(
        cause,
        "cannot declare bulk/video: pool bulk is not declared"
    );
}

#[test]
fn state_migration_v1_document_loads_as_current() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path());
    fs::write(store.state_path(), V1).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.migrations, known_migrations());
    assert_eq!((loaded.migrations[0].from, loaded.migrations[0].to), (1, 2));

    let state = &loaded.state;
    assert_eq!((loaded.migrations[1].from, loaded.migrations[1].to), (2, 3));
    assert_eq!((loaded.migrations[2].from, loaded.migrations[2].to), (3, 4));
    assert_eq!(state.schema_version(), 4);
    let tank = state.pool(&pn("tank")).unwrap();
    assert_eq!(tank.layout, Layout::Raidz1);
    assert_eq!(
        tank.disks()[0],
        disk("nvme-Samsung_SSD_970_EVO_1TB_S467NX0M100001")
    );
    assert_eq!(tank.disks().len(), 4);
    assert_eq!(tank.vdevs.len(), 1, "a pool before v4 had one vdev");
    assert!(tank.forced.is_empty());
    assert_eq!(
        state.pool(&pn("bulk")).unwrap().disks()[1],
        disk("ata-ST4000VN008-2DR166_ZDH1BBBB")
    );
    assert_eq!(
        state
            .volume(&dn("tank/vm/esx-datastore1"))
            .unwrap()
            .size_bytes,
        400 << 30
    );
    assert_eq!(
        state
            .dataset(&dn("bulk/video"))
            .unwrap()
            .properties
            .recordsize,
        Some(1 << 20)
    );

    // Loading never writes; the next save writes v4 and keeps v1 in history.
    assert_eq!(fs::read_to_string(store.state_path()).unwrap(), V1);
    assert_eq!(store.save(state).unwrap(), Outcome::Updated);
    let again = store.load().unwrap();
    assert!(again.migrations.is_empty());
    assert_eq!(&again.state, state);
    assert_eq!(
        fs::read_to_string(&store.history().unwrap()[0]).unwrap(),
        V1
    );
}

#[test]
fn state_migration_v1_refuses_to_guess_a_kernel_device_name() {
    let doc = json!({
        "schema_version": 1,
        "pools": [{"name": "tank", "layout": "stripe", "devices": ["/dev/nvme0n1"], "created_unix": 0}]
    });
    let err = migrate(doc).unwrap_err();
    assert_eq!(
        err.to_string(),
        "migrating v1 to v2: pool tank: member /dev/nvme0n1 is not a /dev/disk/by-id/ path, so which disk it is cannot be known"
    );
}

#[test]
fn state_migration_current_document_passes_untouched() {
    let doc = serde_json::to_value(sample_state()).unwrap();
    let (out, ran) = migrate(doc.clone()).unwrap();
    assert_eq!(out, doc);
    assert!(ran.is_empty());
    assert_eq!(migrate(json!([])).unwrap_err(), MigrateError::NotAnObject);
    assert_eq!(
        migrate(json!({"pools": []})).unwrap_err(),
        MigrateError::MissingVersion
    );
    assert_eq!(
        migrate(json!({"schema_version": "2"})).unwrap_err(),
        MigrateError::MissingVersion
    );
}

#[test]
fn state_store_newer_version_is_refused_and_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = StateStore::new(tmp.path());
    let v5 = "{\"schema_version\": 5, \"pools\": [], \"replication\": {}}\n";
    fs::write(store.state_path(), v5).unwrap();
    let err = store.load().unwrap_err();
    let chain = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert_eq!(
        chain,
        format!(
            "state file {} cannot be used: schema v5 is newer than this storaged knows (up to v4); it is refused, never downgraded",
            store.state_path().display()
        )
    );
    assert!(store.save(&DesiredState::default()).is_err());
    assert_eq!(fs::read_to_string(store.state_path()).unwrap(), v5);
    assert_eq!(listing(tmp.path()), [STATE_FILE]);
}

#[test]
fn state_migration_v3_pool_members_become_its_one_vdev() {
    let doc = json!({
        "schema_version": 3,
        "pools": [{"name": "tank", "layout": "mirror", "disks": ["nvme-a", "nvme-b"],
                   "forced": ["nvme-b"], "created_unix": 7}]
    });
    let (out, ran) = migrate(doc).unwrap();
    assert_eq!(ran.len(), 1);
    assert_eq!((ran[0].from, ran[0].to), (3, 4));
    assert_eq!(out["schema_version"], 4);
    assert_eq!(
        out["pools"][0],
        json!({"name": "tank", "layout": "mirror", "vdevs": [{"disks": ["nvme-a", "nvme-b"]}],
               "forced": ["nvme-b"], "created_unix": 7})
    );
    let state: DesiredState = serde_json::from_value(out).unwrap();
    assert_eq!(state.pool(&pn("tank")).unwrap().disks().len(), 2);

    let broken = json!({"schema_version": 3, "pools": [{"name": "tank", "layout": "stripe"}]});
    assert_eq!(
        migrate(broken).unwrap_err().to_string(),
        "migrating v3 to v4: pool tank has no \"disks\""
    );
}
