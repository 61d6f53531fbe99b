//! The legacy sessions this replica holds, as rmcp's session manager.
//!
//! rmcp's `LocalSessionManager` keeps them; this wraps it where every
//! session begins and ends, whatever made it (an `initialize`, or a sealed
//! id restored) and whatever ended it (the client's `DELETE`, idle expiry,
//! shutdown):
//! - at most `max` are live at once, restored ones included (the HTTP layer
//!   answers with a clear 503 first; this is the backstop);
//! - an ended session's sealed id never restores it here again;
//! - what runs in a session is cancelled when it ends, at once, where rmcp
//!   would let its handlers run on for seconds;
//! - a concurrent request of a session being restored waits until its
//!   handshake is replayed: rmcp would send it to a session not yet
//!   initialized, whose worker fails, or (when the restore ends between its
//!   look and its own restore) restore the session a second time, which it
//!   answers with a 500;
//! - a session is idle only while no request of it runs: rmcp's own expiry
//!   counts only messages, so it ended a session (and cancelled its
//!   execution) under a call that sent none for the idle time.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use futures::Stream;
use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ClientNotification, ServerJsonRpcMessage};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use tokio_util::sync::CancellationToken;

use super::sessions::SealedSessions;

type Transport = <LocalSessionManager as SessionManager>::Transport;

/// How long a request waits for its session's restore to replay the
/// handshake, which takes milliseconds when it works.
const RESTORE_WAIT: Duration = Duration::from_secs(10);

pub(super) struct HeldSessions {
    local: LocalSessionManager,
    max: usize,
    sealed: Arc<SealedSessions>,
    /// Each live session's token, cancelled when it ends.
    ends: Mutex<HashMap<SessionId, CancellationToken>>,
    /// Makes the cap's check and the session's making one step.
    opening: tokio::sync::Mutex<()>,
    /// Sessions restored whose handshake is not replayed yet.
    restoring: Mutex<HashSet<SessionId>>,
    /// Told when a session leaves `restoring`.
    restored: tokio::sync::Notify,
    /// A session unused this long, with no request running, ends.
    idle: Duration,
    uses: Arc<Mutex<HashMap<SessionId, Use>>>,
}

/// When a session was last used, and how many of its requests run now.
struct Use {
    last: Instant,
    running: usize,
}

/// A request of a session running: the session is not idle until it is
/// dropped (its response is sent, or its client went away).
struct Running {
    uses: Arc<Mutex<HashMap<SessionId, Use>>>,
    id: SessionId,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(used) = self.uses.lock().expect("sessions").get_mut(&self.id) {
            // Saturating: the session may have ended and begun again
            // (restored) while this request ran.
            used.running = used.running.saturating_sub(1);
            used.last = Instant::now();
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum HeldError {
    #[error("this server holds {0} sessions, the most it allows; retry later")]
    Full(usize),
    #[error("this session has ended; initialize a new one")]
    Ended,
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

impl HeldSessions {
    /// `local` must not expire sessions itself (no `keep_alive`): sessions
    /// unused for `idle` end here, when [`HeldSessions::expire_idle`] runs.
    pub(super) fn new(
        local: LocalSessionManager,
        max: usize,
        sealed: Arc<SealedSessions>,
        idle: Duration,
    ) -> Self {
        HeldSessions {
            local,
            max,
            sealed,
            ends: Mutex::default(),
            opening: tokio::sync::Mutex::new(()),
            restoring: Mutex::default(),
            restored: tokio::sync::Notify::new(),
            idle,
            uses: Arc::default(),
        }
    }

    /// Ends the sessions idle for longer than allowed, until `held` is gone.
    pub(super) async fn expire_idle(held: Weak<HeldSessions>) {
        let every = match held.upgrade() {
            Some(held) => (held.idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(5)),
            None => return,
        };
        loop {
            tokio::time::sleep(every).await;
            let Some(held) = held.upgrade() else { return };
            // Decided and forgotten in one step: a request beginning after
            // it finds the session ending, not counted as running.
            let idle: Vec<SessionId> = {
                let mut uses = held.uses.lock().expect("sessions");
                let idle: Vec<SessionId> = uses
                    .iter()
                    .filter(|(_, used)| used.running == 0 && used.last.elapsed() >= held.idle)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in &idle {
                    uses.remove(id);
                }
                idle
            };
            for id in idle {
                tracing::debug!(session = %id, "session idle for {:?}: closed", held.idle);
                if let Err(error) = held.close_session(&id).await {
                    tracing::warn!(session = %id, "closing an idle session failed: {error}");
                }
            }
        }
    }

    /// Notes a use of the session `id`.
    fn touch(&self, id: &SessionId) {
        if let Some(used) = self.uses.lock().expect("sessions").get_mut(id) {
            used.last = Instant::now();
        }
    }

    /// A request of the session `id` begins: it is not idle until the
    /// returned guard is dropped.
    fn run(&self, id: &SessionId) -> Running {
        if let Some(used) = self.uses.lock().expect("sessions").get_mut(id) {
            used.running += 1;
            used.last = Instant::now();
        }
        Running {
            uses: self.uses.clone(),
            id: id.clone(),
        }
    }

    /// Sessions live now.
    pub(super) async fn count(&self) -> usize {
        self.local.sessions.read().await.len()
    }

    /// Whether the session `id` is here, ready or being restored.
    pub(super) async fn holds(&self, id: &str) -> bool {
        self.local
            .sessions
            .read()
            .await
            .contains_key(&SessionId::from(id))
    }

    fn being_restored(&self, id: &SessionId) -> bool {
        self.restoring.lock().expect("sessions").contains(id)
    }

    /// `id`'s restore is over, its handshake replayed (or the session gone).
    fn restore_done(&self, id: &SessionId) {
        self.restoring.lock().expect("sessions").remove(id);
        self.restored.notify_waiters();
    }

    /// Whether `id` is here, once its restore (if one is under way) is over.
    /// A restore that never ends (its handshake failed, and rmcp kept the
    /// session) is waited for [`RESTORE_WAIT`], then taken as not here.
    async fn here_once_restored(&self, id: &SessionId) -> Result<bool, HeldError> {
        let deadline = tokio::time::Instant::now() + RESTORE_WAIT;
        loop {
            // Registered before the look, so a restore ending between the
            // two is not missed.
            let done = self.restored.notified();
            tokio::pin!(done);
            done.as_mut().enable();
            if !self.being_restored(id) {
                return Ok(self.local.has_session(id).await?);
            }
            if tokio::time::timeout_at(deadline, done).await.is_err() {
                return Ok(false);
            }
        }
    }

    /// A token cancelled when the live session `id` ends.
    pub(super) fn ending(&self, id: &str) -> Option<CancellationToken> {
        self.ends
            .lock()
            .expect("sessions")
            .get(&SessionId::from(id))
            .cloned()
    }

    fn begin(&self, id: &SessionId) {
        self.ends
            .lock()
            .expect("sessions")
            .insert(id.clone(), CancellationToken::new());
        self.uses.lock().expect("sessions").insert(
            id.clone(),
            Use {
                last: Instant::now(),
                running: 0,
            },
        );
    }
}

impl SessionManager for HeldSessions {
    type Error = HeldError;
    type Transport = Transport;

    async fn create_session(&self) -> Result<(SessionId, Transport), HeldError> {
        let _one = self.opening.lock().await;
        if self.count().await >= self.max {
            return Err(HeldError::Full(self.max));
        }
        let (id, transport) = self.local.create_session().await?;
        self.begin(&id);
        Ok((id, transport))
    }

    async fn restore_session(&self, id: SessionId) -> Result<RestoreOutcome<Transport>, HeldError> {
        let _one = self.opening.lock().await;
        // An id ended here is refused even if its state came back (a
        // request that opened its token while a DELETE ended it).
        if self.sealed.is_closed(&id) {
            return Err(HeldError::Ended);
        }
        if !self.local.has_session(&id).await? && self.count().await >= self.max {
            return Err(HeldError::Full(self.max));
        }
        // Marked before rmcp's manager has it: from then on a concurrent
        // request waits for the handshake (see `here_once_restored`).
        self.restoring.lock().expect("sessions").insert(id.clone());
        let outcome = self.local.restore_session(id.clone()).await;
        if matches!(outcome, Ok(RestoreOutcome::Restored(_))) {
            self.begin(&id);
        } else {
            self.restore_done(&id);
        }
        Ok(outcome?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), HeldError> {
        self.restore_done(id);
        self.uses.lock().expect("sessions").remove(id);
        let ended = self.ends.lock().expect("sessions").remove(id);
        if let Some(ended) = ended {
            ended.cancel();
        }
        // Only a session that was live here is remembered as ended: ids
        // made up by a client would otherwise crowd real ones out.
        if self.local.has_session(id).await? {
            self.sealed.close(id);
        }
        Ok(self.local.close_session(id).await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, HeldError> {
        Ok(self.local.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, HeldError> {
        self.here_once_restored(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, HeldError> {
        let running = self.run(id);
        let stream = self.local.create_stream(id, message).await?;
        // The request runs until its response stream is done or dropped.
        Ok(futures::StreamExt::map(stream, move |message| {
            let _running = &running;
            message
        }))
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), HeldError> {
        // The last message of a restore's replayed handshake.
        let initialized = matches!(
            &message,
            ClientJsonRpcMessage::Notification(n)
                if matches!(n.notification, ClientNotification::InitializedNotification(_))
        );
        self.touch(id);
        self.local.accept_message(id, message).await?;
        if initialized {
            self.restore_done(id);
        }
        Ok(())
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, HeldError> {
        self.touch(id);
        Ok(self.local.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, HeldError> {
        self.touch(id);
        Ok(self.local.resume(id, last_event_id).await?)
    }

    fn event_store(
        &self,
    ) -> Option<Arc<dyn rmcp::transport::streamable_http_server::session::EventStore>> {
        self.local.event_store()
    }
}

/// Put in each HTTP request's extensions, so a handler can learn when its
/// session ends.
#[derive(Clone)]
pub(super) struct SessionEnds(pub Arc<HeldSessions>);

/// A token cancelled when the session `context`'s request came in ends,
/// if it came over HTTP in a live session.
pub(super) fn session_end(context: &RequestContext<RoleServer>) -> Option<CancellationToken> {
    let parts = context.extensions.get::<http::request::Parts>()?;
    let held = parts.extensions.get::<SessionEnds>()?;
    let id = parts
        .headers
        .get(super::http::SESSION_HEADER)?
        .to_str()
        .ok()?;
    held.0.ending(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_ended_session_is_never_restored_even_if_its_state_returns() {
        let sealed = Arc::new(SealedSessions::private().unwrap());
        let held = HeldSessions::new(
            LocalSessionManager::default(),
            4,
            sealed.clone(),
            Duration::from_secs(60),
        );
        let id = SessionId::from("ended-1");
        sealed.close(&id);
        // Its state noted again, as a request that opened its token before
        // the DELETE would have.
        let state = serde_json::from_value(serde_json::json!({"initialize_params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}}))
        .unwrap();
        rmcp::transport::streamable_http_server::session::store::SessionStore::store(
            &*sealed, &id, &state,
        )
        .await
        .unwrap();
        assert!(matches!(
            held.restore_session(id.clone()).await,
            Err(HeldError::Ended)
        ));
        assert_eq!(held.count().await, 0);
    }
}
