//! A/B upgrades over the API: status, bundle upload (streamed, no body
//! limit beyond the slot), install from a file on the appliance, rollback,
//! reboot. The work is in [`crate::upgrade`].

use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use super::openapi::{
    error_response, json_request, json_response, query_parameter, request, response,
};
use super::query::Query;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group, Peer};
use crate::engine::upgrade;
use crate::upgrade::install::{InstallOptions, Installed, Source};
use crate::upgrade::UpgradeStatus;
use ironstor_contract::bundle::DEFAULT_TRIES;

/// Refused uploads are still read to their end (so the client sees the
/// answer, not a reset connection), up to this much.
const DRAIN_LIMIT: u64 = 4 << 30;

pub fn group() -> Group {
    Group {
        name: "upgrade",
        description:
            "A/B upgrades: signed bundles into the inactive slot, boot counting, rollback.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/upgrade",
                Access::Admin,
                status,
                json!({
                    "summary": "Both slots, grubenv's view, install progress and the last outcome",
                    "operationId": "getUpgrade",
                    "responses": {"200": json_response::<UpgradeStatus>("Upgrade status.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/upgrade/bundle",
                Access::Admin,
                upload,
                json!({
                    "summary": "Upload an update bundle and install it into the inactive slot",
                    "description": "The body is the bundle itself (application/octet-stream), streamed: \
                        the signature is checked before any payload is read, every hash before \
                        anything is written. Answers when the slot is written and grubenv points \
                        at it; GET /upgrade shows progress meanwhile. One install at a time.",
                    "operationId": "uploadBundle",
                    "parameters": [
                        query_parameter("force", "Install another image's bundle or a lower version.", json!({"type": "boolean"})),
                        query_parameter("tries", "Boots the new slot gets before GRUB falls back (1-9, default 3).", json!({"type": "integer", "minimum": 1, "maximum": 9})),
                    ],
                    "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                    "responses": {
                        "200": json_response::<Installed>("Installed; reboot to run it."),
                        "409": error_response("An install is running, the running slot is not blessed yet, or this appliance boots from the network."),
                        "422": error_response("The bundle was refused: signature, image, version, size or hash."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/upgrade/install",
                Access::Admin,
                install_file,
                json!({
                    "summary": "Install a bundle from a file on the appliance (local socket only)",
                    "operationId": "installBundleFile",
                    "requestBody": json_request::<InstallRequest>(),
                    "responses": {
                        "200": json_response::<Installed>("Installed; reboot to run it."),
                        "409": error_response("An install is running or the running slot is not blessed yet."),
                        "422": error_response("The bundle was refused, or the request came over the network."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/upgrade/rollback",
                Access::Admin,
                rollback,
                json!({
                    "summary": "Make the other slot active again (after checking its image); reboot to run it",
                    "operationId": "rollback",
                    "responses": {
                        "200": json_response::<Message>("Rolled back."),
                        "409": error_response("The other slot holds no valid image."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/upgrade/reboot",
                Access::Admin,
                reboot,
                json!({
                    "summary": "Reboot the appliance (into the slot grubenv picks)",
                    "operationId": "reboot",
                    "responses": {
                        "202": json_response::<Message>("The reboot starts in a second."),
                        "409": error_response("An install is running."),
                    },
                }),
            ),
        ],
        types: vec![
            request::<InstallRequest>(),
            response::<UpgradeStatus>(),
            response::<Installed>(),
            response::<Message>(),
        ],
    }
}

async fn status(State(app): State<AppState>) -> Result<Json<UpgradeStatus>, ApiError> {
    app.blocking(|shared| upgrade::status(&shared.machine))
        .await
        .map(Json)
}

fn options(query: &Query) -> Result<InstallOptions, ApiError> {
    Ok(InstallOptions {
        force: query.flag("force")?,
        tries: query.get::<u32>("tries")?.unwrap_or(DEFAULT_TRIES),
    })
}

/// The next chunk of a request body.
async fn next_chunk(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
    loop {
        let frame =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(e) => return Some(Err(e)),
        }
    }
}

/// Reads and drops what is left of a body, up to [`DRAIN_LIMIT`].
async fn drain(body: &mut Body) {
    let mut seen = 0u64;
    while let Some(Ok(chunk)) = next_chunk(body).await {
        seen += chunk.len() as u64;
        if seen > DRAIN_LIMIT {
            return;
        }
    }
}

/// The blocking installer's view of the upload: chunks from the handler.
struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        format!("the upload broke off: {e}"),
                    ))
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

async fn upload(
    State(app): State<AppState>,
    uri: Uri,
    mut body: Body,
) -> Result<Json<Installed>, ApiError> {
    let opts = match Query::parse(&uri, &["force", "tries"]).and_then(|q| options(&q)) {
        Ok(opts) => opts,
        Err(e) => {
            drain(&mut body).await;
            return Err(e);
        }
    };
    let busy = match upgrade::begin(&app.machine) {
        Ok(busy) => busy,
        Err(e) => {
            drain(&mut body).await;
            return Err(e.into());
        }
    };
    let (tx, rx) = mpsc::channel(16);
    let job = app.blocking(move |shared| {
        let mut reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        upgrade::install(&shared.machine, &busy, Source::Upload(&mut reader), opts)
    });
    let feed = async {
        while let Some(chunk) = next_chunk(&mut body).await {
            let failed = chunk.is_err();
            if tx.send(chunk.map_err(|e| e.to_string())).await.is_err() || failed {
                // The installer stopped reading: refused, or done.
                break;
            }
        }
        drop(tx);
        drain(&mut body).await;
    };
    let (result, ()) = tokio::join!(job, feed);
    Ok(Json(result??))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InstallRequest {
    /// A bundle already on the appliance (local socket only).
    #[schemars(example = &"/var/tmp/update.bundle")]
    path: PathBuf,
    /// Install even a version that is not newer.
    #[serde(default)]
    force: bool,
    /// How many boots the new slot gets to become healthy.
    #[schemars(range(min = 1, max = 9))]
    tries: Option<u32>,
}

async fn install_file(
    State(app): State<AppState>,
    peer: Peer,
    ApiJson(request): ApiJson<InstallRequest>,
) -> Result<Json<Installed>, ApiError> {
    if !peer.is_local() {
        return Err(ApiError::invalid(
            "path",
            "installing from a file on the appliance is for the local socket (storagectl); upload the bundle instead",
        ));
    }
    let busy = upgrade::begin(&app.machine)?;
    let opts = InstallOptions {
        force: request.force,
        tries: request.tries.unwrap_or(DEFAULT_TRIES),
    };
    let result = app
        .blocking(move |shared| {
            upgrade::install(&shared.machine, &busy, Source::File(&request.path), opts)
        })
        .await?;
    Ok(Json(result?))
}

/// The answer to a rollback or a reboot: what happened, in words.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Message {
    pub message: String,
}

async fn rollback(State(app): State<AppState>) -> Result<Json<Message>, ApiError> {
    let _busy = upgrade::begin(&app.machine)?;
    let message = app
        .blocking(|shared| upgrade::rollback(&shared.machine))
        .await??;
    Ok(Json(Message { message }))
}

async fn reboot(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    // Not while an install writes a slot: that one would be lost, and the
    // caller probably meant to wait for it.
    let busy = upgrade::begin(&app.machine)?;
    let later = app.clone();
    tokio::spawn(async move {
        // Let the answer reach the client first.
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("storaged: rebooting on request");
        match later
            .blocking(|shared| upgrade::reboot(&shared.machine))
            .await
        {
            Ok(Err(e)) => println!("storaged: cannot reboot: {}", crate::util::error_chain(&e)),
            Err(e) => println!("storaged: cannot reboot: {e}"),
            Ok(Ok(())) => {}
        }
        drop(busy);
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(Message {
            message: "rebooting".into(),
        }),
    ))
}
