//! `codemode run` (and `learn`): one program against the servers' tools.

use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;

use super::learn::print_learned;
use super::limits::{self, LimitArgs};
use super::open::{open, save_shapes};
use super::savings::TokenizerArg;
use super::servers::{ServerArgs, ServerSettings};
use super::trace::{TraceArgs, TraceSettings};
use crate::engine::executor::Executor;
use crate::files::config;
use crate::files::json_file::{self, Bounded};
use crate::governance::approval::{self, Approver};
use crate::savings::{self, Tokenizer};
use crate::server::Trace;
use crate::upstream::Hooks;
use codemode_sandbox as sandbox;

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
    #[arg(long, value_enum, default_value_t = TokenizerArg::O200k, requires = "trace")]
    pub tokenizer: TokenizerArg,
    #[command(flatten)]
    pub record: TraceArgs,
    /// Approve every call that policy (--ask, --ask-destructive, a server's "ask" list)
    /// says needs approval, without asking. Without it, `run` asks at the terminal, and
    /// refuses those calls when there is none.
    #[arg(long)]
    pub yes: bool,
}

/// What `codemode run` (and `learn`) runs, against what, and how it reports.
#[derive(Debug)]
pub(crate) struct RunSettings {
    /// The program's file, or `-` for standard input.
    pub file: String,
    pub servers: ServerSettings,
    /// Limits given as flags, over the config file's.
    pub limits: crate::files::config::ConfigSettings,
    /// The tokenizer to count the workflow's token cost with, when it is wanted.
    pub workflow: Option<Tokenizer>,
    pub record: TraceSettings,
    /// Approve every call that needs approval, without asking.
    pub yes: bool,
}

impl From<RunArgs> for RunSettings {
    fn from(args: RunArgs) -> Self {
        RunSettings {
            file: args.file,
            servers: args.servers.into(),
            limits: args.limits.settings(),
            workflow: args.trace.then_some(args.tokenizer.into()),
            record: args.record.into(),
            yes: args.yes,
        }
    }
}

/// `codemode run`: `Ok(false)` when the program failed (the report says why).
pub(crate) async fn run(settings: RunSettings, learn_only: bool) -> anyhow::Result<bool> {
    let code = read_program(&settings.file)?;
    let telemetry = crate::engine::telemetry::init(settings.record.otlp_endpoint.as_deref())?;
    // Ready the sandbox while the servers connect.
    sandbox::isolate::warm_up();
    // A person at the terminal answers servers' requests and approves
    // calls, one question at a time; without one, requests are declined.
    let terminal = crate::governance::terminal::Terminal::open();
    let hooks = match &terminal {
        Some(terminal) => Hooks {
            changes: None,
            human: Arc::new(terminal.clone()),
        },
        None => Hooks::unattended(
            "`codemode run` has no MCP client to ask and no terminal to ask on; run it in a terminal, or use `codemode serve`",
        ),
    };
    let human = hooks.human.clone();
    let approver: Arc<dyn Approver> = if settings.yes {
        Arc::new(approval::Yes)
    } else {
        match terminal {
            Some(terminal) => Arc::new(terminal),
            None => approval::NoOne::shared(
                "no terminal to ask at; run it in a terminal, or pass --yes to approve every such call",
            ),
        }
    };
    let opened = open(&settings.servers, hooks, &[]).await?;
    let execution = limits::resolve(&settings.limits, &opened.settings);
    let (api, refusals, approvals) = opened.api();
    let mut executor = Executor::new(api, opened.upstreams.peers(), execution)
        .wording_hints(crate::cli::diagnostics::for_the_program)
        .with_refusals(refusals.worded(crate::cli::diagnostics::reason))
        .approving(
            approvals.worded(crate::cli::diagnostics::reason),
            approver,
            settings.servers.approval_timeout,
        )
        .with_call_timeouts(opened.upstreams.call_timeouts())
        .asking(human)
        .learning(opened.shapes.clone());
    if settings.workflow.is_some() {
        executor = executor.keeping_results();
    }
    if settings.record.trace_results {
        executor = executor.recording();
    }
    let trace = settings
        .record
        .trace_file
        .as_deref()
        .map(Trace::open)
        .transpose()?;
    let (upstreams, shapes) = (opened.upstreams, opened.shapes);
    let before = shapes.all();
    let started = std::time::Instant::now();
    let traced = crate::engine::telemetry::execution(None, None);
    let mut report =
        crate::engine::telemetry::within(&traced, executor.execute(&code, execution.limits)).await;
    crate::cli::diagnostics::word_for_the_cli(&mut report);
    crate::engine::executor::end_execution(traced, &report);
    drop(telemetry);
    if let Some(trace) = &trace {
        trace.record(&code, &report, started.elapsed());
    }
    drop(executor);
    upstreams.shutdown().await;
    save_shapes(&shapes);
    if learn_only {
        print_learned(&before, &shapes.all());
        return Ok(report.ok());
    }
    let mut output = report.to_json();
    if let Some(tokenizer) = settings.workflow {
        output["trace"] = savings::workflow(tokenizer, &report);
    }
    println!("{}", serde_json::to_string_pretty(&output)?);
    if !report.logins.is_empty()
        && let Some(terminal) = crate::governance::terminal::Terminal::open()
    {
        super::open::offer_call_logins(&terminal, &settings.servers, &report.logins).await;
    }
    Ok(report.ok())
}

/// The program's text, read no further than the largest size compiled.
fn read_program(file: &str) -> anyhow::Result<String> {
    let max = (*config::ranges::MAX_PROGRAM_KB.end() as usize) << 10;
    if file == "-" {
        return match json_file::read_bounded(std::io::stdin(), max) {
            Ok(code) => Ok(code),
            Err(Bounded::TooLarge) => bail!(
                "the program on standard input is larger than {}, more than codemode compiles",
                codemode_text::size(max)
            ),
            Err(Bounded::Io(error)) => {
                Err(error).context("cannot read the program from standard input")
            }
        };
    }
    json_file::read_text(std::path::Path::new(file), max)
        .with_context(|| format!("cannot read the program {file}"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn settings(flags: &[&str]) -> RunSettings {
        let cli = Cli::parse_from(["codemode", "run", "p.ts"].iter().chain(flags));
        let Command::Run(args) = cli.command else {
            panic!("expected run")
        };
        args.into()
    }

    #[test]
    fn the_workflow_is_counted_only_with_trace_and_with_its_tokenizer() {
        assert_eq!(settings(&[]).workflow, None);
        assert_eq!(settings(&["--trace"]).workflow, Some(Tokenizer::O200k));
        assert_eq!(
            settings(&["--trace", "--tokenizer", "cl100k_base"]).workflow,
            Some(Tokenizer::Cl100k)
        );
    }

    #[test]
    fn limit_flags_are_kept_as_given_for_the_config_file_to_fill_in() {
        let settings = settings(&["--timeout-ms", "5000", "--yes"]);
        assert_eq!(settings.limits.timeout_ms, Some(5000));
        assert_eq!(settings.limits.memory_mb, None);
        assert!(settings.yes);
        assert_eq!(settings.file, "p.ts");
    }
}
