//! The pre-receive hook of pushes and its line to the running server. `git receive-pack` runs
//! `<data>/hooks/pre-receive` (through `core.hooksPath`), a script that execs `atelier hook
//! pre-receive` ([`run_pre_receive`]); that process sends the ref updates, the push's ticket
//! and git's quarantine directory over a Unix socket to the server ([`Hooks`]), which decides
//! ([`crate::store::Store::push`]) and answers with the verdict and the lines git shows the
//! pusher as `remote: …`.
//!
//! Invariants: a hook call is answered only for a ticket the server issued for a push still in
//! progress, and each ticket is used once; the socket is reachable by this machine's processes
//! only (a private directory), and the ticket is a random secret besides.

use std::collections::HashMap;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
use tokio::sync::oneshot;

use crate::store::{RefUpdate, Verdict};

/// The environment the server gives `git receive-pack` (and so the hook).
pub const SOCKET_ENV: &str = "ATELIER_HOOK_SOCKET";
pub const TICKET_ENV: &str = "ATELIER_PUSH_TICKET";
/// The most ref updates one push may carry.
const MAX_UPDATES: usize = 10_000;
/// The longest hook request line, in bytes.
const MAX_LINE: u64 = 4 << 20;

/// What the hook sends: one JSON line.
#[derive(Debug, Serialize, Deserialize)]
struct Call {
    ticket: String,
    /// `GIT_QUARANTINE_PATH`: the pushed objects until git accepts them.
    quarantine: Option<PathBuf>,
    /// The hook's input lines, `<old> <new> <refname>`.
    updates: Vec<String>,
}

/// What the server answers: one JSON line.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    accepted: bool,
    messages: Vec<String>,
}

/// A push's hook call, handed to the request that started the push.
#[derive(Debug)]
pub struct HookCall {
    pub updates: Vec<RefUpdate>,
    pub quarantine: Option<PathBuf>,
    /// Where the verdict goes (the hook waits for it).
    pub reply: oneshot::Sender<Verdict>,
}

/// The hook directory and socket of a running server.
#[derive(Debug)]
pub struct Hooks {
    dir: PathBuf,
    socket: PathBuf,
    sessions: Mutex<HashMap<String, oneshot::Sender<HookCall>>>,
    /// The hook ran at start: git skips a hook it cannot execute (a `noexec` data volume, a
    /// lost mode bit), which would let pushes through unchecked, so pushes need this.
    pub runs: bool,
}

/// A push in progress: its ticket, and the hook call once git makes it. Dropping it retires
/// the ticket.
#[derive(Debug)]
pub struct Session {
    hooks: Arc<Hooks>,
    pub ticket: String,
    pub call: oneshot::Receiver<HookCall>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.hooks
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.ticket);
    }
}

impl Hooks {
    /// Writes `<data>/hooks/pre-receive` (running `program`), listens on the hook socket and
    /// answers hook calls until the runtime stops. Needs a Tokio runtime.
    pub fn start(data: &Path, program: &Path) -> std::io::Result<Arc<Self>> {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        let dir = data.join("hooks");
        std::fs::create_dir_all(&dir)?;
        let script = format!(
            "#!/bin/sh\n# Written by atelier at every start: pushes are checked by the server.\nexec {} hook pre-receive\n",
            shell_quote(&program.to_string_lossy())
        );
        let path = dir.join("pre-receive");
        let scratch = dir.join(".pre-receive.new");
        std::fs::write(&scratch, script)?;
        std::fs::set_permissions(&scratch, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&scratch, &path)?;

        let run = data.join("run");
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&run)?;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700))?;
        let mut socket = run.join("hook.sock");
        // A Unix socket path has at most 107 bytes: a deep data directory gets a private
        // folder under the temporary directory instead.
        if socket.as_os_str().len() > 100 {
            let private = std::env::temp_dir()
                .join(format!("atelier-hooks-{}", crate::accounts::random_hex(8)));
            std::fs::DirBuilder::new().mode(0o700).create(&private)?;
            socket = private.join("hook.sock");
        }
        let _ = std::fs::remove_file(&socket);
        let listener = tokio::net::UnixListener::bind(&socket)?;
        let runs = hook_runs(&path);
        let hooks = Arc::new(Self {
            dir,
            socket,
            sessions: Mutex::default(),
            runs,
        });
        tokio::spawn({
            let hooks = hooks.clone();
            async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, _)) => {
                            tokio::spawn(hooks.clone().answer(stream));
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "hook socket: accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        }
                    }
                }
            }
        });
        Ok(hooks)
    }

    /// The directory for `core.hooksPath`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// A new push: its ticket goes to `git receive-pack` in [`TICKET_ENV`].
    pub fn session(self: &Arc<Self>) -> Session {
        let ticket = crate::accounts::random_hex(24);
        let (tx, call) = oneshot::channel();
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ticket.clone(), tx);
        Session {
            hooks: self.clone(),
            ticket,
            call,
        }
    }

    /// Answers one hook connection.
    async fn answer(self: Arc<Self>, stream: tokio::net::UnixStream) {
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let read = tokio::io::AsyncReadExt::take(read, MAX_LINE);
        let answer = match tokio::io::BufReader::new(read).read_line(&mut line).await {
            Ok(_) => self.decide(&line).await,
            Err(err) => refusal(format!("the hook's request could not be read: {err}")),
        };
        let mut out = serde_json::to_vec(&answer).unwrap_or_default();
        out.push(b'\n');
        let _ = write.write_all(&out).await;
    }

    async fn decide(&self, line: &str) -> Answer {
        let call: Call = match serde_json::from_str(line) {
            Ok(call) => call,
            Err(err) => return refusal(format!("the hook's request is malformed: {err}")),
        };
        let Some(session) = self
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&call.ticket)
        else {
            return refusal("this push is not known to the server (it was retried or timed out)");
        };
        if call.updates.len() > MAX_UPDATES {
            return refusal(format!(
                "a push may update at most {MAX_UPDATES} refs; push in parts"
            ));
        }
        let mut updates = Vec::with_capacity(call.updates.len());
        for line in &call.updates {
            match RefUpdate::parse(line) {
                Some(update) => updates.push(update),
                None => return refusal(format!("a ref update is malformed: {line:?}")),
            }
        }
        let (reply, verdict) = oneshot::channel();
        let hook_call = HookCall {
            updates,
            quarantine: call.quarantine,
            reply,
        };
        if session.send(hook_call).is_err() {
            return refusal("the push ended before it was checked");
        }
        match verdict.await {
            Ok(Ok(())) => Answer {
                accepted: true,
                messages: Vec::new(),
            },
            Ok(Err(problems)) => Answer {
                accepted: false,
                messages: problems,
            },
            Err(_) => refusal("the server could not check this push; try again"),
        }
    }
}

fn refusal(message: impl Into<String>) -> Answer {
    Answer {
        accepted: false,
        messages: vec![message.into()],
    }
}

/// Runs the hook outside a push: it must start and refuse (exit 1, naming itself).
fn hook_runs(path: &Path) -> bool {
    let ran = std::process::Command::new(path)
        .env_remove(SOCKET_ENV)
        .env_remove(TICKET_ENV)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .output();
    match ran {
        Ok(out)
            if out.status.code() == Some(1)
                && String::from_utf8_lossy(&out.stderr).contains("inside a push") =>
        {
            true
        }
        Ok(out) => {
            tracing::error!(
                hook = %path.display(), status = %out.status,
                stderr = %String::from_utf8_lossy(&out.stderr).trim(),
                "the git hook does not run as it should: pushes are refused"
            );
            false
        }
        Err(err) => {
            tracing::error!(hook = %path.display(), error = %err, "the git hook cannot run: pushes are refused");
            false
        }
    }
}

/// `'…'` with every `'` escaped, for `/bin/sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `atelier hook pre-receive`: forwards git's ref updates to the server and prints its answer
/// (git shows it prefixed `remote: `). The exit code is the verdict: 0 accepts the push.
pub fn run_pre_receive() -> i32 {
    let fail = |message: &str| {
        eprintln!("atelier: {message}");
        1
    };
    let (Some(socket), Some(ticket)) =
        (std::env::var_os(SOCKET_ENV), std::env::var(TICKET_ENV).ok())
    else {
        return fail("this hook only runs inside a push the server started");
    };
    let mut updates = Vec::new();
    for line in std::io::stdin().lock().lines() {
        match line {
            Ok(line) if !line.trim().is_empty() => updates.push(line),
            Ok(_) => {}
            Err(err) => return fail(&format!("cannot read the ref updates: {err}")),
        }
    }
    let call = Call {
        ticket,
        quarantine: std::env::var_os("GIT_QUARANTINE_PATH").map(PathBuf::from),
        updates,
    };
    let answer = (|| -> std::io::Result<Answer> {
        let mut stream = std::os::unix::net::UnixStream::connect(&socket)?;
        let mut line = serde_json::to_vec(&call)?;
        line.push(b'\n');
        stream.write_all(&line)?;
        let mut reply = String::new();
        std::io::BufReader::new(stream).read_line(&mut reply)?;
        Ok(serde_json::from_str(&reply)?)
    })();
    match answer {
        Ok(answer) => {
            for message in &answer.messages {
                eprintln!("{message}");
            }
            if answer.accepted { 0 } else { 1 }
        }
        Err(err) => fail(&format!(
            "cannot reach the server to check this push: {err}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote("/opt/at elier"), "'/opt/at elier'");
        assert_eq!(shell_quote("/a'b"), r"'/a'\''b'");
    }

    #[test]
    fn ref_updates_parse_from_hook_lines() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let update = RefUpdate::parse(&format!("{zero} {a} refs/heads/main")).unwrap();
        assert_eq!(update.old, None);
        assert_eq!(update.new, Some(git2::Oid::from_str(&a).unwrap()));
        assert_eq!(update.refname, "refs/heads/main");
        assert!(RefUpdate::parse(&format!("{a} refs/heads/main")).is_none());
        assert!(RefUpdate::parse(&format!("{a} {a} refs/heads/main extra")).is_none());
        assert!(RefUpdate::parse(&format!("{a} abc refs/heads/main")).is_none());
    }
}
