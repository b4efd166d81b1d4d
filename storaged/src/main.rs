//! `storaged`: the appliance daemon's entry point.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use storaged::notify::Notifier;
use storaged::platform::Platform;

fn main() -> ExitCode {
    let platform = Platform::detect(Path::new("/"));
    println!(
        "storaged {} starting on {platform}",
        env!("CARGO_PKG_VERSION")
    );
    let notifier = Notifier::from_env();
    if let Err(err) = notifier.ready(&format!("serving; {platform}")) {
        eprintln!("storaged: cannot tell systemd it is ready: {err}");
        return ExitCode::FAILURE;
    }
    println!("storaged ready");
    let interval = Notifier::watchdog_interval().unwrap_or(Duration::from_secs(60));
    loop {
        std::thread::sleep(interval);
        if let Err(err) = notifier.watchdog() {
            eprintln!("storaged: watchdog ping failed: {err}");
        }
    }
}
