//! Legacy sessions any replica can resume, with no store to run.
//!
//! A client of the initialize era keeps a session: it sends `Mcp-Session-Id`
//! on every request. The id codemode hands out is sealed (AES-256-GCM) with a
//! key the replicas share (`--session-key-file`, or `CODEMODE_SESSION_KEY`):
//! inside are the replica-local session id rmcp made and the client's
//! `initialize` parameters. A request reaching a replica that does not hold
//! the session is opened, and rmcp's session store restores the session
//! from those parameters there, as if the client had initialized with it.
//! Without a shared key each process makes its own: sessions then live on
//! the replica that made them, as before.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::transport::streamable_http_server::session::store::{
    SessionState, SessionStore, SessionStoreError,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The environment variable that can hold the shared key instead of a file.
pub const KEY_VARIABLE: &str = "CODEMODE_SESSION_KEY";

/// A sealed id older than this is refused: the client initializes again.
const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The most ended sessions remembered; past it the oldest is forgotten (its
/// token could then bring it back, as if the client initialized again), so
/// clients opening and closing sessions cannot grow this without bound.
const MAX_CLOSED: usize = 100_000;

/// The most a session key file may hold.
const MAX_KEY_FILE_BYTES: u64 = 64 << 10;

/// The fewest bytes of key material accepted.
const MIN_KEY_BYTES: usize = 32;

/// What a sealed session id holds.
#[derive(Serialize, Deserialize)]
struct Sealed {
    /// The session id rmcp made on the replica that initialized it.
    id: String,
    /// Seconds since the epoch when it was sealed.
    issued: u64,
    state: SessionState,
}

pub struct SealedSessions {
    key: LessSafeKey,
    /// Whether the key came from outside (so other replicas share it).
    shared: bool,
    /// The sessions' states this replica knows, by local id: those it made,
    /// and those a request just brought sealed, for rmcp to restore.
    states: Mutex<HashMap<String, SessionState>>,
    /// Sessions ended here (a client's DELETE, idle expiry), not to be
    /// restored from their tokens again.
    closed: Mutex<Closed>,
}

/// Ended sessions in the order they ended, each forgotten after [`MAX_AGE`]
/// (its token has expired by then) or when [`MAX_CLOSED`] newer ones are.
#[derive(Default)]
struct Closed {
    order: VecDeque<(String, SystemTime)>,
    ids: HashSet<String>,
}

impl Closed {
    fn insert(&mut self, id: &str, now: SystemTime) {
        while let Some((oldest, at)) = self.order.front()
            && (self.order.len() >= MAX_CLOSED
                || now.duration_since(*at).unwrap_or_default() >= MAX_AGE)
        {
            self.ids.remove(oldest);
            self.order.pop_front();
        }
        if self.ids.insert(id.to_owned()) {
            self.order.push_back((id.to_owned(), now));
        }
    }
}

impl SealedSessions {
    /// With the key in `file`, else in [`KEY_VARIABLE`], else a fresh one
    /// for this process alone.
    pub fn new(file: Option<&Path>) -> anyhow::Result<SealedSessions> {
        let material = match file {
            Some(path) => Some(read_key_file(path)?),
            None => std::env::var(KEY_VARIABLE).ok().map(String::into_bytes),
        };
        let Some(bytes) = material else {
            return SealedSessions::private();
        };
        let trimmed = bytes.trim_ascii();
        if trimmed.len() < MIN_KEY_BYTES {
            bail!(
                "the session key is {} bytes; use at least {MIN_KEY_BYTES} random bytes, e.g. `openssl rand -base64 48 > session.key`",
                trimmed.len()
            );
        }
        SealedSessions::keyed(trimmed, true)
    }

    /// With a fresh key of this process alone: its sessions stay on it.
    pub fn private() -> anyhow::Result<SealedSessions> {
        let mut fresh = [0u8; 32];
        SystemRandom::new()
            .fill(&mut fresh)
            .map_err(|_| anyhow::anyhow!("no randomness for a session key"))?;
        SealedSessions::keyed(&fresh, false)
    }

    fn keyed(material: &[u8], shared: bool) -> anyhow::Result<SealedSessions> {
        // Any length of material becomes one 256-bit key.
        let digest = Sha256::digest(material);
        let key = UnboundKey::new(&AES_256_GCM, &digest)
            .map_err(|_| anyhow::anyhow!("cannot make the session key"))?;
        Ok(SealedSessions {
            key: LessSafeKey::new(key),
            shared,
            states: Mutex::default(),
            closed: Mutex::default(),
        })
    }

    pub fn shared(&self) -> bool {
        self.shared
    }

    /// The id to give the client for the session rmcp calls `local`.
    pub fn seal(&self, local: &str) -> Option<String> {
        let state = self.states.lock().expect("sessions").get(local)?.clone();
        let sealed = Sealed {
            id: local.to_owned(),
            issued: now(),
            state,
        };
        let mut data = serde_json::to_vec(&sealed).ok()?;
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).ok()?;
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .ok()?;
        let mut token = nonce.to_vec();
        token.extend_from_slice(&data);
        Some(URL_SAFE_NO_PAD.encode(token))
    }

    /// The local id inside a sealed id the client sent, its state noted
    /// for rmcp to restore the session from; `None` for an id this key did
    /// not seal, or one too old.
    pub fn open(&self, token: &str) -> Option<String> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut sealed)
            .ok()?;
        let opened: Sealed = serde_json::from_slice(plain).ok()?;
        if now().saturating_sub(opened.issued) > MAX_AGE.as_secs()
            || self
                .closed
                .lock()
                .expect("sessions")
                .ids
                .contains(&opened.id)
        {
            return None;
        }
        self.states
            .lock()
            .expect("sessions")
            .insert(opened.id.clone(), opened.state);
        Some(opened.id)
    }
}

impl SealedSessions {
    /// Whether the session `local` ended here.
    pub fn is_closed(&self, local: &str) -> bool {
        self.closed.lock().expect("sessions").ids.contains(local)
    }

    /// Ends the session `local` here: its token no longer restores it.
    pub fn close(&self, local: &str) {
        self.states.lock().expect("sessions").remove(local);
        let now = SystemTime::now();
        self.closed.lock().expect("sessions").insert(local, now);
    }
}

/// The key file's bytes, refusing a file no key is as long as (say
/// `/dev/zero` given by mistake).
fn read_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read the session key file {}", path.display()))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        bail!(
            "the session key file {} is larger than {} KiB, which no key is; is it the right file? (`openssl rand -base64 48 > session.key` makes one)",
            path.display(),
            MAX_KEY_FILE_BYTES >> 10
        );
    }
    Ok(bytes)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[async_trait::async_trait]
impl SessionStore for SealedSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        Ok(self
            .states
            .lock()
            .expect("sessions")
            .get(session_id)
            .cloned())
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        self.states
            .lock()
            .expect("sessions")
            .insert(session_id.to_owned(), state.clone());
        Ok(())
    }

    /// Only a session known here is remembered as ended: ids a client made
    /// up would otherwise crowd real ones out of the ended ones.
    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        let known = self
            .states
            .lock()
            .expect("sessions")
            .contains_key(session_id);
        if known {
            self.close(session_id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SessionState {
        serde_json::from_value(serde_json::json!({"initialize_params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"elicitation": {}},
            "clientInfo": {"name": "test", "version": "1"}
        }}))
        .unwrap()
    }

    #[test]
    fn ended_sessions_are_forgotten_when_old_or_too_many() {
        let mut closed = Closed::default();
        let start = SystemTime::now();
        for n in 0..MAX_CLOSED + 5 {
            closed.insert(&n.to_string(), start);
        }
        assert_eq!(closed.order.len(), MAX_CLOSED);
        assert_eq!(closed.ids.len(), MAX_CLOSED);
        assert!(!closed.ids.contains("4") && closed.ids.contains("5"));
        closed.insert("late", start + MAX_AGE);
        assert_eq!(closed.order.len(), 1, "a day later, only the new one");
        assert!(closed.ids.contains("late") && !closed.ids.contains("5"));
    }

    #[tokio::test]
    async fn a_sealed_id_opens_on_another_replica_with_the_same_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("session.key");
        std::fs::write(&key, "k".repeat(40)).unwrap();
        let first = SealedSessions::new(Some(&key)).unwrap();
        assert!(first.shared());
        first.store("local-1", &state()).await.unwrap();
        let token = first.seal("local-1").unwrap();
        assert!(
            !token.contains("local-1"),
            "the id is sealed, not merely encoded"
        );

        let second = SealedSessions::new(Some(&key)).unwrap();
        assert!(second.load("local-1").await.unwrap().is_none());
        assert_eq!(second.open(&token).as_deref(), Some("local-1"));
        let restored = second.load("local-1").await.unwrap().unwrap();
        assert_eq!(
            serde_json::to_value(restored).unwrap(),
            serde_json::to_value(state()).unwrap()
        );

        // Ended here (the client's DELETE): its token no longer restores it.
        second.close("local-1");
        assert_eq!(second.open(&token), None);
        assert!(second.load("local-1").await.unwrap().is_none());

        // Another key, a changed byte, or nonsense: nothing opens.
        std::fs::write(&key, "x".repeat(40)).unwrap();
        let stranger = SealedSessions::new(Some(&key)).unwrap();
        assert_eq!(stranger.open(&token), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        assert_eq!(second.open(&URL_SAFE_NO_PAD.encode(bytes)), None);
        assert_eq!(second.open("not a token"), None);

        // A key of this process alone opens nothing another made.
        let private = SealedSessions::private().unwrap();
        assert!(!private.shared());
        assert_eq!(private.open(&token), None);

        std::fs::write(&key, vec![b'k'; 65 << 10]).unwrap();
        let error = SealedSessions::new(Some(&key)).err().unwrap().to_string();
        assert!(error.contains("is larger than 64 KiB"), "{error}");

        std::fs::write(&key, "short").unwrap();
        let error = SealedSessions::new(Some(&key)).err().unwrap().to_string();
        assert!(error.starts_with("the session key is 5 bytes"), "{error}");
    }
}
