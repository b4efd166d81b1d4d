//! A small blocking HTTP/1.1 client for the API: what `storagectl` speaks
//! over the unix socket, and what tests speak over any stream (TLS too).
//!
//! One request per connection (`Connection: close`); bodies by
//! `Content-Length` or chunked. No TLS, redirects or proxies: it only ever
//! talks to storaged.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::error::ErrorBody;
use super::remote::Remote;
use super::PREFIX;

/// Largest answer read (the OpenAPI document is the biggest today).
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to storaged at {}; is it running, and are you root?", .socket.display())]
    Connect {
        socket: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("talking to storaged failed")]
    Io(#[from] io::Error),
    #[error("storaged's answer is not valid HTTP: {0}")]
    BadResponse(String),
    #[error("storaged's answer is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// `--host`: the TLS connection, its certificate pin or known_hosts.
    #[error(transparent)]
    Remote(#[from] super::remote::RemoteError),
    /// storaged answered with an error (4xx/5xx).
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
        body: Vec<u8>,
    },
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`null` when empty).
    pub fn json(&self) -> Result<Value, ClientError> {
        if self.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(ClientError::NotJson)
    }

    /// `Ok(self)` for 2xx; the API's error for anything else.
    pub fn error_for_status(self) -> Result<Response, ClientError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let detail = serde_json::from_slice::<ErrorBody>(&self.body).ok();
        Err(match detail {
            Some(ErrorBody { error }) => ClientError::Api {
                status: self.status,
                code: error.code,
                message: error.message,
                field: error.field,
                body: self.body,
            },
            None => ClientError::Api {
                status: self.status,
                code: "http".into(),
                message: format!(
                    "HTTP {}: {}",
                    self.status,
                    String::from_utf8_lossy(&self.body).trim()
                ),
                field: None,
                body: self.body,
            },
        })
    }
}

/// Sends one request over `stream` and reads the whole answer. `path` is
/// the full path (`/api/v1/status`); a body is sent as JSON.
pub fn send<S: Read + Write>(
    stream: &mut S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Response, ClientError> {
    let body = body.map(|b| serde_json::to_vec(b).expect("JSON values serialise"));
    send_raw(
        stream,
        method,
        path,
        headers,
        body.as_deref().map(|b| ("application/json", b)),
    )
}

/// As [`send`], with any body bytes and content type (tests send broken ones).
pub fn send_raw<S: Read + Write>(
    stream: &mut S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> Result<Response, ClientError> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: storaged\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let request = match body {
        Some((content_type, bytes)) => {
            if !content_type.is_empty() {
                head.push_str(&format!("Content-Type: {content_type}\r\n"));
            }
            head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
            let mut request = head.into_bytes();
            request.extend_from_slice(bytes);
            request
        }
        None => {
            head.push_str("Content-Length: 0\r\n\r\n");
            head.into_bytes()
        }
    };
    // A server may answer from the headers alone (415, 413, 401) and close
    // before it has read the body: the write then fails with a broken pipe
    // although the answer is waiting to be read. Read it; only if there is
    // none is the write error the error.
    let written = stream.write_all(&request).and_then(|()| stream.flush());
    match written {
        Ok(()) => read_response(stream, method == "HEAD"),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ) =>
        {
            read_response(stream, method == "HEAD").map_err(|_| e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads a status line, headers and body.
fn read_response<R: Read>(stream: &mut R, head_only: bool) -> Result<Response, ClientError> {
    let bad = |what: &str| ClientError::BadResponse(what.to_string());
    let mut buf = Vec::with_capacity(4096);
    let header_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err(bad("headers too long"));
        }
        if read_some(stream, &mut buf)? == 0 {
            return Err(bad("connection closed before the headers ended"));
        }
    };
    let head = std::str::from_utf8(&buf[..header_end]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| ClientError::BadResponse(format!("status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut rest = buf[header_end + 4..].to_vec();
    let response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(response);
    }
    let body = if response
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        read_chunked(stream, rest)?
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad Content-Length"))?;
        if len > MAX_RESPONSE {
            return Err(bad("answer too large"));
        }
        while rest.len() < len {
            if read_some(stream, &mut rest)? == 0 {
                return Err(bad("connection closed inside the body"));
            }
        }
        rest.truncate(len);
        rest
    } else {
        while read_some(stream, &mut rest)? != 0 {
            if rest.len() > MAX_RESPONSE {
                return Err(bad("answer too large"));
            }
        }
        rest
    };
    Ok(Response { body, ..response })
}

fn read_chunked<R: Read>(stream: &mut R, mut buf: Vec<u8>) -> Result<Vec<u8>, ClientError> {
    let bad = |what: &str| ClientError::BadResponse(what.to_string());
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(&buf, b"\r\n") {
                break i;
            }
            if read_some(stream, &mut buf)? == 0 {
                return Err(bad("connection closed inside a chunk header"));
            }
        };
        let size_text = std::str::from_utf8(&buf[..line_end]).map_err(|_| bad("chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("chunk size"))?;
        buf.drain(..line_end + 2);
        if size == 0 {
            return Ok(body);
        }
        if body.len() + size > MAX_RESPONSE {
            return Err(bad("answer too large"));
        }
        while buf.len() < size + 2 {
            if read_some(stream, &mut buf)? == 0 {
                return Err(bad("connection closed inside a chunk"));
            }
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

fn read_some<R: Read>(stream: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The API over its unix socket, as `storagectl` uses it on the box; or
/// over HTTPS to a pinned certificate ([`UnixClient::remote`]), as it uses
/// it from a workstation.
#[derive(Debug, Clone)]
pub struct UnixClient {
    socket: PathBuf,
    timeout: Duration,
    remote: Option<std::sync::Arc<Remote>>,
}

impl UnixClient {
    /// `timeout` bounds each read and write (operations such as creating a
    /// pool may take a while).
    pub fn new(socket: &Path, timeout: Duration) -> UnixClient {
        UnixClient {
            socket: socket.to_path_buf(),
            timeout,
            remote: None,
        }
    }

    /// The API of the appliance `remote` names, over HTTPS, with its token.
    pub fn remote(remote: Remote, timeout: Duration) -> UnixClient {
        UnixClient {
            socket: PathBuf::new(),
            timeout,
            remote: Some(std::sync::Arc::new(remote)),
        }
    }

    /// The appliance reached over HTTPS, if that is how.
    pub fn remote_host(&self) -> Option<&Remote> {
        self.remote.as_deref()
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `GET /api/v1<path>`; 4xx/5xx become [`ClientError::Api`].
    pub fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.call("GET", path, None)
    }

    /// `POST /api/v1<path>` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.call("POST", path, Some(body))
    }

    /// Any method; the answer's JSON (`null` for none).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        self.call_with(method, path, &[], body)
    }

    /// As [`UnixClient::call`], with extra request headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        self.request(method, path, headers, body)?
            .error_for_status()?
            .json()
    }

    /// The raw answer, whatever its status.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Response, ClientError> {
        if let Some(remote) = &self.remote {
            let mut stream = remote.connect(self.timeout)?;
            let bearer = remote.token.as_ref().map(|t| format!("Bearer {t}"));
            let mut all: Vec<(&str, &str)> = headers.to_vec();
            // A request that carries its own (logout's) keeps it.
            let has_own = headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
            if let (Some(bearer), false) = (&bearer, has_own) {
                all.push(("Authorization", bearer));
            }
            return send(&mut stream, method, &format!("{PREFIX}{path}"), &all, body);
        }
        let mut stream = self.connect()?;
        send(
            &mut stream,
            method,
            &format!("{PREFIX}{path}"),
            headers,
            body,
        )
    }

    /// A connected stream, for callers that send by hand.
    pub fn connect(&self) -> Result<UnixStream, ClientError> {
        let stream = UnixStream::connect(&self.socket).map_err(|source| ClientError::Connect {
            socket: self.socket.clone(),
            source,
        })?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A canned answer; writes go nowhere.
    struct Canned(io::Cursor<Vec<u8>>);

    impl Read for Canned {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            // One byte at a time, to exercise every partial read.
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    impl Write for Canned {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn answer(raw: &str) -> Result<Response, ClientError> {
        send(
            &mut Canned(io::Cursor::new(raw.as_bytes().to_vec())),
            "GET",
            "/",
            &[],
            None,
        )
    }

    /// A server that answered from the headers and closed: writing the
    /// body fails, the answer is there to read.
    struct AnsweredEarly(io::Cursor<Vec<u8>>);

    impl Read for AnsweredEarly {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Write for AnsweredEarly {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_early_answer_is_read_even_when_the_body_cannot_be_sent() {
        let raw = "HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: 2\r\n\r\n{}";
        let mut stream = AnsweredEarly(io::Cursor::new(raw.as_bytes().to_vec()));
        let r = send_raw(&mut stream, "POST", "/", &[], Some(("text/plain", b"x"))).unwrap();
        assert_eq!(r.status, 415);
        let mut silent = AnsweredEarly(io::Cursor::new(Vec::new()));
        let err = send_raw(&mut silent, "POST", "/", &[], Some(("text/plain", b"x"))).unwrap_err();
        assert!(
            matches!(&err, ClientError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe),
            "{err:?}"
        );
    }

    #[test]
    fn reads_content_length_bodies() {
        let r =
            answer("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-A: b\r\n\r\n{\"a\":1}junk").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-a"), Some("b"));
        assert_eq!(r.json().unwrap()["a"], 1);
    }

    #[test]
    fn reads_chunked_bodies() {
        let r = answer(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"{\"a\":1}");
    }

    #[test]
    fn no_content_has_no_body() {
        let r = answer("HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert_eq!(r.status, 204);
        assert_eq!(r.json().unwrap(), Value::Null);
    }

    #[test]
    fn api_errors_carry_the_servers_message() {
        let body = r#"{"error":{"code":"invalid_request","message":"password too short","field":"password"}}"#;
        let raw = format!(
            "HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let err = answer(&raw).unwrap().error_for_status().unwrap_err();
        match &err {
            ClientError::Api {
                status,
                code,
                field,
                ..
            } => {
                assert_eq!(*status, 422);
                assert_eq!(code, "invalid_request");
                assert_eq!(field.as_deref(), Some("password"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.to_string(), "password too short");
    }

    #[test]
    fn truncated_answers_are_errors() {
        assert!(answer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}").is_err());
        assert!(answer("HTTP/1.1 200 OK\r\n").is_err());
        assert!(answer("SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }
}
