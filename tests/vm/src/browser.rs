//! Headless Chromium driven over WebDriver: Debian's `chromium` and
//! `chromedriver` (packages chromium, chromium-driver; `ironstor setup`
//! installs them), spoken to with plain HTTP calls, no npm.
//!
//! Why not `fantoccini` or `thirtyfour`: both are async (tokio, hyper or
//! reqwest; fantoccini's default TLS pulls in OpenSSL, thirtyfour's
//! defaults a driver downloader), and the vm tests are synchronous
//! functions on `ureq`. The upgrade test uses eight WebDriver commands
//! (session, navigate, find, send keys, click, execute, text, screenshot);
//! a runtime and a second HTTP stack for those is not worth it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C key under which an element reference comes back.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session; quits Chromium and chromedriver when dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: PathBuf,
}

fn answer(response: Result<ureq::Response, ureq::Error>, what: &str) -> Result<Value> {
    let body: Value = match response {
        Ok(r) => r.into_json()?,
        Err(ureq::Error::Status(code, r)) => {
            let body: Value = r.into_json().unwrap_or(Value::Null);
            bail!(
                "WebDriver {what} failed ({code}): {}",
                body["value"]["message"]
            );
        }
        Err(e) => return Err(anyhow!(e).context(format!("WebDriver {what}"))),
    };
    Ok(body["value"].clone())
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium that
    /// accepts the appliance's self-signed certificate. `profile` is a
    /// fresh directory for Chromium's user data.
    pub fn start(profile: &Path) -> Result<Browser> {
        for path in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(path).exists() {
                bail!(
                    "{path} is missing: run `ironstor setup` (packages chromium, chromium-driver)"
                );
            }
        }
        let _ = std::fs::remove_dir_all(profile);
        std::fs::create_dir_all(profile)?;
        // chromedriver will not read DevToolsActivePort through a path
        // with `..` in it (Chromium's file helpers refuse parent
        // references), and the workspace path has one.
        let profile = &std::fs::canonicalize(profile)?;
        let port = crate::free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.with_extension("chromedriver.log").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start chromedriver")?;
        let base = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while ureq::get(&format!("{base}/status")).call().is_err() {
            if start.elapsed() > Duration::from_secs(30) {
                bail!("chromedriver did not answer on {base}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--ignore-certificate-errors",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1100,900",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let mut browser = Browser {
            driver,
            base,
            session: String::new(),
            _profile: profile.to_path_buf(),
        };
        // Chromium can be slow to come up on a loaded machine, and then
        // chromedriver gives up on it ("could not read in devtools port
        // number"): try a few times, each with a clean profile.
        let mut attempt = 1;
        let value = loop {
            match answer(
                ureq::post(&format!("{}/session", browser.base)).send_json(caps.clone()),
                "new session",
            ) {
                Ok(value) => break value,
                Err(e) if attempt < 3 => {
                    eprintln!("vm tests: Chromium did not start (attempt {attempt}): {e:#}");
                    attempt += 1;
                    let _ = std::fs::remove_dir_all(profile);
                    std::fs::create_dir_all(profile)?;
                    std::thread::sleep(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        };
        browser.session = value["sessionId"]
            .as_str()
            .context("no session id")?
            .to_string();
        Ok(browser)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        answer(ureq::post(&self.url(path)).send_json(body), path)
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({"url": url})).map(drop)
    }

    /// The element `css` selects, waiting up to `timeout` for it.
    pub fn find(&self, css: &str, timeout: Duration) -> Result<String> {
        let start = Instant::now();
        loop {
            match self.post("/element", json!({"using": "css selector", "value": css})) {
                Ok(v) => return Ok(v[ELEMENT].as_str().context("no element id")?.to_string()),
                Err(e) if start.elapsed() > timeout => return Err(e.context(format!("no {css}"))),
                Err(_) => std::thread::sleep(Duration::from_millis(300)),
            }
        }
    }

    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let id = self.find(css, Duration::from_secs(20))?;
        self.post(&format!("/element/{id}/value"), json!({"text": text}))
            .map(drop)
    }

    pub fn click(&self, css: &str) -> Result<()> {
        let id = self.find(css, Duration::from_secs(20))?;
        self.post(&format!("/element/{id}/click"), json!({}))
            .map(drop)
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub fn eval(&self, script: &str) -> Result<Value> {
        self.post("/execute/sync", json!({"script": script, "args": []}))
    }

    /// The text of the element `css` selects ("" when there is none).
    pub fn text(&self, css: &str) -> Result<String> {
        let v = self.eval(&format!(
            "const e = document.querySelector({}); return e ? e.textContent : '';",
            serde_json::to_string(css)?
        ))?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Waits until `check` on the text of `css` holds; returns that text.
    pub fn wait_text(
        &self,
        css: &str,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let start = Instant::now();
        loop {
            let text = self.text(css)?;
            if check(&text) {
                return Ok(text);
            }
            if start.elapsed() > timeout {
                bail!("{css} still reads {text:?} after {}s", timeout.as_secs());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Saves a PNG of the page.
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let v = answer(ureq::get(&self.url("/screenshot")).call(), "screenshot")?;
        let b64 = v.as_str().context("no screenshot")?;
        std::fs::write(path, base64_decode(b64)?)?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&self.url("")).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Result<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .ok_or_else(|| anyhow!("bad base64"))? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}
