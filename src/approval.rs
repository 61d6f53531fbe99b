//! Asking a person before a call that policy marks for approval (`--ask`,
//! a server's `"ask"` list, `--ask-destructive`). The executor asks an
//! [`Approver`] before each such call and waits; only an approval lets the
//! call go out. Who is asked depends on the command: under `serve` the
//! client whose `execute` made the call (`server::approval`), under `run`
//! the terminal ([`crate::terminal`]) or `--yes`.

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;

/// A call waiting for approval.
#[derive(Clone, Debug)]
pub struct Request {
    pub server: String,
    /// The tool's name as the server gives it.
    pub tool: String,
    /// As the program sent them, after validation.
    pub args: Value,
    /// Why policy asks (`matched by --ask gh.delete_*`).
    pub reason: String,
}

/// How much of the arguments a question shows.
const MAX_ARGS_SHOWN: usize = 2 << 10;

impl Request {
    /// The question, as a person reads it: what would be called, why it is
    /// asked, and the arguments (cut when long).
    pub fn question(&self) -> String {
        let args = serde_json::to_string_pretty(&self.args).unwrap_or_default();
        format!(
            "Allow the {} server's tool {} to be called? ({})\narguments: {}",
            self.server,
            self.tool,
            self.reason,
            crate::sandbox::bounds::cut(&args, MAX_ARGS_SHOWN)
        )
    }
}

/// What was decided, and by whom.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub approved: bool,
    /// Who decided: `the client (elicitation)`, `the terminal`, `--yes`, ...
    pub by: String,
    /// Why it was not approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl Verdict {
    pub fn approved(by: impl Into<String>) -> Verdict {
        Verdict {
            approved: true,
            by: by.into(),
            why: None,
        }
    }

    pub fn refused(by: impl Into<String>, why: impl Into<String>) -> Verdict {
        Verdict {
            approved: false,
            by: by.into(),
            why: Some(why.into()),
        }
    }
}

/// Decides whether a call may go out.
pub trait Approver: Send + Sync {
    fn approve(&self, request: Request) -> BoxFuture<'static, Verdict>;
}

/// `run --yes`: everything is approved.
pub struct Yes;

impl Approver for Yes {
    fn approve(&self, _request: Request) -> BoxFuture<'static, Verdict> {
        Box::pin(std::future::ready(Verdict::approved("--yes")))
    }
}

/// Nobody can be asked: every call that needs approval is refused, saying why.
pub struct NoOne {
    pub why: String,
}

impl NoOne {
    pub fn shared(why: impl Into<String>) -> Arc<dyn Approver> {
        Arc::new(NoOne { why: why.into() })
    }
}

impl Approver for NoOne {
    fn approve(&self, _request: Request) -> BoxFuture<'static, Verdict> {
        Box::pin(std::future::ready(Verdict::refused("codemode", &self.why)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_question_names_the_call_the_reason_and_the_arguments() {
        let request = Request {
            server: "gh".into(),
            tool: "delete_repository".into(),
            args: json!({"repo": "x".repeat(5000)}),
            reason: "matched by --ask gh.delete_*".into(),
        };
        let question = request.question();
        assert!(
            question.starts_with(
                "Allow the gh server's tool delete_repository to be called? (matched by --ask gh.delete_*)\narguments: {\n  \"repo\": \"xxx"
            ),
            "{question}"
        );
        assert!(question.len() < 3 << 10, "long arguments are cut");
    }
}
