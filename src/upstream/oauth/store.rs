//! Where OAuth tokens are kept: `credentials.json` in codemode's config
//! folder, readable by the user alone, one entry per server. An entry
//! names the server's URL and the issuer that minted its tokens, so a
//! server moved to another URL or authorization server starts over.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rmcp::transport::auth::{AuthError, CredentialStore, StoredCredentials};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
struct Saved {
    /// The MCP server's URL the tokens are for.
    resource: String,
    credentials: StoredCredentials,
}

/// The token file.
#[derive(Clone)]
pub struct TokenFile {
    path: PathBuf,
    /// One read-modify-write at a time within the process.
    writing: Arc<Mutex<()>>,
}

impl TokenFile {
    pub fn at(path: PathBuf) -> TokenFile {
        TokenFile {
            path,
            writing: Arc::default(),
        }
    }

    /// `credentials.json` in codemode's config folder; `None` without a home.
    pub fn default_location() -> Option<TokenFile> {
        let dir =
            crate::files::config::dirs::codemode_dir(crate::files::config::dirs::user_config_dir)?;
        Some(TokenFile::at(dir.join("credentials.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> BTreeMap<String, Saved> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(path = %self.path.display(), "ignoring the unreadable token file: {error}");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        }
    }

    /// Read, change, write, under the file's lock: two codemode processes
    /// refreshing tokens at once (a `serve` and a `run`) must not drop each
    /// other's entries. The file is readable by the user alone from the start.
    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, Saved>)) -> std::io::Result<()> {
        let _writing = self.writing.lock().expect("token file");
        crate::files::json_file::locked(&self.path, || {
            let mut saved = self.read();
            change(&mut saved);
            crate::files::json_file::replace(&self.path, &saved, true)
        })
    }

    /// Whether tokens are kept for `server` at `resource`.
    pub fn has(&self, server: &str, resource: &str) -> bool {
        self.read()
            .get(server)
            .is_some_and(|s| s.resource == resource && s.credentials.token_response.is_some())
    }

    /// The issuer of `server`'s tokens, if any are kept.
    pub fn issuer(&self, server: &str) -> Option<String> {
        self.read().get(server)?.credentials.issuer.clone()
    }

    /// The scopes `server`'s tokens were granted.
    pub fn scopes(&self, server: &str) -> Vec<String> {
        self.read()
            .get(server)
            .map(|s| s.credentials.granted_scopes.clone())
            .unwrap_or_default()
    }

    /// Keeps the tokens kept for `server` out of every text.
    pub fn protect(&self, server: &str) {
        let kept = self.read().remove(server);
        let kept = kept.map(|saved| tokens(&saved.credentials));
        crate::upstream::redact::protect_replacing(&token_slot(server), kept.unwrap_or_default());
    }

    /// Forgets `server`'s tokens; whether there were any.
    pub fn remove(&self, server: &str) -> std::io::Result<bool> {
        let mut removed = false;
        self.update(|saved| removed = saved.remove(server).is_some())?;
        Ok(removed)
    }

    /// rmcp's view of one server's entry.
    pub fn store_for(&self, server: &str, resource: &str) -> ServerTokens {
        ServerTokens {
            file: self.clone(),
            server: server.to_owned(),
            resource: resource.to_owned(),
        }
    }
}

/// One server's tokens, as rmcp's `AuthorizationManager` loads, refreshes
/// and saves them.
pub struct ServerTokens {
    file: TokenFile,
    server: String,
    resource: String,
}

/// The tokens in `credentials`.
fn tokens(credentials: &StoredCredentials) -> Vec<String> {
    let response = serde_json::to_value(&credentials.token_response).unwrap_or_default();
    ["access_token", "refresh_token", "id_token"]
        .iter()
        .filter_map(|key| response.get(key)?.as_str().map(str::to_owned))
        .collect()
}

/// Where a server's tokens are known to the redactor.
fn token_slot(server: &str) -> String {
    format!("oauth tokens of {server}")
}

fn store_error(error: std::io::Error) -> AuthError {
    AuthError::CredentialStoreError(error.to_string())
}

#[async_trait::async_trait]
impl CredentialStore for ServerTokens {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        Ok(self
            .file
            .read()
            .remove(&self.server)
            .filter(|saved| saved.resource == self.resource)
            .map(|saved| saved.credentials))
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        // Tokens refreshed while connected are secrets from now on, in
        // place of those they replace.
        crate::upstream::redact::protect_replacing(&token_slot(&self.server), tokens(&credentials));
        let saved = Saved {
            resource: self.resource.clone(),
            credentials,
        };
        self.file
            .update(|all| {
                all.insert(self.server.clone(), saved);
            })
            .map_err(store_error)
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.file
            .update(|all| {
                all.remove(&self.server);
            })
            .map_err(store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn saved_tokens_are_redacted_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::at(dir.path().join("credentials.json"));
        let save = async |tokens: serde_json::Value| {
            let response: rmcp::transport::auth::OAuthTokenResponse =
                serde_json::from_value(tokens).unwrap();
            let credentials = StoredCredentials::new("c".into(), Some(response), vec![], None);
            let store = file.store_for("s", "https://s.example/mcp");
            store.save(credentials).await.unwrap();
        };
        save(serde_json::json!({"access_token": "at-Qz81kd", "token_type": "bearer", "refresh_token": "rt-Qz93md"})).await;
        let said = crate::upstream::redact::scrub("sent at-Qz81kd, kept rt-Qz93md");
        assert_eq!(said, "sent [redacted], kept [redacted]");
        // A refresh replaces them.
        save(serde_json::json!({"access_token": "at-Qz82kd", "token_type": "bearer"})).await;
        let said = crate::upstream::redact::scrub("refreshed at-Qz82kd");
        assert_eq!(said, "refreshed [redacted]");
    }

    #[tokio::test]
    async fn tokens_are_kept_per_server_for_their_url_and_only_the_user_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = TokenFile::at(dir.path().join("codemode/credentials.json"));
        let store = file.store_for("linear", "https://mcp.linear.app/mcp");
        assert!(store.load().await.unwrap().is_none());
        let credentials =
            StoredCredentials::new("client-1".into(), None, vec!["read".into()], None)
                .with_issuer(Some("https://auth.linear.app".into()));
        store.save(credentials).await.unwrap();
        file.store_for("github", "https://api.githubcopilot.com/mcp/")
            .save(StoredCredentials::new(
                "client-2".into(),
                None,
                vec![],
                None,
            ))
            .await
            .unwrap();

        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.client_id, "client-1");
        assert_eq!(
            file.issuer("linear").as_deref(),
            Some("https://auth.linear.app")
        );
        // The same name pointed at another URL has no tokens.
        let moved = file.store_for("linear", "https://linear.example/mcp");
        assert!(moved.load().await.unwrap().is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(file.remove("linear").unwrap());
        assert!(!file.remove("linear").unwrap());
        assert!(store.load().await.unwrap().is_none());
        assert!(
            file.store_for("github", "https://api.githubcopilot.com/mcp/")
                .load()
                .await
                .unwrap()
                .is_some()
        );
    }
}
