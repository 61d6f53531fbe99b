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

use super::UpstreamError;
use super::tap::{TapReader, ToolListTap, tap_reader};

/// How many of the child's last stderr lines are kept for error reports.
const STDERR_LINES: usize = 12;
const STDERR_LINE_CHARS: usize = 400;

/// The last lines a child wrote to stderr, shown when it fails.
#[derive(Clone, Default)]
pub struct StderrTail(Arc<Mutex<VecDeque<String>>>);

impl StderrTail {
    fn push(&self, line: String) {
        if let Ok(mut lines) = self.0.lock() {
            if lines.len() == STDERR_LINES {
                lines.pop_front();
            }
            lines.push_back(line.chars().take(STDERR_LINE_CHARS).collect());
        }
    }

    /// The kept lines, indented for an error message; empty when there are none.
    pub fn render(&self) -> String {
        let lines = self
            .0
            .lock()
            .map(|l| l.iter().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        if lines.is_empty() {
            return String::new();
        }
        format!(
            "\n  last lines the server wrote to stderr:\n    {}",
            lines.join("\n    ")
        )
    }
}

pub struct Spawned {
    pub child: Child,
    pub transport: (TapReader<tokio::process::ChildStdout>, ChildStdin),
    pub tap: ToolListTap,
    pub stderr: StderrTail,
}

pub fn spawn(
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

    let tail = StderrTail::default();
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
        transport: (tap_reader(stdout, tap.clone()), stdin),
        tap,
        stderr: tail,
    })
}
