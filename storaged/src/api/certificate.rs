//! The HTTPS certificate: what is served (its fingerprint, to compare with
//! what the browser or remote storagectl shows), and the owner's own to
//! serve instead of the self-signed one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Extension;
use axum::http::Method;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{error_response, json_response, response};
use super::{Access, ApiError, AppState, Endpoint, Group};
use crate::tls::{CertStore, CertificateError, CertificateInfo};

pub fn group() -> Group {
    Group {
        name: "certificate",
        description: "The HTTPS certificate: made self-signed at first start; the owner may \
            upload their own.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/certificate",
                Access::Admin,
                show,
                json!({
                    "summary": "The certificate the HTTPS listener serves",
                    "operationId": "getCertificate",
                    "responses": {
                        "200": json_response::<CertificateBody>("The certificate served now."),
                        "409": error_response("HTTPS is off in this storaged."),
                    },
                }),
            ),
            Endpoint::new(
                Method::PUT,
                "/certificate",
                Access::Admin,
                replace,
                json!({
                    "summary": "Serve the owner's own certificate",
                    "description": "The body is PEM text: the certificate chain (the server's \
                        own certificate first, then intermediates) and its private key (PKCS#8, \
                        RSA or EC). They must parse, the key must match the first certificate \
                        and it must not have expired; otherwise nothing changes. The pair is \
                        written where the self-signed one was and served from the next \
                        connection on, without a restart.",
                    "operationId": "putCertificate",
                    "requestBody": {"required": true, "content": {
                        "application/x-pem-file": {"schema": {"type": "string"}},
                        "text/plain": {"schema": {"type": "string"}},
                    }},
                    "responses": {
                        "200": json_response::<CertificateBody>("Now served."),
                        "409": error_response("HTTPS is off in this storaged."),
                        "422": error_response("The PEM was refused: unreadable, no key, a key that does not match, or expired."),
                    },
                }),
            ),
        ],
        types: vec![response::<CertificateBody>()],
    }
}

/// `GET /certificate`, and the answer to `PUT /certificate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Certificate")]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    /// SHA-256 of the server certificate's DER, colon-separated uppercase
    /// hex, as browsers show it.
    #[schemars(example = &"3A:F2:...:9C")]
    pub fingerprint_sha256: String,
    /// RFC 4514 style: `CN=nas.example, O=Example`.
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// Issued by itself (the one storaged made, or the owner's own
    /// self-signed one).
    pub self_signed: bool,
    /// Certificates served, the server's own included.
    pub chain_length: usize,
}

impl From<CertificateInfo> for CertificateBody {
    fn from(i: CertificateInfo) -> CertificateBody {
        CertificateBody {
            fingerprint_sha256: i.fingerprint_sha256,
            subject: i.subject,
            issuer: i.issuer,
            not_before: i.not_before,
            not_after: i.not_after,
            self_signed: i.self_signed,
            chain_length: i.chain_length,
        }
    }
}

/// The listener's store, which the daemon puts on every request when
/// HTTPS is on.
type Store = Option<Extension<Arc<CertStore>>>;

fn https_off() -> ApiError {
    ApiError::Conflict {
        message: "HTTPS is off in this storaged: there is no certificate".into(),
    }
}

async fn show(store: Store) -> Result<Json<CertificateBody>, ApiError> {
    let Extension(store) = store.ok_or_else(https_off)?;
    Ok(Json(store.info().into()))
}

async fn replace(
    axum::extract::State(app): axum::extract::State<AppState>,
    store: Store,
    body: Bytes,
) -> Result<Json<CertificateBody>, ApiError> {
    let Extension(store) = store.ok_or_else(https_off)?;
    let pem = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::invalid("body", "the body must be PEM text"))?;
    let info = app
        .mutate(move |_| store.replace(&pem))
        .await?
        .map_err(|e| match e {
            CertificateError::Write { .. } => ApiError::internal(&e),
            refused => ApiError::invalid("body", refused.to_string()),
        })?;
    println!(
        "storaged: now serving the HTTPS certificate {} ({})",
        info.fingerprint_sha256, info.subject
    );
    Ok(Json(info.into()))
}
