//! `serve`'s answer to an upstream's requests for a human: the client whose
//! call the upstream is serving. Each `execute` and passthrough call holds
//! its client here while it runs; the legacy protocol does not say which
//! call a server's request belongs to, so with several calls at once the
//! latest one's client is asked.
//!
//! SEP-2577 deprecates sampling, roots and logging; servers still use them.
#![allow(deprecated)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rmcp::model::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, ListRootsResult, LoggingMessageNotificationParam,
    ResourceUpdatedNotificationParam,
};
use rmcp::{ErrorData, Peer, RoleServer};

use crate::prompt::visible;
use crate::upstream::Human;
use crate::upstream::redact::scrub_value;

/// Clients with a call in progress, and their resource subscriptions.
#[derive(Default)]
pub struct Callers {
    active: Mutex<Vec<(u64, Peer<RoleServer>)>>,
    next: AtomicU64,
    /// (resource URI, the client that subscribed to it).
    subscriptions: Mutex<Vec<(String, Peer<RoleServer>)>>,
    /// Servers policy leaves nothing of: they reach no client, not even by
    /// asking (elicitation, sampling, roots) or logging.
    withheld: Mutex<HashSet<String>>,
}

/// Holds a client in [`Callers`] until dropped (when its call ends).
pub struct Entered {
    callers: Arc<Callers>,
    id: u64,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let mut active = self.callers.active.lock().expect("callers");
        active.retain(|(id, _)| *id != self.id);
    }
}

impl Callers {
    /// Marks `peer` as having a call in progress until the guard drops.
    pub fn enter(self: &Arc<Self>, peer: Peer<RoleServer>) -> Entered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.active.lock().expect("callers").push((id, peer));
        Entered {
            callers: self.clone(),
            id,
        }
    }

    /// From now on, `servers` (and no others) reach no client.
    pub fn withhold(&self, servers: impl IntoIterator<Item = String>) {
        *self.withheld.lock().expect("withheld servers") = servers.into_iter().collect();
    }

    /// The client `server` may ask: the latest caller that is still
    /// connected; why none, when none.
    fn client_for(&self, server: &str) -> Result<Peer<RoleServer>, &'static str> {
        if self
            .withheld
            .lock()
            .expect("withheld servers")
            .contains(server)
        {
            return Err(WITHHELD);
        }
        self.current().ok_or(NO_CALL)
    }

    /// The latest caller that is still connected.
    fn current(&self) -> Option<Peer<RoleServer>> {
        let active = self.active.lock().expect("callers");
        active
            .iter()
            .rev()
            .map(|(_, peer)| peer)
            .find(|peer| !peer.is_transport_closed())
            .cloned()
    }

    pub fn subscribe(&self, uri: &str, peer: Peer<RoleServer>) {
        let mut subscriptions = self.subscriptions.lock().expect("subscriptions");
        subscriptions.retain(|(_, p)| !p.is_transport_closed());
        subscriptions.push((uri.to_owned(), peer));
    }

    /// Forgets `peer`'s subscription to `uri`; whether anyone else still has one.
    pub fn unsubscribe(&self, uri: &str, peer: &Peer<RoleServer>) -> bool {
        let mut subscriptions = self.subscriptions.lock().expect("subscriptions");
        let mut removed = false;
        subscriptions.retain(|(u, p)| {
            let this = !removed && u == uri && same_peer(p, peer);
            removed |= this;
            !this
        });
        subscriptions.iter().any(|(u, _)| u == uri)
    }
}

fn same_peer(a: &Peer<RoleServer>, b: &Peer<RoleServer>) -> bool {
    match (a.peer_info(), b.peer_info()) {
        (Some(a), Some(b)) => Arc::ptr_eq(&a, &b),
        _ => false,
    }
}

/// What the asked client lacks, if anything, for a request of `kind`.
fn unable(peer: &Peer<RoleServer>, kind: &str) -> Option<String> {
    let Some(info) = peer.peer_info() else {
        return Some("the client has not said what it supports".into());
    };
    if !info.protocol_version.has_initialize() {
        return Some(format!(
            "the client speaks {}, in which a server cannot send it requests",
            info.protocol_version
        ));
    }
    let capabilities = &info.capabilities;
    let has = match kind {
        "elicitation" => capabilities.elicitation.is_some(),
        "sampling" => capabilities.sampling.is_some(),
        _ => capabilities.roots.is_some(),
    };
    (!has).then(|| format!("the client does not support {kind}"))
}

fn refused(server: &str, why: &str) -> ErrorData {
    ErrorData::invalid_request(
        format!("codemode could not ask for the {server} server: {why}"),
        None,
    )
}

/// An upstream's elicitation as the client's person will read it: said to
/// come from that server, its text escaped as at the terminal, so that it
/// cannot pass for codemode's own approval question (an `Allow the ...`
/// form whose accept the person would take for an approval of a call).
/// `None` for a kind whose message codemode does not know.
fn attributed(server: &str, mut request: ElicitRequestParams) -> Option<ElicitRequestParams> {
    let message = match &mut request {
        ElicitRequestParams::FormElicitationParams { message, .. }
        | ElicitRequestParams::UrlElicitationParams { message, .. } => message,
        _ => return None,
    };
    *message = format!(
        "The {} server asks: {}",
        visible::name(server),
        visible::lines(message)
    );
    Some(request)
}

const NO_CALL: &str = "no client call is in progress";
const CALLER_LEFT: &str = "the client that made the call has left";
const WITHHELD: &str =
    "codemode's policy (allow and deny lists, read-only, pins) leaves none of its tools in use";

impl Human for Callers {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        elicit_of(self.client_for(server), server, request)
    }

    fn sample(
        &self,
        server: &str,
        request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        sample_of(self.client_for(server), server, request)
    }

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        roots_of(self.client_for(server), server)
    }

    fn log(
        &self,
        server: &str,
        mut message: LoggingMessageNotificationParam,
    ) -> BoxFuture<'static, ()> {
        let peer = self.client_for(server).ok();
        // Not tool data: a log line, as codemode's own, keeps no secrets.
        message.data = scrub_value(&message.data);
        // The client sees which server spoke.
        message.logger = Some(match message.logger.take() {
            Some(logger) => format!("{server}/{logger}"),
            None => server.to_owned(),
        });
        Box::pin(async move {
            if let Some(peer) = peer {
                let _ = peer.notify_logging_message(message).await;
            }
        })
    }

    fn resource_updated(
        &self,
        server: &str,
        update: ResourceUpdatedNotificationParam,
    ) -> BoxFuture<'static, ()> {
        if matches!(self.client_for(server), Err(WITHHELD)) {
            return Box::pin(async {});
        }
        let peers: Vec<Peer<RoleServer>> = self
            .subscriptions
            .lock()
            .expect("subscriptions")
            .iter()
            .filter(|(uri, _)| *uri == update.uri)
            .map(|(_, peer)| peer.clone())
            .collect();
        Box::pin(async move {
            for peer in peers {
                let _ = peer.notify_resource_updated(update.clone()).await;
            }
        })
    }
}

/// The client of one call, which alone answers what the upstream asks for
/// that call: a 2026-07-28 upstream's `input_required` rounds name the call
/// they belong to, so no other client is ever asked.
pub struct Caller {
    callers: Arc<Callers>,
    peer: Peer<RoleServer>,
}

impl Callers {
    /// Who answers the upstream's requests for `peer`'s own call.
    pub fn caller(self: &Arc<Self>, peer: Peer<RoleServer>) -> Caller {
        Caller {
            callers: self.clone(),
            peer,
        }
    }
}

impl Caller {
    fn client_for(&self, server: &str) -> Result<Peer<RoleServer>, &'static str> {
        if self
            .callers
            .withheld
            .lock()
            .expect("withheld servers")
            .contains(server)
        {
            return Err(WITHHELD);
        }
        if self.peer.is_transport_closed() {
            return Err(CALLER_LEFT);
        }
        Ok(self.peer.clone())
    }
}

impl Human for Caller {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        elicit_of(self.client_for(server), server, request)
    }

    fn sample(
        &self,
        server: &str,
        request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        sample_of(self.client_for(server), server, request)
    }

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        roots_of(self.client_for(server), server)
    }
}

/// Asks `peer` (or declines, saying why there is none) the upstream
/// `server`'s question, attributed to it.
fn elicit_of(
    peer: Result<Peer<RoleServer>, &'static str>,
    server: &str,
    request: ElicitRequestParams,
) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
    let server = server.to_owned();
    Box::pin(async move {
        let why = match &peer {
            Err(why) => Some((*why).to_owned()),
            Ok(peer) => unable(peer, "elicitation"),
        };
        if let Some(why) = why {
            tracing::info!(%server, "declined an elicitation: {why}");
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        }
        let peer = peer.expect("checked above");
        let Some(request) = attributed(&server, request) else {
            tracing::info!(%server, "declined an elicitation of a kind codemode cannot attribute");
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        peer.create_elicitation(request)
            .await
            .map_err(|error| refused(&server, &error.to_string()))
    })
}

fn sample_of(
    peer: Result<Peer<RoleServer>, &'static str>,
    server: &str,
    request: CreateMessageRequestParams,
) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
    let server = server.to_owned();
    Box::pin(async move {
        let peer = peer.map_err(|why| refused(&server, why))?;
        if let Some(why) = unable(&peer, "sampling") {
            return Err(refused(&server, &why));
        }
        peer.create_message(request)
            .await
            .map_err(|error| refused(&server, &error.to_string()))
    })
}

fn roots_of(
    peer: Result<Peer<RoleServer>, &'static str>,
    server: &str,
) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
    let server = server.to_owned();
    Box::pin(async move {
        let peer = peer.map_err(|why| refused(&server, why))?;
        if let Some(why) = unable(&peer, "roots") {
            return Err(refused(&server, &why));
        }
        peer.list_roots()
            .await
            .map_err(|error| refused(&server, &error.to_string()))
    })
}
