//! `codemode`: Code Mode for MCP. The binary is CLI and glue over the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use codemode::cli::Cli;
use codemode::cli::diagnostics::report;

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
    let outcome = runtime.block_on(codemode::cli::execute(cli.command));
    // Do not wait for stray blocking reads (e.g. stdin) to finish.
    runtime.shutdown_background();
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        // The command already reported the failure on stdout.
        Ok(false) => ExitCode::FAILURE,
        Err(error) => report(&error),
    }
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
