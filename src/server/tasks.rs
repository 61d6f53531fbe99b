//! The tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`). An
//! `execute` of a 2026-07-28 client that declared the extension and that
//! runs longer than a moment becomes a task: the client polls it with
//! `tasks/get` (the result is inlined once it ends), answers its questions
//! with `tasks/update` and may stop it with `tasks/cancel`, from any
//! connection, since tasks outlive the request and the session that made
//! them. A passthrough call's upstream task is the client's to poll through
//! codemode, which remembers which upstream holds it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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

/// The longest task id of an upstream's that codemode keeps.
const MAX_UPSTREAM_TASK_ID: usize = 1024;

/// The most executions kept as tasks at once (running, or ended and kept
/// for their results); past it an execution is answered when it ends, as
/// for a client without tasks.
const MAX_OWN_TASKS: usize = 512;

/// The most questions of one task open at once; past it a question is
/// refused (a program, or an upstream, that asks without end).
const MAX_OPEN_QUESTIONS: usize = 16;

#[derive(Default)]
pub(super) struct Tasks {
    /// Executions running (or ended) as tasks.
    own: TaskManager,
    /// Until when each of them is kept.
    own_until: Mutex<Vec<Instant>>,
    /// The id codemode gave an upstream's task → whose it is.
    upstream: Mutex<HashMap<String, UpstreamTask>>,
}

/// An upstream's task, known to clients by an id of codemode's own: two
/// upstreams may both number their tasks from 1, and a hostile one may
/// pick another's ids.
struct UpstreamTask {
    server: String,
    /// The upstream's own id.
    theirs: String,
    /// Until when it is remembered.
    until: Instant,
}

/// Whose a task is.
pub(super) enum Holder {
    Codemode,
    /// The upstream `server`, under its own id `theirs`.
    Upstream {
        server: String,
        theirs: String,
    },
}

impl Tasks {
    /// Turns a running execution into a task; its seed state. `Err` hands
    /// it back when as many are kept as may be.
    pub(super) fn adopt(&self, running: Running, time_limit: Duration) -> Result<Task, Running> {
        let kept = time_limit + KEPT_AFTER;
        let mut own_until = self.own_until.lock().expect("own tasks");
        let now = Instant::now();
        own_until.retain(|until| *until > now);
        if own_until.len() >= MAX_OWN_TASKS {
            tracing::warn!(
                "{MAX_OWN_TASKS} executions are kept as tasks; another is answered when it ends"
            );
            return Err(running);
        }
        // Kept a little longer than rmcp keeps it, so the count errs high.
        own_until.push(now + kept * 2);
        drop(own_until);
        let options = TaskOptions::new()
            .with_ttl_ms(u64::try_from(kept.as_millis()).unwrap_or(u64::MAX))
            .with_poll_interval_ms(POLL_INTERVAL_MS)
            .with_status_message("running the program");
        Ok(self
            .own
            .spawn(options, |context| Box::pin(as_task(running, context))))
    }

    /// Remembers that `server` holds `task`, and gives it an id of
    /// codemode's own, which is what the client sees.
    pub(super) fn held_by(&self, task: &mut Task, server: &str) -> Result<(), ErrorData> {
        if task.task_id.len() > MAX_UPSTREAM_TASK_ID {
            return Err(ErrorData::internal_error(
                format!(
                    "the {server} server named its task with an id of {} bytes, more than codemode keeps",
                    task.task_id.len()
                ),
                None,
            ));
        }
        let kept = task
            .ttl_ms
            .map_or(UPSTREAM_TASK_KEPT, Duration::from_millis)
            .min(UPSTREAM_TASK_KEPT * 24);
        let ours = uuid::Uuid::new_v4().to_string();
        let mut upstream = self.upstream.lock().expect("upstream tasks");
        let now = Instant::now();
        upstream.retain(|_, task| task.until > now);
        if upstream.len() >= MAX_UPSTREAM_TASKS
            && let Some(oldest) = upstream
                .iter()
                .min_by_key(|(_, task)| task.until)
                .map(|(id, _)| id.clone())
        {
            upstream.remove(&oldest);
        }
        let theirs = std::mem::replace(&mut task.task_id, ours.clone());
        let held = UpstreamTask {
            server: server.to_owned(),
            theirs,
            until: now + kept,
        };
        upstream.insert(ours, held);
        Ok(())
    }

    /// Whose `task` is; `Err` for a task nobody here knows.
    pub(super) fn holder(&self, task: &str) -> Result<Holder, ErrorData> {
        if self.own.get_task(task).is_ok() {
            return Ok(Holder::Codemode);
        }
        let upstream = self.upstream.lock().expect("upstream tasks");
        match upstream.get(task) {
            Some(held) if held.until > Instant::now() => Ok(Holder::Upstream {
                server: held.server.clone(),
                theirs: held.theirs.clone(),
            }),
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
    let mut asked = 0_u64;
    let open = Arc::new(AtomicUsize::new(0));
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
                    if open.load(Ordering::SeqCst) >= MAX_OPEN_QUESTIONS {
                        question.refuse("too many questions wait for the client at once");
                        continue;
                    }
                    asked += 1;
                    let key = format!("{}-{asked}", question.kind());
                    let task = task.clone();
                    let open = Open::count(&open);
                    // Each question waits on its own: several may be open at once.
                    tokio::spawn(async move {
                        let _open = open;
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

/// One open question of a task, counted while it lives.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn count(open: &Arc<AtomicUsize>) -> Open {
        open.fetch_add(1, Ordering::SeqCst);
        Open(open.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::TaskStatus;

    fn task(id: &str) -> Task {
        Task::new(
            id.to_owned(),
            TaskStatus::Working,
            "t".to_owned(),
            "t".to_owned(),
        )
    }

    #[test]
    fn upstreams_that_number_their_tasks_alike_keep_them_apart() {
        let tasks = Tasks::default();
        let (mut good, mut bad) = (task("task-1"), task("task-1"));
        tasks.held_by(&mut good, "good").unwrap();
        tasks.held_by(&mut bad, "bad").unwrap();
        assert_ne!(
            good.task_id, bad.task_id,
            "each gets an id of codemode's own"
        );
        for (task, server) in [(&good, "good"), (&bad, "bad")] {
            match tasks.holder(&task.task_id).unwrap() {
                Holder::Upstream { server: s, theirs } => {
                    assert_eq!((s.as_str(), theirs.as_str()), (server, "task-1"));
                }
                Holder::Codemode => panic!("not codemode's"),
            }
        }
        // An upstream's own id names nothing here.
        assert!(tasks.holder("task-1").is_err());
        let mut huge = task(&"x".repeat(MAX_UPSTREAM_TASK_ID + 1));
        assert!(tasks.held_by(&mut huge, "bad").is_err());
    }
}
