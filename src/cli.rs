//! Command-line interface.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{Settings, ranges};
use crate::disclosure::Disclosure;
use crate::savings::Tokenizer;

/// Code Mode for MCP: give a model one TypeScript API over all your MCP servers.
///
/// codemode connects to MCP servers (stdio child processes, streamable HTTP or
/// legacy SSE), turns their tool schemas into compact TypeScript declarations,
/// and lets a model call many tools from one program.
///
/// Every command selects servers the same way: `--config` (your MCP client's
/// config file as it is: Claude, Cursor, VS Code, Windsurf, Gemini CLI, Zed,
/// Codex CLI, Cline, Continue), `-- CMD ARGS...` (one stdio server), `--url`
/// (one HTTP server), `--tools-file` (saved `tools/list` results); `--server`
/// picks some of them. With none of these it uses the built-in demo issue
/// tracker. `codemode connect CLIENT` puts codemode in front of a client.
#[derive(Debug, Parser)]
#[command(
    name = "codemode",
    version,
    max_term_width = 100,
    after_help = "Logs go to stderr. Set CODEMODE_LOG=debug to see more, including what each stdio server writes to its stderr."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the TypeScript declarations the model will see.
    ///
    /// Example: codemode types -- npx -y @modelcontextprotocol/server-everything
    Types(TypesArgs),
    /// List every server and tool: original name, TypeScript name, annotations.
    ///
    /// Example: codemode tools --config ~/.cursor/mcp.json --json
    Tools(ToolsArgs),
    /// Run a TypeScript program against the servers' tools; print a JSON report.
    ///
    /// The program is a function body using `await` and `return`, or one
    /// `async () => { ... }` expression. Each server is a global namespace
    /// (see `codemode types`): `const r = await demo.list_issues({ status: "open" }); return r.total;`
    ///
    /// Prints {"ok": true, "result", "logs", "calls"}, or {"ok": false, "error": {"kind",
    /// "message", "line"?, "column"?}, "logs", "calls"} and exits with 1.
    ///
    /// Example: codemode run examples/triage.ts
    Run(RunArgs),
    /// Run a program only to learn the result types of tools that declare none.
    ///
    /// Each result the program receives from a tool without an outputSchema
    /// is folded into that tool's learned type (its shape, never its values),
    /// which `codemode types` and the declarations `serve` gives the model then
    /// show as `Observed<...>`. Prints what was learned. Every `run` and
    /// `serve` learns the same way; this is for learning on purpose, e.g. with
    /// a program that calls each read-only tool once.
    ///
    /// Example: codemode learn read-each-tool.ts --config ~/.cursor/mcp.json
    Learn(RunArgs),
    /// Show the learned result types, or forget them with --clear.
    ///
    /// Example: codemode shapes
    Shapes(ShapesArgs),
    /// Serve Code Mode over MCP: one `execute` tool over all the servers' tools.
    ///
    /// Point any MCP client at it instead of at the servers themselves, e.g. in
    /// Claude Desktop: "command": "codemode", "args": ["serve", "--config", "/path/mcp.json"].
    /// Serves stdio unless --http is given.
    Serve(ServeArgs),
    /// Measure the prompt tokens Code Mode saves, per server and in total.
    ///
    /// Compares the tools as a client gives them to a model ({name, description,
    /// input_schema} JSON, and the raw tools/list) with what `codemode serve`
    /// lists in each disclosure mode, counted with a real tokenizer.
    ///
    /// Example: codemode savings --tools-file fixtures/catalogs/github.json
    Savings(SavingsArgs),
    /// Put codemode in front of an MCP client, in one step.
    ///
    /// Moves the servers of the client's config into codemode's own config
    /// (default: servers.json in codemode's folder of your config folder) and
    /// gives the client one server instead, which runs `codemode serve` over
    /// them. The client's config is backed up beside it first.
    ///
    /// Example: codemode connect claude-desktop --dry-run
    Connect(ConnectArgs),
    /// Undo `codemode connect`: put the client's backed-up config back as it was.
    ///
    /// Example: codemode disconnect claude-desktop
    Disconnect(DisconnectArgs),
    /// Log in to an HTTP server that asks for OAuth, and keep its tokens.
    ///
    /// Opens the authorization page with $BROWSER (else the system's opener;
    /// the address is printed too) and receives the answer on a loopback
    /// address. Tokens are kept in credentials.json in codemode's config
    /// folder, readable by you alone; run, serve and tools use and refresh them.
    ///
    /// Example: codemode login linear --config ~/.cursor/mcp.json
    Login(LoginArgs),
    /// Forget the tokens `codemode login` kept for a server.
    ///
    /// Example: codemode logout linear
    Logout(LogoutArgs),
    /// Run a recorded execution again, every call answered from its recording.
    ///
    /// Reads a trace written with `--trace-file FILE --trace-results` (by `serve`
    /// or `run`), runs the program of one of its executions (the last, or --line
    /// N, or --id ID) with no server contacted, and prints whether it made the
    /// same calls in the same order and returned the same result, or where it
    /// diverged. Exits 1 when it diverged.
    ///
    /// Example: codemode replay trace.jsonl --id 3f2a...
    Replay(ReplayArgs),
    /// Pin every selected tool's definition, so that a changed one is refused.
    ///
    /// Writes each tool's definition (name, title, description, schemas,
    /// annotations), what each server says of itself and each tool's learned
    /// result type, each with its SHA-256, to the pins file (default:
    /// codemode.pins.json here). `serve`, `run`, `types` and `tools` given
    /// `--pins FILE` then leave out any tool whose definition has changed since
    /// (a server that rewrites a tool's description to steer the model) and
    /// any tool that is new, and show learned result types as pinned (field
    /// names or layout labels learned since are not shown; a file of the
    /// previous format pins none, so none is shown until pinned again).
    /// `--check` shows what changed, as diffs, and writes nothing; without it
    /// the pins are written anew after showing it.
    ///
    /// Example: codemode pin --config ~/.cursor/mcp.json --pins team.pins.json
    Pin(PinArgs),
    /// Serve the built-in demo issue tracker as an MCP server over stdio.
    ///
    /// Useful for trying codemode, for tests, and as an example upstream:
    /// codemode types -- codemode demo-server
    DemoServer,
}

#[derive(Debug, Args)]
pub struct ShapesArgs {
    /// Forget every learned result type.
    #[arg(long)]
    pub clear: bool,
    /// The file of learned result types (default: shapes.json in codemode's cache folder).
    #[arg(long, value_name = "FILE")]
    pub shapes: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server to log in to, by its name in the config (or the one `--url` and `--name` give).
    #[arg(value_name = "NAME")]
    pub server: Option<String>,
    /// Ask for this OAuth scope as well as the config's (repeatable), e.g. after a call was refused for lack of it.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub servers: ServerArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The trace file.
    #[arg(value_name = "TRACE")]
    pub trace: PathBuf,
    /// Replay the execution on this line (1-based) [default: the last].
    #[arg(long, value_name = "N", conflicts_with = "id")]
    pub line: Option<usize>,
    /// Replay the execution with this id.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Show how the servers' tools differ from the pins, and exit 1 if they do; write nothing.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub servers: ServerArgs,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The server whose kept tokens to forget.
    #[arg(value_name = "NAME")]
    pub server: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// How much of the API the `execute` description carries: `auto` is the richest
    /// of full, compact, search and namespaces that fits in --prompt-budget.
    #[arg(long, value_enum, default_value_t = Disclosure::Auto)]
    pub disclosure: Disclosure,
    /// Tokens (o200k_base) of tool definitions `--disclosure auto` may put in the model's prompt.
    #[arg(long, value_name = "TOKENS", default_value_t = crate::disclosure::DEFAULT_PROMPT_BUDGET)]
    pub prompt_budget: usize,
    /// Also list every upstream tool directly beside `execute` (named as upstream when one server is
    /// selected, `namespace__tool` when several), and forward the upstreams' prompts and resources.
    #[arg(long)]
    pub expose_tools: bool,
    /// Serve streamable HTTP at this address (endpoint /mcp) instead of stdio, e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
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
    /// also at /metrics beside /mcp, behind --auth-token), e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
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

/// The execution record, for auditing and `codemode replay`.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Trace")]
pub struct TraceArgs {
    /// Append one JSON line per execution (id, code, outcome, duration, each call and its
    /// policy and approval verdicts) to this file.
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<std::path::PathBuf>,
    /// Keep each call's arguments and answer and the program's result in the trace (each cut
    /// at 64 KiB, with a note), so that `codemode replay` can run the execution again.
    #[arg(long, requires = "trace_file")]
    pub trace_results: bool,
    /// Export OpenTelemetry traces (a span per execution and per tool call, OTLP over HTTP as
    /// JSON) to this collector, e.g. http://localhost:4318 [default: $OTEL_EXPORTER_OTLP_ENDPOINT,
    /// else none]. The W3C trace context in a request's `_meta` is the parent, and each upstream
    /// call carries its own on.
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct SavingsArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// The tokenizer to count with.
    #[arg(long, value_enum, default_value_t = Tokenizer::O200k)]
    pub tokenizer: Tokenizer,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The TypeScript program, or `-` to read it from standard input.
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub servers: ServerArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Add the token cost of the workflow: every tool result that stayed in the
    /// sandbox (what tool calling would have put in the model's context) against
    /// the program's result (what Code Mode does).
    #[arg(long)]
    pub trace: bool,
    /// The tokenizer for --trace.
    #[arg(long, value_enum, default_value_t = Tokenizer::O200k, requires = "trace")]
    pub tokenizer: Tokenizer,
    #[command(flatten)]
    pub record: TraceArgs,
    /// Approve every call that policy (--ask, --ask-destructive, a server's "ask" list)
    /// says needs approval, without asking. Without it, `run` asks at the terminal, and
    /// refuses those calls when there is none.
    #[arg(long)]
    pub yes: bool,
}

/// Execution limits as flags: the same settings as a config file's
/// `"codemode"` section, which the flags override.
#[derive(Clone, Copy, Debug, Default, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Wall-clock limit per execution, in milliseconds [default: 30000].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(ranges::TIMEOUT_MS))]
    pub timeout_ms: Option<u64>,
    /// Memory limit for the program's JavaScript heap, in MiB [default: 64].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(ranges::MEMORY_MB))]
    pub memory_mb: Option<u64>,
    /// Stack limit for the program (how deep it may recurse), in KiB [default: 1024];
    /// the sandbox's 1 MiB stack leaves a program at most 896.
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::STACK_KB))]
    pub stack_kb: Option<u64>,
    /// Tool calls allowed per execution [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::MAX_CALLS))]
    pub max_calls: Option<u64>,
    /// Size limit of result plus logs, in KiB; larger output is cut with a marker [default: 256].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::MAX_OUTPUT_KB))]
    pub max_output_kb: Option<u64>,
    /// Tool calls in flight at once per server, e.g. under Promise.all [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::MAX_CONCURRENT_CALLS))]
    pub max_concurrent_calls: Option<u64>,
    /// Size limit of a program's source, in KiB; larger programs are refused [default: 256].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::MAX_PROGRAM_KB))]
    pub max_program_kb: Option<u64>,
}

impl LimitArgs {
    /// The flags as config settings (`None` where a flag was not given).
    pub fn settings(&self) -> Settings {
        Settings {
            timeout_ms: self.timeout_ms,
            memory_mb: self.memory_mb,
            stack_kb: self.stack_kb,
            max_calls: self.max_calls,
            max_output_kb: self.max_output_kb,
            max_concurrent_calls: self.max_concurrent_calls,
            max_program_kb: self.max_program_kb,
        }
    }
}

#[derive(Debug, Args)]
pub struct TypesArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// How much prose to keep: `full` keeps every description and constraint,
    /// `compact` keeps each tool's first sentence and the types.
    #[arg(long, value_enum, default_value_t = StyleArg::Full)]
    pub style: StyleArg,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,
    /// Flag what in the tool definitions could steer the model: text that
    /// instructs it, `<IMPORTANT>`-style tags, talk of credentials, mentions of
    /// another server's tools, invisible or bidirectional Unicode, and names
    /// that shadow another server's tools. Flags to read, not verdicts.
    #[arg(long, conflicts_with = "raw")]
    pub audit: bool,
    /// Print one server's `tools/list` result exactly as the server sent it
    /// (save it to use with `--tools-file`).
    /// Choose the server with `--server` when there are several.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The client whose servers move behind codemode.
    #[arg(value_enum)]
    pub client: crate::connect::Client,
    /// The client's config file, if not where the client keeps it by default.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// codemode's own config, which receives the servers (created if missing).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show what would change, as diffs, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DisconnectArgs {
    /// The client to give its own config back.
    #[arg(value_enum)]
    pub client: crate::connect::Client,
    /// The client's config file, if not where the client keeps it by default.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    Full,
    Compact,
}

impl From<StyleArg> for codemode_typegen::Style {
    fn from(style: StyleArg) -> Self {
        match style {
            StyleArg::Full => codemode_typegen::Style::Full,
            StyleArg::Compact => codemode_typegen::Style::Compact,
        }
    }
}

/// How a command picks its upstream servers; the same for every command.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Servers")]
#[command(group(clap::ArgGroup::new("single_server").args(["url", "command"])))]
pub struct ServerArgs {
    /// An MCP client's config file (Claude Desktop, Claude Code, Cursor, VS Code; comments allowed), repeatable;
    /// `${VAR}`, `${VAR:-default}`, `${userHome}`, `${workspaceFolder}` and `${input:ID}` are filled in.
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Use only this server of the config (repeatable); the others are not started.
    #[arg(long = "server", value_name = "NAME")]
    pub servers: Vec<String>,
    /// The value of the config's `${input:ID}` (repeatable), as `ID=VALUE`;
    /// the environment variable CODEMODE_INPUT_<ID> works too.
    #[arg(long = "input", value_name = "ID=VALUE")]
    pub inputs: Vec<String>,
    /// An HTTP MCP server: streamable HTTP, or legacy SSE when it does not answer as streamable HTTP.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// An HTTP header for `--url`, as `Name: value` (repeatable), e.g. "Authorization: Bearer $TOKEN".
    #[arg(long = "header", value_name = "HEADER", requires = "url")]
    pub headers: Vec<String>,
    /// A saved `tools/list` result (`{"tools": [...]}`), used offline and named after the file (repeatable).
    #[arg(long = "tools-file", value_name = "FILE")]
    pub tools_files: Vec<PathBuf>,
    /// Name for the server given by `--url` or `-- CMD` (default: derived from the package or host).
    #[arg(long, value_name = "NAME", requires = "single_server")]
    pub name: Option<String>,
    /// Where result types learned from calls are kept (default: shapes.json in codemode's cache
    /// folder); `none` learns nothing and shows only declared types.
    #[arg(long, value_name = "FILE", env = "CODEMODE_SHAPES")]
    pub shapes: Option<PathBuf>,
    /// Seconds to wait for each server to start, initialize and list its tools.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub init_timeout: Duration,
    /// Only tools matching this glob over `server.tool` (repeatable), e.g. `github.get_*`.
    #[arg(long, value_name = "PATTERN", help_heading = "Policy")]
    pub allow: Vec<String>,
    /// Never tools matching this glob over `server.tool` (repeatable), e.g. `*.delete_*`.
    #[arg(long, value_name = "PATTERN", help_heading = "Policy")]
    pub deny: Vec<String>,
    /// Only tools annotated `readOnlyHint: true` (and not also destructive).
    #[arg(long, help_heading = "Policy")]
    pub read_only: bool,
    /// Ask a person before each call of a tool matching this glob over `server.tool`
    /// (repeatable), e.g. `github.delete_*`: `serve` asks its client, `run` the terminal.
    #[arg(long, value_name = "PATTERN", help_heading = "Policy")]
    pub ask: Vec<String>,
    /// Ask a person before each call of a tool not annotated `readOnlyHint: true`,
    /// or annotated destructive (`destructiveHint` other than `false`).
    #[arg(long, help_heading = "Policy")]
    pub ask_destructive: bool,
    /// Leave out (and refuse) every tool whose definition differs from the one
    /// `codemode pin` wrote to FILE, and every tool not pinned there; show
    /// each tool's learned result type only as pinned there (none if none is,
    /// as in pins files of the previous format).
    #[arg(
        long,
        value_name = "FILE",
        env = "CODEMODE_PINS",
        help_heading = "Policy"
    )]
    pub pins: Option<PathBuf>,
    /// Seconds an approval may take before the call is refused [default: the rest of
    /// the execution's time limit, which keeps running while a person decides].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Policy")]
    pub approval_timeout: Option<Duration>,
    /// A stdio MCP server to run: everything after `--`, e.g. `-- npx -y @modelcontextprotocol/server-everything`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

impl ServerArgs {
    /// Where the servers come from, as plain config data.
    pub fn sources(&self) -> crate::config::Sources {
        crate::config::Sources {
            configs: self.config.clone(),
            command: self.command.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            tools_files: self.tools_files.clone(),
            name: self.name.clone(),
            only: self.servers.clone(),
            inputs: self.inputs.clone(),
        }
    }
}

/// The seconds a duration flag accepts: from a millisecond to a day.
const SECONDS: std::ops::RangeInclusive<f64> = 0.001..=86_400.0;

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let range = format!(
        "give a number of seconds from {} to {} (a day)",
        SECONDS.start(),
        SECONDS.end()
    );
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number; {range}"))?;
    // Also refuses NaN and infinities, which Duration cannot hold.
    if !SECONDS.contains(&seconds) {
        return Err(format!("`{text}` is out of range; {range}"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn trailing_command_is_collected_after_double_dash() {
        let cli = Cli::parse_from([
            "codemode", "tools", "--json", "--", "npx", "-y", "pkg", "--flag",
        ]);
        let Command::Tools(args) = cli.command else {
            panic!("expected tools")
        };
        assert_eq!(args.servers.command, ["npx", "-y", "pkg", "--flag"]);
        assert!(args.json);
    }

    #[test]
    fn name_needs_a_server_to_name() {
        let err = Cli::try_parse_from(["codemode", "tools", "--name", "x"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        assert!(
            Cli::try_parse_from(["codemode", "tools", "--name", "x", "--url", "http://h/mcp"])
                .is_ok()
        );
        assert!(Cli::try_parse_from(["codemode", "tools", "--name", "x", "--", "srv"]).is_ok());
    }

    #[test]
    fn init_timeout_rejects_nonsense() {
        for nonsense in [
            "0", "soon", "-1", "1e300", "NaN", "inf", "-inf", "86400.5", "0.0001",
        ] {
            let error =
                Cli::try_parse_from(["codemode", "tools", &format!("--init-timeout={nonsense}")])
                    .unwrap_err();
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
            assert!(
                error
                    .to_string()
                    .contains("give a number of seconds from 0.001 to 86400 (a day)"),
                "{error}"
            );
        }
        let cli = Cli::parse_from(["codemode", "tools", "--init-timeout", "0.5"]);
        let Command::Tools(args) = cli.command else {
            panic!("expected tools")
        };
        assert_eq!(args.servers.init_timeout, Duration::from_millis(500));
    }
}
