//! `codemode replay`: a recorded execution run again, calls answered from the recording.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::limits::{self, LimitArgs};
use crate::engine::executor::{self, Executor};
use crate::files::config;
use codemode_sandbox as sandbox;

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

/// Which recorded execution `codemode replay` runs again, within which limits.
#[derive(Debug)]
pub(crate) struct ReplaySettings {
    /// The trace file.
    pub trace: PathBuf,
    /// The execution on this line (1-based), or with this id [default: the last].
    pub line: Option<usize>,
    pub id: Option<String>,
    /// The limits it runs within: flags over the defaults (no config file is read).
    pub execution: executor::Settings,
}

impl From<ReplayArgs> for ReplaySettings {
    fn from(args: ReplayArgs) -> Self {
        ReplaySettings {
            trace: args.trace,
            line: args.line,
            id: args.id,
            execution: limits::resolve(&args.limits.settings(), &config::ConfigSettings::default()),
        }
    }
}

/// `codemode replay`: `Ok(false)` when the replay diverged from the recording.
pub(crate) async fn replay(settings: ReplaySettings) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&settings.trace)
        .with_context(|| format!("cannot read the trace {}", settings.trace.display()))?;
    let recording =
        crate::engine::replay::Recording::pick(&text, settings.line, settings.id.as_deref())
            .with_context(|| format!("cannot replay from {}", settings.trace.display()))?;
    sandbox::isolate::warm_up();
    let recorded_calls = recording.calls.len();
    let replay = Arc::new(crate::engine::replay::Replay::new(recording.calls));
    let executor =
        Executor::new(recording.api, HashMap::new(), settings.execution).replaying(replay.clone());
    let mut report = executor
        .execute(&recording.code, settings.execution.limits)
        .await;
    crate::cli::diagnostics::word_for_the_cli(&mut report);
    let replayed = match &report.outcome {
        Some(Ok(value)) => json!({"ok": true, "result": value}),
        Some(Err(failure)) => {
            json!({"ok": false, "kind": failure.kind, "message": failure.message})
        }
        None => json!({"ok": false}),
    };
    let divergence = replay
        .divergence()
        .or_else(|| crate::engine::replay::outcome_difference(&recording.outcome, &replayed));
    let output = json!({
        "identical": divergence.is_none(),
        "calls": report.calls.len(),
        "recorded_calls": recorded_calls,
        "divergence": divergence,
        "outcome": replayed,
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(divergence.is_none())
}
