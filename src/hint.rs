//! What would help when something fails outside an execution, as data: a
//! lower layer says which thing the user gave or could give, and each
//! surface words it its own way (the CLI names its flags and commands,
//! `serve` speaks to the model). An execution's own hints are
//! `executor::LimitHint`, which depends on nothing here.

/// Something the user gives codemode, by what it is rather than how (the
/// CLI gives each a flag; a config file some of them a key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Given {
    /// An HTTP header for a server given by URL.
    Header,
    /// An answer to a config's `${input:ID}`.
    Input,
    /// The name of a server given by command or URL.
    ServerName,
    /// An MCP client's config file.
    ClientConfig,
    /// codemode's own config file.
    OwnConfig,
}

/// What would help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// What was given as `what` is not in the form it takes.
    Check(Given),
    /// Giving `what` would help.
    Give(Given),
    /// A longer start-up time-out would let a slow server start (npx may be
    /// downloading a package).
    RaiseStartTimeout,
    /// `${input:id}` takes its value from the user, or from the
    /// environment variable `var`.
    AnswerInput { id: String, var: String },
    /// A trace recorded with its calls' answers could be replayed.
    RecordResults,
    /// Pinned definitions no longer cover a tool: the operator should review
    /// what changed and pin it (`again`: it was pinned before). What changed
    /// is a server's description and instructions when `introduction`, else
    /// a tool's definition.
    Repin { introduction: bool, again: bool },
    /// `server` wants a login (`again`: the kept one no longer works), with
    /// `scopes` when it wants scopes the login lacks.
    Login {
        server: String,
        scopes: Vec<String>,
        again: bool,
    },
}

/// An error that knows what would help: the CLI prints its hints after the
/// error and its causes.
pub trait Hinted {
    fn hint(&self) -> Option<Hint>;
}

/// An error's words with what would help, where a lower layer has no typed
/// error of its own (its source, if any, is the cause).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct WithHint {
    message: String,
    hint: Hint,
    #[source]
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl WithHint {
    pub fn new(message: impl Into<String>, hint: Hint) -> WithHint {
        WithHint {
            message: message.into(),
            hint,
            cause: None,
        }
    }

    pub fn caused_by(
        mut self,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> WithHint {
        self.cause = Some(cause.into());
        self
    }
}

impl Hinted for WithHint {
    fn hint(&self) -> Option<Hint> {
        Some(self.hint.clone())
    }
}

impl Given {
    /// What it is, in words, with its article.
    pub fn what(self) -> &'static str {
        match self {
            Given::Header => "the HTTP headers",
            Given::Input => "the input values",
            Given::ServerName => "the server's name",
            Given::ClientConfig => "the client's config file",
            Given::OwnConfig => "codemode's config file",
        }
    }
}

impl Hint {
    /// In words that name no flag and no command: for a reader who can
    /// run neither (a model), and so telling what, not how.
    pub fn plain(&self) -> String {
        match self {
            Hint::Check(given) => format!("check {} given", given.what()),
            Hint::Give(given) => format!("name {}", given.what()),
            Hint::RaiseStartTimeout => {
                "a longer start-up time-out would let a slow server start (npx may be downloading a package)".to_owned()
            }
            Hint::AnswerInput { id, var } => {
                format!("give ${{input:{id}}} a value, or set the environment variable {var}")
            }
            Hint::RecordResults => "record the trace with the calls' answers".to_owned(),
            Hint::Repin {
                introduction,
                again,
            } => {
                let (it, again) = repinned(*introduction, *again);
                format!("the operator must review {it} and pin {it}{again}")
            }
            Hint::Login {
                server,
                scopes,
                again,
            } => {
                let again = if *again { " again" } else { "" };
                let scopes = match scopes.as_slice() {
                    [] => String::new(),
                    [one] => format!(", with the scope \"{one}\""),
                    many => format!(", with the scopes \"{}\"", many.join(" ")),
                };
                format!("the user must log in to {server}{again}{scopes}")
            }
        }
    }
}

/// What [`Hint::Repin`] speaks of (`it`, or `them` for a server's
/// description and instructions), and ` again` when it was pinned before.
pub fn repinned(introduction: bool, again: bool) -> (&'static str, &'static str) {
    (
        if introduction { "them" } else { "it" },
        if again { " again" } else { "" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_name_no_flag() {
        let hints = [
            Hint::Check(Given::Header),
            Hint::Give(Given::ClientConfig),
            Hint::RaiseStartTimeout,
            Hint::RecordResults,
            Hint::Repin {
                introduction: true,
                again: true,
            },
            Hint::AnswerInput {
                id: "api-key".into(),
                var: "CODEMODE_INPUT_API_KEY".into(),
            },
            Hint::Login {
                server: "notes".into(),
                scopes: vec!["notes:write".into(), "notes:admin".into()],
                again: true,
            },
        ];
        for hint in hints {
            let words = hint.plain();
            assert!(!words.contains("--") && !words.contains('`'), "{words}");
        }
    }

    #[test]
    fn a_login_says_whom_and_which_scopes() {
        let hint = Hint::Login {
            server: "notes".into(),
            scopes: vec!["notes:write".into()],
            again: false,
        };
        assert_eq!(
            hint.plain(),
            "the user must log in to notes, with the scope \"notes:write\""
        );
    }
}
