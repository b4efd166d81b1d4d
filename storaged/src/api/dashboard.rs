//! The dashboard's data: one sample of the machine, or a stream of them,
//! from the one shared collector (`crate::collector`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::Method;
use axum::response::sse::{Event, Sse};
use axum::Json;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::json;
use tokio::sync::watch;

use super::openapi::{json_response, response};
use super::{Access, ApiError, AppState, Endpoint, Group};
use crate::collector::Sample;

/// How long `GET /dashboard` waits for a sample when none is fresh (the
/// collector was resting).
const FIRST_SAMPLE_WAIT: Duration = Duration::from_secs(10);
/// What a browser's EventSource waits before reconnecting.
const RECONNECT: Duration = Duration::from_secs(3);

pub fn group() -> Group {
    Group {
        name: "dashboard",
        description: "The machine at a glance: drives, pools, ARC, network, CPU, memory, \
            sessions, sampled every 2 s by one collector however many clients watch.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/dashboard",
                Access::Admin,
                one,
                json!({
                    "summary": "One sample of the machine",
                    "description": "The newest sample, at most two intervals old; when \
                        nobody has watched for a while the collector rests, and this waits \
                        for the next one. Rates (`*_per_second`, `busy_percent`, \
                        `hit_percent`) are over `interval_ms` and null in a first sample.",
                    "operationId": "getDashboard",
                    "responses": {
                        "200": json_response::<Sample>("The sample."),
                        "500": super::openapi::error_response("No sample came in time."),
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/dashboard/stream",
                Access::Admin,
                stream_samples,
                json!({
                    "summary": "Samples as Server-Sent Events",
                    "description": "`text/event-stream`: one `sample` event (its data a \
                        DashboardSample as JSON) every 2 s, the first as soon as there is \
                        one. Every stream shares the one collector.",
                    "operationId": "streamDashboard",
                    "responses": {
                        "200": {
                            "description": "An endless stream of `sample` events.",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        },
                    },
                }),
            ),
        ],
        types: vec![response::<Sample>()],
    }
}

/// `GET /dashboard`.
async fn one(State(app): State<AppState>) -> Result<Json<Sample>, ApiError> {
    let sample = app
        .collector
        .latest(FIRST_SAMPLE_WAIT)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(Sample::clone(&sample)))
}

/// `GET /dashboard/stream`.
async fn stream_samples(
    State(app): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let closed = app.collector.closed();
    Sse::new(samples(app.collector.subscribe()).take_until(closed))
}

/// The events of one stream: the sample in hand first, then each new one;
/// ends if the collector goes away. Holding the receiver keeps the
/// collector sampling.
fn samples(
    receiver: watch::Receiver<Option<Arc<Sample>>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold((receiver, true), |(mut receiver, first)| async move {
        loop {
            if !first || receiver.borrow().is_none() {
                receiver.changed().await.ok()?;
            }
            let sample = receiver.borrow_and_update().clone();
            if let Some(sample) = sample {
                return Some((Ok(event(&sample)), (receiver, false)));
            }
        }
    })
}

fn event(sample: &Sample) -> Event {
    let data = serde_json::to_string(sample).expect("a sample serialises");
    Event::default().event("sample").retry(RECONNECT).data(data)
}
