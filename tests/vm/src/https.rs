//! The appliance's HTTPS API from the host, through a forwarded port, with
//! curl (as an admin's script would): bearer requests, uploads, and raw
//! requests with chosen headers for the cookie/Origin/CSRF checks.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The appliance's HTTPS API, from the host, through a forwarded port.
pub struct Https {
    pub port: u16,
    pub token: String,
}

/// What curl got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn message(&self) -> String {
        self.body["error"]["message"]
            .as_str()
            .or(self.body["message"].as_str())
            .unwrap_or(&self.text)
            .to_string()
    }
}

fn curl(args: &[String]) -> Result<Answer> {
    let out = Command::new("curl")
        .args(["-sSk", "--max-time", "900", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .context("cannot run curl")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    let status = code.trim().parse().unwrap_or(0);
    if status == 0 {
        bail!(
            "curl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Answer {
        status,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
        text: body.to_string(),
    })
}

impl Https {
    /// Logs in as admin.
    pub fn login(port: u16, password: &str) -> Result<Https> {
        let body = serde_json::json!({"password": password}).to_string();
        let answer = curl(&[
            "-X".into(),
            "POST".into(),
            "-H".into(),
            "Content-Type: application/json".into(),
            "--data".into(),
            body,
            format!("https://127.0.0.1:{port}/api/v1/login"),
        ])?;
        let token = answer.body["token"]
            .as_str()
            .with_context(|| format!("login failed: {}", answer.text))?;
        Ok(Https {
            port,
            token: token.to_string(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}/api/v1{path}", self.port)
    }

    pub fn get(&self, path: &str) -> Result<Answer> {
        curl(&[
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            self.url(path),
        ])
    }

    /// Streams `file` as the body of `POST /upgrade/bundle{query}`, at most
    /// `rate` bytes a second when given (curl's --limit-rate).
    pub fn upload(&self, file: &Path, query: &str, rate: Option<&str>) -> Result<Answer> {
        let mut args = vec![
            "-X".into(),
            "POST".into(),
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            "-H".into(),
            "Content-Type: application/octet-stream".into(),
            "-T".into(),
            file.display().to_string(),
        ];
        if let Some(rate) = rate {
            args.extend(["--limit-rate".into(), rate.into()]);
        }
        args.push(self.url(&format!("/upgrade/bundle{query}")));
        curl(&args)
    }
}

/// A raw request: `method path` with `headers` (`"Name: value"`) and an
/// optional body, no bearer token unless a header gives one. For the
/// cookie, Origin and CSRF checks, where the test decides every header.
pub fn raw(
    port: u16,
    method: &str,
    path: &str,
    headers: &[String],
    body: Option<&str>,
) -> Result<Answer> {
    let mut args = vec!["-X".to_string(), method.to_string()];
    for h in headers {
        args.extend(["-H".to_string(), h.clone()]);
    }
    if let Some(body) = body {
        args.extend(["--data-binary".to_string(), body.to_string()]);
    }
    args.push(format!("https://127.0.0.1:{port}/api/v1{path}"));
    curl(&args)
}

impl Https {
    /// `method path` with a JSON body, as the bearer.
    pub fn json(&self, method: &str, path: &str, body: &Value) -> Result<Answer> {
        curl(&[
            "-X".into(),
            method.into(),
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            "-H".into(),
            "Content-Type: application/json".into(),
            "--data-binary".into(),
            body.to_string(),
            self.url(path),
        ])
    }

    /// `method path` with `body` sent as-is under `content_type`, as the
    /// bearer.
    pub fn send(&self, method: &str, path: &str, content_type: &str, body: &str) -> Result<Answer> {
        curl(&[
            "-X".into(),
            method.into(),
            "-H".into(),
            format!("Authorization: Bearer {}", self.token),
            "-H".into(),
            format!("Content-Type: {content_type}"),
            "--data-binary".into(),
            body.into(),
            self.url(path),
        ])
    }
}
