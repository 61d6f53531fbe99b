//! `serve`'s answer to an upstream's requests for a human: the client whose
//! call the upstream is serving, never another. A 2026-07-28 upstream's
//! `input_required` rounds belong to the call they answer. A legacy HTTP
//! upstream asks on the response stream of the call it asks for, which
//! names the client. Over stdio nothing does: the request reaches the one
//! client with a call to that server in flight, and is refused, saying why,
//! when there are several (a read or a list in flight counts, and asks no
//! client).
//!
//! A client of the initialize era is sent requests of codemode's own; a
//! 2026-07-28 client, which cannot be, is asked in its call's
//! `input_required` rounds (see [`rounds`](super::rounds)).
//!
//! SEP-2577 deprecates sampling, roots and logging; servers still use them.
#![allow(deprecated)]

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rmcp::model::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams,
    ElicitResult, ElicitationAction, ListRootsResult, LoggingMessageNotificationParam, RequestId,
    ResourceUpdatedNotificationParam,
};
use rmcp::{ErrorData, Peer, RoleServer};
use serde::de::DeserializeOwned;

use super::rounds::Asks;
use crate::prompt::visible;
use crate::upstream::redact::scrub_value;
use crate::upstream::{Human, InFlight, Serving};

/// The calls in flight to each upstream, and the clients' resource
/// subscriptions.
#[derive(Default)]
pub struct Callers {
    in_flight: Mutex<Vec<Call>>,
    next: AtomicU64,
    /// (resource URI, the client that subscribed to it).
    subscriptions: Mutex<Vec<(String, Peer<RoleServer>)>>,
    /// Servers policy leaves nothing of: they reach no client, not even by
    /// asking (elicitation, sampling, roots) or logging.
    withheld: Mutex<HashSet<String>>,
}

/// A call to an upstream in flight.
struct Call {
    id: u64,
    server: String,
    /// The requests sent for it (one per `input_required` round).
    requests: Vec<RequestId>,
    caller: Arc<Caller>,
}

/// Keeps a call in [`Callers`] until dropped.
struct Tracked {
    callers: Arc<Callers>,
    id: u64,
}

impl InFlight for Tracked {
    fn sent(&self, request: &RequestId) {
        let mut in_flight = self.callers.in_flight.lock().expect("calls in flight");
        if let Some(call) = in_flight.iter_mut().find(|call| call.id == self.id) {
            call.requests.push(request.clone());
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut in_flight = self.callers.in_flight.lock().expect("calls in flight");
        in_flight.retain(|call| call.id != self.id);
    }
}

impl Callers {
    /// From now on, `servers` (and no others) reach no client.
    pub fn withhold(&self, servers: impl IntoIterator<Item = String>) {
        *self.withheld.lock().expect("withheld servers") = servers.into_iter().collect();
    }

    fn withholds(&self, server: &str) -> bool {
        self.withheld
            .lock()
            .expect("withheld servers")
            .contains(server)
    }

    /// Who answers the upstreams' requests for `peer`'s call, by requests
    /// of codemode's own (a client of the initialize era).
    pub(super) fn caller(self: &Arc<Self>, peer: Peer<RoleServer>) -> Caller {
        Caller {
            callers: self.clone(),
            client: Client::Requests(peer),
        }
    }

    /// Who answers the upstreams' requests for a 2026-07-28 client's call:
    /// `asks` puts them in the call's `input_required` rounds, for what
    /// `capabilities` says the client supports.
    pub(super) fn rounds(
        self: &Arc<Self>,
        asks: Asks,
        capabilities: Option<ClientCapabilities>,
    ) -> Caller {
        Caller {
            callers: self.clone(),
            client: Client::Rounds(asks, capabilities.unwrap_or_default()),
        }
    }

    /// Marks a request to `server` that asks no client (a read, a list, a
    /// completion) as in flight until the guard drops: what the server asks
    /// meanwhile could be for it, so no other client is asked in its place.
    pub(super) fn asking_nobody(self: &Arc<Self>, server: &str) -> Serving {
        let nobody = Arc::new(Caller {
            callers: self.clone(),
            client: Client::Nobody,
        });
        nobody.serving(server)
    }

    /// The caller a legacy `server`'s request goes to: the one client with a
    /// call to it in flight; why none, when there is not exactly one.
    fn caller_for(&self, server: &str) -> Result<Arc<Caller>, Cow<'static, str>> {
        if self.withholds(server) {
            return Err(WITHHELD.into());
        }
        let in_flight = self.in_flight.lock().expect("calls in flight");
        let mut serving = in_flight
            .iter()
            .filter(|call| call.server == server)
            .map(|call| &call.caller);
        let Some(first) = serving.next() else {
            return Err(NO_CALL.into());
        };
        let others = serving.filter(|c| !c.same_client(first)).count();
        if others > 0 {
            return Err(format!(
                "calls of {} clients to it are in flight, and a server of its era does not say which call a request is for",
                others + 1
            )
            .into());
        }
        Ok(first.clone())
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

/// What a client that declared `capabilities` lacks for a request of `kind`.
fn lacks(capabilities: &ClientCapabilities, kind: &str) -> Option<String> {
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

fn declined(server: &str, why: &str) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
    tracing::info!(%server, "declined an elicitation: {why}");
    Box::pin(std::future::ready(Ok(ElicitResult::new(
        ElicitationAction::Decline,
    ))))
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

const NO_CALL: &str = "no client has a call to it in progress";
const DURING_NO_CALL: &str = "it asked during a request that is not a tool call or prompts/get (a read, a list, a completion), where codemode asks no client";
const CALLER_LEFT: &str = "the client that made the call has left";
const WITHHELD: &str =
    "codemode's policy (allow and deny lists, read-only, pins) leaves none of its tools in use";

/// A legacy upstream's requests, passed to the caller of the call they are for.
impl Human for Callers {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        match self.caller_for(server) {
            Ok(caller) => caller.elicit(server, request),
            // Not a person's decline: nobody was asked, and the server hears why.
            Err(why) => Box::pin(std::future::ready(Err(refused(server, &why)))),
        }
    }

    fn sample(
        &self,
        server: &str,
        request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        match self.caller_for(server) {
            Ok(caller) => caller.sample(server, request),
            Err(why) => Box::pin(std::future::ready(Err(refused(server, &why)))),
        }
    }

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        match self.caller_for(server) {
            Ok(caller) => caller.roots(server),
            Err(why) => Box::pin(std::future::ready(Err(refused(server, &why)))),
        }
    }

    fn log(
        &self,
        server: &str,
        mut message: LoggingMessageNotificationParam,
    ) -> BoxFuture<'static, ()> {
        let peer = match self.caller_for(server) {
            Ok(caller) => match &caller.client {
                Client::Requests(peer) => Some(peer.clone()),
                // Its call's answer has been sent or is not yet: there is
                // no stream to send a notification on.
                Client::Rounds(..) | Client::Nobody => None,
            },
            Err(_) => None,
        };
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

    fn tracks_calls(&self) -> bool {
        true
    }

    fn of_call(&self, server: &str, request: &RequestId) -> Option<Arc<dyn Human>> {
        let in_flight = self.in_flight.lock().expect("calls in flight");
        let call = in_flight
            .iter()
            .find(|call| call.server == server && call.requests.contains(request))?;
        Some(call.caller.clone())
    }

    fn resource_updated(
        &self,
        server: &str,
        update: ResourceUpdatedNotificationParam,
    ) -> BoxFuture<'static, ()> {
        if self.withholds(server) {
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

/// The client of one call, which alone answers what upstreams ask for it.
pub(super) struct Caller {
    callers: Arc<Callers>,
    client: Client,
}

#[derive(Clone)]
enum Client {
    /// A client of the initialize era: sent requests of codemode's own.
    Requests(Peer<RoleServer>),
    /// A 2026-07-28 client, with what its call said it supports: asked in
    /// the call's `input_required` rounds.
    Rounds(Asks, ClientCapabilities),
    /// None: the request (a read, a list) is not one a client is asked in.
    Nobody,
}

impl Caller {
    fn same_client(&self, other: &Caller) -> bool {
        match (&self.client, &other.client) {
            (Client::Requests(a), Client::Requests(b)) => same_peer(a, b),
            (Client::Rounds(a, _), Client::Rounds(b, _)) => a.same(b),
            _ => false,
        }
    }

    /// Why the client cannot be asked for `server` a request of `kind`, if so.
    fn unable(&self, server: &str, kind: &str) -> Option<String> {
        if self.callers.withholds(server) {
            return Some(WITHHELD.to_owned());
        }
        match &self.client {
            Client::Requests(peer) if peer.is_transport_closed() => Some(CALLER_LEFT.to_owned()),
            Client::Requests(peer) => match peer.peer_info() {
                None => Some("the client has not said what it supports".into()),
                Some(info) => lacks(&info.capabilities, kind),
            },
            Client::Rounds(_, capabilities) => lacks(capabilities, kind),
            Client::Nobody => Some(DURING_NO_CALL.to_owned()),
        }
    }
}

/// Puts `method` with `params` to a 2026-07-28 client for `server`, in its
/// call's next `input_required` round; the client's answer.
fn round<T: DeserializeOwned>(
    asks: Asks,
    server: &str,
    method: &'static str,
    params: impl serde::Serialize,
) -> BoxFuture<'static, Result<T, ErrorData>> {
    let server = server.to_owned();
    let params = serde_json::to_value(params).unwrap_or_default();
    Box::pin(async move {
        let answer = asks
            .upstream(&server, method, params)
            .await
            .map_err(|why| refused(&server, &why))?;
        serde_json::from_value(answer).map_err(|error| {
            refused(
                &server,
                &format!("the client's answer is not a {method} result ({error})"),
            )
        })
    })
}

/// What a request during a request that asks no client gets.
fn asked_nobody<T: Send + 'static>(server: &str) -> BoxFuture<'static, Result<T, ErrorData>> {
    Box::pin(std::future::ready(Err(refused(server, DURING_NO_CALL))))
}

fn failed(server: &str) -> impl FnOnce(rmcp::ServiceError) -> ErrorData + use<> {
    let server = server.to_owned();
    move |error| refused(&server, &error.to_string())
}

impl Human for Caller {
    fn elicit(
        &self,
        server: &str,
        request: ElicitRequestParams,
    ) -> BoxFuture<'static, Result<ElicitResult, ErrorData>> {
        // Nobody asked is not a person's decline: the server hears why.
        if let Client::Nobody = self.client {
            return asked_nobody(server);
        }
        if let Some(why) = self.unable(server, "elicitation") {
            return declined(server, &why);
        }
        let Some(request) = attributed(server, request) else {
            return declined(server, "codemode cannot attribute a question of its kind");
        };
        match &self.client {
            Client::Requests(peer) => {
                let (peer, failed) = (peer.clone(), failed(server));
                Box::pin(async move { peer.create_elicitation(request).await.map_err(failed) })
            }
            Client::Rounds(asks, _) => round(asks.clone(), server, "elicitation/create", request),
            Client::Nobody => asked_nobody(server),
        }
    }

    fn sample(
        &self,
        server: &str,
        request: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorData>> {
        if let Some(why) = self.unable(server, "sampling") {
            return Box::pin(std::future::ready(Err(refused(server, &why))));
        }
        match &self.client {
            Client::Requests(peer) => {
                let (peer, failed) = (peer.clone(), failed(server));
                Box::pin(async move { peer.create_message(request).await.map_err(failed) })
            }
            Client::Rounds(asks, _) => {
                round(asks.clone(), server, "sampling/createMessage", request)
            }
            Client::Nobody => asked_nobody(server),
        }
    }

    fn roots(&self, server: &str) -> BoxFuture<'static, Result<ListRootsResult, ErrorData>> {
        if let Some(why) = self.unable(server, "roots") {
            return Box::pin(std::future::ready(Err(refused(server, &why))));
        }
        match &self.client {
            Client::Requests(peer) => {
                let (peer, failed) = (peer.clone(), failed(server));
                Box::pin(async move { peer.list_roots().await.map_err(failed) })
            }
            Client::Rounds(asks, _) => {
                round(asks.clone(), server, "roots/list", serde_json::json!({}))
            }
            Client::Nobody => asked_nobody(server),
        }
    }

    fn serving(self: Arc<Self>, server: &str) -> Serving {
        let callers = self.callers.clone();
        let id = callers.next.fetch_add(1, Ordering::Relaxed);
        let mut in_flight = callers.in_flight.lock().expect("calls in flight");
        in_flight.push(Call {
            id,
            server: server.to_owned(),
            requests: Vec::new(),
            caller: self,
        });
        drop(in_flight);
        Serving::of(Tracked { callers, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::rounds::Question;
    use rmcp::model::NumberOrString;

    fn sampling() -> CreateMessageRequestParams {
        serde_json::from_value(serde_json::json!({
            "messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}],
            "maxTokens": 5
        }))
        .unwrap()
    }

    fn question() -> ElicitRequestParams {
        serde_json::from_value(serde_json::json!({
            "mode": "form", "message": "Which?", "requestedSchema": {"type": "object", "properties": {}}
        }))
        .unwrap()
    }

    fn sampling_client(
        callers: &Arc<Callers>,
    ) -> (Arc<Caller>, tokio::sync::mpsc::Receiver<Question>) {
        let (asks, questions) = Asks::channel();
        let capabilities = ClientCapabilities::builder().enable_sampling().build();
        (
            Arc::new(callers.rounds(asks, Some(capabilities))),
            questions,
        )
    }

    /// Answers the first question `questions` gets with a model's reply.
    fn answering(mut questions: tokio::sync::mpsc::Receiver<Question>, text: &'static str) {
        tokio::spawn(async move {
            if let Some(Question::Upstream { answer, .. }) = questions.recv().await {
                let reply = serde_json::json!({"role": "assistant", "model": "m",
                    "content": {"type": "text", "text": text}});
                let _ = answer.send(Ok(reply));
            }
        });
    }

    #[tokio::test]
    async fn a_legacy_servers_request_reaches_the_one_client_with_a_call_to_it() {
        let callers = Arc::new(Callers::default());
        let (mine, questions) = sampling_client(&callers);
        let (elsewhere, _) = sampling_client(&callers);
        answering(questions, "from mine");
        let _mine = mine.serving("s");
        // A call to another server does not count.
        let _elsewhere = elsewhere.serving("t");
        let answer = callers.sample("s", sampling()).await.unwrap();
        assert!(format!("{answer:?}").contains("from mine"));
        let none = callers.sample("u", sampling()).await.unwrap_err();
        assert!(none.message.contains(NO_CALL), "{}", none.message);
    }

    #[tokio::test]
    async fn with_calls_of_several_clients_in_flight_a_request_goes_to_none() {
        let callers = Arc::new(Callers::default());
        let (a, _) = sampling_client(&callers);
        let (b, _) = sampling_client(&callers);
        let (_a, _b) = (a.serving("s"), b.serving("s"));
        let refused = callers.sample("s", sampling()).await.unwrap_err();
        assert!(
            refused.message.contains("calls of 2 clients"),
            "{}",
            refused.message
        );
        // Nobody was asked: an error, not a person's decline.
        let refused = callers.elicit("s", question()).await.unwrap_err();
        assert!(
            refused.message.contains("calls of 2 clients"),
            "{}",
            refused.message
        );
    }

    #[tokio::test]
    async fn a_request_on_a_calls_own_stream_goes_to_that_calls_client() {
        let callers = Arc::new(Callers::default());
        let (a, _) = sampling_client(&callers);
        let (b, questions) = sampling_client(&callers);
        answering(questions, "from b");
        let _a = a.serving("s");
        let b_serving = b.serving("s");
        let request = RequestId::from(NumberOrString::Number(7));
        b_serving.sent(&request);
        let human = callers.of_call("s", &request).expect("b's call");
        let answer = human.sample("s", sampling()).await.unwrap();
        assert!(format!("{answer:?}").contains("from b"));
        assert!(
            callers
                .of_call("s", &RequestId::from(NumberOrString::Number(8)))
                .is_none()
        );
        drop(b_serving);
        assert!(callers.of_call("s", &request).is_none(), "the call ended");
    }

    #[tokio::test]
    async fn a_request_during_a_read_reaches_no_client() {
        let callers = Arc::new(Callers::default());
        let (b, questions) = sampling_client(&callers);
        answering(questions, "from b");
        let b_serving = b.serving("s");
        // Another client reads a resource of the same server meanwhile.
        let read = callers.asking_nobody("s");
        let refused = callers.sample("s", sampling()).await.unwrap_err();
        assert!(
            refused.message.contains("calls of 2 clients"),
            "{}",
            refused.message
        );
        // Not passed off as a person's decline: the server hears why.
        assert!(callers.elicit("s", question()).await.is_err());
        drop((read, b_serving));
        let alone = callers.asking_nobody("s");
        let refused = callers.sample("s", sampling()).await.unwrap_err();
        assert!(
            refused.message.contains("asks no client"),
            "{}",
            refused.message
        );
        drop(alone);
    }

    #[tokio::test]
    async fn a_2026_client_is_not_asked_for_what_it_did_not_declare() {
        let callers = Arc::new(Callers::default());
        let (asks, _questions) = Asks::channel();
        let caller = Arc::new(callers.rounds(asks, Some(ClientCapabilities::default())));
        let _serving = caller.serving("s");
        let refused = callers.sample("s", sampling()).await.unwrap_err();
        assert!(
            refused.message.contains("does not support sampling"),
            "{}",
            refused.message
        );
    }
}
