//! Keeping the API current while `serve` runs: re-list a server's tools when
//! it says they changed, restart servers that died (with backoff), and tell
//! our clients when the tools we offer changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rmcp::{Peer, RoleServer};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::Snapshot;
use crate::upstream::{Changes, Hooks, Upstreams};

/// How often dead connections are looked for.
const CHECK_EVERY: Duration = Duration::from_millis(250);
const FIRST_RETRY: Duration = Duration::from_millis(500);
const LAST_RETRY: Duration = Duration::from_secs(30);
/// How long to gather tool-list changes before acting on them: a burst of
/// notifications (or a server that never stops sending them) costs one
/// re-list per server and one rebuild per this interval.
const SETTLE: Duration = Duration::from_millis(200);

/// Builds a snapshot (API, policy, executor) from the upstreams as they are now.
pub type Build = Arc<dyn Fn(&Upstreams) -> Snapshot + Send + Sync>;

/// The snapshot in use, and the clients to notify when it changes.
pub struct Live {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Legacy sessions, notified directly.
    clients: Mutex<Vec<Peer<RoleServer>>>,
    /// Bumped when the tools change; 2026-07-28 clients' `subscriptions/listen`
    /// requests wait on it.
    generation: tokio::sync::watch::Sender<u64>,
}

impl Live {
    pub fn new(snapshot: Snapshot) -> Arc<Live> {
        Arc::new(Live {
            snapshot: RwLock::new(Arc::new(snapshot)),
            clients: Mutex::new(Vec::new()),
            generation: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Changes from now on: `changed()` resolves when the tools change.
    pub fn watch_tools(&self) -> tokio::sync::watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// The snapshot for one request; later swaps do not affect it.
    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    pub fn add_client(&self, peer: Peer<RoleServer>) {
        self.clients.lock().expect("client list").push(peer);
    }

    /// Swaps in `snapshot`; notifies clients if the tools we offer changed.
    pub async fn replace(&self, snapshot: Snapshot) {
        let changed = self.current().tools != snapshot.tools;
        *self.snapshot.write().expect("snapshot lock") = Arc::new(snapshot);
        if !changed {
            return;
        }
        self.generation.send_modify(|generation| *generation += 1);
        let clients: Vec<Peer<RoleServer>> = {
            let mut clients = self.clients.lock().expect("client list");
            clients.retain(|peer| !peer.is_transport_closed());
            clients.clone()
        };
        tracing::info!(
            clients = clients.len(),
            "the API changed; notifying clients"
        );
        for peer in clients {
            if let Err(error) = peer.notify_tool_list_changed().await {
                tracing::debug!("could not notify a client: {error}");
            }
        }
    }
}

/// Runs until `stop` fires, then hands the upstreams back for shutdown.
pub async fn supervise(
    mut upstreams: Upstreams,
    changes: Changes,
    hooks: Hooks,
    live: Arc<Live>,
    build: Build,
    timeout: Duration,
    mut stop: oneshot::Receiver<()>,
) -> Upstreams {
    // server → (next attempt, delay after that)
    let mut retries: HashMap<String, (Instant, Duration)> = HashMap::new();
    let mut check = tokio::time::interval(CHECK_EVERY);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            first = changes.next() => {
                tokio::time::sleep(SETTLE).await;
                let mut servers = first;
                servers.extend(changes.next_now());
                let mut relisted = false;
                for server in servers {
                    let Some(upstream) = upstreams.get_mut(&server) else { continue };
                    tracing::info!(%server, "the server's tool list changed; listing it again");
                    match upstream.relist(timeout).await {
                        Ok(()) => relisted = true,
                        Err(error) => tracing::warn!(%server, "re-listing tools failed: {error}"),
                    }
                }
                if relisted {
                    live.replace(build(&upstreams)).await;
                }
            }
            _ = check.tick() => {
                let now = Instant::now();
                let mut restarted = false;
                for upstream in upstreams.connected.iter_mut().filter(|u| u.is_closed()) {
                    let (next, delay) = *retries.entry(upstream.name.clone()).or_insert((now, FIRST_RETRY));
                    if now < next {
                        continue;
                    }
                    tracing::warn!(server = %upstream.name, "the server stopped; restarting it");
                    match upstream.reconnect(timeout, hooks.clone()).await {
                        Ok(()) => {
                            tracing::info!(server = %upstream.name, "restarted");
                            retries.remove(&upstream.name);
                            restarted = true;
                        }
                        Err(error) => {
                            tracing::warn!(server = %upstream.name, "restart failed, next try in {delay:?}: {error}");
                            retries.insert(upstream.name.clone(), (Instant::now() + delay, (delay * 2).min(LAST_RETRY)));
                        }
                    }
                }
                if restarted {
                    live.replace(build(&upstreams)).await;
                }
            }
        }
    }
    upstreams
}
