//! `--host https://box`: the API over HTTPS from a workstation, with the
//! appliance's certificate pinned on first use in known_hosts (as ssh
//! does) and a changed one refused.

use std::path::PathBuf;
use std::time::Duration;

use storaged::api::client::{ClientError, UnixClient};
use storaged::api::remote::{self, known_hosts, HostUrl, KnownHosts, Remote};

use crate::Input;

/// What `--host` needs.
pub struct HostArgs {
    pub url: String,
    pub token: Option<String>,
    pub accept_new: bool,
    pub known_hosts: Option<PathBuf>,
    pub timeout: Duration,
}

/// A client for the appliance `args.url`, its certificate pinned: from
/// known_hosts, or now, after showing its fingerprint, with
/// `--accept-new` or the person's yes. Answers the lines to show them.
pub fn client(args: HostArgs, input: &mut dyn Input) -> anyhow::Result<(UnixClient, Vec<String>)> {
    let url = HostUrl::parse(&args.url)?;
    let path = match args.known_hosts {
        Some(path) => path,
        None => known_hosts::default_path()?,
    };
    let mut known = KnownHosts::load(&path)?;
    let key = url.key();
    let mut notes = Vec::new();
    let pin = match known.find(&key) {
        Some(pin) => pin.clone(),
        None => {
            let presented = remote::probe(&url, args.timeout)?;
            notes.push(format!(
                "The certificate of {key} is not pinned yet.\n  SHA-256 fingerprint: {presented}\n\
                 Compare it with the fingerprint on the appliance's console screen."
            ));
            let accepted = args.accept_new
                || (input.interactive()
                    && input.confirm(&format!(
                        "{}\nPin it in {} and connect? [y/N] ",
                        notes.join("\n"),
                        path.display()
                    ))?);
            if !accepted {
                anyhow::bail!(
                    "{}\nNot pinned: check the fingerprint, then run again with --accept-new.",
                    notes.join("\n")
                );
            }
            let pin = known.add(&key, &presented)?;
            notes.push(format!(
                "Pinned {key} in {}, line {}.",
                path.display(),
                pin.line
            ));
            pin
        }
    };
    let remote = Remote {
        url,
        pin,
        known_hosts: path,
        token: args.token,
    };
    Ok((UnixClient::remote(remote, args.timeout), notes))
}

/// A refused token, said plainly: which appliance, and what to give.
pub fn explain(err: anyhow::Error, client: &UnixClient) -> anyhow::Error {
    let Some(remote) = client.remote_host() else {
        return err;
    };
    match err.downcast_ref::<ClientError>() {
        Some(ClientError::Api {
            status: 401,
            message,
            ..
        }) => anyhow::anyhow!(
            "{} refused the request (401 {message}): {}",
            remote.url.key(),
            if remote.token.is_some() {
                "the token is wrong, revoked or expired; give a valid API token with --token or STORAGECTL_TOKEN"
            } else {
                "no token was given; give an API token with --token or STORAGECTL_TOKEN"
            }
        ),
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::net::SocketAddr;
    use std::path::Path;

    use clap::Parser;
    use serde_json::{json, Value};
    use storaged::auth::HashCost;
    use storaged::config::{Config, HttpsListen};
    use storaged::daemon::Background;

    use super::*;
    use crate::cli::Cli;

    const PASSWORD: &str = "a long enough password";

    /// A person who answers the pinning question with `answer`, or no one.
    struct Person(Option<&'static str>);

    impl Input for Person {
        fn secret(&mut self, _: &str) -> io::Result<String> {
            Ok(self.0.unwrap_or_default().to_string())
        }
        fn interactive(&self) -> bool {
            self.0.is_some()
        }
    }

    /// `storaged --sim` in `dir` with HTTPS on loopback at `at` (port 0:
    /// any), its certificate in `tls_dir`.
    fn daemon(dir: &Path, tls_dir: &Path, at: SocketAddr) -> Background {
        let mut config = Config::sim_in(dir);
        config.https = HttpsListen::At(at);
        config.tls_dir = tls_dir.to_path_buf();
        Background::start_with(config, HashCost::FAST).unwrap()
    }

    fn fingerprint_of(tls_dir: &Path) -> String {
        storaged::tls::fingerprint::of_pem_file(&tls_dir.join(storaged::tls::CERT_FILE))
            .unwrap()
            .unwrap()
    }

    /// Sets the password and opens a session over the socket: its token.
    fn session(daemon: &Background) -> String {
        let local = UnixClient::new(daemon.socket_path(), Duration::from_secs(30));
        local
            .post("/setup", &json!({ "password": PASSWORD }))
            .unwrap();
        let session = local
            .post("/login", &json!({ "password": PASSWORD }))
            .unwrap();
        session["token"].as_str().unwrap().to_string()
    }

    fn ctl(args: &[&str], person: Option<&'static str>) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("storagectl").chain(args.iter().copied()))?;
        let mut out = Vec::new();
        crate::run(cli, &mut Person(person), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn first_use_pins_later_uses_pass_a_changed_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let tls_a = dir.path().join("tls-a");
        let a = daemon(dir.path(), &tls_a, "127.0.0.1:0".parse().unwrap());
        let addr = a.https_addr().unwrap();
        let token = session(&a);
        let url = format!("https://127.0.0.1:{}", addr.port());
        let known = dir.path().join("config/ironstor/known_hosts");
        let base = [
            "--host",
            url.as_str(),
            "--token",
            token.as_str(),
            "--known-hosts",
            known.to_str().unwrap(),
        ];
        let with = |extra: &[&'static str]| -> Vec<&str> {
            base.iter().copied().chain(extra.iter().copied()).collect()
        };
        let fp_a = fingerprint_of(&tls_a);

        // No one to ask and no --accept-new: shown, not pinned.
        let err = ctl(&with(&["status"]), None).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains(&fp_a) && text.contains("--accept-new"),
            "{text}"
        );
        assert!(!known.exists());
        // A person who says no: not pinned either.
        assert!(ctl(&with(&["status"]), Some("n")).is_err());
        assert!(!known.exists());

        // The first use shows the fingerprint and pins it.
        let (_, notes) = client(
            HostArgs {
                url: url.clone(),
                token: Some(token.clone()),
                accept_new: true,
                known_hosts: Some(known.clone()),
                timeout: Duration::from_secs(30),
            },
            &mut Person(None),
        )
        .unwrap();
        assert!(
            notes[0].contains(&format!("SHA-256 fingerprint: {fp_a}")),
            "{notes:?}"
        );
        let key = format!("127.0.0.1:{}", addr.port());
        assert_eq!(
            std::fs::read_to_string(&known).unwrap(),
            format!("{key} {fp_a}\n")
        );

        // Later uses pass, with the same tables and JSON as on the box.
        let status = ctl(&with(&["status"]), None).unwrap();
        assert!(status.contains("admin password  set"), "{status}");
        let remote: Value =
            serde_json::from_str(&ctl(&with(&["--json", "drives"]), None).unwrap()).unwrap();
        let local = UnixClient::new(a.socket_path(), Duration::from_secs(30))
            .get("/drives")
            .unwrap();
        assert_eq!(remote, local);

        // A wrong token: a clear 401.
        let wrong = [
            "--host",
            url.as_str(),
            "--token",
            "not-a-token",
            "--known-hosts",
            known.to_str().unwrap(),
            "status",
        ];
        let text = format!("{:#}", ctl(&wrong, None).unwrap_err());
        assert!(
            text.starts_with(&format!("{key} refused the request (401 login required)")),
            "{text}"
        );
        assert!(text.contains("--token or STORAGECTL_TOKEN"), "{text}");

        // The same address with a new certificate (a new TLS directory).
        a.stop().unwrap();
        let tls_b = dir.path().join("tls-b");
        let b = daemon(dir.path(), &tls_b, addr);
        let fp_b = fingerprint_of(&tls_b);
        assert_ne!(fp_a, fp_b);
        let text = format!("{:#}", ctl(&with(&["status"]), Some("y")).unwrap_err());
        for needed in [
            "has CHANGED",
            fp_a.as_str(),
            fp_b.as_str(),
            &format!("remove line 1 of {}", known.display()),
        ] {
            assert!(text.contains(needed), "{needed:?} missing from:\n{text}");
        }
        // Refusing changed nothing.
        assert_eq!(
            std::fs::read_to_string(&known).unwrap(),
            format!("{key} {fp_a}\n")
        );
        drop(b);
    }

    #[test]
    fn a_person_can_pin_at_the_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("tls");
        let d = daemon(dir.path(), &tls, "127.0.0.1:0".parse().unwrap());
        let url = format!("https://127.0.0.1:{}", d.https_addr().unwrap().port());
        let known = dir.path().join("kh");
        let args = [
            "--host",
            &url,
            "--known-hosts",
            known.to_str().unwrap(),
            "status",
        ];
        let text = format!("{:#}", ctl(&args, Some("y")).unwrap_err());
        // Pinned, then refused for want of a token, said so.
        assert!(text.contains("no token was given"), "{text}");
        let pinned = std::fs::read_to_string(&known).unwrap();
        assert!(
            pinned.ends_with(&format!(" {}\n", fingerprint_of(&tls))),
            "{pinned}"
        );
    }
}
