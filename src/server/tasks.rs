//! The tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`). An
//! `execute` of a 2026-07-28 client that declared the extension and that
//! runs longer than a moment becomes a task: the client polls it with
//! `tasks/get` (the result is inlined once it ends), answers its questions
//! with `tasks/update` and may stop it with `tasks/cancel`, from any
//! connection, since tasks outlive the request and the session that made
//! them. A passthrough call's upstream task is the client's to poll through
//! codemode, which remembers which upstream holds it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, Task};
use rmcp::task_manager::{TaskContext, TaskExit, TaskManager, TaskOptions};

use super::rounds::{Next, Running};

/// How long an `execute` runs as a plain request before it becomes a task.
pub(super) const SYNC_BUDGET: Duration = Duration::from_secs(2);

/// How often a client is asked to poll an execution's task.
const POLL_INTERVAL_MS: u64 = 500;

/// How long a task is kept past the execution's time limit, for the client
/// to read its result.
const KEPT_AFTER: Duration = Duration::from_secs(600);

/// How long codemode remembers which upstream holds a task whose server
/// said nothing of how long it keeps it.
const UPSTREAM_TASK_KEPT: Duration = Duration::from_secs(3600);

/// The most upstream tasks remembered at once; the oldest go first.
const MAX_UPSTREAM_TASKS: usize = 10_000;

#[derive(Default)]
pub(super) struct Tasks {
    /// Executions running (or ended) as tasks.
    own: TaskManager,
    /// Task id → (the upstream that holds it, until when it is remembered).
    upstream: Mutex<HashMap<String, (String, Instant)>>,
}

/// Whose a task is.
pub(super) enum Holder {
    Codemode,
    Upstream(String),
}

impl Tasks {
    /// Turns a running execution into a task; its seed state.
    pub(super) fn adopt(&self, running: Running, time_limit: Duration) -> Task {
        let kept = time_limit + KEPT_AFTER;
        let options = TaskOptions::new()
            .with_ttl_ms(u64::try_from(kept.as_millis()).unwrap_or(u64::MAX))
            .with_poll_interval_ms(POLL_INTERVAL_MS)
            .with_status_message("running the program");
        self.own
            .spawn(options, |context| Box::pin(as_task(running, context)))
    }

    /// Remembers that `server` holds `task`.
    pub(super) fn held_by(&self, task: &Task, server: &str) {
        let kept = task
            .ttl_ms
            .map_or(UPSTREAM_TASK_KEPT, Duration::from_millis)
            .min(UPSTREAM_TASK_KEPT * 24);
        let mut upstream = self.upstream.lock().expect("upstream tasks");
        let now = Instant::now();
        upstream.retain(|_, (_, until)| *until > now);
        if upstream.len() >= MAX_UPSTREAM_TASKS
            && let Some(oldest) = upstream
                .iter()
                .min_by_key(|(_, (_, until))| *until)
                .map(|(id, _)| id.clone())
        {
            upstream.remove(&oldest);
        }
        upstream.insert(task.task_id.clone(), (server.to_owned(), now + kept));
    }

    /// Whose `task` is; `Err` for a task nobody here knows.
    pub(super) fn holder(&self, task: &str) -> Result<Holder, ErrorData> {
        if self.own.get_task(task).is_ok() {
            return Ok(Holder::Codemode);
        }
        let upstream = self.upstream.lock().expect("upstream tasks");
        match upstream.get(task) {
            Some((server, until)) if *until > Instant::now() => {
                Ok(Holder::Upstream(server.clone()))
            }
            _ => Err(ErrorData::invalid_params(
                format!(
                    "no task {task} (it ended longer ago than it is kept, or was never made here)"
                ),
                None,
            )),
        }
    }

    pub(super) fn own(&self) -> &TaskManager {
        &self.own
    }
}

/// Follows an execution as a task: its questions (approvals, what its
/// calls' servers ask) become the task's input requests, answered by
/// `tasks/update`; `tasks/cancel` stops it.
async fn as_task(mut running: Running, task: TaskContext) -> Result<CallToolResult, TaskExit> {
    let mut asked = 0_u32;
    loop {
        tokio::select! {
            next = running.next() => match next {
                Next::Ended(outcome) => return match *outcome {
                    Ok(rmcp::model::ServerResult::CallToolResult(result)) => Ok(result),
                    Ok(_) => Err(TaskExit::Error(ErrorData::internal_error(
                        "the execution ended with a result of another request",
                        None,
                    ))),
                    Err(error) => Err(TaskExit::Error(error)),
                },
                Next::Asked(question) => {
                    asked += 1;
                    let key = format!("{}-{asked}", question.kind());
                    let task = task.clone();
                    // Each question waits on its own: several may be open at once.
                    tokio::spawn(async move {
                        match serde_json::from_value(question.input_request()) {
                            Ok(request) => match task.request_input(key.clone(), request).await {
                                Ok(answer) => question.answer(&key, Some(&answer)),
                                Err(_) => question.refuse("the task ended before the client answered"),
                            },
                            Err(error) => question.refuse(&format!(
                                "codemode could not put the question to the client ({error})"
                            )),
                        }
                    });
                }
            },
            () = task.cancelled() => {
                running.stop();
                let _ = running.ended().await;
                return Err(TaskExit::Cancelled);
            }
        }
    }
}
