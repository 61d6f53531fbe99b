//! Executions per second through `codemode serve --http`: one replica
//! reached directly, one behind nginx, and two behind nginx, with the
//! shipped `deploy/nginx.conf`. Clients of both lifecycles, in this process.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, ClientConfig, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::json;
use tokio::sync::Barrier;

use super::{Stats, cpu_seconds, stats};

/// Clients at once: each runs one execution after another.
pub(crate) const CLIENTS: usize = 32;

/// A replica, stopped when dropped.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Set when the suite runs itself as the upstream of the replicas: the
/// bench server (`echo`, `sleep`) over stdio.
pub(crate) const UPSTREAM: &str = "CODEMODE_BENCH_UPSTREAM";

/// What the replicas serve, and the program each execution runs.
#[derive(Clone, Copy)]
pub(crate) enum Workload {
    /// The demo upstream: two calls that answer at once.
    Demo,
    /// The bench upstream, this suite run as a child: one call that waits
    /// 50 ms, as a remote API would.
    Waiting,
}

impl Workload {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Workload::Demo => "two demo calls",
            Workload::Waiting => "one 50 ms upstream call",
        }
    }

    fn program(self, n: usize) -> String {
        match self {
            Workload::Demo => format!(
                "const [i, open] = await Promise.all([demo.get_issue({{ id: 'CORE-{}' }}), demo.list_issues({{ status: 'open', limit: 5 }})]);\nreturn [i.id, open.issues.length, {n}];",
                n % 12 + 1
            ),
            Workload::Waiting => {
                format!("await bench.sleep({{ ms: 50 }});\nreturn [{n}];")
            }
        }
    }

    /// The config file of the replicas' upstream, when not the demo.
    fn config(self, dir: &Path) -> Option<PathBuf> {
        let Workload::Waiting = self else { return None };
        let exe = std::env::current_exe().expect("the suite's own path");
        let config = json!({"mcpServers": {"bench": {"command": exe, "env": {UPSTREAM: "1"}}}});
        let path = dir.join("mcp.json");
        std::fs::write(&path, config.to_string()).unwrap();
        Some(path)
    }
}

/// Replicas of `codemode serve --http` with their default limits, sharing a
/// session key, with nginx in front when asked.
pub(crate) struct Deployment {
    pub url: String,
    _replicas: Vec<Spawned>,
    _nginx: Option<super::nginx::Nginx>,
    _dir: tempfile::TempDir,
}

impl Deployment {
    pub(crate) fn start(
        exe: &Path,
        workload: Workload,
        nginx: Option<&Path>,
        replicas: usize,
        flags: &[&str],
    ) -> Deployment {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = workload.config(dir.path());
        let key = dir.path().join("session.key");
        std::fs::write(&key, "a shared key of more than thirty-two bytes").unwrap();
        let ports: Vec<u16> = (0..replicas).map(|_| free_port()).collect();
        let spawned = ports
            .iter()
            .map(|port| {
                let mut command = Command::new(exe);
                command
                    .args(["serve", "--http", &format!("127.0.0.1:{port}")])
                    .arg("--session-key-file")
                    .arg(&key)
                    .args(flags);
                if let Some(config) = &config {
                    command.arg("--config").arg(config);
                }
                let child = command
                    .env("XDG_CACHE_HOME", dir.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("codemode serve starts");
                wait_for_port(*port);
                Spawned(child)
            })
            .collect();
        let Some(nginx) = nginx else {
            return Deployment {
                url: format!("http://127.0.0.1:{}/mcp", ports[0]),
                _replicas: spawned,
                _nginx: None,
                _dir: dir,
            };
        };
        let (nginx, listen) = super::nginx::start(nginx, dir.path(), &ports);
        Deployment {
            url: format!("http://127.0.0.1:{listen}/mcp"),
            _replicas: spawned,
            _nginx: Some(nginx),
            _dir: dir,
        }
    }
}

/// Which lifecycle the clients speak.
#[derive(Clone, Copy)]
pub(crate) enum Lifecycle {
    /// `initialize` and an `Mcp-Session-Id` (a sealed token).
    Legacy,
    /// 2026-07-28: stateless, every request carries what it needs.
    Modern,
}

impl Lifecycle {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Lifecycle::Legacy => "legacy sessions",
            Lifecycle::Modern => "2026-07-28 stateless",
        }
    }

    fn mode(self) -> ClientLifecycleMode {
        match self {
            Lifecycle::Legacy => ClientLifecycleMode::Initialize,
            Lifecycle::Modern => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        }
    }
}

/// What `CLIENTS` clients did in `duration`.
pub(crate) struct Load {
    /// Executions per second.
    pub rate: f64,
    pub times: Stats,
    /// Cores busy on average: the clients (this process), and the replicas
    /// and nginx.
    pub client_cores: f64,
    pub server_cores: f64,
}

/// Runs `CLIENTS` clients, all connected before the clock starts, each
/// making one execution after another for `duration`.
pub(crate) async fn load(
    url: &str,
    workload: Workload,
    lifecycle: Lifecycle,
    duration: Duration,
) -> Load {
    let ready = Arc::new(Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (url, ready) = (url.to_owned(), ready.clone());
            tokio::spawn(async move {
                let transport = StreamableHttpClientTransport::from_uri(url);
                let client = ClientConfig::default()
                    .serve_with_lifecycle(transport, lifecycle.mode())
                    .await
                    .expect("the client connects");
                execute(&client, workload, n).await;
                ready.wait().await;
                let (start, mut times) = (Instant::now(), Vec::new());
                while start.elapsed() < duration {
                    let t = Instant::now();
                    execute(&client, workload, n).await;
                    times.push(t.elapsed());
                }
                let _ = client.cancel().await;
                times
            })
        })
        .collect();
    ready.wait().await;
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let mut times = Vec::new();
    for client in clients {
        times.extend(client.await.expect("a client ran"));
    }
    let wall = start.elapsed().as_secs_f64();
    let used = cpu_seconds();
    Load {
        rate: times.len() as f64 / wall,
        times: stats(times),
        client_cores: (used.0 - cpu.0) / wall,
        server_cores: (used.1 - cpu.1) / wall,
    }
}

/// One execution of client `n`, its result checked.
async fn execute(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ClientConfig>,
    workload: Workload,
    n: usize,
) {
    let args = json!({ "code": workload.program(n) });
    let args = args.as_object().unwrap().clone();
    let result = client
        .call_tool(CallToolRequestParams::new("execute").with_arguments(args))
        .await
        .expect("the execution answers");
    let value = &result.structured_content.expect("a structured result")["result"];
    let last = value.as_array().and_then(|v| v.last());
    assert_eq!(last, Some(&json!(n)), "a wrong result: {value}");
}
