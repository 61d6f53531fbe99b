//! Tool-list changes: upstreams mark them here, coalesced by server, and
//! a 2026-07-28 server's are watched on a `subscriptions/listen` stream.

use std::time::Duration;

use rmcp::service::ServiceError;

use super::Era;
use super::client::Client;

/// Where upstreams report that their tool list changed (by server name).
pub type Changes = std::sync::Arc<ChangedServers>;

/// The servers whose tool lists changed since someone last looked. A server
/// that sends 20,000 `list_changed` notifications is one entry here, so the
/// tools are listed again once, not 20,000 times.
#[derive(Default)]
pub struct ChangedServers {
    pending: std::sync::Mutex<std::collections::BTreeSet<String>>,
    notify: tokio::sync::Notify,
}

impl ChangedServers {
    pub fn mark(&self, server: &str) {
        let mut pending = self.pending.lock().expect("changed servers");
        if !pending.contains(server) {
            pending.insert(server.to_owned());
        }
        self.notify.notify_one();
    }

    /// The servers changed so far, without waiting.
    pub fn next_now(&self) -> std::collections::BTreeSet<String> {
        std::mem::take(&mut *self.pending.lock().expect("changed servers"))
    }

    /// Waits until some server changed, then takes them all.
    pub async fn next(&self) -> std::collections::BTreeSet<String> {
        loop {
            let taken = self.next_now();
            if !taken.is_empty() {
                return taken;
            }
            self.notify.notified().await;
        }
    }
}

/// A 2026-07-28 server tells of tool-list changes only on a
/// `subscriptions/listen` stream: hold one open (opening it again when it
/// ends while the connection lives) and report changes to `changes`.
pub(super) fn watch_tool_changes(
    client: &Client,
    server: &str,
    changes: Changes,
) -> Option<tokio::task::JoinHandle<()>> {
    let peer = client.peer().clone();
    let info = peer.peer_info()?;
    let announces = info
        .capabilities
        .tools
        .as_ref()
        .is_some_and(|tools| tools.list_changed == Some(true));
    if Era::of(&info.protocol_version) != Era::Modern || !announces {
        return None;
    }
    let server = server.to_owned();
    Some(tokio::spawn(async move {
        let mut pause = Duration::from_millis(500);
        while !peer.is_transport_closed() {
            let filter = rmcp::model::SubscriptionFilter::builder()
                .tools_list_changed()
                .build();
            match peer.listen(filter).await {
                Ok(mut subscription) => {
                    pause = Duration::from_millis(500);
                    while let Ok(Some(notification)) = subscription.next().await {
                        if matches!(
                            notification,
                            rmcp::model::ServerNotification::ToolListChangedNotification(_)
                        ) {
                            tracing::debug!(%server, "the server's tool list changed");
                            changes.mark(&server);
                        }
                    }
                }
                // It answered: it does not support subscriptions after all.
                Err(ServiceError::McpError(error)) => {
                    tracing::warn!(%server, "the server announces tool-list changes but refused subscriptions/listen: {}", error.message);
                    return;
                }
                Err(error) => tracing::debug!(%server, "subscriptions/listen failed: {error}"),
            }
            // Changes made while no stream was open would be missed.
            changes.mark(&server);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(30));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flood_of_changes_is_one_change_per_server() {
        let changes = Changes::default();
        for _ in 0..20_000 {
            changes.mark("noisy");
        }
        changes.mark("other");
        let taken = changes.next().await;
        assert_eq!(taken.into_iter().collect::<Vec<_>>(), ["noisy", "other"]);
        assert!(changes.next_now().is_empty());
        // A change after the last look wakes the next wait.
        let waiting = tokio::spawn({
            let changes = changes.clone();
            async move { changes.next().await }
        });
        tokio::task::yield_now().await;
        changes.mark("noisy");
        assert_eq!(waiting.await.unwrap().len(), 1);
    }
}
