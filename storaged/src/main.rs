//! `storaged`: the appliance daemon's entry point. Parses the flags, says
//! where it runs, and hands over to [`storaged::daemon::run`], which
//! tells systemd `READY=1`, prints `storaged ready`, pings the watchdog and
//! stops cleanly on SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use storaged::config::Args;
use storaged::daemon;
use storaged::platform::Platform;

fn main() -> ExitCode {
    let config = Args::parse().resolve();
    let platform = Platform::detect(&config.roots.root);
    println!(
        "storaged {} starting on {platform}",
        env!("CARGO_PKG_VERSION")
    );
    let var = storaged::var_source::VarSource::detect(&config.roots.root);
    println!("storaged: {}", storaged::var_source::describe(var.as_ref()));
    match daemon::run(config, platform) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("storaged: {}", storaged::util::error_chain(&err));
            ExitCode::FAILURE
        }
    }
}
