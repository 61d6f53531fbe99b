//! `codemode login`: the OAuth authorization-code flow with PKCE, the
//! browser opened on the authorization URL and the code received on a
//! loopback redirect (RFC 8252).

use std::time::Duration;

use anyhow::{Context, bail};
use rmcp::transport::auth::{
    AuthorizationManager, AuthorizationRequest, AuthorizationSession, OAuthState,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::TokenFile;
use super::endpoint;
use crate::files::config::OAuthClient;
use crate::upstream::redact;

/// How long the user has to finish in the browser.
const WAIT_FOR_BROWSER: Duration = Duration::from_secs(300);
/// The most of a redirect request read from the browser.
const MAX_CALLBACK_BYTES: usize = 16 << 10;

pub struct LoginOutcome {
    pub issuer: Option<String>,
    pub scopes: Vec<String>,
}

/// Logs in to `server` at `url` and keeps its tokens in `file`. `scopes`
/// are asked for beside the config's (a step-up); `opener` is `$BROWSER`.
pub async fn login(
    server: &str,
    url: &str,
    client: &OAuthClient,
    scopes: &[String],
    file: &TokenFile,
    opener: Option<&str>,
) -> anyhow::Result<LoginOutcome> {
    redact::protect_values(redact::url_secrets(url));
    redact::protect_values(client.client_secret.clone());
    let challenge = challenge_of(url).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("cannot listen on a loopback port for the browser's redirect")?;
    let redirect = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    );

    let mut manager = AuthorizationManager::new(url)
        .await
        .with_context(|| format!("cannot start a login to {url}"))?;
    manager.set_credential_store(file.store_for(server, url));
    // Discovered here rather than by `start_authorization`, so that its
    // endpoints are checked before any is used.
    let resolved = manager
        .resolve_metadata_from_challenge(challenge.as_deref())
        .await
        .with_context(|| match &challenge {
            Some(_) => format!("{server}: discovering its authorization server failed"),
            None => format!(
                "{server} did not ask for a login (no WWW-Authenticate challenge) and no authorization server could be discovered for it; it may need none"
            ),
        })?;
    endpoint::check_metadata(server, &resolved.metadata)?;
    manager.set_metadata(resolved.metadata);

    let mut request = AuthorizationRequest::new(&redirect).with_client_name("codemode");
    if let Some(challenge) = &challenge {
        request = request.with_challenge(challenge);
    }
    // The specification's order: a pre-registered client, else a client ID
    // metadata document, else dynamic registration (rmcp chooses).
    if let Some(url) = &client.client_metadata_url {
        request = request.with_client_metadata_url(url);
    }
    if let Some(id) = &client.client_id {
        request = request.with_preregistered_client(id);
        if let Some(secret) = &client.client_secret {
            request = request.with_client_secret(secret);
        }
    }
    // A step-up (`--scope`) keeps what was granted before; with nothing
    // asked for, the scopes come from the server's challenge, else its
    // metadata, as the specification orders them.
    let mut wanted: Vec<String> = client.scopes.clone();
    if !scopes.is_empty() {
        wanted.extend(file.scopes(server));
        wanted.extend(scopes.iter().cloned());
    }
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|scope| seen.insert(scope.clone()));
    request = if wanted.is_empty() {
        request.with_initial_scope_selection()
    } else {
        request.with_scopes(wanted)
    };
    let session = AuthorizationSession::new(manager, request)
        .await
        .map_err(|(_, error)| error)
        .with_context(|| format!("{server}: starting the login failed"))?;
    // What the browser is given, parameters and all.
    let authorize = session.get_authorization_url().to_owned();
    if let Some(problem) = endpoint::refusal(&authorize) {
        return Err(endpoint::refused(
            server,
            "login address",
            &authorize,
            problem,
        ));
    }
    let mut state = OAuthState::Session(session);

    eprintln!("codemode: log in to {server} in your browser:\n  {authorize}");
    open_browser(&authorize, opener);
    let callback = tokio::time::timeout(WAIT_FOR_BROWSER, receive_redirect(&listener, &redirect))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "no answer from the browser within {} s; run `codemode login {server}` again",
                WAIT_FOR_BROWSER.as_secs()
            )
        })??;
    // The code (which rmcp logs at debug level) and the state.
    let returned = url::Url::parse(&callback).ok();
    redact::protect_values(
        returned
            .iter()
            .flat_map(|url| url.query_pairs())
            .filter(|(name, _)| name == "code" || name == "state")
            .map(|(_, value)| value.into_owned()),
    );
    state
        .handle_callback_url(&callback)
        .await
        .with_context(|| format!("{server}: exchanging the authorization code failed"))?;
    Ok(LoginOutcome {
        issuer: file.issuer(server),
        scopes: file.scopes(server),
    })
}

/// The `WWW-Authenticate` challenge of an unauthenticated request, which
/// names the server's protected-resource metadata; `None` when the server
/// answers without one (discovery then uses the well-known locations).
async fn challenge_of(url: &str) -> anyhow::Result<Option<String>> {
    let probe =
        serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "server/discover", "params": {}});
    let response = crate::upstream::http_client::client()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "server/discover")
        .json(&probe)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    Ok(response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned))
}

/// Opens `url` with `$BROWSER` (a `:`-separated list of programs, the first
/// that starts wins), else the platform's opener; the URL is printed
/// either way, for a machine without a browser.
fn open_browser(url: &str, browser: Option<&str>) {
    let platform: &[&str] = if cfg!(target_os = "macos") {
        &["open"]
    } else if cfg!(windows) {
        &["explorer"]
    } else {
        &["xdg-open"]
    };
    let candidates: Vec<&str> = match browser.filter(|b| !b.trim().is_empty()) {
        Some(list) => list.split(':').filter(|p| !p.trim().is_empty()).collect(),
        None => platform.to_vec(),
    };
    for program in candidates {
        let mut words = program.split_whitespace();
        let Some(command) = words.next() else {
            continue;
        };
        let started = std::process::Command::new(command)
            .args(words)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn();
        if started.is_ok() {
            return;
        }
    }
    eprintln!("codemode: no browser could be started; open the address above yourself");
}

/// Waits for the browser's redirect to `redirect` and returns its full URL.
/// Other requests (a favicon, a stray connection) get a 404 and are ignored.
async fn receive_redirect(
    listener: &tokio::net::TcpListener,
    redirect: &str,
) -> anyhow::Result<String> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 2048];
        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < MAX_CALLBACK_BYTES {
            let read = match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
                .await
            {
                Ok(Ok(read)) if read > 0 => read,
                _ => break,
            };
            buffer.extend_from_slice(&chunk[..read]);
        }
        let head = String::from_utf8_lossy(&buffer);
        let target = head
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_default()
            .to_owned();
        if !target.starts_with("/callback") {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let full = format!("{}{}", redirect.trim_end_matches("/callback"), target);
        let query: Vec<(String, String)> = url::Url::parse(&full)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let refused = query
            .iter()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v.clone());
        let page = match &refused {
            Some(error) => format!("The login failed ({error}). You can close this tab."),
            None => "codemode is logged in. You can close this tab.".to_owned(),
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        if let Some(error) = refused {
            let described = query
                .iter()
                .find(|(k, _)| k == "error_description")
                .map(|(_, v)| format!(": {v}"))
                .unwrap_or_default();
            bail!("the authorization server refused the login ({error}{described})");
        }
        return Ok(full);
    }
}
