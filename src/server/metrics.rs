//! Prometheus metrics of `serve`: executions by outcome and how long they
//! took, tool calls by server, tool and outcome and how long they took, the
//! queue, policy refusals and approvals, and the prompt tokens the served
//! API saves. Scraped at `/metrics` of `--http` (behind the same token) or
//! at a separate `--metrics ADDR`.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::engine::executor::Report;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Call {
    server: String,
    tool: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Server {
    server: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Verdict {
    verdict: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Form {
    form: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds, from a millisecond to about four minutes.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 4.0, 10))
}

pub(super) struct Metrics {
    registry: Registry,
    executions: Family<Outcome, Counter>,
    execution_seconds: Histogram,
    calls: Family<Call, Counter>,
    call_seconds: Histograms<Server>,
    running: Gauge,
    queued: Gauge,
    rejections: Counter,
    refusals: Family<Server, Counter>,
    approvals: Family<Verdict, Counter>,
    prompt_tokens: Family<Form, Gauge>,
    /// Scrapes encode one at a time.
    encoding: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("codemode");
        let executions = Family::<Outcome, Counter>::default();
        registry.register(
            "executions",
            "Executions, by outcome (ok, or the error's kind)",
            executions.clone(),
        );
        let execution_seconds = seconds_histogram();
        registry.register(
            "execution_duration_seconds",
            "How long executions took, waiting for approval included",
            execution_seconds.clone(),
        );
        let calls = Family::<Call, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by server, tool and outcome (ok, error, refused, not_approved)",
            calls.clone(),
        );
        let call_seconds: Histograms<Server> = Family::new_with_constructor(seconds_histogram);
        registry.register(
            "tool_call_duration_seconds",
            "How long tool calls that went out took, by server",
            call_seconds.clone(),
        );
        let running = Gauge::default();
        registry.register(
            "executions_running",
            "Executions running now",
            running.clone(),
        );
        let queued = Gauge::default();
        registry.register(
            "queue_depth",
            "Executions waiting for a slot now",
            queued.clone(),
        );
        let rejections = Counter::default();
        registry.register(
            "queue_rejections",
            "Executions refused because the queue was full or the wait too long",
            rejections.clone(),
        );
        let refusals = Family::<Server, Counter>::default();
        registry.register(
            "policy_refusals",
            "Calls policy refused (--deny, --allow, --read-only, --pins), by server",
            refusals.clone(),
        );
        let approvals = Family::<Verdict, Counter>::default();
        registry.register(
            "approvals",
            "Calls that needed approval, by verdict (approved, refused)",
            approvals.clone(),
        );
        let prompt_tokens = Family::<Form, Gauge>::default();
        registry.register(
            "prompt_tokens",
            "Prompt tokens (o200k_base) of the tool definitions: as served, as the baseline of `codemode savings` (the tools as {name, description, input_schema}), and saved",
            prompt_tokens.clone(),
        );
        Metrics {
            registry,
            executions,
            execution_seconds,
            calls,
            call_seconds,
            running,
            queued,
            rejections,
            refusals,
            approvals,
            prompt_tokens,
            encoding: Mutex::new(()),
        }
    }
}

impl Metrics {
    /// Counts one finished execution and its calls.
    pub(super) fn execution(&self, report: &Report, took: Duration) {
        let outcome = match &report.outcome {
            Some(Ok(_)) => "ok".to_owned(),
            Some(Err(failure)) => failure.kind.as_str().to_owned(),
            None => "unknown".to_owned(),
        };
        self.executions.get_or_create(&Outcome { outcome }).inc();
        self.execution_seconds.observe(took.as_secs_f64());
        for call in &report.calls {
            let outcome = match (&call.policy, &call.approval) {
                (Some(_), _) => "refused",
                (None, Some(verdict)) if !verdict.approved => "not_approved",
                _ if call.ok => "ok",
                _ => "error",
            };
            let server = Server {
                server: call.server.clone(),
            };
            if call.policy.is_some() {
                self.refusals.get_or_create(&server).inc();
            }
            if let Some(verdict) = &call.approval {
                let verdict = if verdict.approved {
                    "approved"
                } else {
                    "refused"
                };
                self.approvals
                    .get_or_create(&Verdict {
                        verdict: verdict.to_owned(),
                    })
                    .inc();
            }
            if matches!(outcome, "ok" | "error") {
                self.call_seconds
                    .get_or_create(&server)
                    .observe(call.ms as f64 / 1000.0);
            }
            self.calls
                .get_or_create(&Call {
                    server: call.server.clone(),
                    tool: call.tool.clone(),
                    outcome: outcome.to_owned(),
                })
                .inc();
        }
    }

    pub(super) fn rejected(&self) {
        self.rejections.inc();
    }

    /// The served API's prompt cost against the baseline.
    pub(super) fn prompt(&self, served: usize, baseline: usize) {
        for (form, tokens) in [
            ("served", served as i64),
            ("baseline", baseline as i64),
            ("saved", baseline as i64 - served as i64),
        ] {
            self.prompt_tokens
                .get_or_create(&Form { form: form.into() })
                .set(tokens);
        }
    }

    /// The text exposition, with the queue as it is now.
    pub(super) fn encode(&self, running: usize, queued: usize) -> String {
        let _one = self.encoding.lock().expect("metrics encoding");
        self.running.set(running as i64);
        self.queued.set(queued as i64);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::executor::{CallRecord, ExecutionFailure, FailureKind};
    use serde_json::json;

    fn call(tool: &str, ok: bool, policy: Option<&str>) -> CallRecord {
        CallRecord {
            server: "demo".into(),
            tool: tool.into(),
            ms: 12,
            ok,
            error: None,
            policy: policy.map(str::to_owned),
            approval: None,
            args_bytes: 0,
            result_bytes: 0,
            result_json: None,
            order: 0,
            args_json: None,
            answer_error: None,
        }
    }

    #[test]
    fn executions_and_calls_are_counted_by_outcome() {
        let metrics = Metrics::default();
        let ok = Report {
            outcome: Some(Ok(json!(1))),
            calls: vec![
                call("list", true, None),
                call("delete", false, Some("denied")),
            ],
            ..Report::default()
        };
        metrics.execution(&ok, Duration::from_millis(30));
        let failed = Report {
            outcome: Some(Err(ExecutionFailure::new(
                FailureKind::Timeout,
                "too slow",
                None,
                None,
            ))),
            ..Report::default()
        };
        metrics.execution(&failed, Duration::from_secs(1));
        metrics.rejected();
        metrics.prompt(500, 2000);
        let text = metrics.encode(2, 1);
        for line in [
            "codemode_executions_total{outcome=\"ok\"} 1",
            "codemode_executions_total{outcome=\"timeout\"} 1",
            "codemode_execution_duration_seconds_count 2",
            "codemode_tool_calls_total{server=\"demo\",tool=\"list\",outcome=\"ok\"} 1",
            "codemode_tool_calls_total{server=\"demo\",tool=\"delete\",outcome=\"refused\"} 1",
            "codemode_policy_refusals_total{server=\"demo\"} 1",
            "codemode_tool_call_duration_seconds_count{server=\"demo\"} 1",
            "codemode_executions_running 2",
            "codemode_queue_depth 1",
            "codemode_queue_rejections_total 1",
            "codemode_prompt_tokens{form=\"saved\"} 1500",
        ] {
            assert!(text.contains(line), "{line} in:\n{text}");
        }
    }
}
