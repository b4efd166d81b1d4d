//! The resource pages, one module each (see the `web` module's doc).

use axum::routing::MethodRouter;

use crate::api::AppState;

/// Every resource page's route: one line per page, e.g.
/// `("/ui/pools", get(pools::page)),`.
pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        // Resource pages: one line each, below.
    ]
}
