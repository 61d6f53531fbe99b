//! Helpers: run the `codemode` binary, find installed test dependencies,
//! keep a child's stderr, wait for conditions.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) fn codemode_path() -> &'static str {
    env!("CARGO_BIN_EXE_codemode")
}

pub(crate) fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn fixture(path: &str) -> PathBuf {
    repo().join("fixtures").join(path)
}

/// Runs `codemode` with `args`; returns its output whatever the exit code.
pub(crate) fn codemode(args: &[&str]) -> Output {
    Command::new(codemode_path())
        .args(args)
        .env_remove("CODEMODE_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("the codemode binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `codemode`, asserts success, and returns stdout.
pub(crate) fn codemode_ok(args: &[&str]) -> String {
    let output = codemode(args);
    assert!(
        output.status.success(),
        "codemode {args:?} failed:\n{}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs `codemode`, asserts success, and parses stdout as JSON.
pub(crate) fn codemode_json(args: &[&str]) -> Value {
    let out = codemode_ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
}

/// Where `scripts/test.sh` installs npm packages and the Python venv.
pub(crate) fn test_deps() -> PathBuf {
    std::env::var_os("CODEMODE_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/test-deps"))
}

/// An installed npm executable; fails with a hint when the set-up has not run.
pub(crate) fn npm_bin(name: &str) -> String {
    npm_bin_in("npm", name)
}

/// An npm executable from the test-dependency prefix `prefix`.
pub(crate) fn npm_bin_in(prefix: &str, name: &str) -> String {
    let path = test_deps()
        .join(prefix)
        .join("node_modules/.bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing; run `bash scripts/test.sh` (it installs the test dependencies)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// A child process of a test, killed when the test ends, pass or fail. Its
/// stderr is kept (a thread drains it into a buffer) and printed when the
/// test fails, so a server that dies can say why.
pub(crate) struct Background(pub Child, Arc<Mutex<Vec<u8>>>);

impl Background {
    /// Spawns `command` with its stderr kept.
    pub(crate) fn spawn(command: &mut Command) -> Background {
        let child = command
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
        Background::adopt(child)
    }

    /// Spawns `command` and reads the address it prints first on stdout
    /// (test servers that bind port 0 print their URL).
    pub(crate) fn spawn_announcing(command: &mut Command) -> (Background, String) {
        let mut server = Background::spawn(command.stdout(Stdio::piped()));
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(server.0.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "{command:?} printed {line:?}"
        );
        (server, url)
    }

    /// Takes over `child`, keeping its stderr if it was piped.
    pub(crate) fn adopt(mut child: Child) -> Background {
        let said = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut stderr) = child.stderr.take() {
            let said = said.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                    said.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            });
        }
        Background(child, said)
    }

    /// All it has written to stderr so far.
    pub(crate) fn said(&self) -> String {
        String::from_utf8_lossy(&self.1.lock().unwrap()).into_owned()
    }

    /// The port of the address it reports on stderr after `what` (`serving
    /// MCP at`, `serving metrics at`), once it has; panics if it exits first.
    pub(crate) fn port(&mut self, what: &str) -> u16 {
        let mut port = None;
        wait_for(&format!("the process to report {what}"), || {
            port = reported_port(&self.said(), what);
            if port.is_none()
                && let Ok(Some(status)) = self.0.try_wait()
            {
                panic!("it exited with {status} before reporting {what}");
            }
            port.is_some()
        });
        port.unwrap()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        if std::thread::panicking() {
            eprintln!("--- stderr of process {} ---\n{}", self.0.id(), self.said());
        }
    }
}

/// The port process `pid` listens on (TCP, IPv4 or IPv6), once it does: for
/// a server given port 0 that does not say which port it got.
pub(crate) fn listening_port(pid: u32) -> u16 {
    let mut port = None;
    wait_for(&format!("process {pid} to listen"), || {
        let sockets: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|fds| {
                fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
                    .filter_map(|t| {
                        let t = t.to_string_lossy().into_owned();
                        Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        port = ["tcp", "tcp6"].iter().find_map(|table| {
            let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok()?;
            text.lines().skip(1).find_map(|line| {
                // sl local_address rem_address st ... inode (the 10th)
                let fields: Vec<&str> = line.split_whitespace().collect();
                let listening = fields.get(3) == Some(&"0A");
                let ours = sockets.iter().any(|s| fields.get(9) == Some(&s.as_str()));
                let port = fields.get(1)?.rsplit(':').next()?;
                (listening && ours).then(|| u16::from_str_radix(port, 16).ok())?
            })
        });
        port.is_some()
    });
    port.unwrap()
}

/// `PORT` of `WHAT http://HOST:PORT/...` in `said`, once the line is whole.
fn reported_port(said: &str, what: &str) -> Option<u16> {
    let rest = &said[said.find(what)? + what.len()..];
    let (address, _) = rest.trim_start().strip_prefix("http://")?.split_once('/')?;
    address.rsplit(':').next()?.parse().ok()
}

/// Polls `done` until it holds; panics naming `what` after 60 s. The one
/// way tests wait: for a condition, never for a fixed time.
pub(crate) fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`wait_for`] inside an async test, whose runtime must go on running.
pub(crate) async fn wait_for_async(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The Python of the venv `scripts/test.sh` makes, with the MCP SDK in it.
pub(crate) fn python() -> String {
    let path = test_deps().join("venv/bin/python");
    assert!(
        path.exists(),
        "{} is missing; run `bash scripts/test.sh`",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// Runs `tests/python/SCRIPT` with `args` and `input` on its stdin, in the
/// venv's Python; its output, whatever the exit code.
pub(crate) fn python_script(script: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(python())
        .arg(repo().join("tests/python").join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), input).unwrap();
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// The test upstream `examples/conformance_fixture.rs`, which `cargo test`
/// builds with the examples.
/// The conformance fixture speaking `era` over streamable HTTP, and its URL.
pub(crate) fn conformance_fixture_over_http(era: &str) -> (Background, String) {
    Background::spawn_announcing(Command::new(conformance_fixture()).args([
        "--era",
        era,
        "--http",
        "127.0.0.1:0",
    ]))
}

pub(crate) fn conformance_fixture() -> String {
    let exe = Path::new(codemode_path())
        .parent()
        .expect("the binary's folder")
        .join("examples/conformance_fixture");
    assert!(
        exe.exists(),
        "{} is missing: run `cargo build --example conformance_fixture` (plain `cargo test` builds it)",
        exe.display()
    );
    exe.to_string_lossy().into_owned()
}

/// Tool names of the first server in `codemode tools --json` output.
pub(crate) fn tool_names(tools_json: &Value) -> Vec<String> {
    tools_json["servers"][0]["tools"]
        .as_array()
        .expect("tools array")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}

/// Runs `codemode run -` with `program` on stdin; the report and whether it exited 0.
pub(crate) fn run_program(program: &str, extra: &[&str]) -> (Value, bool) {
    run_program_env(program, extra, &[])
}

/// [`run_program`] with variables added to codemode's environment.
pub(crate) fn run_program_env(
    program: &str,
    extra: &[&str],
    env: &[(&str, &Path)],
) -> (Value, bool) {
    let mut child = Command::new(codemode_path())
        .args(["run", "-"])
        .args(extra)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), program.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{}",
            stdout(&output),
            stderr(&output)
        )
    });
    (report, output.status.success())
}

/// `codemode serve --http` on port 0 with `args`; the process and the
/// endpoint URL it reports.
pub(crate) fn start_serve(args: &[&str]) -> (Background, String) {
    start_serve_env(args, &[])
}

/// [`start_serve`] with variables added to codemode's environment.
pub(crate) fn start_serve_env(args: &[&str], env: &[(&str, &Path)]) -> (Background, String) {
    let mut server = serve_http(args, env);
    let port = server.port("serving MCP at");
    (server, format!("http://127.0.0.1:{port}/mcp"))
}

/// `codemode serve --http 127.0.0.1:0 ARGS`, which reports its addresses on
/// stderr (read them with [`Background::port`]).
pub(crate) fn serve_http(args: &[&str], env: &[(&str, &Path)]) -> Background {
    Background::spawn(
        Command::new(codemode_path())
            .args(["serve", "--http", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null()),
    )
}

/// Tool definitions for the test servers, written as JSON.
pub(crate) fn tools_from_json(tools: Vec<Value>) -> Vec<rmcp::model::Tool> {
    tools
        .into_iter()
        .map(|t| serde_json::from_value(t).expect("a valid tool definition"))
        .collect()
}

/// Runs the shell command line `command` on a terminal that `script`
/// (util-linux) gives it, with `cache` as its cache folder, typing `typed`
/// and keeping the input open (a person who types no more) until it ends:
/// the screen, and the JSON report `codemode run` printed on it.
pub(crate) fn on_a_terminal(command: &str, typed: &[u8], cache: &Path) -> (String, Value) {
    let mut child = Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .env("XDG_CACHE_HOME", cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs");
    let mut typing = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut typing, typed).unwrap();
    let output = child.wait_with_output().unwrap();
    drop(typing);
    let screen = stdout(&output).replace("\r\n", "\n");
    let start = screen
        .find("{\n  \"ok\"")
        .unwrap_or_else(|| panic!("no report on the screen:\n{screen}"));
    // What codemode says after the report (an offer to log in) follows it.
    let report = serde_json::Deserializer::from_str(&screen[start..])
        .into_iter::<Value>()
        .next()
        .unwrap_or_else(|| panic!("no report on the screen:\n{screen}"))
        .unwrap();
    (screen, report)
}

/// `GET path` on `address`, with an optional bearer token: (status, body).
pub(crate) fn http_get(address: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

/// The value of the sample `line` starts with, in the exposition `text`.
pub(crate) fn metric_sample(text: &str, line: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {line} in:\n{text}"))
}

/// An rmcp client of the initialize era, connected to `url`.
pub(crate) async fn legacy_http_client(
    url: String,
) -> rmcp::service::RunningService<rmcp::RoleClient, rmcp::model::ClientConfig> {
    use rmcp::ServiceExt;
    rmcp::model::ClientConfig::default()
        .serve(rmcp::transport::StreamableHttpClientTransport::from_uri(
            url,
        ))
        .await
        .expect("the client initializes")
}

/// Runs `program` with `codemode run` and `extra`, asserts it succeeded;
/// the value it returned.
pub(crate) fn result(program: &str, extra: &[&str]) -> Value {
    let (report, ok) = run_program(program, extra);
    assert!(ok && report["ok"] == true, "{report:#}");
    report["result"].clone()
}

/// `codemode replay TRACE EXTRA`: the report, and whether it exited 0.
pub(crate) fn replay(trace: &std::path::Path, extra: &[&str]) -> (Value, bool) {
    let mut args = vec!["replay", trace.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = codemode(&args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (report, output.status.success())
}

/// The name codemode derives from the fixture's command.
pub(crate) const STDIO_NAME: &str = "conformance-fixture";

/// What the fixture's `test_simple_text` answers.
pub(crate) const SIMPLE_TEXT_RESULT: &str = "This is a simple text response for testing.";
