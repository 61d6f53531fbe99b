//! Sandbox worker processes: the hard backstop behind the engine's limits.
//!
//! QuickJS checks its interrupt handler only every ~10,000 ticks, so a loop of
//! slow built-ins (`for (;;) s.indexOf("y")` on a 10 MB string) can run far
//! past its deadline inside the engine. Executions therefore run in a child
//! process that the host kills when the deadline passes: the CPU and memory
//! are returned at once, and the next execution gets a new process, forked
//! from the zygote on Linux (see `zygote`) or started as `codemode
//! sandbox-worker`. A worker that finished normally is reused; each execution
//! still gets a fresh runtime and context inside it.
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
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

use super::{Event, Finished, Job, Level, Reply, ScriptError};

/// The hidden subcommand that runs a worker.
pub const SUBCOMMAND: &str = "sandbox-worker";

// Externally tagged (`{"run": {...}}`): an internal tag would make serde
// buffer every message before decoding it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWorker {
    Run { job: Job },
    Reply { id: u64, reply: Reply },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// Starts `exe subcommand` as a sandbox process: an empty environment (but
/// the log filter), `/` as its working directory, its stderr into our log,
/// killed when dropped.
pub(super) fn start_process(
    exe: &Path,
    subcommand: &str,
    stdin: Stdio,
    stdout: Stdio,
) -> std::io::Result<Child> {
    let mut command = Command::new(exe);
    command
        .arg(subcommand)
        .env_clear()
        .current_dir("/")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(filter) = std::env::var_os("CODEMODE_LOG") {
        command.env("CODEMODE_LOG", filter);
    }
    let mut child = command.spawn()?;
    if let Some(stderr) = child.stderr.take() {
        // Lines say which process wrote them ("sandbox worker: ...").
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::warn!(target: "codemode::sandbox", "{line}");
            }
        });
    }
    Ok(child)
}

/// How long [`Worker::kill`] waits for a forked worker to exit.
#[cfg(target_os = "linux")]
const EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A running worker, seen from the host.
pub struct Worker {
    process: Process,
    stdin: pipe::Sender,
    stdout: Lines<BufReader<pipe::Receiver>>,
}

enum Process {
    /// Started with `exec` (and killed when dropped).
    Spawned(Child),
    /// Forked by the zygote (and killed when dropped).
    #[cfg(target_os = "linux")]
    Forked(super::zygote::Forked),
}

/// The host's ends of a new worker's stdin and stdout, and the worker's.
struct Pipes {
    to_worker: pipe::Sender,
    from_worker: pipe::Receiver,
    stdin: std::io::PipeReader,
    stdout: std::io::PipeWriter,
}

impl Pipes {
    fn new() -> std::io::Result<Pipes> {
        // Both pairs are close-on-exec: no other child inherits them.
        let (stdin, to_worker) = std::io::pipe()?;
        let (from_worker, stdout) = std::io::pipe()?;
        Ok(Pipes {
            to_worker: pipe::Sender::from_owned_fd(to_worker.into())?,
            from_worker: pipe::Receiver::from_owned_fd(from_worker.into())?,
            stdin,
            stdout,
        })
    }
}

impl Worker {
    /// Starts `exe sandbox-worker` with an empty environment.
    pub fn spawn(exe: &Path) -> std::io::Result<Worker> {
        let pipes = Pipes::new()?;
        let child = start_process(exe, SUBCOMMAND, pipes.stdin.into(), pipes.stdout.into())?;
        Ok(Worker {
            process: Process::Spawned(child),
            stdin: pipes.to_worker,
            stdout: BufReader::new(pipes.from_worker).lines(),
        })
    }

    /// Forks a worker from `zygote`.
    #[cfg(target_os = "linux")]
    fn fork(zygote: &super::zygote::Zygote) -> std::io::Result<Worker> {
        let pipes = Pipes::new()?;
        let forked = zygote.fork(pipes.stdin.into(), pipes.stdout.into())?;
        Ok(Worker {
            process: Process::Forked(forked),
            stdin: pipes.to_worker,
            stdout: BufReader::new(pipes.from_worker).lines(),
        })
    }

    /// The process id, while it runs.
    pub fn id(&self) -> Option<u32> {
        match &self.process {
            Process::Spawned(child) => child.id(),
            #[cfg(target_os = "linux")]
            Process::Forked(forked) => Some(forked.id()),
        }
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

    /// Ends the process now, whatever it is doing, and waits until it has exited.
    pub async fn kill(self) {
        match self.process {
            Process::Spawned(mut child) => {
                let _ = child.kill().await;
            }
            #[cfg(target_os = "linux")]
            Process::Forked(forked) => {
                if let Err(error) = forked.kill(EXIT_WAIT).await {
                    tracing::warn!("a killed sandbox worker: {error}");
                }
            }
        }
    }
}

/// Idle workers ready for the next execution, and how new ones start.
pub struct Pool {
    exe: PathBuf,
    idle: Mutex<Vec<Worker>>,
    #[cfg(target_os = "linux")]
    zygote: Mutex<ZygoteState>,
}

/// Whether new workers are forked from a zygote (Linux) or each `exec`ed.
#[cfg(target_os = "linux")]
enum ZygoteState {
    NotStarted,
    Running(super::zygote::Zygote),
    /// It could not start; every worker is `exec`ed.
    Unavailable,
}

impl Pool {
    /// Workers run `exe` (normally this very binary), forked from a zygote
    /// where the system allows it.
    pub fn new(exe: PathBuf) -> Pool {
        Pool {
            exe,
            idle: Mutex::new(Vec::new()),
            #[cfg(target_os = "linux")]
            zygote: Mutex::new(ZygoteState::NotStarted),
        }
    }

    /// Workers each started with `exec`, never forked.
    pub fn without_zygote(exe: PathBuf) -> Pool {
        Pool {
            #[cfg(target_os = "linux")]
            zygote: Mutex::new(ZygoteState::Unavailable),
            ..Pool::new(exe)
        }
    }

    /// The process ids of the idle workers (for diagnostics and tests).
    pub fn idle_ids(&self) -> Vec<u32> {
        let idle = self.idle.lock().expect("worker pool");
        idle.iter().filter_map(Worker::id).collect()
    }

    /// The zygote's process id, once it runs.
    pub fn zygote_id(&self) -> Option<u32> {
        #[cfg(target_os = "linux")]
        if let ZygoteState::Running(zygote) = &*self.zygote.lock().expect("sandbox zygote") {
            return zygote.id();
        }
        None
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
        #[cfg(target_os = "linux")]
        if let Some(worker) = self.fork() {
            return Ok(worker);
        }
        Worker::spawn(&self.exe)
    }

    /// A worker from the zygote, starting the zygote first if need be;
    /// `None` when there is no zygote to fork from.
    #[cfg(target_os = "linux")]
    fn fork(&self) -> Option<Worker> {
        let mut zygote = self.zygote.lock().expect("sandbox zygote");
        if let ZygoteState::NotStarted = *zygote {
            *zygote = match super::zygote::Zygote::start(&self.exe) {
                Ok(started) => ZygoteState::Running(started),
                Err(error) => {
                    tracing::warn!(
                        "cannot start the sandbox zygote ({error}); each sandbox worker will be a new process, which starts slower and uses more memory"
                    );
                    ZygoteState::Unavailable
                }
            };
        }
        let ZygoteState::Running(running) = &*zygote else {
            return None;
        };
        match Worker::fork(running) {
            Ok(worker) => Some(worker),
            Err(error) => {
                // Start a new zygote next time; this worker is `exec`ed.
                tracing::warn!(
                    "the sandbox zygote failed to fork a worker ({error}); restarting it"
                );
                *zygote = ZygoteState::NotStarted;
                None
            }
        }
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
