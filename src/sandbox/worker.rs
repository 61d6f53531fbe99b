//! Sandbox worker processes: the hard backstop behind the engine's limits.
//!
//! QuickJS checks its interrupt handler only every ~10,000 ticks, so a loop of
//! slow built-ins (`for (;;) s.indexOf("y")` on a 10 MB string) can run far
//! past its deadline inside the engine. Executions therefore run in a child
//! process (`codemode sandbox-worker`) that the host kills when the deadline
//! passes: the CPU and memory are returned at once, and the next execution
//! gets a new process. A worker that finished normally is reused; each
//! execution still gets a fresh runtime and context inside it.
//!
//! The protocol is one JSON message per line: [`ToWorker`] on the worker's
//! stdin, [`FromWorker`] on its stdout. The worker's stderr goes to our log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{mpsc, oneshot};

use super::{Event, Finished, Job, Level, Reply, ScriptError};

/// The hidden subcommand that runs a worker.
pub const SUBCOMMAND: &str = "sandbox-worker";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    Run { job: Job },
    Reply { id: u64, reply: Reply },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    Call {
        id: u64,
        server: String,
        tool: String,
        args: Value,
    },
    Log {
        level: Level,
        message: String,
    },
    Done {
        outcome: Result<Finished, ScriptError>,
    },
}

/// Stack of the thread that runs programs. QuickJS checks the program's own
/// stack limit (at most 8 MiB) only at JavaScript function entry, and native
/// frames (large in unoptimized builds) come on top, so the thread gets a
/// wide margin.
const ENGINE_THREAD_STACK: usize = 64 << 20;

/// The worker process's main loop: run jobs until stdin closes.
pub fn main() -> std::process::ExitCode {
    let engine = std::thread::Builder::new()
        .name("engine".into())
        .stack_size(ENGINE_THREAD_STACK)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(serve());
            Ok::<(), std::io::Error>(())
        })
        .and_then(|thread| {
            thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the engine thread panicked")))
        });
    match engine {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sandbox worker: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The worker's stdin and stdout. The host connects them to pipes, which are
/// read and written here without blocking; tokio's own stdin and stdout go
/// through a blocking thread for every read and write, which tripled the cost
/// of a tool call. Anything else (a terminal, a file) gets those.
fn std_streams() -> (
    Box<dyn tokio::io::AsyncRead + Unpin + Send>,
    Box<dyn tokio::io::AsyncWrite + Unpin + Send>,
) {
    use std::os::fd::AsFd;
    use tokio::net::unix::pipe;
    let input = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .and_then(pipe::Receiver::from_owned_fd);
    let output = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .and_then(pipe::Sender::from_owned_fd);
    match (input, output) {
        (Ok(input), Ok(output)) => (Box::new(input), Box::new(output)),
        _ => (Box::new(tokio::io::stdin()), Box::new(tokio::io::stdout())),
    }
}

async fn serve() {
    let (stdin, mut stdout) = std_streams();
    let (out, mut outgoing) = mpsc::unbounded_channel::<FromWorker>();
    let writer = tokio::spawn(async move {
        let mut batch = Vec::new();
        while let Some(message) = outgoing.recv().await {
            // Everything already queued goes in one write: a `Promise.all`
            // of a thousand calls costs a few writes, not a thousand.
            let mut next = Some(message);
            while let Some(message) = next {
                serde_json::to_writer(&mut batch, &message).expect("worker messages serialize");
                batch.push(b'\n');
                next = outgoing.try_recv().ok();
            }
            if stdout.write_all(&batch).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
            batch.clear();
        }
    });

    let pending: Arc<Mutex<HashMap<u64, oneshot::Sender<Reply>>>> = Arc::default();
    let (jobs_in, mut jobs) = mpsc::unbounded_channel::<Job>();
    let replies = pending.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdin).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<ToWorker>(&line) {
                Ok(ToWorker::Run { job }) => {
                    if jobs_in.send(job).is_err() {
                        break;
                    }
                }
                Ok(ToWorker::Reply { id, reply }) => {
                    if let Some(waiting) = replies.lock().expect("pending calls").remove(&id) {
                        let _ = waiting.send(reply);
                    }
                }
                Err(error) => eprintln!("sandbox worker: ignoring a malformed message: {error}"),
            }
        }
    });

    while let Some(job) = jobs.recv().await {
        let (events, mut incoming) = mpsc::unbounded_channel::<Event>();
        let forward_out = out.clone();
        let forward_pending = pending.clone();
        let forward = tokio::spawn(async move {
            let mut next_id = 0;
            while let Some(event) = incoming.recv().await {
                let message = match event {
                    Event::Call {
                        server,
                        tool,
                        args,
                        reply,
                    } => {
                        next_id += 1;
                        forward_pending
                            .lock()
                            .expect("pending calls")
                            .insert(next_id, reply);
                        FromWorker::Call {
                            id: next_id,
                            server,
                            tool,
                            args,
                        }
                    }
                    Event::Log { level, message } => FromWorker::Log { level, message },
                };
                let _ = forward_out.send(message);
            }
        });
        let outcome = super::run(job, events).await;
        // Every log is sent before the outcome.
        let _ = forward.await;
        pending.lock().expect("pending calls").clear();
        let _ = out.send(FromWorker::Done { outcome });
    }
    // Stdin closed: let the writer flush what is queued before the process ends.
    drop(out);
    let _ = writer.await;
}

/// A running worker, seen from the host.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    /// Starts `exe sandbox-worker` with an empty environment.
    pub fn spawn(exe: &Path) -> std::io::Result<Worker> {
        let mut command = Command::new(exe);
        command
            .arg(SUBCOMMAND)
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(filter) = std::env::var_os("CODEMODE_LOG") {
            command.env("CODEMODE_LOG", filter);
        }
        let mut child = command.spawn()?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            unreachable!("all three streams were requested as pipes");
        };
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::warn!(target: "codemode::sandbox", "worker: {line}");
            }
        });
        Ok(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
        })
    }

    pub async fn send(&mut self, message: &ToWorker) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).expect("worker messages serialize");
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        self.stdin.flush().await
    }

    /// The next message; `None` when the worker has exited.
    pub async fn recv(&mut self) -> std::io::Result<Option<FromWorker>> {
        match self.stdout.next_line().await? {
            None => Ok(None),
            Some(line) => serde_json::from_str(&line)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
    }

    /// Ends the process now, whatever it is doing.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Idle workers ready for the next execution.
pub struct Pool {
    exe: PathBuf,
    idle: Mutex<Vec<Worker>>,
}

impl Pool {
    /// Workers run `exe` (normally this very binary).
    pub fn new(exe: PathBuf) -> Pool {
        Pool {
            exe,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle worker, or a new one.
    pub fn take(&self) -> std::io::Result<Worker> {
        let reused = self.idle.lock().expect("worker pool").pop();
        match reused {
            Some(worker) => Ok(worker),
            None => self.spawn(),
        }
    }

    /// A new worker, bypassing the idle ones.
    pub fn spawn(&self) -> std::io::Result<Worker> {
        Worker::spawn(&self.exe)
    }

    /// Returns a worker that finished its execution normally.
    pub fn put_back(&self, worker: Worker) {
        self.idle.lock().expect("worker pool").push(worker);
    }

    /// Starts a worker ahead of need, so the first execution does not wait for it.
    pub fn warm_up(&self) {
        match self.spawn() {
            Ok(worker) => self.put_back(worker),
            Err(error) => tracing::warn!("cannot start a sandbox worker ahead of time: {error}"),
        }
    }
}
