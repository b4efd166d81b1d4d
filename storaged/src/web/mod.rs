//! The web console: HTML pages under `/ui/`, rendered by storaged with
//! Tera, and their static files under `/static/`, all embedded in the
//! binary. Pages read through the engine, as the API handlers do; every
//! change a page makes goes through the JSON API (`/api/v1/...`), sent by
//! `static/app.js` from an ordinary `<form>`.
//!
//! # Adding a page (drives, pools, ...)
//!
//! 1. `storaged/web/templates/<name>.html`:
//!    ```text
//!    {% extends "base.html" %}
//!    {% block content %}<h1>Pools</h1> ... {% endblock content %}
//!    ```
//!    and one line in [`templates::TEMPLATES`].
//! 2. `storaged/src/web/pages/<name>.rs` with a handler that takes
//!    [`PageSession`] (it redirects to login, or setup, by itself), reads
//!    through the engine off the runtime thread with the same engine call
//!    the API handler makes, and renders:
//!    ```ignore
//!    pub async fn page(State(app): State<AppState>, session: PageSession)
//!        -> Result<Html<String>, PageError> {
//!        let pools = app.blocking(|app| engine::pools::list(&app.machine)).await??;
//!        let mut context = session.context("pools", "Pools");
//!        context.insert("pools", &pools);
//!        Ok(render("pools.html", &context)?)
//!    }
//!    ```
//!    [`PageError`] turns an [`ApiError`] or a render error into an HTML
//!    error page with the right status.
//! 3. `mod <name>;` and one line in [`pages::routes`]. The nav entry is
//!    already in [`NAV`] (its `id` is what `session.context(id, ..)` lights).
//!    A page of one item (`/ui/pools/{pool}`, `/ui/datasets/{*name}`) is
//!    another line there; `Path` extracts its parameter as in the API.
//! 4. Tests: `web::tests::Sim` (visible to `web::pages::*` tests as
//!    `crate::web::tests::Sim`) starts `storaged --sim`; `Sim::with_password()`,
//!    `sim.login()` (a cookie), `sim.get(path, Some(&cookie))`, and
//!    `sim.send(..)` to make things through the API first. Assert the
//!    page shows what the engine has, and `sim.get(path, None)` redirects.
//!
//! # Templates
//!
//! `base.html` has the nav bar, `<meta name="csrf-token">` and the blocks
//! `title`, `head` (extra `<link>`/`<script src>` tags), `content` and
//! `scripts`. Values are escaped (auto-escaping is on for `.html`): never
//! `| safe` on data. Link static files as `{{ asset["app.js"] }}` (the URL
//! carries the file's fingerprint, so it can be cached for a year). Tera 2
//! syntax: `{% if %}`, `{% for x in xs %}`, filters `length`, `default`,
//! `round`, `join`...; storaged adds the filter `bytes` (`1.5 GiB`).
//! Tera 2 has components instead of macros; a loop or `{% include %}` is
//! usually enough.
//! Usage and progress are `<meter value=".." max="..">` or `<progress>`
//! (a width in a `style=` attribute is refused by the CSP). Classes in
//! `app.css`: `panel`, `grid`, `notice`, `hint`, `error`, `ok`, `warn`,
//! `num` (right-aligned cells), `hidden`, `inline` (a label beside its
//! checkbox), buttons `primary`, `danger`, `small`, `link`; state colours
//! `state-online`, `state-degraded`, `state-faulted`, `verdict-usable`.
//! Every form needs an empty `<p class="error" role="alert"></p>` where its
//! errors should appear.
//!
//! # No inline script or style
//!
//! Every answer here carries a Content-Security-Policy that forbids inline
//! `<script>`, `on...=` attributes and `style=` attributes: put styles in
//! `static/app.css` and behaviour in `static/app.js` (or, only when a page
//! needs live updates, its own file in `static/`, listed in
//! [`assets::ASSETS`]). Scripts set text with `textContent`, never
//! `innerHTML` (a test refuses `innerHTML`, `outerHTML`,
//! `insertAdjacentHTML` and `document.write` in any static script).
//!
//! # Forms: `static/app.js`
//!
//! A form with `data-api="METHOD /api/v1/path/{param}"` is sent as JSON
//! by `app.js`, with `X-CSRF-Token` from the meta tag:
//! - `name="x"` becomes `"x": value`; `name="disks[]"` collects the checked
//!   boxes / selected options / non-empty values of all such fields into
//!   an array; unchecked checkboxes without `[]` are `false`, checked ones
//!   `true` (unless they have a `value`); fields with no `name`, or with
//!   `data-omit-empty` and an empty value, are left out.
//! - `data-type="number|bool|json|size"` on a field converts its value
//!   (`size` takes `10G`, `512M`, `1.5T`, plain bytes -> a number of bytes);
//!   `list` splits on commas and spaces, `lines` on line ends, into an
//!   array of the non-empty parts (users of a share, NFS clients, keys).
//! - `data-build="name"` on a form: before sending, the body goes through
//!   `window.ironstor.build.name(body, form)`, which a page script in
//!   `static/` defines (loaded after `app.js`), returning the body to send
//!   or throwing an `Error` whose message is shown: for bodies a flat form
//!   cannot spell (a pool's `vdevs`, an iSCSI target).
//! - `{param}` in the path is filled from the field of that name
//!   (URL-encoded, `/` kept for dataset names), and that field is not sent
//!   in the body.
//! - `data-raw="field"`: send that field alone as the raw body (a file
//!   input's file, or a textarea's text) with `data-content-type`
//!   (default `application/octet-stream`) instead of JSON.
//! - `data-confirm="Type the pool name to destroy it"` with
//!   `data-confirm-value="tank"`: asks first, and sends only if the typed
//!   text matches (without `data-confirm-value`, a plain yes/no).
//! - `data-match="password"` on a field: it must equal that field (not sent).
//! - The answer's error message goes into the form's `.error` element.
//!   On success: `data-then="reload"` (default), a URL to go to, `"none"`,
//!   or `data-show="#id"` fills each `[data-field="k"]` inside `#id` with
//!   the answer's `k` (text only; a list of strings one per line) and
//!   unhides it (a new API token, a Pi's `cmdline.txt` line).
//! - A `<button data-api=... >` outside a form works the same with its
//!   `data-*` attributes and `data-body='{"json": 1}'`.
//!
//! # The dashboard
//!
//! `/ui/` renders the collector's newest sample (`crate::collector`), then
//! `static/dashboard.js` follows `GET /api/v1/dashboard/stream` and draws
//! charts with the vendored uPlot (`static/vendor/uplot/`). Ids tests read:
//! `#nic-throughput` (rows `data-nic="<name>"`, cells `.rx-bps`/`.tx-bps`
//! whose `data-value` is bytes per second and whose text is a bit rate),
//! `#drive-temps` (rows `data-drive="<kernel name>"`, `.temperature`,
//! `.verdict`), `#pool-usage` (rows `data-pool`), `#sessions` (`.iscsi`,
//! `.nfs`, `.smb`).
//!
//! Routes: `/` -> `/ui/`; `/ui/` dashboard, `/ui/login`, `/ui/setup`,
//! `/ui/upgrade`, `/ui/settings`, the resource pages from [`pages::routes`]
//! (`/ui/drives`, `/ui/pools`, `/ui/pools/{pool}`, `/ui/storage`,
//! `/ui/snapshots`, `/ui/iscsi`, `/ui/iscsi/{iqn}`, `/ui/nfs`, `/ui/smb`,
//! `/ui/ssh`), `/static/{file}`.
//!
//! [`ApiError`]: crate::api::ApiError

mod assets;
mod core;
mod pages;
mod session;
mod templates;

#[cfg(test)]
mod tests;

use axum::http::{header, HeaderValue};
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use crate::api::AppState;

pub use core::PageError;
pub use session::PageSession;
pub use templates::{render, RenderError};

/// One entry of the nav bar.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NavEntry {
    /// What a page passes to [`PageSession::context`] to light it.
    pub id: &'static str,
    pub label: &'static str,
    pub href: &'static str,
}

/// The nav bar, in order; "Log out" follows it.
pub const NAV: &[NavEntry] = &[
    nav("dashboard", "Dashboard", "/ui/"),
    nav("drives", "Drives", "/ui/drives"),
    nav("pools", "Pools", "/ui/pools"),
    nav("datasets", "Datasets & volumes", "/ui/storage"),
    nav("snapshots", "Snapshots", "/ui/snapshots"),
    nav("iscsi", "iSCSI", "/ui/iscsi"),
    nav("nfs", "NFS", "/ui/nfs"),
    nav("smb", "SMB", "/ui/smb"),
    nav("ssh", "SSH", "/ui/ssh"),
    nav("upgrade", "Upgrade", "/ui/upgrade"),
    nav("settings", "Settings", "/ui/settings"),
];

const fn nav(id: &'static str, label: &'static str, href: &'static str) -> NavEntry {
    NavEntry { id, label, href }
}

/// The Content-Security-Policy of every answer here: scripts, styles and
/// connections only from this origin, nothing inline, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's routes; the daemon hands them to `api::router`, which
/// merges them beside the API's.
pub fn pages() -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/index.html", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(core::dashboard))
        .route("/ui/login", get(core::login))
        .route("/ui/setup", get(core::setup))
        .route("/ui/upgrade", get(core::upgrade))
        .route("/ui/settings", get(core::settings))
        .route("/static/{*file}", get(assets::serve));
    for (path, handler) in pages::routes() {
        router = router.route(path, handler);
    }
    router.layer(axum::middleware::map_response(security_headers))
}

/// CSP, no MIME sniffing, no Referer (URLs name pools and shares).
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
