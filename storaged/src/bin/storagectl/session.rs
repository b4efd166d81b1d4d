//! `setup`, `login` and `logout`.

use storaged::api::{LoginRequest, SessionBody, SetupRequest};

use crate::cli::{LoginArgs, LogoutArgs, SetupArgs};
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
