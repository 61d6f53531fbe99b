//! Stdio upstreams: a child process speaking MCP on stdin/stdout.
//!
//! We spawn the child ourselves (rather than through rmcp's helper) to put the
//! raw-JSON tap under its stdout and to route its stderr into our log.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::tap::{TapReader, ToolListTap, tap_reader};
use super::{UpstreamError, redact};

/// How many of the child's last stderr lines are kept for error reports.
const STDERR_LINES: usize = 12;
const STDERR_LINE_CHARS: usize = 400;

/// What a child wrote that is not MCP, shown when it fails: the last lines
/// of its stderr, and the first lines of its stdout that were no JSON-RPC
/// message (a banner a server prints where only protocol may go).
#[derive(Clone, Default)]
pub(super) struct OutputTail {
    stderr: Arc<Mutex<VecDeque<String>>>,
    stdout: Arc<Mutex<VecDeque<String>>>,
}

/// How many lines of stdout that are not MCP are kept.
const STDOUT_LINES: usize = 5;

impl OutputTail {
    /// Lines are scrubbed whole before they are cut, so no cut leaves half
    /// a secret (a child may echo its environment).
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.stderr.lock() {
            if lines.len() == STDERR_LINES {
                lines.pop_front();
            }
            lines.push_back(
                redact::scrub(&line)
                    .chars()
                    .take(STDERR_LINE_CHARS)
                    .collect(),
            );
        }
    }

    /// Notes a line of stdout that is not a JSON-RPC message (the first few).
    pub(super) fn push_stdout(&self, line: &[u8]) {
        if let Ok(mut lines) = self.stdout.lock()
            && lines.len() < STDOUT_LINES
        {
            let text = redact::scrub(&String::from_utf8_lossy(line));
            lines.push_back(text.chars().take(STDERR_LINE_CHARS).collect());
        }
    }

    /// The kept lines, indented for an error message; empty when there are none.
    pub(super) fn render(&self) -> String {
        let take = |lines: &Mutex<VecDeque<String>>| {
            lines
                .lock()
                .map(|l| l.iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let mut shown = String::new();
        let stdout = take(&self.stdout);
        if !stdout.is_empty() {
            shown.push_str(&format!(
                "\n  the server wrote this to stdout, where only MCP messages may go (it must log to stderr):\n    {}",
                stdout.join("\n    ")
            ));
        }
        let stderr = take(&self.stderr);
        if !stderr.is_empty() {
            shown.push_str(&format!(
                "\n  last lines the server wrote to stderr:\n    {}",
                stderr.join("\n    ")
            ));
        }
        shown
    }
}

pub(super) struct Spawned {
    pub child: Child,
    pub transport: (TapReader<tokio::process::ChildStdout>, ChildStdin),
    pub tap: ToolListTap,
    pub stderr: OutputTail,
}

pub(super) fn spawn(
    server: &str,
    command: &str,
    args: &[String],
    env: &[(String, String)],
    hidden_env: &[String],
    cwd: Option<&PathBuf>,
) -> Result<Spawned, UpstreamError> {
    let mut cmd = Command::new(command);
    for var in hidden_env {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(cwd) = cwd {
        cmd.current_dir(cwd);
    }
    let mut child = cmd.spawn().map_err(|error| UpstreamError::Spawn {
        command: command.to_owned(),
        cwd: cwd.cloned(),
        error,
    })?;
    let (Some(stdout), Some(stdin), Some(stderr)) =
        (child.stdout.take(), child.stdin.take(), child.stderr.take())
    else {
        unreachable!("all three streams were requested as pipes");
    };

    let tail = OutputTail::default();
    let lines_tail = tail.clone();
    let server = server.to_owned();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::debug!(target: "codemode::upstream::stderr", server = %server, "{line}");
            lines_tail.push(line);
        }
    });

    let tap = ToolListTap::default();
    Ok(Spawned {
        child,
        transport: (tap_reader(stdout, tap.clone(), tail.clone()), stdin),
        tap,
        stderr: tail,
    })
}
