//! Which MCP lifecycle each upstream speaks, remembered between runs.
//!
//! A 2026-07-28 server is found by probing with `server/discover`; a legacy
//! server answers the probe with an error and is then initialized (the
//! specification's backward-compatibility rule, implemented by rmcp's
//! `ClientLifecycleMode::Auto`). The probe costs a round trip, and a legacy
//! server that never answers it costs rmcp's 10-second wait, so the outcome is
//! kept per server in `eras.json` in codemode's cache folder, and the next
//! connection goes straight to the lifecycle that worked.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;
use serde::{Deserialize, Serialize};

use crate::files::config::{ServerSpec, Transport};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Era {
    /// 2026-07-28 or later: `server/discover`, metadata on every request.
    Modern,
    /// `initialize` and a session.
    Legacy,
}

impl Era {
    /// The era of a negotiated protocol version.
    pub fn of(version: &ProtocolVersion) -> Era {
        if version.has_initialize() {
            Era::Legacy
        } else {
            Era::Modern
        }
    }

    /// How to connect to a server: as it spoke last time, else probe.
    pub fn lifecycle(known: Option<Era>) -> ClientLifecycleMode {
        let modern = vec![ProtocolVersion::V_2026_07_28];
        match known {
            Some(Era::Legacy) => ClientLifecycleMode::Initialize,
            Some(Era::Modern) => ClientLifecycleMode::Discover {
                preferred_versions: modern,
            },
            None => ClientLifecycleMode::Auto {
                preferred_versions: modern,
                legacy_version: Some(ProtocolVersion::LATEST_WITH_INITIALIZE),
            },
        }
    }
}

/// What a server is remembered by: its name and how it is reached, so a
/// config that points the same name elsewhere starts over. The cache file
/// keeps it without secrets (a URL's key, a `--token` argument): redacted,
/// with a digest of the whole to tell targets apart.
pub(super) fn target_of(spec: &ServerSpec) -> Option<String> {
    use sha2::Digest;
    let plain = plain_target(spec)?;
    let digest = sha2::Sha256::digest(plain.as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{} #{short}", super::redact::scrub(&plain)))
}

fn plain_target(spec: &ServerSpec) -> Option<String> {
    match &spec.transport {
        Transport::Stdio {
            command, args, cwd, ..
        } => {
            let mut target = format!("stdio {command}");
            for arg in args {
                target.push(' ');
                target.push_str(arg);
            }
            if let Some(cwd) = cwd {
                target.push_str(&format!(" (in {})", cwd.display()));
            }
            Some(target)
        }
        Transport::Http { url, .. } => Some(format!("http {url}")),
        // The demo is in-process and probed for free; SSE predates the
        // modern era; the rest are never connected to.
        Transport::Demo
        | Transport::Sse { .. }
        | Transport::ToolsFile(_)
        | Transport::Unusable { .. } => None,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Known {
    target: String,
    era: Era,
}

/// The remembered eras, by server name.
pub(super) struct Eras {
    /// `None` keeps them in memory only.
    file: Option<PathBuf>,
    known: Mutex<BTreeMap<String, Known>>,
}

/// The process's eras, backed by the user's cache folder.
pub(super) static ERAS: LazyLock<Eras> = LazyLock::new(|| {
    let file = crate::files::config::dirs::codemode_dir(crate::files::config::dirs::user_cache_dir)
        .map(|dir| dir.join("eras.json"));
    Eras::load(file)
});

impl Eras {
    /// Reads `file`; a missing or unreadable file is an empty cache (it is
    /// only a cache: the next probe rebuilds it).
    pub(super) fn load(file: Option<PathBuf>) -> Eras {
        let known = file
            .as_ref()
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|bytes| match serde_json::from_slice(&bytes) {
                Ok(known) => Some(known),
                Err(error) => {
                    tracing::debug!("ignoring the unreadable era cache: {error}");
                    None
                }
            })
            .unwrap_or_default();
        Eras {
            file,
            known: Mutex::new(known),
        }
    }

    pub(super) fn get(&self, server: &str, target: &str) -> Option<Era> {
        let known = self.known.lock().expect("eras");
        known
            .get(server)
            .filter(|k| k.target == target)
            .map(|k| k.era)
    }

    /// Remembers `era` for the server, writing the file when it changed.
    pub(super) fn record(&self, server: &str, target: &str, era: Era) {
        let entry = Known {
            target: target.to_owned(),
            era,
        };
        let mut known = self.known.lock().expect("eras");
        if known.get(server) == Some(&entry) {
            return;
        }
        known.insert(server.to_owned(), entry);
        self.save(&known);
    }

    /// Forgets the server (its remembered lifecycle failed).
    pub(super) fn forget(&self, server: &str) {
        let mut known = self.known.lock().expect("eras");
        if known.remove(server).is_some() {
            self.save(&known);
        }
    }

    /// Writes through a temporary file, so concurrent runs never read half
    /// a file; a failure only costs the next run a probe.
    fn save(&self, known: &BTreeMap<String, Known>) {
        let Some(path) = &self.file else { return };
        if let Err(error) = crate::files::json_file::replace(path, known, false) {
            tracing::debug!(path = %path.display(), "could not save the era cache: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras_survive_a_restart_and_a_moved_server_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cache/eras.json");
        let eras = Eras::load(Some(file.clone()));
        assert_eq!(eras.get("git", "stdio uvx mcp-server-git"), None);
        eras.record("git", "stdio uvx mcp-server-git", Era::Legacy);
        eras.record("hosted", "http https://example.com/mcp", Era::Modern);

        let again = Eras::load(Some(file.clone()));
        assert_eq!(
            again.get("git", "stdio uvx mcp-server-git"),
            Some(Era::Legacy)
        );
        assert_eq!(
            again.get("hosted", "http https://example.com/mcp"),
            Some(Era::Modern)
        );
        assert_eq!(again.get("hosted", "http https://example.org/mcp"), None);

        again.forget("git");
        assert_eq!(
            Eras::load(Some(file)).get("git", "stdio uvx mcp-server-git"),
            None
        );
    }

    #[test]
    fn a_damaged_cache_is_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("eras.json");
        std::fs::write(&file, b"{\"git\": 7, \"x\": [").unwrap();
        let eras = Eras::load(Some(file.clone()));
        assert_eq!(eras.get("git", "stdio git"), None);
        eras.record("git", "stdio git", Era::Modern);
        assert_eq!(
            Eras::load(Some(file)).get("git", "stdio git"),
            Some(Era::Modern)
        );
    }

    #[test]
    fn a_target_keeps_no_secret_but_tells_keys_apart() {
        let http = |url: &str| {
            ServerSpec::new(
                "hosted",
                Transport::Http {
                    url: url.into(),
                    headers: vec![],
                    sse_fallback: false,
                },
            )
        };
        let one = target_of(&http("https://u:pw-1@example.com/mcp?api_key=k-1")).unwrap();
        let two = target_of(&http("https://u:pw-1@example.com/mcp?api_key=k-2")).unwrap();
        assert!(
            one.starts_with("http https://[redacted]@example.com/mcp?api_key=[redacted] #"),
            "{one}"
        );
        assert!(!one.contains("pw-1") && !one.contains("k-1"), "{one}");
        assert_ne!(one, two);
    }

    #[test]
    fn the_era_follows_the_handshake() {
        assert_eq!(Era::of(&ProtocolVersion::V_2026_07_28), Era::Modern);
        assert_eq!(Era::of(&ProtocolVersion::V_2025_06_18), Era::Legacy);
        assert!(matches!(
            Era::lifecycle(None),
            ClientLifecycleMode::Auto { .. }
        ));
        assert_eq!(
            Era::lifecycle(Some(Era::Legacy)),
            ClientLifecycleMode::Initialize
        );
    }
}
