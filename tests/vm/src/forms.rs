//! Driving the web console's forms in the browser: `app.js` sends a form
//! as JSON and, on success, reloads the page or shows the answer.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Result};
use serde_json::Value;

use crate::browser::Browser;

/// Submits the form `form` with its button `submit` and waits until the
/// page took the answer: `app.js` reloads the page on success (or, for a
/// form that shows its answer, fills `shown`); an error appears in the
/// form's `.error`.
pub fn submit(browser: &Browser, form: &str, submit: &str, shown: Option<&str>) -> Result<()> {
    browser.eval("window.__firstHourPage = true; return null;")?;
    browser.click(submit)?;
    let start = Instant::now();
    loop {
        let state = browser.eval(&format!(
            "const e = document.querySelector({}); const s = {}; \
             return [window.__firstHourPage === true, document.readyState, \
                     e ? e.textContent : null, s ? s.textContent : ''];",
            serde_json::to_string(&format!("{form} .error"))?,
            match shown {
                Some(css) => format!("document.querySelector({})", serde_json::to_string(css)?),
                None => "null".to_string(),
            }
        ));
        // A navigation in progress makes the script fail: try again.
        if let Ok(state) = state {
            let same_page = state[0] == Value::Bool(true);
            let error = state[2].as_str().unwrap_or("").trim().to_string();
            ensure!(
                !same_page || error.is_empty(),
                "{form}: the page says {error:?}"
            );
            let shown_text = state[3].as_str().unwrap_or("").trim();
            if shown.is_some() && !shown_text.is_empty() {
                return Ok(());
            }
            if !same_page && state[1] == "complete" {
                return Ok(());
            }
        }
        ensure!(
            start.elapsed() < Duration::from_secs(180),
            "{form}: no answer"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

pub fn check_box(browser: &Browser, css: &str) -> Result<()> {
    let checked = browser.eval(&format!(
        "const e = document.querySelector({}); return e ? e.checked : null;",
        serde_json::to_string(css)?
    ))?;
    match checked {
        Value::Bool(false) => browser.click(css),
        Value::Bool(true) => Ok(()),
        _ => bail!("no checkbox {css}"),
    }
}

pub fn select(browser: &Browser, css: &str, value: &str) -> Result<()> {
    let done = browser.eval(&format!(
        "const e = document.querySelector({}); if (!e) return false; e.value = {}; e.dispatchEvent(new Event('change', {{bubbles: true}})); return e.value === {};",
        serde_json::to_string(css)?,
        serde_json::to_string(value)?,
        serde_json::to_string(value)?
    ))?;
    ensure!(done == Value::Bool(true), "cannot choose {value} in {css}");
    Ok(())
}
