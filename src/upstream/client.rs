//! Our side of an upstream connection (rmcp's `ClientHandler`): who we
//! are, and where the server's notifications and requests for a human go.

use std::sync::Arc;

use rmcp::RoleClient;
use rmcp::handler::client::progress::ProgressDispatcher;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::RunningService;

use super::changes::Changes;
use super::human::{self, Human, NoHuman};

pub(super) type Client = RunningService<RoleClient, UpstreamClient>;

/// What the connections report to: tool-list changes, and an upstream's
/// requests for a human (see [`human`]).
#[derive(Clone)]
pub struct Hooks {
    pub changes: Option<Changes>,
    pub human: Arc<dyn Human>,
}

impl Hooks {
    /// For commands whose calls have no one to ask, saying why.
    pub fn unattended(why: &str) -> Hooks {
        Hooks {
            changes: None,
            human: NoHuman::shared(why),
        }
    }
}

/// Our side of an upstream connection: who we are, and where to report
/// `notifications/tools/list_changed`.
#[derive(Clone)]
pub struct UpstreamClient {
    pub(super) server: String,
    pub(super) changes: Option<Changes>,
    pub(super) human: Arc<dyn Human>,
    /// Progress of calls passed through for our clients, by our token.
    pub(super) progress: ProgressDispatcher,
}

// Sampling, roots and logging are deprecated (SEP-2577) but still used.
#[allow(deprecated)]
impl rmcp::ClientHandler for UpstreamClient {
    fn get_info(&self) -> ClientConfig {
        // Requests for a human always have an answer (see [`human`]), so a
        // server may make them, and gets a reason when nobody is there.
        let capabilities = ClientCapabilities::builder()
            .enable_elicitation()
            .enable_sampling()
            .enable_roots()
            .build();
        // The version offered in `initialize`; 2026-07-28 servers are found
        // by `server/discover` instead (see [`era`]).
        ClientConfig::new(
            capabilities,
            Implementation::new("codemode", env!("CARGO_PKG_VERSION")),
        )
        .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
    }

    async fn create_elicitation(
        &self,
        request: rmcp::model::ElicitRequestParams,
        context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::ElicitResult, rmcp::ErrorData> {
        let human = human::asked(&self.human, &self.server, &context).await;
        human.elicit(&self.server, request).await
    }

    async fn create_message(
        &self,
        request: rmcp::model::CreateMessageRequestParams,
        context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::CreateMessageResult, rmcp::ErrorData> {
        let human = human::asked(&self.human, &self.server, &context).await;
        human.sample(&self.server, request).await
    }

    async fn list_roots(
        &self,
        context: rmcp::service::RequestContext<RoleClient>,
    ) -> Result<rmcp::model::ListRootsResult, rmcp::ErrorData> {
        let human = human::asked(&self.human, &self.server, &context).await;
        human.roots(&self.server).await
    }

    async fn on_logging_message(
        &self,
        message: rmcp::model::LoggingMessageNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.human.log(&self.server, message).await;
    }

    async fn on_resource_updated(
        &self,
        update: rmcp::model::ResourceUpdatedNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.human.resource_updated(&self.server, update).await;
    }

    async fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.progress.handle_notification(params).await;
    }

    async fn on_tool_list_changed(&self, _context: rmcp::service::NotificationContext<RoleClient>) {
        tracing::debug!(server = %self.server, "the server's tool list changed");
        if let Some(changes) = &self.changes {
            changes.mark(&self.server);
        }
    }
}
