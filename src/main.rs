//! `codemode`: Code Mode for MCP. The binary is CLI and glue over the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use codemode::cli::{Cli, Command};
use codemode::{commands, connect, demo};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Room to compile programs on these threads (only touched pages count).
        .thread_stack_size(codemode_transpile::THREAD_STACK)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return report(&anyhow::Error::new(error).context("cannot start the async runtime"));
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Types(args) => commands::types(args).await.map(|()| true),
            Command::Tools(args) => commands::tools(args).await.map(|()| true),
            Command::Run(args) => commands::run(args, false).await,
            Command::Learn(args) => commands::run(args, true).await,
            Command::Shapes(args) => commands::shapes(args).map(|()| true),
            Command::Serve(args) => commands::serve(args).await,
            Command::Savings(args) => commands::savings(args).await.map(|()| true),
            Command::Connect(args) => connect::connect(connect::Request {
                client: args.client,
                file: args.file,
                config: args.config,
                dry_run: args.dry_run,
            })
            .map(|()| true),
            Command::Disconnect(args) => connect::disconnect(args.client, args.file).map(|()| true),
            Command::Login(args) => commands::login(args).await.map(|()| true),
            Command::Logout(args) => commands::logout(args).map(|()| true),
            Command::Pin(args) => commands::pin(args).await,
            Command::Replay(args) => commands::replay(args).await,
            Command::DemoServer => demo::serve_stdio().await.map(|()| true),
        }
    });
    // Do not wait for stray blocking reads (e.g. stdin) to finish.
    runtime.shutdown_background();
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        // The command already reported the failure on stdout.
        Ok(false) => ExitCode::FAILURE,
        Err(error) => report(&error),
    }
}

/// Prints the error and its causes, one per line, and picks the exit code.
fn report(error: &anyhow::Error) -> ExitCode {
    // Causes may be reqwest's, naming a URL with its credentials.
    let scrub = |text: String| codemode::upstream::redact::scrub(&text);
    eprintln!("error: {}", scrub(error.to_string()));
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {}", scrub(cause.to_string()));
    }
    ExitCode::FAILURE
}

/// Logs go to stderr (stdout carries command output or the MCP protocol);
/// `CODEMODE_LOG` takes a tracing filter such as `debug` or `codemode=trace`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CODEMODE_LOG")
        // rmcp logs transport failures itself; we report them with context instead.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rmcp=off"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Secrets are scrubbed from every event, whichever crate logged it.
        .with_writer(codemode::upstream::redact::ScrubbedStderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
