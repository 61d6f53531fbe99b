//! OAuth 2.1 for HTTP upstreams, on rmcp's implementation of the MCP
//! authorization specification (protected-resource and authorization-server
//! discovery, PKCE, the `resource` parameter, dynamic registration or a
//! pre-registered client, refresh, issuer checks).
//!
//! `codemode login NAME` runs the authorization-code flow once ([`login`]);
//! connections then use the kept tokens ([`authorized_client`]) and rmcp
//! refreshes them as they expire. A server that asks for a login nobody
//! has done fails to connect with the command that does it.

mod endpoint;
mod login;
pub mod store;

pub use login::{LoginOutcome, login};
use rmcp::transport::AuthClient;
use rmcp::transport::auth::AuthorizationManager;
pub use store::TokenFile;

use crate::hint::Hint;

/// An HTTP client that sends `server`'s kept token, refreshing it when it
/// expires; `None` when no tokens are kept for it (or the token file is
/// out of reach), and the connection goes out without.
pub async fn authorized_client(server: &str, url: &str) -> Option<AuthClient<reqwest::Client>> {
    let file = TokenFile::default_location()?;
    if !file.has(server, url) {
        return None;
    }
    file.protect(server);
    let mut manager = match AuthorizationManager::new(url).await {
        Ok(manager) => manager,
        Err(error) => {
            tracing::warn!(%server, "cannot use the kept login: {error}");
            return None;
        }
    };
    manager.set_credential_store(file.store_for(server, url));
    // rmcp forgets kept tokens whose issuer differs from the one discovered
    // now; a discovery that found nothing (a server or network hiccup) must
    // not cost the user their login, so it is checked here first.
    match manager.resolve_metadata().await {
        Ok(found) if let Err(refused) = endpoint::check_metadata(server, &found.metadata) => {
            tracing::warn!("the kept login is not used: {refused}");
            return None;
        }
        Ok(found) if found.source.is_discovered() => {
            tracing::debug!(%server, issuer = ?found.metadata.issuer, source = ?found.source, "authorization server found");
            manager.set_metadata(found.metadata);
        }
        Ok(_) => {
            tracing::warn!(%server, "its authorization server could not be discovered this time; the kept login is not used (and not forgotten)");
            return None;
        }
        Err(error) => {
            tracing::warn!(%server, "cannot find its authorization server ({error}); the kept login is not used (and not forgotten)");
            return None;
        }
    }
    match manager.initialize_from_store().await {
        Ok(true) => Some(AuthClient::new(
            crate::upstream::http_client::client(),
            manager,
        )),
        Ok(false) => {
            tracing::warn!(%server, "the kept login is gone or was for another authorization server; run `codemode login {server}` again");
            None
        }
        Err(error) => {
            tracing::warn!(%server, "cannot use the kept login: {error}");
            None
        }
    }
}

/// Why a server refused a request, when it was for authorization.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// HTTP 401: no login, or one it no longer accepts.
    Login,
    /// HTTP 403 `insufficient_scope`, with the scope it wants if it said.
    Scope(Option<String>),
}

/// The authorization refusal behind a failed request, if that is what it was.
pub fn refusal(error: &rmcp::ServiceError) -> Option<Refusal> {
    use rmcp::transport::streamable_http_client::{AuthRequiredError, InsufficientScopeError};
    let rmcp::ServiceError::TransportSend(error) = error else {
        return None;
    };
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error.error.as_ref());
    while let Some(current) = cause {
        if let Some(scope) = current.downcast_ref::<InsufficientScopeError>() {
            return Some(Refusal::Scope(
                scope.get_required_scope().map(str::to_owned),
            ));
        }
        if current.downcast_ref::<AuthRequiredError>().is_some() {
            return Some(Refusal::Login);
        }
        cause = current.source();
    }
    None
}

/// A call refused for want of a login or of a scope: what the server
/// refused, and the login that would help, which each surface words.
#[derive(Clone, Debug, PartialEq)]
pub struct LoginRefusal {
    pub why: String,
    pub hint: Hint,
}

/// What to tell about a call refused for want of a login or of a scope;
/// `None` for other failures.
pub fn refused(error: &rmcp::ServiceError, server: &str) -> Option<LoginRefusal> {
    let (why, scopes, again) = match refusal(error)? {
        Refusal::Scope(Some(needed)) => (
            format!("the server wants the scope \"{needed}\", which the login lacks"),
            needed.split_whitespace().map(str::to_owned).collect(),
            false,
        ),
        Refusal::Scope(None) => (
            "the login lacks a scope the server wants".to_owned(),
            Vec::new(),
            true,
        ),
        Refusal::Login => ("the server asks for a login".to_owned(), Vec::new(), false),
    };
    let hint = Hint::Login {
        server: server.to_owned(),
        scopes,
        again,
    };
    Some(LoginRefusal { why, hint })
}
