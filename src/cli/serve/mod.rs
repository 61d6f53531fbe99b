//! `codemode serve`: Code Mode over MCP, on stdio or HTTP. Its flags and
//! the settings they resolve to are here; then the wiring, then the run loop.

mod run_loop;
mod wiring;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use super::address::parse_listen_address;
use super::limits::LimitArgs;
use super::seconds::parse_seconds;
use super::servers::{ServerArgs, ServerSettings};
use super::trace::{TraceArgs, TraceSettings};
use crate::files::config;
use crate::prompt::disclosure::Disclosure;
use crate::upstream;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// How much of the API the `execute` description carries: `auto` is the richest
    /// of full, compact, search and namespaces that fits in --prompt-budget.
    #[arg(long, value_enum, default_value_t = DisclosureArg::Auto)]
    pub disclosure: DisclosureArg,
    /// Tokens (o200k_base) of tool definitions `--disclosure auto` may put in the model's prompt.
    #[arg(long, value_name = "TOKENS", default_value_t = crate::prompt::disclosure::DEFAULT_PROMPT_BUDGET)]
    pub prompt_budget: usize,
    /// Also list every upstream tool directly beside `execute` (named as upstream when one server is
    /// selected, `namespace__tool` when several), and forward the upstreams' prompts and resources.
    #[arg(long)]
    pub expose_tools: bool,
    /// Serve streamable HTTP at this address (endpoint /mcp) instead of stdio, e.g. 127.0.0.1:8080,
    /// localhost:8080, or a port alone (8080), which listens on loopback.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen_address)]
    pub http: Option<SocketAddr>,
    /// Allow --http to listen on an address other than loopback.
    #[arg(long, requires = "http")]
    pub allow_remote: bool,
    /// On SIGTERM or SIGINT, how long to let running executions finish (new ones are refused,
    /// /readyz says not ready) before exiting.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub drain_timeout: Duration,
    /// The key that seals legacy session ids (at least 32 bytes, e.g. `openssl rand -base64 48`),
    /// shared by replicas so that any of them resumes any session [default:
    /// $CODEMODE_SESSION_KEY, else a key of this process alone].
    #[arg(long, value_name = "FILE", requires = "http")]
    pub session_key_file: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics, without a token (with --http they are
    /// also at /metrics beside /mcp, behind --auth-token), e.g. 127.0.0.1:9464 or 9464.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen_address)]
    pub metrics: Option<SocketAddr>,
    /// Require `Authorization: Bearer <token>` over HTTP; the token is read from
    /// this environment variable (and hidden from stdio servers).
    #[arg(long, value_name = "ENV_VAR", requires = "http")]
    pub auth_token: Option<String>,
    /// A browser origin allowed to call over HTTP besides loopback ones
    /// (repeatable), e.g. https://app.example.com:443; requests with any other
    /// `Origin` header are refused with 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    pub allow_origins: Vec<String>,
    /// HTTP connections open at once. Lowered to fit the file-descriptor limit (`ulimit -n`), a
    /// quarter of which (at least 32) is kept for upstreams and files; the cap in force is logged
    /// when lowered. When all are taken, the oldest connection not serving a request is closed to
    /// make room, else the new one.
    #[arg(long, value_name = "N", default_value_t = 512, requires = "http",
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_connections: u64,
    /// HTTP sessions (clients that initialize, and sessions restored from their ids) open at once;
    /// more are refused with 503.
    #[arg(long, value_name = "N", default_value_t = 256, requires = "http",
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_sessions: u64,
    /// Seconds after which an HTTP session nobody uses is closed.
    #[arg(long, value_name = "SECONDS", default_value = "300", requires = "http", value_parser = parse_seconds)]
    pub session_idle_timeout: Duration,
    /// Executions running at once [default: 4 per CPU core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_concurrent: Option<u64>,
    /// Executions that may wait for a slot; more are refused at once.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub queue: usize,
    /// How long an execution may wait for a slot before it is refused, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(0..=86_400_000))]
    pub queue_timeout_ms: u64,
    #[command(flatten)]
    pub trace: TraceArgs,
}

/// `--disclosure`'s values, as the help lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DisclosureArg {
    /// The richest of `full`, `compact`, `search` and `namespaces` whose tool
    /// definitions fit in `--prompt-budget` tokens.
    Auto,
    /// Every declaration with all its documentation.
    Full,
    /// Every declaration, with each tool's first sentence and no property prose.
    Compact,
    /// Only namespaces and function names; `search_api` and `get_api` give the declarations.
    Search,
    /// Only each namespace, with its size and first functions; `search_api` and `get_api` give the rest.
    Namespaces,
}

impl From<DisclosureArg> for Disclosure {
    fn from(disclosure: DisclosureArg) -> Self {
        match disclosure {
            DisclosureArg::Auto => Disclosure::Auto,
            DisclosureArg::Full => Disclosure::Full,
            DisclosureArg::Compact => Disclosure::Compact,
            DisclosureArg::Search => Disclosure::Search,
            DisclosureArg::Namespaces => Disclosure::Namespaces,
        }
    }
}

/// What `codemode serve` serves, where, and within which limits.
///
/// Not `Debug`: it holds the bearer token.
pub(crate) struct ServeSettings {
    pub servers: ServerSettings,
    /// Limits given as flags, over the config file's.
    pub limits: config::ConfigSettings,
    /// How much of the API `execute`'s description carries, within how
    /// many tokens.
    pub disclosure: Disclosure,
    pub prompt_budget: usize,
    /// Also list every upstream tool beside `execute`.
    pub expose_tools: bool,
    /// Streamable HTTP instead of stdio.
    pub http: Option<HttpSettings>,
    /// Where Prometheus metrics are served without a token.
    pub metrics: Option<SocketAddr>,
    /// Whether addresses other than loopback may listen.
    pub allow_remote: bool,
    /// How long running executions may finish after SIGTERM or SIGINT.
    pub drain_timeout: Duration,
    /// Environment variables stdio servers do not see (the token's).
    pub secrets: Vec<String>,
    /// Executions running at once, waiting for a slot, and how long they wait.
    pub max_running: usize,
    pub queue: usize,
    pub queue_timeout: Duration,
    pub trace: TraceSettings,
}

/// How `codemode serve` serves streamable HTTP.
pub(crate) struct HttpSettings {
    pub addr: SocketAddr,
    /// The bearer token every request must carry.
    pub token: Option<String>,
    /// The key that seals legacy session ids [default: `$CODEMODE_SESSION_KEY`,
    /// else one of this process alone].
    pub session_key_file: Option<PathBuf>,
    /// Browser origins allowed besides loopback ones.
    pub origins: Vec<String>,
    pub max_connections: usize,
    pub max_sessions: usize,
    /// After how long a session nobody uses is closed.
    pub session_idle: Duration,
}

impl TryFrom<ServeArgs> for ServeSettings {
    type Error = anyhow::Error;

    /// The flags checked against each other, the token read from its variable.
    fn try_from(args: ServeArgs) -> anyhow::Result<Self> {
        let token = match &args.auth_token {
            None => None,
            Some(var) => Some(std::env::var(var).with_context(|| {
                format!("--auth-token names the environment variable {var}, which is not set; export the token in it")
            })?),
        };
        if let Some(addr) = args.http
            && !addr.ip().is_loopback()
        {
            if !args.allow_remote {
                bail!(
                    "--http {addr} is reachable from other machines; pass --allow-remote to mean it (and --auth-token)"
                );
            }
            eprintln!(
                "warning: serving on {addr}, reachable from other machines{}",
                if token.is_none() {
                    ", with no --auth-token: anyone who can connect can run code against your tools"
                } else {
                    ""
                }
            );
        }
        if let Some(addr) = args.metrics
            && !addr.ip().is_loopback()
            && !args.allow_remote
        {
            bail!(
                "--metrics {addr} is reachable from other machines and has no token; serve them on loopback, or with --http at /metrics behind --auth-token (or pass --allow-remote with --http to mean it)"
            );
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let http = args.http.map(|addr| HttpSettings {
            addr,
            token,
            session_key_file: args.session_key_file,
            origins: args.allow_origins,
            max_connections: args.max_connections as usize,
            max_sessions: args.max_sessions as usize,
            session_idle: args.session_idle_timeout,
        });
        Ok(ServeSettings {
            servers: args.servers.into(),
            limits: args.limits.settings(),
            disclosure: args.disclosure.into(),
            prompt_budget: args.prompt_budget,
            expose_tools: args.expose_tools,
            http,
            metrics: args.metrics,
            allow_remote: args.allow_remote,
            drain_timeout: args.drain_timeout,
            // The token guards this server; no upstream needs to know it.
            secrets: args.auth_token.into_iter().collect(),
            max_running: args.max_concurrent.map_or(4 * cores, |n| n as usize),
            queue: args.queue,
            queue_timeout: Duration::from_millis(args.queue_timeout_ms),
            trace: args.trace.into(),
        })
    }
}

/// `codemode serve`: until the client leaves (stdin closes), or SIGINT/SIGTERM.
pub(crate) async fn serve(settings: ServeSettings) -> anyhow::Result<bool> {
    // Installed first, so a signal during start-up is not the default kill
    // (which would leave stdio children behind).
    let shutdown = run_loop::Shutdown::install()?;
    // Whatever its variable is called, the token never shows in a log line.
    upstream::redact::protect_values(settings.http.as_ref().and_then(|http| http.token.clone()));
    let _telemetry = crate::engine::telemetry::init(settings.trace.otlp_endpoint.as_deref())?;
    let wired = wiring::wire(&settings).await?;
    run_loop::serve_until_stopped(settings, wired, shutdown).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn settings(flags: &[&str]) -> anyhow::Result<ServeSettings> {
        let cli = Cli::try_parse_from(["codemode", "serve"].iter().chain(flags))?;
        let Command::Serve(args) = cli.command else {
            panic!("expected serve")
        };
        ServeSettings::try_from(args)
    }

    #[test]
    fn defaults_resolve_to_stdio_with_four_executions_a_core() {
        let settings = settings(&[]).unwrap();
        assert!(settings.http.is_none());
        assert!(settings.secrets.is_empty());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(settings.max_running, 4 * cores);
        assert_eq!(settings.queue_timeout, Duration::from_secs(30));
        assert_eq!(settings.drain_timeout, Duration::from_secs(30));
        assert_eq!(settings.disclosure, Disclosure::Auto);
    }

    #[test]
    fn http_takes_a_host_name_or_a_port_alone_and_shows_an_example_when_wrong() {
        for (flag, expected) in [("8080", "127.0.0.1:8080"), ("localhost:8080", "")] {
            let settings = settings(&["--http", flag, "--metrics", "9464"]).unwrap();
            let addr = settings.http.expect("HTTP was asked for").addr;
            assert!(addr.ip().is_loopback(), "{flag}: {addr}");
            assert_eq!(addr.port(), 8080);
            if !expected.is_empty() {
                assert_eq!(addr.to_string(), expected);
            }
            assert_eq!(settings.metrics.unwrap().to_string(), "127.0.0.1:9464");
        }
        let error = settings(&["--http", "localhost"])
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("has no port"), "{error}");
        assert!(error.contains("e.g. 127.0.0.1:8080"), "{error}");
    }

    #[test]
    fn the_token_is_read_from_its_variable_which_stdio_servers_do_not_see() {
        // PATH is set wherever tests run; its value stands in for a token.
        let settings = settings(&["--http", "127.0.0.1:0", "--auth-token", "PATH"]).unwrap();
        let http = settings.http.expect("HTTP was asked for");
        assert_eq!(http.token, std::env::var("PATH").ok());
        assert_eq!(settings.secrets, ["PATH"]);
        assert_eq!(http.max_connections, 512);
        assert_eq!(http.session_idle, Duration::from_secs(300));
    }

    #[test]
    fn an_unset_token_variable_is_an_error_naming_the_flag() {
        let var = "CODEMODE_TEST_NO_SUCH_TOKEN_VARIABLE";
        let error = settings(&["--http", "127.0.0.1:0", "--auth-token", var])
            .err()
            .expect("no token, no serving");
        assert_eq!(
            error.to_string(),
            format!(
                "--auth-token names the environment variable {var}, which is not set; export the token in it"
            )
        );
    }

    #[test]
    fn remote_addresses_need_allow_remote() {
        let error = settings(&["--http", "0.0.0.0:0"]).err().expect("refused");
        assert!(error.to_string().contains("pass --allow-remote"), "{error}");
        let error = settings(&["--metrics", "0.0.0.0:0"])
            .err()
            .expect("refused");
        assert!(
            error.to_string().starts_with("--metrics 0.0.0.0:0"),
            "{error}"
        );
        assert!(settings(&["--http", "0.0.0.0:0", "--allow-remote"]).is_ok());
    }

    #[test]
    fn admission_flags_become_counts_and_durations() {
        let settings = settings(&[
            "--max-concurrent",
            "3",
            "--queue",
            "5",
            "--queue-timeout-ms",
            "250",
            "--disclosure",
            "namespaces",
        ])
        .unwrap();
        assert_eq!(settings.max_running, 3);
        assert_eq!(settings.queue, 5);
        assert_eq!(settings.queue_timeout, Duration::from_millis(250));
        assert_eq!(settings.disclosure, Disclosure::Namespaces);
    }
}
