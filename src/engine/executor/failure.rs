//! Why an execution failed, as data: its kind, its words, where in the
//! program, what caused it, and what would help. The words never name a
//! flag or a setting: each surface says what would help its own way (the
//! CLI names its flags, `serve` the model's `timeout_ms` and its own limits).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use codemode_sandbox::{self as sandbox, bounds};
use codemode_transpile::{CompileError, CompileErrorKind};

/// What ended an execution: the report's `error.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The program does not parse.
    Syntax,
    /// The program calls a function its API does not have.
    UnknownFunction,
    /// The program is too big or too deeply nested to compile.
    Limit,
    /// An uncaught exception or rejected promise.
    Runtime,
    Timeout,
    Memory,
    Stack,
    /// The returned value cannot be passed back as JSON.
    Result,
    /// codemode itself failed (not the program's fault).
    Internal,
    /// The client cancelled the execution or went away.
    Cancelled,
}

impl FailureKind {
    /// Every kind, in the order above.
    pub const ALL: [FailureKind; 10] = [
        FailureKind::Syntax,
        FailureKind::UnknownFunction,
        FailureKind::Limit,
        FailureKind::Runtime,
        FailureKind::Timeout,
        FailureKind::Memory,
        FailureKind::Stack,
        FailureKind::Result,
        FailureKind::Internal,
        FailureKind::Cancelled,
    ];

    /// The kind as the report names it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Syntax => "syntax",
            FailureKind::UnknownFunction => "unknown_function",
            FailureKind::Limit => "limit",
            FailureKind::Runtime => "runtime",
            FailureKind::Timeout => "timeout",
            FailureKind::Memory => "memory",
            FailureKind::Stack => "stack",
            FailureKind::Result => "result",
            FailureKind::Internal => "internal",
            FailureKind::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CompileErrorKind> for FailureKind {
    fn from(kind: CompileErrorKind) -> FailureKind {
        match kind {
            CompileErrorKind::Syntax => FailureKind::Syntax,
            CompileErrorKind::UnknownFunction => FailureKind::UnknownFunction,
            CompileErrorKind::Limit => FailureKind::Limit,
        }
    }
}

impl From<sandbox::ErrorKind> for FailureKind {
    fn from(kind: sandbox::ErrorKind) -> FailureKind {
        match kind {
            sandbox::ErrorKind::Runtime => FailureKind::Runtime,
            sandbox::ErrorKind::Timeout => FailureKind::Timeout,
            sandbox::ErrorKind::Memory => FailureKind::Memory,
            sandbox::ErrorKind::Stack => FailureKind::Stack,
            sandbox::ErrorKind::Result => FailureKind::Result,
            sandbox::ErrorKind::Internal => FailureKind::Internal,
        }
    }
}

/// A bound of one execution that a program ran into, with its value then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The execution's time limit.
    Time(Duration),
    /// The memory the program may use, in bytes.
    Memory(usize),
    /// The largest program compiled, in bytes.
    ProgramSize(usize),
}

/// What would let the program through, as data: each surface words it its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHint {
    /// A larger `limit` would (the program may also do less).
    RaiseLimit { limit: Limit },
}

/// Why an execution failed: the report's `error` object, with the hint and
/// cause that stay on this side of the wire.
#[derive(Clone, Debug, Serialize, thiserror::Error)]
#[error("{kind} error: {message}")]
pub struct ExecutionFailure {
    pub kind: FailureKind,
    /// What went wrong, in words for whoever wrote the program.
    pub message: String,
    /// Where in the program's TypeScript, 1-based, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Not yet worded by a surface: see [`ExecutionFailure::word_hint`].
    #[serde(skip)]
    pub hint: Option<LimitHint>,
    #[serde(skip)]
    #[source]
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for ExecutionFailure {
    /// What the report shows, and the hint; causes are compared by their words.
    fn eq(&self, other: &ExecutionFailure) -> bool {
        let words = |f: &ExecutionFailure| f.cause.as_ref().map(ToString::to_string);
        (self.kind, &self.message, self.line, self.column, self.hint)
            == (
                other.kind,
                &other.message,
                other.line,
                other.column,
                other.hint,
            )
            && words(self) == words(other)
    }
}

impl ExecutionFailure {
    /// A failure whose message is cut to what a report keeps.
    pub fn new(
        kind: FailureKind,
        message: &str,
        line: Option<u32>,
        column: Option<u32>,
    ) -> ExecutionFailure {
        ExecutionFailure {
            kind,
            message: codemode_text::cut(message, bounds::MAX_ERROR_IN_REPORT),
            line,
            column,
            hint: None,
            cause: None,
        }
    }

    pub fn with_hint(mut self, hint: LimitHint) -> ExecutionFailure {
        self.hint = Some(hint);
        self
    }

    pub fn caused_by(
        mut self,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> ExecutionFailure {
        self.cause = Some(Arc::new(cause));
        self
    }

    /// A program that cannot be compiled.
    pub fn compiling(error: CompileError) -> ExecutionFailure {
        let failure =
            ExecutionFailure::new(error.kind.into(), &error.message, error.line, error.column);
        let failure = match error.size_limit {
            Some(bytes) => failure.with_hint(LimitHint::RaiseLimit {
                limit: Limit::ProgramSize(bytes),
            }),
            None => failure,
        };
        failure.caused_by(error)
    }

    /// The surface's words for the hint, put into the message: `word` gets the
    /// hint and the message and returns the message as shown. The hint is
    /// used up, so a message is worded once.
    pub fn word_hint(&mut self, word: impl FnOnce(LimitHint, &str) -> String) {
        if let Some(hint) = self.hint.take() {
            self.message = word(hint, &self.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_serializes_as_it_names_itself() {
        for kind in FailureKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            let back: FailureKind = serde_json::from_value(kind.as_str().into()).unwrap();
            assert_eq!(back, kind);
        }
    }

    #[test]
    fn the_report_shows_neither_hint_nor_cause() {
        let failure = ExecutionFailure::new(FailureKind::Memory, "out", None, None)
            .with_hint(LimitHint::RaiseLimit {
                limit: Limit::Memory(1 << 20),
            })
            .caused_by(std::fmt::Error);
        assert_eq!(
            serde_json::to_string(&failure).unwrap(),
            r#"{"kind":"memory","message":"out"}"#
        );
        assert!(std::error::Error::source(&failure).is_some());
    }

    #[test]
    fn a_hint_is_worded_once() {
        let mut failure = ExecutionFailure::new(FailureKind::Timeout, "slow", None, None)
            .with_hint(LimitHint::RaiseLimit {
                limit: Limit::Time(Duration::from_millis(5)),
            });
        failure.word_hint(|_, message| format!("{message} (raise it)"));
        failure.word_hint(|_, message| format!("{message} (again)"));
        assert_eq!(failure.message, "slow (raise it)");
        assert_eq!(failure.hint, None);
    }

    #[test]
    fn a_compile_error_over_the_size_limit_hints_at_raising_it() {
        let error = CompileError {
            kind: CompileErrorKind::Limit,
            message: "too big".into(),
            line: None,
            column: None,
            size_limit: Some(1000),
        };
        let failure = ExecutionFailure::compiling(error);
        assert_eq!(failure.kind, FailureKind::Limit);
        assert_eq!(
            failure.hint,
            Some(LimitHint::RaiseLimit {
                limit: Limit::ProgramSize(1000)
            })
        );
    }
}
