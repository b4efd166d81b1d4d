//! The console screen's facts, a new setup token from the console, and the
//! machine's power (reboot, shut down) for the console and the web page.
//! The work is in [`crate::engine::console`].

use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{error_response, json_response, response};
use super::{Access, ApiError, AppState, Endpoint, Group, Peer};
use crate::engine::console::{self, Facts, Power};
use crate::engine::upgrade;

pub fn group() -> Group {
    Group {
        name: "console",
        description: "What the appliance's own screen shows, and its power.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/console",
                Access::Admin,
                facts,
                json!({
                    "summary": "Facts for the console screen",
                    "description": "Host name, addresses, HTTPS URLs, the certificate's \
                        fingerprint, setup state, health, open alerts and the running \
                        version. The setup token is shown only on the local socket.",
                    "operationId": "getConsole",
                    "responses": {"200": json_response::<ConsoleFacts>("The facts.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/setup/token",
                Access::Public,
                renew_setup_token,
                json!({
                    "summary": "Make a new setup token (the console's `t` key)",
                    "description": "Only on the local socket, and only while no admin \
                        password is set. The old token stops working.",
                    "operationId": "renewSetupToken",
                    "responses": {
                        "200": json_response::<SetupTokenBody>("The new token."),
                        "403": error_response("Not asked on the appliance itself."),
                        "409": error_response("The admin password is already set."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/system/reboot",
                Access::Admin,
                reboot,
                json!({
                    "summary": "Reboot the appliance",
                    "operationId": "systemReboot",
                    "responses": {
                        "202": json_response::<PowerBody>("The reboot starts in a second."),
                        "409": error_response("An install is running."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/system/shutdown",
                Access::Admin,
                shutdown,
                json!({
                    "summary": "Shut the appliance down (power off)",
                    "operationId": "systemShutdown",
                    "responses": {
                        "202": json_response::<PowerBody>("The shut-down starts in a second."),
                        "409": error_response("An install is running."),
                    },
                }),
            ),
        ],
        types: vec![
            response::<ConsoleFacts>(),
            response::<SetupTokenBody>(),
            response::<PowerBody>(),
        ],
    }
}

/// `GET /console`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleFacts {
    pub hostname: String,
    /// Every address of every interface that is up, loopback left out.
    pub addresses: Vec<ConsoleAddress>,
    /// The web console's URLs, one per routable address.
    pub https_urls: Vec<String>,
    /// SHA-256 of the HTTPS certificate, colon-separated hex; `null` when
    /// HTTPS is off.
    #[schemars(extend("nullable" = true))]
    pub certificate_fingerprint_sha256: Option<String>,
    /// No admin password yet.
    pub setup_required: bool,
    /// The setup token while `setup_required`, on the local socket only;
    /// always `null` over the network.
    #[schemars(extend("nullable" = true))]
    pub setup_token: Option<String>,
    pub health: ConsoleHealth,
    /// Alerts not yet acknowledged (0 until alerts are raised).
    pub open_alerts: u32,
    /// storaged's version.
    pub version: String,
    /// The image's version, from os-release.
    #[schemars(extend("nullable" = true))]
    pub image_version: Option<String>,
    /// The boot slot, `a` or `b`; `null` on a network boot.
    #[schemars(extend("nullable" = true))]
    pub slot: Option<String>,
}

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleAddress {
    #[schemars(example = &"eno1")]
    pub interface: String,
    #[schemars(example = &"192.168.1.20")]
    pub address: String,
    /// Netmask length in bits.
    pub prefix: u8,
}

/// Health at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsoleHealth {
    pub pools: Vec<ConsolePool>,
    /// What is wrong, in words; empty when all is well.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsolePool {
    pub name: String,
    /// `ONLINE`, `DEGRADED`, ..., or `NOT IMPORTED`.
    pub health: String,
}

/// `POST /setup/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupTokenBody {
    #[schemars(example = &"7K2Q-M9XD-4TRB")]
    pub token: String,
}

/// `POST /system/reboot` and `/system/shutdown`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PowerBody {
    pub message: String,
}

impl From<Facts> for ConsoleFacts {
    fn from(f: Facts) -> ConsoleFacts {
        ConsoleFacts {
            hostname: f.hostname,
            addresses: f
                .addresses
                .into_iter()
                .map(|a| ConsoleAddress {
                    interface: a.interface,
                    address: a.address.to_string(),
                    prefix: a.prefix,
                })
                .collect(),
            https_urls: f.https_urls,
            certificate_fingerprint_sha256: f.certificate_fingerprint_sha256,
            setup_required: f.setup_required,
            setup_token: f.setup_token,
            health: ConsoleHealth {
                pools: f
                    .pools
                    .into_iter()
                    .map(|p| ConsolePool {
                        name: p.name,
                        health: p.health,
                    })
                    .collect(),
                problems: f.problems,
            },
            open_alerts: f.open_alerts,
            version: f.version,
            image_version: f.image_version,
            slot: f.slot,
        }
    }
}

async fn facts(State(app): State<AppState>, peer: Peer) -> Result<Json<ConsoleFacts>, ApiError> {
    let facts = app
        .blocking(move |shared| {
            console::facts(
                &shared.machine,
                &shared.auth,
                shared.https.as_ref(),
                peer.is_local(),
            )
        })
        .await?;
    Ok(Json(facts.into()))
}

async fn renew_setup_token(
    State(app): State<AppState>,
    peer: Peer,
) -> Result<Json<SetupTokenBody>, ApiError> {
    if !peer.is_local() {
        return Err(ApiError::LocalOnly {
            what: "a new setup token",
        });
    }
    let token = app
        .blocking(|shared| console::renew_setup_token(&shared.auth))
        .await??;
    println!("storaged: a new setup token was made on the console");
    Ok(Json(SetupTokenBody { token }))
}

async fn reboot(State(app): State<AppState>, peer: Peer) -> Result<impl IntoResponse, ApiError> {
    power(app, peer, Power::Reboot).await
}

async fn shutdown(State(app): State<AppState>, peer: Peer) -> Result<impl IntoResponse, ApiError> {
    power(app, peer, Power::Shutdown).await
}

/// Answers at once, then asks systemd a second later, so the answer
/// reaches the caller first; not while an install writes a slot (that one
/// would be lost, and the caller probably meant to wait for it).
async fn power(
    app: AppState,
    peer: Peer,
    what: Power,
) -> Result<(StatusCode, Json<PowerBody>), ApiError> {
    let busy = upgrade::begin(&app.machine)?;
    let later = app.clone();
    let from = match peer {
        Peer::Local => "the local socket".to_string(),
        Peer::Network(addr) => addr.ip().to_string(),
    };
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("storaged: {} requested from {from}", what.verb());
        match later
            .blocking(move |shared| console::power(&shared.machine, what))
            .await
        {
            Ok(Err(e)) => println!("storaged: {}", crate::util::error_chain(&e)),
            Err(e) => println!("storaged: cannot {}: {e}", what.verb()),
            Ok(Ok(())) => {}
        }
        drop(busy);
    });
    let message = match what {
        Power::Reboot => "rebooting",
        Power::Shutdown => "shutting down",
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(PowerBody {
            message: message.into(),
        }),
    ))
}
