//! The command line: its parser, and which command runs.
//!
//! One file per command holds its flags, the settings they resolve to, and
//! what it does; flags shared by several commands have files of their own.

mod address;
pub(crate) mod connect;
pub mod diagnostics;
pub(crate) mod disconnect;
pub(crate) mod learn;
pub(crate) mod limits;
pub(crate) mod login;
pub(crate) mod logout;
mod open;
pub(crate) mod pin;
pub(crate) mod replay;
pub(crate) mod run;
pub(crate) mod savings;
mod seconds;
pub(crate) mod serve;
pub(crate) mod servers;
pub(crate) mod shapes;
pub(crate) mod tools;
pub(crate) mod trace;
pub(crate) mod types;

use clap::{Parser, Subcommand};

use self::connect::ConnectArgs;
use self::disconnect::DisconnectArgs;
use self::login::LoginArgs;
use self::logout::LogoutArgs;
use self::pin::PinArgs;
use self::replay::ReplayArgs;
use self::run::RunArgs;
use self::savings::SavingsArgs;
use self::serve::ServeArgs;
use self::shapes::ShapesArgs;
use self::tools::ToolsArgs;
use self::types::TypesArgs;

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

/// Runs the command: `Ok(false)` when it failed and already said why on stdout.
///
/// Each command's flags become its settings first (defaults, environment
/// and the checks between flags), so what it does never reads a flag.
pub async fn execute(command: Command) -> anyhow::Result<bool> {
    match command {
        Command::Types(args) => types::types(args.into()).await.map(|()| true),
        Command::Tools(args) => tools::tools(args.into()).await.map(|()| true),
        Command::Run(args) => run::run(args.into(), false).await,
        Command::Learn(args) => learn::learn(args.into()).await,
        Command::Shapes(args) => shapes::shapes(args.try_into()?).map(|()| true),
        Command::Serve(args) => serve::serve(args.try_into()?).await,
        Command::Savings(args) => savings::savings(args.into()).await.map(|()| true),
        Command::Connect(args) => connect::connect(args.into()).map(|()| true),
        Command::Disconnect(args) => disconnect::disconnect(args.into()).map(|()| true),
        Command::Login(args) => login::login(args.into()).await.map(|()| true),
        Command::Logout(args) => logout::logout(args.into()).map(|()| true),
        Command::Pin(args) => pin::pin(args.into()).await,
        Command::Replay(args) => replay::replay(args.into()).await,
        Command::DemoServer => crate::demo::serve_stdio().await.map(|()| true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;

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
