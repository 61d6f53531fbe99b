//! `codemode serve`'s wiring: the upstreams connected, and the server built over them.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::ServeSettings;
use crate::cli::limits;
use crate::cli::open::{api_for, open};
use crate::engine::executor::Executor;
use crate::governance::approval;
use crate::governance::policy::Reason;
use crate::server::sessions::SealedSessions;
use crate::server::{
    Admission, Build, Callers, CodeModeServer, Exposed, Live, OWN_TOOLS, Snapshot, Trace, supervise,
};
use crate::upstream::{self, Changes, Hooks, Upstreams};
use codemode_sandbox as sandbox;

/// The server, wired to its upstreams and not yet serving.
pub(super) struct Wired {
    pub(super) server: CodeModeServer,
    /// Over HTTP, the keeper of legacy session ids.
    pub(super) sessions: Option<Arc<SealedSessions>>,
    /// The upstreams' supervisor, which hands them back once told to stop.
    pub(super) supervisor: JoinHandle<Upstreams>,
    pub(super) stop: oneshot::Sender<()>,
    /// The longest request read, in bytes.
    pub(super) max_request: usize,
}

/// Connects the upstreams and builds the server over them: each API
/// generation's policy, types and executor, the supervisor that rebuilds
/// them, admission and the trace.
pub(super) async fn wire(settings: &ServeSettings) -> anyhow::Result<Wired> {
    // Over HTTP, the key that seals legacy session ids, checked before
    // anything starts; stdio has no session ids.
    let sessions = match &settings.http {
        Some(http) => {
            let key = http.session_key_file.as_deref();
            Some(Arc::new(SealedSessions::new(key)?))
        }
        None => None,
    };
    sandbox::isolate::warm_up();
    let changes = Changes::default();
    let secrets: Vec<&str> = settings.secrets.iter().map(String::as_str).collect();
    // An upstream's requests for a human go to the client whose call it serves.
    let callers = Arc::new(Callers::default());
    let hooks = Hooks {
        changes: Some(changes.clone()),
        human: callers.clone(),
    };
    let opened = open(&settings.servers, hooks.clone(), &secrets).await?;
    let execution = limits::resolve(&settings.limits, &opened.settings);
    let (policy, disclosure, expose) = (opened.policy, settings.disclosure, settings.expose_tools);
    let shapes = opened.shapes.clone();
    let learned = opened.shapes.clone();
    let budget = settings.prompt_budget;
    let human: Arc<dyn upstream::Human> = callers.clone();
    let withholding = callers.clone();
    // Each execution asks its own client (see server::approval).
    let default_approver = approval::NoOne::shared("no client to ask");
    let approval_timeout = settings.servers.approval_timeout;
    let recording = settings.trace.trace_results;
    // Each API generation (at start, after a tool-list change or a restart)
    // is built the same way: policy, types, a fresh executor.
    let build: Build = Arc::new(move |upstreams: &Upstreams| {
        let (api, refusals, approvals) = api_for(&policy, upstreams, &shapes);
        // What the model reads of policy, and what a person is asked through
        // its client, name no flag of codemode's.
        let (refusals, approvals) = (
            refusals.worded(Reason::plain),
            approvals.worded(Reason::plain),
        );
        withholding.withhold(refusals.withheld().map(str::to_owned));
        let mode = disclosure.resolve(&api, budget);
        tracing::info!(
            ?mode,
            tools = api
                .namespaces()
                .iter()
                .map(|n| n.functions().len())
                .sum::<usize>(),
            "API ready"
        );
        let exposed = expose.then(|| {
            Exposed::new(&api, upstreams, &OWN_TOOLS, &approvals, &refusals)
                .tracked_by(withholding.clone())
        });
        let mut executor = Executor::new(api.clone(), upstreams.peers(), execution)
            .with_refusals(refusals)
            .approving(approvals, default_approver.clone(), approval_timeout)
            .with_call_timeouts(upstreams.call_timeouts())
            .asking(human.clone())
            .learning(shapes.clone());
        if recording {
            executor = executor.recording();
        }
        Snapshot::new(api, mode, executor).exposing(exposed)
    });
    let live = Live::new(build(&opened.upstreams));
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let supervisor = tokio::spawn(supervise(
        opened.upstreams,
        changes,
        hooks,
        live.clone(),
        build,
        settings.servers.init_timeout,
        stopped,
    ));

    let admission = Admission::new(settings.max_running, settings.queue, settings.queue_timeout);
    let trace = settings
        .trace
        .trace_file
        .as_deref()
        .map(Trace::open)
        .transpose()?;
    let server = CodeModeServer::new(live, execution.limits, admission, trace)
        .asking(callers)
        .learning(learned);
    // A program's text, escaped in JSON (at worst six bytes a character),
    // plus the request around it.
    let max_request = execution.max_program_bytes * 6 + (64 << 10);
    Ok(Wired {
        server,
        sessions,
        supervisor,
        stop,
        max_request,
    })
}
