//! `codemode serve`'s run loop: stdio or HTTP (and metrics) until the
//! client leaves or a signal comes, then draining and shutting down.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use super::ServeSettings;
use super::wiring::Wired;
use crate::server::CodeModeServer;
use crate::server::http::{self, HttpOptions};
use crate::server::stdio::client_input;

/// How long a drained replica waits for its last answers to be written.
const DRAIN_FLUSH: Duration = Duration::from_millis(500);

/// Serves stdio or HTTP (and metrics) until the client leaves or a signal
/// comes, drains, and shuts the upstreams down.
pub(super) async fn serve_until_stopped(
    settings: ServeSettings,
    wired: Wired,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let Wired {
        server,
        sessions,
        supervisor,
        stop,
        max_request,
    } = wired;
    let scrape: http::Scrape = {
        let server = server.clone();
        Arc::new(move || server.scrape())
    };
    // On SIGTERM: no new executions (HTTP answers 503 for them, /readyz
    // says not ready), the running ones finish, bounded by --drain-timeout.
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = {
        let (server, draining, timeout) =
            (server.clone(), draining.clone(), settings.drain_timeout);
        async move {
            shutdown.wait().await;
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            let until = tokio::time::Instant::now() + timeout;
            while !server.idle() && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !server.idle() {
                eprintln!(
                    "codemode: executions still running after --drain-timeout {} s are stopped",
                    timeout.as_secs_f64()
                );
            }
            // The last answers are on their way to their clients.
            tokio::time::sleep(DRAIN_FLUSH).await;
        }
    };
    let ready: http::Readiness = {
        let (server, draining) = (server.clone(), draining.clone());
        Arc::new(move || {
            if draining.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("draining".to_owned());
            }
            server.upstreams_connected()
        })
    };
    let metrics = match settings.metrics {
        Some(addr) => {
            let listener = http::metrics_listener(addr).await?;
            let origins = settings.http.as_ref().map_or(&[][..], |http| &http.origins);
            let rebinding = http::Rebinding::new(settings.allow_remote, origins);
            let serving =
                http::serve_metrics(listener, scrape.clone(), rebinding, std::future::pending());
            Some(tokio::spawn(serving))
        }
        None => None,
    };
    // Sessions are kept exactly when HTTP is served.
    match (settings.http, sessions) {
        (Some(http), Some(sessions)) => {
            let options = HttpOptions {
                addr: http.addr,
                remote: settings.allow_remote,
                token: http.token,
                origins: http.origins,
                max_connections: http.max_connections,
                max_sessions: http.max_sessions,
                session_idle: http.session_idle,
                max_body_bytes: max_request,
                metrics: Some(scrape),
                sessions,
                ready,
                draining,
            };
            http::serve(server, options, stopping).await?;
        }
        _ => {
            tokio::select! {
                served = serve_stdio(server, max_request) => served?,
                () = stopping => {}
            }
        }
    }
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    let _ = stop.send(());
    // Stdio children see their input close and exit; any left are killed.
    supervisor.await?.shutdown().await;
    Ok(())
}

/// Serves one client over stdin/stdout until it leaves. When stdin closes,
/// executions still running stop at once: nobody is left to read their results.
/// A request longer than `max_request` bytes is answered with an error.
async fn serve_stdio(server: CodeModeServer, max_request: usize) -> anyhow::Result<()> {
    let gone = CancellationToken::new();
    let server = server.stopping_when(gone.clone());
    let stdin = client_input(tokio::io::stdin(), gone, max_request);
    match server.serve((stdin, tokio::io::stdout())).await {
        Ok(service) => {
            service.waiting().await?;
            Ok(())
        }
        // The client left before it said hello: nothing to serve, nothing wrong.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("the client closed the connection before initializing");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// SIGINT and SIGTERM, registered up front.
pub(super) struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    pub(super) fn install() -> anyhow::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(Shutdown {
            interrupt,
            terminate,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            _ = self.terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
    }
}
