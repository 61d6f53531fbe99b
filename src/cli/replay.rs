//! `codemode replay`: a recorded execution run again, calls answered from the recording.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::limits::{LimitArgs, settings};
use crate::config;
use crate::executor::Executor;
use crate::sandbox;

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

/// `codemode replay`: `Ok(false)` when the replay diverged from the recording.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&args.trace)
        .with_context(|| format!("cannot read the trace {}", args.trace.display()))?;
    let recording = crate::replay::Recording::pick(&text, args.line, args.id.as_deref())
        .with_context(|| format!("cannot replay from {}", args.trace.display()))?;
    sandbox::isolate::warm_up();
    let settings = settings(&args.limits, &config::Settings::default());
    let recorded_calls = recording.calls.len();
    let replay = Arc::new(crate::replay::Replay::new(recording.calls));
    let executor = Executor::new(recording.api, HashMap::new(), settings).replaying(replay.clone());
    let report = executor.execute(&recording.code, settings.limits).await;
    let replayed = match &report.outcome {
        Some(Ok(value)) => json!({"ok": true, "result": value}),
        Some(Err(failure)) => {
            json!({"ok": false, "kind": failure.kind, "message": failure.message})
        }
        None => json!({"ok": false}),
    };
    let divergence = replay
        .divergence()
        .or_else(|| crate::replay::outcome_difference(&recording.outcome, &replayed));
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
