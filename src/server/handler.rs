//! The MCP methods (rmcp's `ServerHandler`): each request routed to
//! codemode's own tools or to the exposed upstreams.

// Logging (SEP-2577) and `resources/subscribe` are deprecated, and forwarded
// for upstreams that still use them.
#[allow(deprecated)]
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CancelTaskRequest, ClientRequest,
    CompleteRequestMethod, CompleteRequestParams, CompleteResult, CustomRequest, CustomResult,
    ErrorCode, GetPromptRequestMethod, GetPromptRequestParams, GetPromptResponse, GetTaskParams,
    GetTaskRequest, GetTaskResult, Implementation, ListPromptsRequestMethod, ListPromptsResult,
    ListResourceTemplatesRequestMethod, ListResourceTemplatesResult, ListResourcesRequestMethod,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestMethod,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    ServerNotification, ServerResult, SetLevelRequestMethod, SetLevelRequestParams,
    SubscribeRequestMethod, SubscribeRequestParams, SubscriptionFilter,
    ToolListChangedNotification, UnsubscribeRequestMethod, UnsubscribeRequestParams,
    UpdateTaskParams, UpdateTaskRequest,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use super::forwarded::{InFlight, while_asked};
use super::lookup::{get_api, search_api};
use super::tasks::Holder;
use super::{CodeModeServer, Exposed, held, stdio};

#[allow(deprecated)]
impl ServerHandler for CodeModeServer {
    fn get_info(&self) -> ServerConfig {
        let offers = self
            .live
            .current()
            .exposed
            .as_ref()
            .map(Exposed::offers)
            .unwrap_or_default();
        // Tasks (SEP-2663): a long `execute` becomes one, and an exposed
        // upstream's tasks are polled through codemode.
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_tasks()
            .build();
        // Declared only when an exposed upstream offers them: the rest is
        // answered as unknown.
        if offers.prompts {
            capabilities.prompts = Some(Default::default());
        }
        if offers.resources {
            let mut resources = rmcp::model::ResourcesCapability::default();
            resources.subscribe = offers.subscriptions.then_some(true);
            capabilities.resources = Some(resources);
        }
        if offers.completions {
            capabilities.completions = Some(Default::default());
        }
        if offers.logging {
            capabilities.logging = Some(Default::default());
        }
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("codemode", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Call `execute` with a TypeScript program that uses the API in its description; only the program's result comes back.",
            )
    }

    // Prompts, resources and completions are the exposed upstreams'; without
    // them, what a client asks for is answered as unknown rather than with
    // an empty list that says otherwise.
    async fn list_prompts(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().prompts => exposed.list_prompts().await,
            _ => Err(ErrorData::method_not_found::<ListPromptsRequestMethod>()),
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().prompts => {
                let passed = self.pass_prompt(snapshot.clone(), request, context.clone());
                while_asked(&context, &self.forwarded, passed).await
            }
            _ => Err(ErrorData::method_not_found::<GetPromptRequestMethod>()),
        }
    }

    async fn list_resources(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().resources => exposed.list_resources().await,
            _ => Err(ErrorData::method_not_found::<ListResourcesRequestMethod>()),
        }
    }

    async fn list_resource_templates(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().resources => exposed.list_resource_templates().await,
            _ => Err(ErrorData::method_not_found::<
                ListResourceTemplatesRequestMethod,
            >()),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().resources => {
                while_asked(&context, &self.forwarded, exposed.read_resource(request)).await
            }
            _ => Err(ErrorData::method_not_found::<ReadResourceRequestMethod>()),
        }
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().logging => exposed.set_level(request).await,
            _ => Err(ErrorData::method_not_found::<SetLevelRequestMethod>()),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().subscriptions => {
                let uri = request.uri.clone();
                exposed.subscribe(request, self.callers.clone()).await?;
                self.callers.subscribe(&uri, context.peer);
                Ok(())
            }
            _ => Err(ErrorData::method_not_found::<SubscribeRequestMethod>()),
        }
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().subscriptions => {
                // The upstream keeps it while another client still has it.
                if !self.callers.unsubscribe(&request.uri, &context.peer) {
                    exposed.unsubscribe(request).await?;
                }
                Ok(())
            }
            _ => Err(ErrorData::method_not_found::<UnsubscribeRequestMethod>()),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let snapshot = self.live.current();
        match snapshot.exposed.as_ref() {
            Some(exposed) if exposed.offers().completions => {
                while_asked(&context, &self.forwarded, exposed.complete(request)).await
            }
            _ => Err(ErrorData::method_not_found::<CompleteRequestMethod>()),
        }
    }

    /// 2026-07-28 clients learn of API changes by `subscriptions/listen`:
    /// tool-list changes are all codemode has to tell.
    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        if context.accepted().tools_list_changed != Some(true) {
            // Nothing the client asked for can happen; hold the request
            // until it goes, as the specification has it.
            context.cancelled().await;
            return Ok(());
        }
        let mut changes = self.live.watch_tools();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    let notification = ServerNotification::ToolListChangedNotification(
                        ToolListChangedNotification::default(),
                    );
                    if let Err(error) = context.sink().send(notification).await {
                        tracing::debug!("a subscription ended: {error}");
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn on_initialized(&self, context: rmcp::service::NotificationContext<RoleServer>) {
        self.live.add_client(context.peer);
    }

    /// A request `stdio::ClientInput` could not pass on gets its error here.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        if request.method != stdio::UNREADABLE {
            return Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                request.method,
                None,
            ));
        }
        let problem = request
            .params
            .as_ref()
            .and_then(|p| p.get("problem"))
            .and_then(Value::as_str)
            .unwrap_or("the request could not be read");
        Err(ErrorData::new(
            ErrorCode::INVALID_REQUEST,
            problem.to_owned(),
            None,
        ))
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let task = request.task_id.clone();
        match self.tasks.holder(&task)? {
            Holder::Codemode => self.tasks.own().get_task(&task).map(GetTaskResult::new),
            Holder::Upstream { server, theirs } => {
                let mut request = request;
                request.task_id = theirs;
                let get = ClientRequest::GetTaskRequest(GetTaskRequest::new(request));
                match self.forward_task(&server, get, &context).await? {
                    ServerResult::GetTaskResult(mut result) => {
                        // The client knows it by codemode's id.
                        result.task.task.task_id = task;
                        Ok(result)
                    }
                    _ => Err(unexpected_answer(&server)),
                }
            }
        }
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let task = request.task_id.clone();
        match self.tasks.holder(&task)? {
            Holder::Codemode => self.tasks.own().update_task(&task, request.input_responses),
            Holder::Upstream { server, theirs } => {
                let mut request = request;
                request.task_id = theirs;
                let update = ClientRequest::UpdateTaskRequest(UpdateTaskRequest::new(request));
                self.forward_task(&server, update, &context).await.map(drop)
            }
        }
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let task = request.task_id.clone();
        match self.tasks.holder(&task)? {
            Holder::Codemode => self.tasks.own().cancel_task(&task),
            Holder::Upstream { server, theirs } => {
                let mut request = request;
                request.task_id = theirs;
                let cancel = ClientRequest::CancelTaskRequest(CancelTaskRequest::new(request));
                self.forward_task(&server, cancel, &context).await.map(drop)
            }
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.live.current().tools.clone(),
        ))
    }

    /// A call made in an HTTP session stops when the session ends (the
    /// client's DELETE, idle expiry), as if the client had cancelled it.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        mut context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(session_ended) = held::session_end(&context) else {
            return self.call_tool_now(request, context).await;
        };
        let cancelled = context.ct.child_token();
        context.ct = cancelled.clone();
        let call = self.call_tool_now(request, context);
        tokio::pin!(call);
        tokio::select! {
            result = &mut call => result,
            () = session_ended.cancelled() => {
                cancelled.cancel();
                call.await
            }
        }
    }
}

impl CodeModeServer {
    async fn call_tool_now(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.clone().unwrap_or_default();
        let snapshot = self.live.current();
        let search = snapshot.mode.looks_up();
        let result = match &*request.name {
            "execute" => return self.execute(&request, &context).await,
            "search_api" if search => self.discover(args, search_api).await?,
            "get_api" if search => self.discover(args, get_api).await?,
            other if snapshot.exposed.as_ref().is_some_and(|e| e.has_tool(other)) => {
                let exposed = snapshot.exposed.as_ref().expect("checked above");
                let server = exposed.server_of(other).unwrap_or_default().to_owned();
                let mut request = request;
                request.arguments = Some(args);
                let _in_flight = InFlight::new(&self.forwarded);
                let mut passed = self.pass_call(snapshot.clone(), request, context).await;
                if let Ok(CallToolResponse::Task(created)) = &mut passed {
                    self.tasks.held_by(&mut created.task, &server)?;
                }
                return passed;
            }
            other => {
                let names: Vec<String> =
                    snapshot.tools.iter().map(|t| t.name.to_string()).collect();
                return Err(ErrorData::invalid_params(
                    format!("no tool {other}; this server has {}", names.join(", ")),
                    None,
                ));
            }
        };
        Ok(CallToolResponse::Complete(result))
    }
}

impl CodeModeServer {
    /// Sends a `tasks/*` request to the exposed upstream `server`, which
    /// holds the task.
    async fn forward_task(
        &self,
        server: &str,
        request: ClientRequest,
        context: &RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        let snapshot = self.live.current();
        let exposed = snapshot.exposed.as_ref().ok_or_else(|| {
            ErrorData::invalid_params(
                format!("the {server} server that holds this task is no longer exposed"),
                None,
            )
        })?;
        exposed.forward(server, request, context).await
    }
}

fn unexpected_answer(server: &str) -> ErrorData {
    ErrorData::internal_error(
        format!("the {server} server answered a tasks request with something else"),
        None,
    )
}
