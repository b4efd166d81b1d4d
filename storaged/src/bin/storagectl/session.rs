//! `setup`, `login`, `logout`, `password` and `token`.

use storaged::api::{
    LoginRequest, NewToken, NewTokenRequest, PasswordChange, SessionBody, SetupRequest, TokenList,
};

use crate::cli::{LoginArgs, LogoutArgs, SetupArgs, TokenCommand};
use crate::table::Table;
use crate::Ctl;

pub fn setup(ctl: &mut Ctl<'_>, args: SetupArgs) -> anyhow::Result<()> {
    let password = ctl.input.secret("New admin password: ")?;
    if ctl.input.interactive() {
        let again = ctl.input.secret("Again: ")?;
        anyhow::ensure!(
            again == password,
            "the two passwords differ; nothing was changed"
        );
    }
    let request = SetupRequest {
        token: args.token,
        password,
    };
    let answer = ctl.client.post("/setup", &crate::body(&request)?)?;
    if ctl.json {
        return ctl.print_json(&answer);
    }
    ctl.print("The admin password is set; log in to the web page as \"admin\".\n")
}

pub fn login(ctl: &mut Ctl<'_>, args: LoginArgs) -> anyhow::Result<()> {
    let password = ctl
        .input
        .secret(&format!("Password for {}: ", args.username))?;
    let request = LoginRequest {
        username: args.username,
        password,
    };
    let answer = ctl.client.post("/login", &crate::body(&request)?)?;
    if ctl.json {
        return ctl.print_json(&answer);
    }
    let session: SessionBody = crate::typed(&answer)?;
    ctl.print(&format!(
        "{}\n(send as \"Authorization: Bearer <token>\"; expires in {})\n",
        session.token,
        crate::table::duration(session.expires_in)
    ))
}

pub fn logout(ctl: &mut Ctl<'_>, args: LogoutArgs) -> anyhow::Result<()> {
    let bearer = format!("Bearer {}", args.token);
    let answer = ctl
        .client
        .call_with("POST", "/logout", &[("Authorization", &bearer)], None)?;
    if ctl.json {
        return ctl.print_json(&answer);
    }
    ctl.print("Logged out.\n")
}

/// Changes the admin password. On the box the socket needs no current
/// password; over `--host` the API asks for it.
pub fn password(ctl: &mut Ctl<'_>) -> anyhow::Result<()> {
    let current_password = if ctl.client.remote_host().is_some() {
        Some(ctl.input.secret("Current admin password: ")?)
    } else {
        None
    };
    let new_password = ctl.input.secret("New admin password: ")?;
    if ctl.input.interactive() {
        let again = ctl.input.secret("Again: ")?;
        anyhow::ensure!(
            again == new_password,
            "the two passwords differ; nothing was changed"
        );
    }
    let request = PasswordChange {
        current_password,
        new_password,
    };
    let answer = ctl.client.post("/password", &crate::body(&request)?)?;
    if ctl.json {
        return ctl.print_json(&answer);
    }
    ctl.print("The admin password is changed; other sessions are logged out.\n")
}

pub fn token(ctl: &mut Ctl<'_>, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::List => {
            let answer = ctl.client.get("/tokens")?;
            if ctl.json {
                return ctl.print_json(&answer);
            }
            let list: TokenList = crate::typed(&answer)?;
            let mut table = Table::new(["NAME", "CREATED", "LAST USED"]);
            for t in &list.tokens {
                let when =
                    |s: Option<u64>| s.map_or("never".to_string(), |s| format!("{s} (unix)"));
                table.row([t.name.clone(), when(Some(t.created)), when(t.last_used)]);
            }
            ctl.print(&table.render())
        }
        TokenCommand::Create { name } => {
            let answer = ctl
                .client
                .post("/tokens", &crate::body(&NewTokenRequest { name })?)?;
            if ctl.json {
                return ctl.print_json(&answer);
            }
            let made: NewToken = crate::typed(&answer)?;
            ctl.print(&format!(
                "{}\n(API token {:?}: shown this once; send as \"Authorization: Bearer <token>\", or storagectl --host ... --token)\n",
                made.token, made.name
            ))
        }
        TokenCommand::Revoke { name } => {
            let answer =
                ctl.client
                    .call("DELETE", &format!("/tokens/{}", crate::encode(&name)), None)?;
            if ctl.json {
                return ctl.print_json(&answer);
            }
            ctl.print(&format!("Token {name:?} is revoked.\n"))
        }
    }
}
