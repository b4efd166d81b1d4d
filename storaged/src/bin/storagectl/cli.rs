//! The command tree. Each API group gets one subcommand with its own
//! subcommands, in its own module:
//!
//! ```text
//! storagectl [--socket PATH] [--json] [--timeout SECONDS] <command>
//!   status                       version, image, boot slot, uptime
//!   setup [--token TOKEN]        set the first admin password
//!   login [--username NAME]      open an HTTPS session, print its token
//!   logout TOKEN                 end a session
//!   openapi                      print the API's OpenAPI document
//!   (to come, one module each)
//!   drives [list|show ID]
//!   pool create|status|import|export|scrub|destroy
//!   dataset create|list|set|destroy
//!   volume create|list|resize|destroy
//!   snapshot create|list|rollback|destroy
//! ```

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use storaged::config::DEFAULT_SOCKET;

#[derive(Debug, Parser)]
#[command(
    name = "storagectl",
    version,
    about = "Control an ironstor appliance through storaged's API (as root, on the appliance)."
)]
pub struct Cli {
    /// storaged's API socket.
    #[arg(long, global = true, env = "STORAGECTL_SOCKET", value_name = "PATH", default_value = DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Print the API's JSON answer instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// How long to wait for storaged, in seconds (pool operations can be slow).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Version, image, boot slot and uptime.
    Status,
    /// Set the first admin password (for the web page and the HTTPS API);
    /// reads it from the terminal, or from standard input.
    Setup(SetupArgs),
    /// Open a session for the HTTPS API and print its bearer token.
    Login(LoginArgs),
    /// End a session opened with `login`.
    Logout(LogoutArgs),
    /// Print the API's OpenAPI 3 document.
    Openapi,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The one-time setup token from the console; not needed as root here.
    #[arg(long)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, default_value = storaged::auth::ADMIN_USER)]
    pub username: String,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The session token `login` printed.
    pub token: String,
}
