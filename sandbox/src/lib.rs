//! Running model-written JavaScript in QuickJS, isolated and bounded.
//!
//! `isolate` runs each program in a fresh WebAssembly instance of QuickJS
//! (`guest/`), inside this process: the only way executions run. `native`
//! runs the same program with QuickJS compiled into codemode, for the
//! benchmark's comparison and as a reference the engine tests hold both to;
//! `host` is what both do on the host's side.

pub mod bounds;
mod guest_config;
mod host;
pub mod isolate;
pub mod native;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Bounds on one execution, each enforced inside the sandbox.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    pub stack_bytes: usize,
    pub max_calls: u32,
    /// Result plus logs, in bytes.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(30),
            memory_bytes: 64 << 20,
            stack_bytes: 1 << 20,
            max_calls: 1000,
            max_output_bytes: 256 << 10,
        }
    }
}

/// What the model is told when a program runs out of time (the host says
/// how to raise the limit, if it can be).
pub fn timeout_message(timeout: Duration) -> String {
    format!(
        "the program did not finish within {} ms",
        timeout.as_millis()
    )
}

/// One server's namespace as the script sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The global object's name.
    pub ident: String,
    pub server: String,
    /// `(function identifier, original tool name)`.
    pub functions: Vec<(String, String)>,
}

impl Binding {
    /// The function called `name`, by its identifier or its tool's name.
    pub fn function(&self, name: &str) -> Option<&(String, String)> {
        self.functions
            .iter()
            .find(|(ident, tool)| ident == name || tool == name)
    }

    /// The bindings for every namespace of an API.
    pub fn all(api: &codemode_typegen::Api) -> Vec<Binding> {
        api.namespaces()
            .iter()
            .map(|ns| Binding {
                ident: ns.ident().to_owned(),
                server: ns.server().to_owned(),
                functions: ns
                    .functions()
                    .iter()
                    .map(|f| (f.ident().to_owned(), f.tool().to_owned()))
                    .collect(),
            })
            .collect()
    }
}

/// The namespaces of an API, with the JSON the prelude reads made from them
/// once: every execution of the API shares both.
#[derive(Clone, Debug)]
pub struct Bindings {
    list: Arc<[Binding]>,
    json: Arc<str>,
}

impl Bindings {
    pub fn new(list: Vec<Binding>) -> Bindings {
        // For each namespace its identifier and server, and its functions as
        // JSON text of their own, which the prelude parses only if the
        // program uses that namespace.
        let namespaces: Vec<Value> = list
            .iter()
            .map(|b| {
                serde_json::json!({
                    "ident": b.ident,
                    "server": b.server,
                    "functions": serde_json::to_string(&b.functions).expect("names serialize"),
                })
            })
            .collect();
        Bindings {
            json: serde_json::to_string(&namespaces)
                .expect("bindings serialize")
                .into(),
            list: list.into(),
        }
    }

    pub fn list(&self) -> &Arc<[Binding]> {
        &self.list
    }

    /// What the prelude's `install` reads.
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// A program to run.
#[derive(Clone, Debug)]
pub struct Job {
    pub js: String,
    /// The program throws `null` itself (see `codemode_transpile::Compiled::throws_null`).
    pub throws_null: bool,
    pub bindings: Bindings,
    pub limits: Limits,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// What a program asks of its host while it runs.
#[derive(Debug)]
pub enum Event {
    /// Boxed: a channel of events reserves room for 32 at a time, per execution.
    Call(Box<Call>),
    Log {
        level: Level,
        message: String,
    },
}

/// A tool call from the program, to answer on `reply` with what the answer
/// holds of the host's memory until the program has taken it.
#[derive(Debug)]
pub struct Call {
    pub server: String,
    pub tool: String,
    pub args: Value,
    pub reply: tokio::sync::oneshot::Sender<(Reply, bounds::Held)>,
}

/// The host's answer to a call: a value, or an error the script sees thrown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Reply {
    Ok {
        value: Value,
    },
    /// Thrown as `TypeError` (bad arguments, no such function).
    TypeError {
        message: String,
    },
    /// Thrown as `Error` (the tool failed, the server is gone, a limit).
    Error {
        message: String,
    },
}

/// How a program ended, other than by returning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Uncaught exception or rejected promise.
    Runtime,
    Timeout,
    Memory,
    Stack,
    /// The returned value cannot be turned into JSON.
    Result,
    /// The engine itself failed (not the program's fault).
    Internal,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScriptError {
    pub kind: ErrorKind,
    pub message: String,
    /// 1-based line in the generated JavaScript, when known.
    pub js_line: Option<u32>,
    /// 1-based column on that line, when known.
    pub js_column: Option<u32>,
}

/// The program's result as JSON text, possibly cut to the output limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub json: String,
    /// The full size in bytes when `json` was cut.
    pub truncated_from: Option<usize>,
    /// The program returned nothing (`undefined`); `json` is `null`.
    pub returned_undefined: bool,
}
