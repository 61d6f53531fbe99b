//! Connecting to an upstream: over stdio, streamable HTTP (falling back to
//! legacy SSE), in-process or from a tools file, in the lifecycle era the
//! server speaks; then listing its tools.

use std::collections::HashMap;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::ProtocolVersion;
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;

use super::changes::watch_tool_changes;
use super::client::{Client, Hooks, UpstreamClient};
use super::connected::{Upstream, Upstreams};
use super::era::{self, ERAS};
use super::error::{UnavailableServer, UpstreamError, cannot_connect, root_cause, wanted_scope};
use super::stdio::{self, OutputTail};
use super::tap::ToolListTap;
use super::whole_lists::WholeLists;
use super::{Era, oauth, redact, sse, tools_file};
use crate::files::config::{ServerSpec, Transport};

/// A server this process serves itself on its end of an in-memory pipe,
/// until the client hangs up: the built-in demo, which the caller wires in
/// for [`Transport::Demo`] (this module does not know it).
pub type ServeInProcess = fn(tokio::io::DuplexStream) -> futures::future::BoxFuture<'static, ()>;

/// Connects to every server at once; a failure affects only its own server.
/// `demo` serves [`Transport::Demo`]; without it, that server is unusable.
pub async fn connect_all(
    specs: Vec<ServerSpec>,
    timeout: Duration,
    demo: Option<ServeInProcess>,
) -> Upstreams {
    let hooks = Hooks::unattended("nobody is there to answer");
    connect_all_watched(specs, timeout, hooks, demo).await
}

/// Like [`connect_all`], reporting to `hooks`.
pub async fn connect_all_watched(
    specs: Vec<ServerSpec>,
    timeout: Duration,
    hooks: Hooks,
    demo: Option<ServeInProcess>,
) -> Upstreams {
    // All before any connects: one server's failure may carry another's
    // secret (a shared token, a redirect).
    for spec in &specs {
        redact::protect(spec);
    }
    let results = futures::future::join_all(specs.into_iter().map(|spec| {
        let hooks = hooks.clone();
        async move {
            let name = spec.name.clone();
            connect(spec, timeout, hooks, demo)
                .await
                .map_err(|error| UnavailableServer {
                    server: name,
                    error: error.redacted(),
                })
        }
    }))
    .await;
    let mut upstreams = Upstreams {
        connected: Vec::new(),
        failures: Vec::new(),
    };
    for result in results {
        match result {
            Ok(upstream) => upstreams.connected.push(upstream),
            Err(failure) => upstreams.failures.push(failure),
        }
    }
    upstreams
}

/// Connects in the lifecycle the server spoke last time; when that fails,
/// probes afresh (the server may have been upgraded or replaced).
pub(super) async fn connect(
    spec: ServerSpec,
    timeout: Duration,
    hooks: Hooks,
    demo: Option<ServeInProcess>,
) -> Result<Upstream, UpstreamError> {
    let target = era::target_of(&spec);
    let known = target.as_ref().and_then(|t| ERAS.get(&spec.name, t));
    let mut lifecycle = Era::lifecycle(known);
    let mut attempt = 0;
    let upstream = loop {
        attempt += 1;
        match connect_as(spec.clone(), timeout, hooks.clone(), demo, lifecycle).await {
            Ok(upstream) => break upstream,
            // Servers on a modern SDK narrowed to older versions refuse the
            // probe with the versions they do speak (all with `initialize`).
            Err(UpstreamError::Initialize {
                offers_initialize: true,
                ..
            }) if attempt <= 2 => lifecycle = Era::lifecycle(Some(Era::Legacy)),
            Err(UpstreamError::Initialize {
                unreachable: false,
                reason,
                ..
            }) if known.is_some() && attempt == 1 => {
                tracing::debug!(server = %spec.name, "the remembered lifecycle failed ({reason}); probing again");
                ERAS.forget(&spec.name);
                lifecycle = Era::lifecycle(None);
            }
            Err(error) => return Err(error),
        }
    };
    tracing::debug!(server = %upstream.name, protocol = ?upstream.protocol_version(), "handshake done");
    if let (Some(target), Some(era)) = (target, upstream.era()) {
        ERAS.record(&upstream.name, &target, era);
    }
    Ok(upstream)
}

async fn connect_as(
    spec: ServerSpec,
    timeout: Duration,
    hooks: Hooks,
    demo: Option<ServeInProcess>,
    lifecycle: ClientLifecycleMode,
) -> Result<Upstream, UpstreamError> {
    let name = spec.name.clone();
    // The server's own start-up time-out from its config, if it has one.
    let timeout = spec.timeouts.startup.unwrap_or(timeout);
    let handler = UpstreamClient {
        server: name.clone(),
        changes: hooks.changes,
        human: hooks.human,
        progress: ProgressDispatcher::new(),
    };
    let (client, child, tap, stderr) = match spec.transport.clone() {
        Transport::Unusable { reason, hint } => {
            return Err(UpstreamError::Unusable { reason, hint });
        }
        Transport::ToolsFile(path) => {
            let tools = tools_file::load(&path)?;
            return Ok(Upstream {
                name,
                tools,
                client: None,
                _child: None,
                spec,
                demo,
                tap: None,
                stderr: OutputTail::default(),
                watch: None,
            });
        }
        Transport::Demo => {
            let Some(serve) = demo else {
                return Err(UpstreamError::Unusable {
                    reason: "the built-in demo server is not served by this program".into(),
                    hint: None,
                });
            };
            let (ours, theirs) = tokio::io::duplex(1 << 16);
            tokio::spawn(serve(theirs));
            let client = initialize(
                handler.serve_with_lifecycle(ours, lifecycle),
                "the demo server".into(),
                timeout,
                &OutputTail::default(),
            )
            .await?;
            (client, None, None, OutputTail::default())
        }
        Transport::Stdio {
            command,
            args,
            env,
            cwd,
            hidden_env,
        } => {
            let spawned = stdio::spawn(&name, &command, &args, &env, &hidden_env, cwd.as_ref())?;
            let target = format!("`{command}`");
            let client = initialize(
                handler.serve_with_lifecycle(spawned.transport, lifecycle),
                target,
                timeout,
                &spawned.stderr,
            )
            .await?;
            (
                client,
                Some(spawned.child),
                Some(spawned.tap),
                spawned.stderr,
            )
        }
        Transport::Http {
            url,
            headers,
            sse_fallback,
        } => {
            let config = StreamableHttpClientTransportConfig::with_uri(url.clone())
                .custom_headers(header_map(&headers)?);
            let fallback = sse_fallback.then(|| handler.clone());
            // A token kept by `codemode login`, unless the config sends its own.
            let own_authorization = headers
                .iter()
                .any(|(header, _)| header.eq_ignore_ascii_case("authorization"));
            let kept = match own_authorization {
                true => None,
                false => oauth::authorized_client(&name, &url).await,
            };
            let sent_token = kept.is_some();
            let connected = match kept {
                Some(authorized) => {
                    let client = WholeLists(authorized);
                    let transport = StreamableHttpClientTransport::with_client(client, config);
                    initialize(
                        handler.serve_with_lifecycle(transport, lifecycle),
                        url.clone(),
                        timeout,
                        &OutputTail::default(),
                    )
                    .await
                }
                None => {
                    let client = WholeLists(super::http_client::client());
                    let transport = StreamableHttpClientTransport::with_client(client, config);
                    initialize(
                        handler.serve_with_lifecycle(transport, lifecycle),
                        url.clone(),
                        timeout,
                        &OutputTail::default(),
                    )
                    .await
                }
            };
            match connected.map_err(|error| error.naming(&name, sent_token)) {
                // HTTP responses are decoded inside rmcp's HTTP client before
                // any tap could see them, so these tools come from the typed model.
                Ok(client) => (client, None, None, OutputTail::default()),
                Err(streamable) => {
                    // Only a server that answered, but not as streamable
                    // HTTP, may speak the older transport. One that named
                    // the versions it speaks is retried by `connect`.
                    let answered = !matches!(
                        streamable,
                        UpstreamError::Initialize {
                            unreachable: true,
                            ..
                        } | UpstreamError::Initialize {
                            offers_initialize: true,
                            ..
                        } | UpstreamError::Timeout { .. }
                            | UpstreamError::LoginNeeded { .. }
                    );
                    let Some(handler) = fallback.filter(|_| answered) else {
                        return Err(streamable);
                    };
                    // The specification's fallback: an older server serves
                    // the legacy SSE transport at the same URL.
                    tracing::debug!(%url, "not streamable HTTP ({streamable}); trying legacy SSE");
                    let (client, tap) = connect_sse(handler, &url, &headers, timeout)
                        .await
                        .map_err(|sse| UpstreamError::NeitherHttpTransport {
                            streamable: Box::new(streamable),
                            sse: Box::new(sse),
                        })?;
                    (client, None, Some(tap), OutputTail::default())
                }
            }
        }
        Transport::Sse { url, headers } => {
            let (client, tap) = connect_sse(handler, &url, &headers, timeout).await?;
            (client, None, Some(tap), OutputTail::default())
        }
    };
    let tools = list_tools_within(&client, tap.as_ref(), &stderr, timeout)
        .await
        .map_err(|error| error.naming(&name, false))?;
    tracing::debug!(server = %name, tools = tools.len(), "connected");
    let watch = client
        .service()
        .changes
        .clone()
        .and_then(|changes| watch_tool_changes(&client, &name, changes));
    Ok(Upstream {
        name,
        tools,
        client: Some(client),
        _child: child,
        spec,
        demo,
        tap,
        stderr,
        watch,
    })
}

/// Opens a legacy SSE session at `url` and initializes it.
async fn connect_sse(
    handler: UpstreamClient,
    url: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<(Client, ToolListTap), UpstreamError> {
    let tap = ToolListTap::default();
    let headers = http::HeaderMap::from_iter(header_map(headers)?);
    let transport = tokio::time::timeout(
        timeout,
        sse::SseTransport::connect(url, headers, tap.clone()),
    )
    .await
    .map_err(|_| UpstreamError::Timeout {
        phase: "the event stream's `endpoint` event",
        after: timeout,
        stderr: String::new(),
    })??;
    let client = initialize(
        handler.serve(transport),
        url.to_owned(),
        timeout,
        &OutputTail::default(),
    )
    .await?;
    Ok((client, tap))
}

async fn initialize<F, E>(
    serve: F,
    target: String,
    timeout: Duration,
    stderr: &OutputTail,
) -> Result<Client, UpstreamError>
where
    F: Future<Output = Result<Client, E>>,
    E: Into<rmcp::service::ClientInitializeError>,
{
    match tokio::time::timeout(timeout, serve).await {
        Err(_) => Err(UpstreamError::Timeout {
            phase: "initialize",
            after: timeout,
            stderr: stderr.render(),
        }),
        Ok(Err(error)) => {
            // Give the stderr reader a moment to catch the child's last words.
            tokio::time::sleep(Duration::from_millis(50)).await;
            use rmcp::service::ClientInitializeError as Failed;
            let error = error.into();
            if error.is_authorization_required() || error.auth_challenge().is_some() {
                return Err(UpstreamError::LoginNeeded {
                    server: String::new(),
                    expired: false,
                    scope: wanted_scope(error.auth_challenge()),
                });
            }
            let (reason, unreachable) = match &error {
                // Its transport error is not linked as a `source`; unwrap it by hand.
                Failed::TransportError { error, .. } => (root_cause(error), cannot_connect(error)),
                other => (root_cause(other), false),
            };
            // Legacy servers may refuse the probe by naming the versions
            // they speak, or answer it with an empty result as they answer
            // any method they do not know.
            let offers_initialize = matches!(
                &error,
                Failed::NoCompatibleProtocolVersion { server_supported, .. }
                    if server_supported.iter().any(ProtocolVersion::has_initialize)
            ) || matches!(
                &error,
                Failed::ExpectedInitResult(Some(rmcp::model::ServerResult::EmptyResult(_)))
            );
            Err(UpstreamError::Initialize {
                target,
                reason,
                stderr: stderr.render(),
                unreachable,
                offers_initialize,
            })
        }
        Ok(Ok(client)) => Ok(client),
    }
}

pub(super) async fn list_tools_within(
    client: &Client,
    tap: Option<&ToolListTap>,
    stderr: &OutputTail,
    timeout: Duration,
) -> Result<Vec<Value>, UpstreamError> {
    tokio::time::timeout(timeout, list_tools(client, tap))
        .await
        .map_err(|_| UpstreamError::Timeout {
            phase: "tools/list",
            after: timeout,
            stderr: stderr.render(),
        })?
        .map_err(|error| match oauth::refusal(&error) {
            // Some servers answer `initialize` to anyone and ask for a
            // login from the next request on.
            Some(refusal) => UpstreamError::LoginNeeded {
                server: String::new(),
                expired: false,
                scope: match refusal {
                    oauth::Refusal::Scope(scope) => scope,
                    oauth::Refusal::Login => None,
                },
            },
            None => UpstreamError::ListTools {
                error: Box::new(error),
                stderr: stderr.render(),
            },
        })
}

/// All tools, through every page; raw JSON when the tap saw it.
async fn list_tools(
    client: &Client,
    tap: Option<&ToolListTap>,
) -> Result<Vec<Value>, ServiceError> {
    let typed = client.list_all_tools().await?;
    if let Some(raw) = tap.and_then(|tap| tap.take_matching(&typed)) {
        return Ok(raw);
    }
    Ok(typed
        .iter()
        .filter_map(|tool| serde_json::to_value(tool).ok())
        .collect())
}

fn header_map(
    headers: &[(String, String)],
) -> Result<HashMap<http::HeaderName, http::HeaderValue>, UpstreamError> {
    headers
        .iter()
        .map(|(name, value)| {
            let bad = |reason: String| UpstreamError::Header {
                name: name.clone(),
                reason,
            };
            let key = http::HeaderName::try_from(name.as_str()).map_err(|e| bad(e.to_string()))?;
            let value =
                http::HeaderValue::try_from(value.as_str()).map_err(|e| bad(e.to_string()))?;
            Ok((key, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_is_unusable_unless_the_caller_serves_it() {
        let specs = vec![ServerSpec::new("demo", Transport::Demo)];
        let upstreams = connect_all(specs, Duration::from_secs(5), None).await;
        assert!(upstreams.connected.is_empty());
        let failure = &upstreams.failures[0];
        assert_eq!(failure.server, "demo");
        assert_eq!(
            failure.error.to_string(),
            "the built-in demo server is not served by this program"
        );
    }
}
