//! The servers a command got: each connected (or loaded) upstream, its
//! tools, what it says of itself, and how to reach it again.

use std::collections::HashMap;
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::ServerCapabilities;
use serde_json::Value;
use tokio::process::Child;

use super::client::{Client, Hooks};
use super::connect::{ServeInProcess, connect, list_tools_within};
use super::error::{UnavailableServer, UpstreamError};
use super::stdio::OutputTail;
use super::tap::ToolListTap;
use super::{Era, redact};
use crate::files::config::ServerSpec;

/// A connected (or loaded) upstream server and its tools.
pub struct Upstream {
    pub name: String,
    /// Each tool's JSON as the server sent it (see [`tap`]).
    pub tools: Vec<Value>,
    /// `None` for tools files, which have nothing to call.
    pub(super) client: Option<Client>,
    /// Kept so the child lives as long as the connection, and dies with it.
    pub(super) _child: Option<Child>,
    /// How it was reached, to reach it again.
    pub(super) spec: ServerSpec,
    /// What served it, for [`Transport::Demo`](crate::files::config::Transport::Demo).
    pub(super) demo: Option<ServeInProcess>,
    pub(super) tap: Option<ToolListTap>,
    pub(super) stderr: OutputTail,
    /// A 2026-07-28 server's `subscriptions/listen` stream, which carries
    /// its tool-list changes; ended with the connection.
    pub(super) watch: Option<tokio::task::JoinHandle<()>>,
}

/// Everything a command got from its server selection.
pub struct Upstreams {
    pub connected: Vec<Upstream>,
    pub failures: Vec<UnavailableServer>,
}

impl Upstreams {
    /// `(server name, raw tools)` pairs, in selection order, for typegen.
    pub fn tool_lists(&self) -> Vec<(String, Vec<Value>)> {
        self.connected
            .iter()
            .map(|u| (u.name.clone(), u.tools.clone()))
            .collect()
    }

    /// What each server says it is for, in one line, by server name: its
    /// `serverInfo.description`, else the first sentence of its
    /// instructions. Servers that say nothing are left out.
    pub fn summaries(&self) -> HashMap<String, String> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.summary()?)))
            .collect()
    }

    /// What each server said of itself when it was initialized, by server
    /// name: `{"serverInfo": {...}, "instructions": "..."}`. Tools files
    /// say nothing and are left out.
    pub fn introductions(&self) -> HashMap<String, Value> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.introduction()?)))
            .collect()
    }

    /// Handles for calling tools, by server name; tools files have none.
    pub fn peers(&self) -> HashMap<String, rmcp::Peer<RoleClient>> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.client.as_ref()?.peer().clone())))
            .collect()
    }

    /// What a passthrough call needs of each connected server: its handle,
    /// where its progress notifications arrive, and what it offers.
    pub fn reach(
        &self,
    ) -> HashMap<
        String,
        (
            rmcp::Peer<RoleClient>,
            ProgressDispatcher,
            ServerCapabilities,
        ),
    > {
        self.connected
            .iter()
            .filter_map(|u| {
                let client = u.client.as_ref()?;
                let capabilities = client
                    .peer()
                    .peer_info()
                    .map(|info| info.capabilities.clone())
                    .unwrap_or_default();
                Some((
                    u.name.clone(),
                    (
                        client.peer().clone(),
                        client.service().progress.clone(),
                        capabilities,
                    ),
                ))
            })
            .collect()
    }

    /// Each server's own time-out for a tool call, where its config gives one.
    pub fn call_timeouts(&self) -> HashMap<String, Duration> {
        self.connected
            .iter()
            .filter_map(|u| Some((u.name.clone(), u.spec.timeouts.call?)))
            .collect()
    }

    pub fn get_mut(&mut self, server: &str) -> Option<&mut Upstream> {
        self.connected.iter_mut().find(|u| u.name == server)
    }

    /// Closes every connection; stdio children see EOF and exit.
    pub async fn shutdown(self) {
        futures::future::join_all(self.connected.into_iter().map(Upstream::shutdown)).await;
    }
}

impl Upstream {
    /// The lifecycle the server speaks; `None` for tools files.
    pub fn era(&self) -> Option<Era> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        Some(Era::of(&info.protocol_version))
    }

    /// What the server says it is for, in one line (see [`Upstreams::summaries`]).
    fn summary(&self) -> Option<String> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        let said = info
            .server_info
            .as_ref()
            .and_then(|server| server.description.as_deref())
            .or(info.instructions.as_deref())?;
        one_line_summary(said)
    }

    /// What the server said of itself (see [`Upstreams::introductions`]).
    fn introduction(&self) -> Option<Value> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        let mut said = serde_json::Map::new();
        if let Some(server) = &info.server_info {
            said.insert(
                "serverInfo".to_owned(),
                serde_json::to_value(server).unwrap_or_default(),
            );
        }
        if let Some(instructions) = &info.instructions {
            said.insert(
                "instructions".to_owned(),
                Value::from(instructions.as_str()),
            );
        }
        Some(Value::Object(said))
    }

    /// The protocol version agreed with the server; `None` for tools files.
    pub fn protocol_version(&self) -> Option<String> {
        let info = self.client.as_ref()?.peer().peer_info()?;
        Some(info.protocol_version.to_string())
    }

    /// Whether the connection has ended (the server exited or hung up).
    pub fn is_closed(&self) -> bool {
        self.client
            .as_ref()
            .is_some_and(|client| client.peer().is_transport_closed())
    }

    /// Lists the tools again (after the server said they changed).
    pub async fn relist(&mut self, timeout: Duration) -> Result<(), UpstreamError> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        self.tools = list_tools_within(client, self.tap.as_ref(), &self.stderr, timeout)
            .await
            .map_err(UpstreamError::redacted)?;
        Ok(())
    }

    /// Connects again from scratch (a new child process for stdio servers).
    pub async fn reconnect(
        &mut self,
        timeout: Duration,
        hooks: Hooks,
    ) -> Result<(), UpstreamError> {
        redact::protect(&self.spec);
        let fresh = connect(self.spec.clone(), timeout, hooks, self.demo)
            .await
            .map_err(UpstreamError::redacted)?;
        let old = std::mem::replace(self, fresh);
        old.shutdown().await;
        Ok(())
    }

    async fn shutdown(self) {
        if let Some(watch) = &self.watch {
            watch.abort();
        }
        if let Some(client) = self.client
            && let Err(error) = client.cancel().await
        {
            tracing::debug!(server = %self.name, "closing the connection: {error}");
        }
    }
}

/// The longest summary a server gets in the prompt: a line, not a manual.
const MAX_SUMMARY_CHARS: usize = 120;

/// The first sentence or line of what a server says of itself, on one line
/// and cut to [`MAX_SUMMARY_CHARS`]; `None` when nothing is left.
fn one_line_summary(said: &str) -> Option<String> {
    let first = said.trim_start().lines().next().unwrap_or("");
    let sentence = match first.find(". ") {
        Some(end) => &first[..=end],
        None => first,
    };
    let words: Vec<&str> = sentence
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let line = words.join(" ");
    if line.is_empty() {
        return None;
    }
    Some(match line.char_indices().nth(MAX_SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_is_the_first_sentence_on_one_line_and_short() {
        assert_eq!(
            one_line_summary(
                "  Git tools for\tlocal repositories. Use them to read history.\nMore."
            )
            .as_deref(),
            Some("Git tools for local repositories.")
        );
        assert_eq!(
            one_line_summary("Release notes v1.2 are here").as_deref(),
            Some("Release notes v1.2 are here")
        );
        assert_eq!(one_line_summary(" \n\u{7}"), None);
        let long = one_line_summary(&"word ".repeat(100)).unwrap();
        assert!(long.chars().count() <= MAX_SUMMARY_CHARS + 1, "{long}");
        assert!(long.ends_with("word…"), "{long}");
    }
}
