//! The console's own pages: dashboard, login, setup, upgrade, settings;
//! and [`PageError`], what a page handler returns when it fails.

use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tera::Context;

use super::session::{cookie_token, safe_next};
use super::templates::{render, RenderError};
use super::PageSession;
use crate::api::{ApiError, AppState};
use crate::engine::auth;

/// A page that failed: the API's error (with its status) or a template
/// bug, shown as an HTML page inside the console's frame.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl From<crate::engine::EngineError> for PageError {
    fn from(e: crate::engine::EngineError) -> PageError {
        PageError::Api(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Render(e) => e.into_response(),
            PageError::Api(e) => {
                let message = e.to_string();
                let status = e.into_response().status();
                let mut context = Context::new();
                context.insert("status", &status.as_u16());
                context.insert("message", &message);
                context.insert("title", "Error");
                match render("error.html", &context) {
                    Ok(html) => (status, html).into_response(),
                    Err(e) => e.into_response(),
                }
            }
        }
    }
}

/// `GET /ui/`: the first sample rendered here, so the page is complete
/// before any script runs; `dashboard.js` then follows the stream.
pub async fn dashboard(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let mut context = session.context("dashboard", "Dashboard");
    match app.collector.latest(FIRST_SAMPLE_WAIT).await {
        Ok(sample) => {
            context.insert("sample", &*sample);
            context.insert("problem", "");
        }
        Err(e) => {
            context.insert("sample", &None::<()>);
            context.insert("problem", &e.to_string());
        }
    }
    Ok(render("dashboard.html", &context)?)
}

/// How long the dashboard page waits for a first sample when the
/// collector was resting (a sample takes well under a second).
const FIRST_SAMPLE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /ui/login`: setup instead while it is required; the dashboard if
/// the browser is already logged in.
pub async fn login(
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if auth::setup_required(&app.auth) {
        return Ok(Redirect::to("/ui/setup").into_response());
    }
    let next = next_of(query.as_deref());
    let next = next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("/ui/")
        .to_string();
    let logged_in = cookie_token(&headers)
        .and_then(|t| app.auth.session(t, std::time::Instant::now()))
        .is_some();
    if logged_in {
        return Ok(Redirect::to(&next).into_response());
    }
    let mut context = Context::new();
    context.insert("title", "Log in");
    context.insert("next", &next);
    Ok(render("login.html", &context)?.into_response())
}

/// The `next=` of a query string, with `%2F` read as `/` (the only
/// escape a page path in [`safe_next`]'s alphabet can carry).
fn next_of(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("next="))
        .map(|v| v.replace("%2F", "/").replace("%2f", "/"))
}

/// `GET /ui/setup`: the token and the first admin password; login once
/// setup is done.
pub async fn setup(State(app): State<AppState>) -> Result<Response, PageError> {
    if !auth::setup_required(&app.auth) {
        return Ok(Redirect::to("/ui/login").into_response());
    }
    let mut context = Context::new();
    context.insert("title", "Set up");
    context.insert("min_password_chars", &crate::auth::MIN_PASSWORD_CHARS);
    Ok(render("setup.html", &context)?.into_response())
}

/// `GET /ui/upgrade`: the slots and the bundle upload; `upgrade.js` fills
/// it from `GET /api/v1/upgrade` and polls while an install runs.
pub async fn upgrade(session: PageSession) -> Result<Html<String>, PageError> {
    let context = session.context("upgrade", "Upgrade");
    Ok(render("upgrade.html", &context)?)
}

/// `GET /ui/settings`: password, API tokens, the TLS certificate.
pub async fn settings(session: PageSession) -> Result<Html<String>, PageError> {
    let mut context = session.context("settings", "Settings");
    context.insert("min_password_chars", &crate::auth::MIN_PASSWORD_CHARS);
    Ok(render("settings.html", &context)?)
}
