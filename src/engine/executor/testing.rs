//! What the executor's unit tests share: a small API without servers, and
//! the bookkeeping of one execution.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU32;
use std::time::Duration;

use codemode_typegen::Api;
use serde_json::{Value, json};

use super::{CallLedger, Executor, Settings, result_cost};
use crate::governance::approval;

/// One server, `demo`, of three tools; `get_issue` and `delete_issue` need an `id`.
pub(super) fn tools() -> Vec<(String, Vec<Value>)> {
    let schema =
        json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]});
    vec![(
        "demo".to_owned(),
        vec![
            json!({"name": "get_issue", "inputSchema": schema}),
            json!({"name": "list_issues", "inputSchema": {"type": "object"}}),
            json!({"name": "delete_issue", "inputSchema": schema}),
        ],
    )]
}

pub(super) fn executor() -> Executor {
    Executor::new(Api::new(tools()), HashMap::new(), Settings::default())
}

pub(super) fn ledger(max_calls: u32) -> CallLedger {
    CallLedger {
        sent: AtomicU32::new(0),
        records: Mutex::new(Vec::new()),
        deadline: tokio::time::Instant::now() + Duration::from_secs(30),
        max_calls,
        approver: approval::NoOne::shared("nobody is there to approve it"),
        human: crate::upstream::NoHuman::shared("nobody is there to answer"),
        logins: std::sync::Mutex::default(),
        asked: AtomicU32::new(0),
        results: result_cost::ResultBudget::new(64 << 20),
    }
}
