//! Why an upstream could not be used: [`UpstreamError`], with its secrets
//! redacted before it leaves the module, and the server it belongs to.

use std::path::PathBuf;
use std::time::Duration;

use rmcp::service::ServiceError;

use super::redact::Redacted;
use super::{ToolsFileError, sse};
use crate::hint::{Hint, Hinted};

/// A server that could not be used, and why (its secrets redacted).
pub struct UnavailableServer {
    pub server: String,
    pub error: UpstreamError,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The config says why (see [`Transport::Unusable`](crate::files::config::Transport::Unusable)).
    #[error("{reason}")]
    Unusable { reason: String, hint: Option<Hint> },
    #[error(transparent)]
    Sse(#[from] sse::SseError),
    #[error(
        "it answers neither as streamable HTTP ({streamable}) nor as legacy SSE ({sse}); check the URL"
    )]
    NeitherHttpTransport {
        streamable: Box<UpstreamError>,
        sse: Box<UpstreamError>,
    },
    #[error(
        "could not start `{command}`{}: {error}; check that it is installed and on PATH",
        cwd.as_ref().map(|c| format!(" in {}", c.display())).unwrap_or_default()
    )]
    Spawn {
        command: String,
        cwd: Option<PathBuf>,
        error: std::io::Error,
    },
    #[error("MCP initialization with {target} failed: {reason}{stderr}")]
    Initialize {
        target: String,
        reason: String,
        stderr: String,
        /// Nothing answered at the address at all (no HTTP server there).
        unreachable: bool,
        /// The server refused `server/discover` but named versions that
        /// have `initialize`: it can be reached the legacy way.
        offers_initialize: bool,
    },
    #[error(
        "no answer to {phase} within {}s{stderr}",
        after.as_secs_f64()
    )]
    Timeout {
        phase: &'static str,
        after: Duration,
        stderr: String,
    },
    #[error("tools/list failed: {error}{stderr}")]
    ListTools {
        error: Box<ServiceError>,
        stderr: String,
    },
    #[error("{}", login_needed(*expired, scope.as_deref()))]
    LoginNeeded {
        /// Filled in by [`UpstreamError::naming`].
        server: String,
        /// A kept token was sent and refused.
        expired: bool,
        /// The scope the server's challenge asks for, when it names one
        /// the login lacks (HTTP 403 `insufficient_scope`).
        scope: Option<String>,
    },
    #[error("invalid HTTP header `{name}`: {reason}")]
    Header { name: String, reason: String },
    #[error(transparent)]
    ToolsFile(#[from] ToolsFileError),
    /// Any of the others, as text without secrets (see [`redact`]), with
    /// what would have helped it.
    #[error("{text}")]
    Redacted { text: Redacted, hint: Option<Hint> },
}

impl Hinted for UpstreamError {
    fn hint(&self) -> Option<Hint> {
        match self {
            UpstreamError::Timeout { .. } => Some(Hint::RaiseStartTimeout),
            UpstreamError::LoginNeeded {
                server,
                expired,
                scope,
            } => Some(Hint::Login {
                server: server.clone(),
                scopes: scope
                    .as_deref()
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                again: *expired,
            }),
            UpstreamError::NeitherHttpTransport { streamable, sse } => {
                streamable.hint().or_else(|| sse.hint())
            }
            UpstreamError::Unusable { hint, .. } | UpstreamError::Redacted { hint, .. } => {
                hint.clone()
            }
            _ => None,
        }
    }
}

impl UpstreamError {
    /// What leaves this module: the text of an error that may name URLs
    /// or carry reqwest's chain, with its secrets taken out (and no
    /// source left to print them); a login needed stays one, for callers
    /// that run the login.
    pub(super) fn redacted(self) -> UpstreamError {
        match self {
            needed @ UpstreamError::LoginNeeded { .. } => needed,
            other => UpstreamError::Redacted {
                hint: other.hint(),
                text: Redacted::new(other),
            },
        }
    }

    /// Names the server in errors that tell what command to run;
    /// `sent_token` when a kept login was used.
    pub(super) fn naming(self, server: &str, sent_token: bool) -> UpstreamError {
        match self {
            UpstreamError::LoginNeeded { scope, .. } => UpstreamError::LoginNeeded {
                server: server.to_owned(),
                expired: sent_token && scope.is_none(),
                scope,
            },
            other => other,
        }
    }
}

/// What a server wants; its [`Hint::Login`] says how to give it.
fn login_needed(expired: bool, scope: Option<&str>) -> String {
    match scope {
        Some(scope) => format!("it wants the scope \"{scope}\", which the login lacks"),
        None if expired => "it refused the kept login, which could not be refreshed".to_owned(),
        None => "it asks for a login".to_owned(),
    }
}

/// The `scope` of an `insufficient_scope` challenge.
pub(super) fn wanted_scope(challenge: Option<&str>) -> Option<String> {
    // Only the scope is read, so any base resolves the metadata URL.
    let base = url::Url::parse("http://localhost/").expect("a valid URL");
    let params = rmcp::transport::auth::WWWAuthenticateParams::parse(challenge?, &base);
    let insufficient = params.is_insufficient_scope();
    params.scope.filter(|_| insufficient)
}

/// Whether streamable HTTP could not reach a server at all.
pub(super) fn cannot_connect(error: &rmcp::transport::DynamicTransportError) -> bool {
    use rmcp::transport::streamable_http_client::StreamableHttpError;
    matches!(
        error.error.downcast_ref::<StreamableHttpError<reqwest::Error>>(),
        Some(StreamableHttpError::Client(e)) if e.is_connect()
    )
}

/// The innermost cause: rmcp's outer messages name its internal types, the
/// innermost says what actually went wrong ("Connection refused").
pub(super) fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_outlives_redaction() {
        let timeout = UpstreamError::Timeout {
            phase: "initialize",
            after: Duration::from_millis(500),
            stderr: String::new(),
        };
        let redacted = timeout.redacted();
        assert!(matches!(redacted, UpstreamError::Redacted { .. }));
        assert_eq!(redacted.hint(), Some(Hint::RaiseStartTimeout));
        assert_eq!(
            redacted.to_string(),
            "no answer to initialize within 0.5s",
            "the words name no flag"
        );
    }

    #[test]
    fn a_login_needed_names_its_server_and_scopes_in_its_hint() {
        let needed = UpstreamError::LoginNeeded {
            server: String::new(),
            expired: false,
            scope: Some("notes:read notes:write".into()),
        }
        .naming("notes", true);
        assert_eq!(
            needed.to_string(),
            "it wants the scope \"notes:read notes:write\", which the login lacks"
        );
        assert_eq!(
            needed.hint(),
            Some(Hint::Login {
                server: "notes".into(),
                scopes: vec!["notes:read".into(), "notes:write".into()],
                again: false,
            })
        );
    }
}
