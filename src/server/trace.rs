//! `--trace-file`: one JSON line per execution, for auditing what programs
//! did; with `--trace-results`, each call's arguments and answer and the
//! program's result too, so that `codemode replay` can run it again.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::{Value, json};

use crate::engine::executor::Report;

pub struct Trace {
    file: Mutex<File>,
}

impl Trace {
    /// Appends to `path`, creating it readable by the user alone (with
    /// `--trace-results` it holds every tool's answer); a link planted
    /// there is refused, never followed.
    pub fn open(path: &Path) -> anyhow::Result<Trace> {
        let file = crate::files::private_file::append(path)
            .with_context(|| format!("cannot open the trace file {}", path.display()))?;
        Ok(Trace {
            file: Mutex::new(file),
        })
    }

    /// Writes one execution; a failure to write is logged, never fatal.
    pub fn record(&self, code: &str, report: &Report, took: Duration) {
        let mut line = entry(code, report, took, SystemTime::now()).to_string();
        line.push('\n');
        let written = self
            .file
            .lock()
            .map(|mut file| file.write_all(line.as_bytes()));
        if let Ok(Err(error)) = written {
            tracing::warn!("cannot write to the trace file: {error}");
        }
    }
}

/// The most of one value (arguments, an answer, the result) a trace keeps;
/// a larger one is noted by size.
const MAX_TRACED_VALUE: usize = 64 << 10;

/// `value`'s JSON under `key`, or its size under `{key}_cut` when too large.
fn kept(entry: &mut serde_json::Map<String, Value>, key: &str, json: &str) {
    match serde_json::from_str::<Value>(json) {
        Ok(value) if json.len() <= MAX_TRACED_VALUE => {
            entry.insert(key.to_owned(), value);
        }
        _ => {
            entry.insert(
                format!("{key}_cut"),
                json!(format!(
                    "{} bytes; the trace keeps at most {MAX_TRACED_VALUE}",
                    json.len()
                )),
            );
        }
    }
}

fn entry(code: &str, report: &Report, took: Duration, now: SystemTime) -> Value {
    let results = report.api.is_some();
    let outcome = match &report.outcome {
        Some(Ok(value)) if results => {
            let mut outcome = serde_json::Map::new();
            outcome.insert("ok".into(), json!(true));
            kept(&mut outcome, "result", &value.to_string());
            Value::Object(outcome)
        }
        Some(Ok(_)) => json!({"ok": true}),
        Some(Err(failure)) => {
            json!({"ok": false, "kind": failure.kind, "message": failure.message, "line": failure.line, "column": failure.column})
        }
        None => json!({"ok": false}),
    };
    let calls: Vec<Value> = report
        .calls
        .iter()
        .map(|c| {
            let mut call = json!({
                "server": c.server, "tool": c.tool, "ms": c.ms, "ok": c.ok, "error": c.error,
                "args_bytes": c.args_bytes, "result_bytes": c.result_bytes,
                "policy": c.policy.as_deref().map_or_else(|| "allowed".to_owned(), |reason| format!("refused: {reason}")),
                "approval": c.approval,
            });
            if results && let Value::Object(call) = &mut call {
                call.insert("order".into(), json!(c.order));
                if let Some(args) = &c.args_json {
                    kept(call, "args", args);
                }
                match (&c.result_json, &c.answer_error) {
                    (Some(result), _) => kept(call, "result", result),
                    (None, Some(error)) => {
                        call.insert("answer_error".into(), json!(error));
                    }
                    (None, None) => {}
                }
            }
            call
        })
        .collect();
    let mut entry = json!({
        "id": uuid::Uuid::new_v4().simple().to_string(),
        "time": rfc3339(now), "ms": took.as_millis() as u64, "code": code,
        "outcome": outcome, "calls": calls,
    });
    if let Some(api) = &report.api {
        entry["api"] = json!(api);
    }
    entry
}

/// `2026-11-22T00:59:59.123Z`, without a date library.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (days, secs) = ((since.as_secs() / 86_400) as i64, since.as_secs() % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::executor::CallRecord;

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_795_308_896_789)),
            "2026-11-22T00:54:56.789Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn entries_carry_calls_with_sizes_and_verdicts() {
        let report = Report {
            outcome: Some(Ok(json!(1))),
            logs: vec![],
            calls: vec![CallRecord {
                server: "s".into(),
                tool: "t".into(),
                ms: 3,
                ok: false,
                error: Some("no".into()),
                policy: Some("denied by --deny s.t".into()),
                approval: None,
                args_bytes: 2,
                result_bytes: 0,
                result_json: None,
                order: 0,
                args_json: None,
                answer_error: None,
            }],
            ..Report::default()
        };
        let line = entry("return 1;", &report, Duration::from_millis(7), UNIX_EPOCH);
        assert_eq!(line["ms"], 7);
        assert_eq!(line["outcome"], json!({"ok": true}));
        assert_eq!(line["calls"][0]["policy"], "refused: denied by --deny s.t");
        assert_eq!(line["calls"][0]["args_bytes"], 2);
    }
}
