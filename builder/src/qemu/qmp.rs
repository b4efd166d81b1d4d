//! A QMP (QEMU Machine Protocol) client on the run directory's `qmp.sock`:
//! what a test needs of the running machine from outside the guest, e.g. a
//! `screendump` of the VGA console or `set_link` to cut a NIC.
//!
//! QMP is line-delimited JSON: a greeting, `qmp_capabilities`, then one
//! answer per command, with asynchronous events interleaved (skipped here).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum QmpError {
    #[error("cannot talk QMP on {}", .socket.display())]
    Io {
        socket: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("QMP on {} answered something that is not JSON: {line:?}", .socket.display())]
    NotJson { socket: PathBuf, line: String },
    #[error("QMP command {command} failed: {message}")]
    Command { command: String, message: String },
}

/// One QMP session, in command mode.
pub struct Qmp {
    socket: PathBuf,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects, reads the greeting and enters command mode.
    pub fn connect(socket: &Path) -> Result<Qmp, QmpError> {
        let io = |source| QmpError::Io {
            socket: socket.to_path_buf(),
            source,
        };
        let stream = UnixStream::connect(socket).map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(io)?;
        let writer = stream.try_clone().map_err(io)?;
        let mut qmp = Qmp {
            socket: socket.to_path_buf(),
            reader: BufReader::new(stream),
            writer,
        };
        qmp.read_message()?; // the greeting
        qmp.execute("qmp_capabilities", json!({}))?;
        Ok(qmp)
    }

    /// Runs `command` with `arguments` and returns its `return` value.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value, QmpError> {
        let request = json!({"execute": command, "arguments": arguments});
        writeln!(self.writer, "{request}").map_err(|source| QmpError::Io {
            socket: self.socket.clone(),
            source,
        })?;
        loop {
            let message = self.read_message()?;
            if message.get("event").is_some() {
                continue;
            }
            if let Some(error) = message.get("error") {
                return Err(QmpError::Command {
                    command: command.to_string(),
                    message: error["desc"].as_str().unwrap_or("?").to_string(),
                });
            }
            return Ok(message.get("return").cloned().unwrap_or(Value::Null));
        }
    }

    /// Writes the VGA console's picture to `file` (PPM, or PNG where this
    /// QEMU supports `format`).
    pub fn screendump(&mut self, file: &Path) -> Result<(), QmpError> {
        let png = file.extension().is_some_and(|e| e == "png");
        let mut arguments = json!({"filename": file.display().to_string()});
        if png {
            arguments["format"] = json!("png");
        }
        self.execute("screendump", arguments).map(|_| ())
    }

    /// Sets the link of the NIC whose device id (or netdev name) is `name`
    /// up or down, as pulling a cable would.
    pub fn set_link(&mut self, name: &str, up: bool) -> Result<(), QmpError> {
        self.execute("set_link", json!({"name": name, "up": up}))
            .map(|_| ())
    }

    fn read_message(&mut self) -> Result<Value, QmpError> {
        let mut line = String::new();
        let read = self
            .reader
            .read_line(&mut line)
            .map_err(|source| QmpError::Io {
                socket: self.socket.clone(),
                source,
            })?;
        if read == 0 {
            return Err(QmpError::Io {
                socket: self.socket.clone(),
                source: std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "QEMU closed QMP"),
            });
        }
        serde_json::from_str(line.trim()).map_err(|_| QmpError::NotJson {
            socket: self.socket.clone(),
            line,
        })
    }
}
