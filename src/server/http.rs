//! Serving MCP over streamable HTTP at `/mcp`, one session per client.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

pub const ENDPOINT: &str = "/mcp";

pub struct HttpOptions {
    pub addr: SocketAddr,
    /// Accept requests whatever their `Host` (needed beyond loopback).
    pub remote: bool,
    /// Clients must send `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// Serves `server` (one clone per session) until `shutdown` resolves.
pub async fn serve<S: rmcp::ServerHandler + Clone + Send + Sync + 'static>(
    server: S,
    options: HttpOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut config = StreamableHttpServerConfig::default();
    if options.remote {
        config = config.disable_allowed_hosts();
    }
    let sessions = config.cancellation_token.clone();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    let local = listener.local_addr()?;
    eprintln!("codemode: serving MCP at http://{local}{ENDPOINT}");
    let token: Option<Arc<str>> = options.token.map(Arc::from);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!("accepting a connection failed: {error}");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = service.clone();
        let token = token.clone();
        let handler = hyper::service::service_fn(move |request: Request<Incoming>| {
            let mut service = service.clone();
            let token = token.clone();
            async move {
                if request.uri().path() != ENDPOINT {
                    return Ok::<_, Infallible>(plain(
                        StatusCode::NOT_FOUND,
                        "not found: the MCP endpoint is /mcp",
                    ));
                }
                if let Some(token) = &token
                    && !authorized(&request, token)
                {
                    let mut response =
                        plain(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
                    response.headers_mut().insert(
                        http::header::WWW_AUTHENTICATE,
                        http::HeaderValue::from_static("Bearer"),
                    );
                    return Ok(response);
                }
                tower_service::Service::call(&mut service, request).await
            }
        });
        tokio::spawn(async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            if let Err(error) = builder
                .serve_connection(TokioIo::new(stream), handler)
                .await
            {
                tracing::debug!(%peer, "connection ended: {error}");
            }
        });
    }
    sessions.cancel();
    Ok(())
}

fn authorized(request: &Request<Incoming>, token: &str) -> bool {
    let Some(given) = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(given) = given.strip_prefix("Bearer ") else {
        return false;
    };
    // Compare in constant time, so response times do not leak the token.
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn plain(status: StatusCode, text: &'static str) -> Response<BoxBody<Bytes, Infallible>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    *response.status_mut() = status;
    response
}
