use super::*;

#[test]
fn a_live_socket_is_refused_and_a_stale_one_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.sock");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let live = bind_unix(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(matches!(
            bind_unix(&path),
            Err(DaemonError::AlreadyRunning { .. })
        ));
        drop(live); // the file stays, as after a crash
        assert!(path.exists());
        bind_unix(&path).unwrap();
    });
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    assert!(matches!(
        bind_unix(&file),
        Err(DaemonError::NotASocket { .. })
    ));
}

#[test]
fn unreadable_credentials_are_kept_aside_and_setup_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::sim_in(dir.path());
    create_private_dir(&config.state_dir).unwrap();
    create_private_dir(&config.runtime_dir).unwrap();
    std::fs::write(config.state_dir.join(CREDENTIALS_FILE), "{garbage").unwrap();
    let mut notes = Vec::new();
    let auth = load_auth(&config, HashCost::FAST, &mut notes).unwrap();
    assert!(auth.setup_required());
    assert_eq!(
        std::fs::read_to_string(config.state_dir.join("auth.json.bad")).unwrap(),
        "{garbage"
    );
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("not a valid credentials file"),
        "{notes:?}"
    );
}
