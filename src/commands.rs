//! What each command does, over the connected servers.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use codemode_typegen::Api;
use serde_json::{Value, json};

use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;

use crate::approval::{self, Approver};
use crate::cli::{
    LimitArgs, LoginArgs, LogoutArgs, PinArgs, ReplayArgs, RunArgs, SavingsArgs, ServeArgs,
    ServerArgs, ShapesArgs, ToolsArgs, TypesArgs,
};
use crate::config::{self, Transport};
use crate::executor::{Executor, Settings};
use crate::json_file::{self, Bounded};
use crate::pins::{self, Pins, Standing};
use crate::policy::{Approvals, Policy, Refusals, Unmatched};
use crate::sandbox;
use crate::sandbox::Limits;
use crate::sandbox::bounds;
use crate::savings;
use crate::server::http::{self, HttpOptions};
use crate::server::stdio::client_input;
use crate::server::{
    Admission, Build, Callers, CodeModeServer, Exposed, Live, OWN_TOOLS, Snapshot, Trace, supervise,
};
use crate::shapes::{Shapes, definition_hash};
use crate::upstream::oauth::TokenFile;
use crate::upstream::{self, Changes, Hooks, Upstreams};

/// The connected servers, with the settings and policy that came with them.
struct Opened {
    upstreams: Upstreams,
    settings: config::Settings,
    policy: Policy,
    shapes: Arc<Shapes>,
}

impl Opened {
    /// The API the model sees (policy applied), what policy left out, and
    /// what needs approval.
    fn api(&self) -> (Api, Refusals, Approvals) {
        api_for(&self.policy, &self.upstreams, &self.shapes)
    }
}

/// The upstreams' tools with policy applied, as the model's API, with the
/// result types learned for tools that declare none (under pins, as pinned).
fn api_for(policy: &Policy, upstreams: &Upstreams, shapes: &Shapes) -> (Api, Refusals, Approvals) {
    let (lists, refusals) = policy.apply(upstreams.tool_lists(), &upstreams.introductions());
    let approvals = policy.approvals(&lists);
    // What a server says of itself is shown only beside tools policy keeps:
    // when its pinned description or instructions changed, none are kept.
    let mut summaries = upstreams.summaries();
    summaries.retain(|server, _| {
        lists
            .iter()
            .any(|(s, tools)| s == server && !tools.is_empty())
    });
    let api = Api::new(lists)
        .observing(|server, function| {
            let now = shapes.get(server, function.tool(), &definition_hash(function.raw()));
            // `--shapes none` shows no learned type, pinned or not.
            shapes
                .learns()
                .then(|| policy.learned_type(server, function.tool(), now))
                .flatten()
        })
        .describing(|server| summaries.get(server).cloned());
    (api, refusals, approvals)
}

/// Keeps what a run learned; a failure costs only relearning.
fn save_shapes(shapes: &Shapes) {
    if let Err(error) = shapes.save() {
        tracing::warn!(
            "could not save the learned result types to {}: {error}",
            shapes
                .file()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
}

/// Connects to the selected servers, warning about each one that fails;
/// an error only when none can be used. Stdio servers do not see the
/// variables named in `secrets`.
async fn open(args: &ServerArgs, hooks: Hooks, secrets: &[&str]) -> anyhow::Result<Opened> {
    let mut selection = config::select(&args.sources())?;
    for spec in &mut selection.servers {
        for var in secrets {
            spec.hide_env(var);
        }
    }
    for warning in &selection.warnings {
        eprintln!("warning: {warning}");
    }
    let pins = args.pins.as_deref().map(Pins::load).transpose()?;
    let policy = Policy::new(&args.allow, &args.deny, args.read_only, &selection.policies)?
        .asking(&args.ask, args.ask_destructive)?
        .pinned(pins.clone());
    if selection.demo {
        eprintln!(
            "note: no servers given (--config, --url, --tools-file or -- CMD); using the built-in demo issue tracker"
        );
    }
    if selection.servers.is_empty() {
        bail!("the config file enables no servers; remove \"disabled\": true from one, or add one");
    }
    let total = selection.servers.len();
    let shapes =
        Shapes::load(args.shapes.clone().or_else(Shapes::default_file)).serving(&selection.servers);
    // The built-in demo, which the selection names when nothing else was given.
    let demo = Some(crate::demo::serve_in_process as upstream::ServeInProcess);
    let upstreams =
        upstream::connect_all_watched(selection.servers, args.init_timeout, hooks, demo).await;
    for failure in &upstreams.failures {
        eprint!("{}", crate::diagnostics::unavailable(failure));
    }
    if upstreams.connected.is_empty() {
        bail!("none of the {total} server(s) could be used; see the warnings above");
    }
    if let Err(error) = check_patterns(&policy, &upstreams) {
        upstreams.shutdown().await;
        return Err(error);
    }
    if let (Some(pins), Some(path)) = (&pins, &args.pins) {
        warn_unpinned(pins, path, &upstreams, &shapes);
    }
    Ok(Opened {
        upstreams,
        settings: selection.settings,
        policy,
        shapes: Arc::new(shapes),
    })
}

/// A deny or ask pattern that matches no tool would let the calls it was
/// meant to stop go out: an error, unless it may be meant for a server
/// that is unavailable now (then a warning; it applies once it connects).
fn check_patterns(policy: &Policy, upstreams: &Upstreams) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    for unmatched in policy.unmatched(&upstreams.tool_lists()) {
        let absent = upstreams.failures.iter().find(|failure| {
            unmatched.server.is_none()
                && crate::policy::may_name_server(&unmatched.pattern, &failure.server)
        });
        match absent {
            Some(failure) => eprintln!(
                "warning: {}; it may be meant for server \"{}\", which is unavailable",
                // The connected servers' names are not what it meant.
                Unmatched {
                    closest: Vec::new(),
                    ..unmatched.clone()
                },
                failure.server
            ),
            None => errors.push(unmatched.to_string()),
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    bail!(
        "{}; deny and ask patterns are globs over SERVER.TOOL (a server's own lists in the config: over TOOL), where SERVER is the server's name or its namespace and TOOL the tool's name or its TypeScript name, as `codemode tools` lists them; fix the pattern or remove it",
        errors.join("; ")
    )
}

/// Names the tools `--pins` leaves out, and how to review them.
fn warn_unpinned(pins: &Pins, path: &Path, upstreams: &Upstreams, shapes: &Shapes) {
    let (lists, introductions) = (upstreams.tool_lists(), upstreams.introductions());
    warn_learned_unpinned(pins, path, &lists, shapes);
    let (mut changed, mut new) = (Vec::new(), Vec::new());
    for (server, _) in &lists {
        match pins.server_standing(server, introductions.get(server)) {
            Standing::Pinned => {}
            Standing::Changed { .. } => {
                changed.push(format!("{server} (its description or instructions)"))
            }
            // A server that says nothing (a tools file) has nothing pinned of itself.
            Standing::New if !introductions.contains_key(server) => {}
            Standing::New => new.push(format!("{server} (the server)")),
        }
    }
    for (server, name, standing) in pins.standings(&lists) {
        match standing {
            Standing::Pinned => {}
            Standing::Changed { .. } => changed.push(format!("{server}.{name}")),
            Standing::New => new.push(format!("{server}.{name}")),
        }
    }
    if changed.is_empty() && new.is_empty() {
        return;
    }
    let mut left_out = Vec::new();
    if !changed.is_empty() {
        left_out.push(format!("changed since pinned: {}", changed.join(", ")));
    }
    if !new.is_empty() {
        left_out.push(format!("not pinned: {}", new.join(", ")));
    }
    eprintln!(
        "warning: tools left out by the pins in {}: {}; review them with `codemode pin --check --pins {}` (with the same servers) and pin them with `codemode pin`",
        path.display(),
        left_out.join("; "),
        path.display()
    );
}

/// Names the pinned tools whose learned result type is not shown as
/// learned, since it was learned after pinning.
fn warn_learned_unpinned(
    pins: &Pins,
    path: &Path,
    lists: &[(String, Vec<Value>)],
    shapes: &Shapes,
) {
    if !shapes.learns() {
        return;
    }
    let learned = shapes.learned_types(lists);
    let (mut changed, mut new) = (Vec::new(), Vec::new());
    for (server, name, standing) in pins.standings(lists) {
        let Some(now) = learned.get(server).and_then(|tools| tools.get(name)) else {
            continue;
        };
        // A tool left out is warned about below, whatever its type.
        if standing != Standing::Pinned {
            continue;
        }
        match pins.learned_standing(server, name, now) {
            pins::LearnedStanding::Pinned => {}
            pins::LearnedStanding::Changed { .. } => changed.push(format!("{server}.{name}")),
            pins::LearnedStanding::New(_) => new.push(format!("{server}.{name}")),
        }
    }
    let mut shown = Vec::new();
    if !changed.is_empty() {
        shown.push(format!(
            "as pinned, not as learned since: {}",
            changed.join(", ")
        ));
    }
    if !new.is_empty() {
        shown.push(format!(
            "as declared, none being pinned: {}",
            new.join(", ")
        ));
    }
    if shown.is_empty() {
        return;
    }
    eprintln!(
        "warning: learned result types shown {}; review them with `codemode pin --check --pins {}` (with the same servers) and pin them with `codemode pin`",
        shown.join("; "),
        path.display()
    );
}

/// `codemode pin`: `Ok(false)` when `--check` finds the tools differ.
pub async fn pin(mut args: PinArgs) -> anyhow::Result<bool> {
    let path = args
        .servers
        .pins
        .take()
        .unwrap_or_else(|| PathBuf::from("codemode.pins.json"));
    let opened = open(&args.servers, Hooks::unattended("nothing is called"), &[]).await?;
    let introductions = opened.upstreams.introductions();
    let (lists, _) = opened
        .policy
        .apply(opened.upstreams.tool_lists(), &introductions);
    let learned = if opened.shapes.learns() {
        opened.shapes.learned_types(&lists)
    } else {
        pins::LearnedTypes::new()
    };
    opened.upstreams.shutdown().await;
    let old = match (path.exists(), args.check) {
        (false, _) => Pins::default(),
        (true, true) => Pins::load(&path)?,
        (true, false) => Pins::load_to_replace(&path)?.unwrap_or_else(|| {
            eprintln!(
                "note: {} is of an older format, which pinned less; every tool is reviewed and pinned anew",
                path.display()
            );
            Pins::default()
        }),
    };
    let review = pins::review(&old, &lists, &introductions, &learned);
    print!("{review}");
    if args.check {
        if review.is_empty() {
            println!("the tools are as pinned in {}", path.display());
        }
        return Ok(review.is_empty());
    }
    let mut pinned = Pins::of(&lists, &introductions).with_learned(&learned);
    // A tool pinned as it was keeps its pinned learned type when nothing is
    // learned of it here (a fresh cache, `--shapes none`).
    for (server, name, standing) in old.standings(&lists) {
        let kept = old.learned.get(server).and_then(|tools| tools.get(name));
        if let (Standing::Pinned, Some(kept)) = (standing, kept) {
            let tools = pinned.learned.entry(server.to_owned()).or_default();
            tools.entry(name.to_owned()).or_insert_with(|| kept.clone());
        }
    }
    // Servers that did not answer keep their pins.
    for (server, tools) in old.servers {
        pinned.servers.entry(server).or_insert(tools);
    }
    for (server, tools) in old.learned {
        if !lists.iter().any(|(s, _)| *s == server) {
            pinned.learned.entry(server).or_insert(tools);
        }
    }
    for (server, pin) in old.introductions {
        pinned.introductions.entry(server).or_insert(pin);
    }
    pinned
        .save(&path)
        .with_context(|| format!("cannot write the pins file {}", path.display()))?;
    let tools: usize = lists.iter().map(|(_, tools)| tools.len()).sum();
    println!(
        "pinned {tools} tools of {} server(s) in {}; use it with --pins {}",
        lists.len(),
        path.display(),
        path.display()
    );
    Ok(true)
}

/// How long a drained replica waits for its last answers to be written.
const DRAIN_FLUSH: Duration = Duration::from_millis(500);

/// `codemode run`: `Ok(false)` when the program failed (the report says why).
pub async fn run(args: RunArgs, learn_only: bool) -> anyhow::Result<bool> {
    let code = read_program(&args.file)?;
    let telemetry = crate::telemetry::init(args.record.otlp_endpoint.as_deref())?;
    // Ready the sandbox while the servers connect.
    sandbox::isolate::warm_up();
    // A person at the terminal answers servers' requests and approves
    // calls, one question at a time; without one, requests are declined.
    let terminal = crate::terminal::Terminal::open();
    let hooks = match &terminal {
        Some(terminal) => Hooks {
            changes: None,
            human: Arc::new(terminal.clone()),
        },
        None => Hooks::unattended(
            "`codemode run` has no MCP client to ask and no terminal to ask on; run it in a terminal, or use `codemode serve`",
        ),
    };
    let human = hooks.human.clone();
    let approver: Arc<dyn Approver> = if args.yes {
        Arc::new(approval::Yes)
    } else {
        match terminal {
            Some(terminal) => Arc::new(terminal),
            None => approval::NoOne::shared(
                "no terminal to ask at; run it in a terminal, or pass --yes to approve every such call",
            ),
        }
    };
    let opened = open(&args.servers, hooks, &[]).await?;
    let settings = settings(&args.limits, &opened.settings);
    let (api, refusals, approvals) = opened.api();
    let mut executor = Executor::new(api, opened.upstreams.peers(), settings)
        .wording_hints(crate::diagnostics::for_the_program)
        .with_refusals(refusals)
        .approving(approvals, approver, args.servers.approval_timeout)
        .with_call_timeouts(opened.upstreams.call_timeouts())
        .asking(human)
        .learning(opened.shapes.clone());
    if args.trace {
        executor = executor.keeping_results();
    }
    if args.record.trace_results {
        executor = executor.recording();
    }
    let trace = args
        .record
        .trace_file
        .as_deref()
        .map(Trace::open)
        .transpose()?;
    let (upstreams, shapes) = (opened.upstreams, opened.shapes);
    let before = shapes.all();
    let started = std::time::Instant::now();
    let traced = crate::telemetry::execution(None, None);
    let mut report =
        crate::telemetry::within(&traced, executor.execute(&code, settings.limits)).await;
    crate::diagnostics::word_for_the_cli(&mut report);
    crate::telemetry::end_execution(traced, &report);
    drop(telemetry);
    if let Some(trace) = &trace {
        trace.record(&code, &report, started.elapsed());
    }
    drop(executor);
    upstreams.shutdown().await;
    save_shapes(&shapes);
    if learn_only {
        print_learned(&before, &shapes.all());
        return Ok(report.ok());
    }
    let mut output = report.to_json();
    if args.trace {
        output["trace"] = savings::workflow(args.tokenizer, &report);
    }
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(report.ok())
}

/// `codemode replay`: `Ok(false)` when the replay diverged from the recording.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&args.trace)
        .with_context(|| format!("cannot read the trace {}", args.trace.display()))?;
    let recording = crate::replay::Recording::pick(&text, args.line, args.id.as_deref())
        .with_context(|| format!("cannot replay from {}", args.trace.display()))?;
    sandbox::isolate::warm_up();
    let settings = settings(&args.limits, &config::Settings::default());
    let recorded_calls = recording.calls.len();
    let replay = Arc::new(crate::replay::Replay::new(recording.calls));
    let executor = Executor::new(recording.api, HashMap::new(), settings).replaying(replay.clone());
    let mut report = executor.execute(&recording.code, settings.limits).await;
    crate::diagnostics::word_for_the_cli(&mut report);
    let replayed = match &report.outcome {
        Some(Ok(value)) => json!({"ok": true, "result": value}),
        Some(Err(failure)) => {
            json!({"ok": false, "kind": failure.kind, "message": failure.message})
        }
        None => json!({"ok": false}),
    };
    let divergence = replay
        .divergence()
        .or_else(|| crate::replay::outcome_difference(&recording.outcome, &replayed));
    let output = json!({
        "identical": divergence.is_none(),
        "calls": report.calls.len(),
        "recorded_calls": recorded_calls,
        "divergence": divergence,
        "outcome": replayed,
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(divergence.is_none())
}

/// `codemode learn`: what the run taught, tool by tool.
fn print_learned(before: &crate::shapes::Table, after: &crate::shapes::Table) {
    let mut any = false;
    for (id, server) in after {
        for (tool, learned) in &server.tools {
            let had = before
                .get(id)
                .and_then(|s| s.tools.get(tool))
                .map_or(0, |l| l.samples);
            if learned.samples > had {
                any = true;
                println!(
                    "{}.{tool} ({} new result{}, {} in all): {}",
                    server.name,
                    learned.samples - had,
                    if learned.samples - had == 1 { "" } else { "s" },
                    learned.samples,
                    learned.render()
                );
            }
        }
    }
    if !any {
        println!("nothing learned: the program called no tool without an outputSchema");
    }
}

/// `codemode shapes`: the learned result types, or `--clear` to forget them.
pub fn shapes(args: ShapesArgs) -> anyhow::Result<()> {
    let file = args
        .shapes
        .or_else(Shapes::default_file)
        .context("no home folder, so no cache folder; pass --shapes FILE")?;
    let shapes = Shapes::load(Some(file.clone()));
    if args.clear {
        shapes
            .clear()
            .with_context(|| format!("cannot clear {}", file.display()))?;
        eprintln!(
            "codemode: forgot the learned result types in {}",
            file.display()
        );
        return Ok(());
    }
    let all = shapes.all();
    if all.is_empty() {
        eprintln!(
            "codemode: no result types learned yet (in {}); `codemode learn PROGRAM` learns some",
            file.display()
        );
    }
    for server in all.values() {
        for (tool, learned) in &server.tools {
            println!(
                "{}.{tool} ({} result{}): {}",
                server.name,
                learned.samples,
                if learned.samples == 1 { "" } else { "s" },
                learned.render()
            );
        }
    }
    Ok(())
}

/// `codemode serve`: until the client leaves (stdin closes), or SIGINT/SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<bool> {
    // Installed first, so a signal during start-up is not the default kill
    // (which would leave stdio children behind).
    let mut shutdown = Shutdown::install()?;
    let token = match &args.auth_token {
        None => None,
        Some(var) => Some(std::env::var(var).with_context(|| {
            format!("--auth-token names the environment variable {var}, which is not set; export the token in it")
        })?),
    };
    // Whatever its variable is called, the token never shows in a log line.
    upstream::redact::protect_values(token.clone());
    if let Some(addr) = args.http
        && !addr.ip().is_loopback()
    {
        if !args.allow_remote {
            bail!(
                "--http {addr} is reachable from other machines; pass --allow-remote to mean it (and --auth-token)"
            );
        }
        eprintln!(
            "warning: serving on {addr}, reachable from other machines{}",
            if token.is_none() {
                ", with no --auth-token: anyone who can connect can run code against your tools"
            } else {
                ""
            }
        );
    }
    if let Some(addr) = args.metrics
        && !addr.ip().is_loopback()
        && !args.allow_remote
    {
        bail!(
            "--metrics {addr} is reachable from other machines and has no token; serve them on loopback, or with --http at /metrics behind --auth-token (or pass --allow-remote with --http to mean it)"
        );
    }
    let _telemetry = crate::telemetry::init(args.trace.otlp_endpoint.as_deref())?;
    // Over HTTP, the key that seals legacy session ids, checked before
    // anything starts; stdio has no session ids.
    let http = match args.http {
        Some(addr) => {
            let key = args.session_key_file.as_deref();
            let sessions = crate::server::sessions::SealedSessions::new(key)?;
            Some((addr, Arc::new(sessions)))
        }
        None => None,
    };
    sandbox::isolate::warm_up();
    let changes = Changes::default();
    // The token guards this server; no upstream needs to know it.
    let secrets: Vec<&str> = args.auth_token.iter().map(String::as_str).collect();
    // An upstream's requests for a human go to the client whose call it serves.
    let callers = Arc::new(Callers::default());
    let hooks = Hooks {
        changes: Some(changes.clone()),
        human: callers.clone(),
    };
    let opened = open(&args.servers, hooks.clone(), &secrets).await?;
    let settings = settings(&args.limits, &opened.settings);
    let (policy, disclosure, expose) = (opened.policy, args.disclosure, args.expose_tools);
    let shapes = opened.shapes.clone();
    let learned = opened.shapes.clone();
    let budget = args.prompt_budget;
    let human: Arc<dyn upstream::Human> = callers.clone();
    let withholding = callers.clone();
    // Each execution asks its own client (see server::approval).
    let default_approver = approval::NoOne::shared("no client to ask");
    let approval_timeout = args.servers.approval_timeout;
    let recording = args.trace.trace_results;
    // Each API generation (at start, after a tool-list change or a restart)
    // is built the same way: policy, types, a fresh executor.
    let build: Build = Arc::new(move |upstreams: &Upstreams| {
        let (api, refusals, approvals) = api_for(&policy, upstreams, &shapes);
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
        let exposed =
            expose.then(|| Exposed::new(&api, upstreams, &OWN_TOOLS, &approvals, &refusals));
        let mut executor = Executor::new(api.clone(), upstreams.peers(), settings)
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
        args.servers.init_timeout,
        stopped,
    ));

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_running = args.max_concurrent.map_or(4 * cores, |n| n as usize);
    let admission = Admission::new(
        max_running,
        args.queue,
        Duration::from_millis(args.queue_timeout_ms),
    );
    let trace = args
        .trace
        .trace_file
        .as_deref()
        .map(Trace::open)
        .transpose()?;
    let server = CodeModeServer::new(live, settings.limits, admission, trace)
        .asking(callers)
        .learning(learned);
    // A program's text, escaped in JSON (at worst six bytes a character),
    // plus the request around it.
    let max_request = settings.max_program_bytes * 6 + (64 << 10);
    let scrape: http::Scrape = {
        let server = server.clone();
        Arc::new(move || server.scrape())
    };
    // On SIGTERM: no new executions (HTTP answers 503 for them, /readyz
    // says not ready), the running ones finish, bounded by --drain-timeout.
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = {
        let (server, draining, timeout) = (server.clone(), draining.clone(), args.drain_timeout);
        async move {
            shutdown.wait().await;
            draining.store(true, std::sync::atomic::Ordering::SeqCst);
            let until = tokio::time::Instant::now() + timeout;
            while !server.idle() && tokio::time::Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if !server.idle() {
                eprintln!(
                    "codemode: executions still running after --drain-timeout {} s are stopped",
                    timeout.as_secs_f64()
                );
            }
            // The last answers are on their way to their clients.
            tokio::time::sleep(DRAIN_FLUSH).await;
        }
    };
    let ready: http::Readiness = {
        let (server, draining) = (server.clone(), draining.clone());
        Arc::new(move || {
            if draining.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("draining".to_owned());
            }
            server.upstreams_connected()
        })
    };
    let metrics = match args.metrics {
        Some(addr) => {
            let listener = http::metrics_listener(addr).await?;
            let rebinding = http::Rebinding::new(args.allow_remote, &args.allow_origins);
            let serving =
                http::serve_metrics(listener, scrape.clone(), rebinding, std::future::pending());
            Some(tokio::spawn(serving))
        }
        None => None,
    };
    match http {
        None => {
            tokio::select! {
                served = serve_stdio(server, max_request) => served?,
                () = stopping => {}
            }
        }
        Some((addr, sessions)) => {
            let options = HttpOptions {
                addr,
                remote: args.allow_remote,
                token,
                origins: args.allow_origins.clone(),
                max_connections: args.max_connections as usize,
                max_sessions: args.max_sessions as usize,
                session_idle: args.session_idle_timeout,
                max_body_bytes: max_request,
                metrics: Some(scrape),
                sessions,
                ready,
                draining,
            };
            http::serve(server, options, stopping).await?;
        }
    }
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    let _ = stop.send(());
    // Stdio children see their input close and exit; any left are killed.
    supervisor.await?.shutdown().await;
    Ok(true)
}

/// Serves one client over stdin/stdout until it leaves. When stdin closes,
/// executions still running stop at once: nobody is left to read their results.
/// A request longer than `max_request` bytes is answered with an error.
async fn serve_stdio(server: CodeModeServer, max_request: usize) -> anyhow::Result<()> {
    let gone = CancellationToken::new();
    let server = server.stopping_when(gone.clone());
    let stdin = client_input(tokio::io::stdin(), gone, max_request);
    match server.serve((stdin, tokio::io::stdout())).await {
        Ok(service) => {
            service.waiting().await?;
            Ok(())
        }
        // The client left before it said hello: nothing to serve, nothing wrong.
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("the client closed the connection before initializing");
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// SIGINT and SIGTERM, registered up front.
struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn install() -> anyhow::Result<Shutdown> {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(Shutdown {
            interrupt,
            terminate,
        })
    }

    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            _ = self.terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
    }
}

/// The program's text, read no further than the largest size compiled.
fn read_program(file: &str) -> anyhow::Result<String> {
    let max = (*config::ranges::MAX_PROGRAM_KB.end() as usize) << 10;
    if file == "-" {
        return match json_file::read_bounded(std::io::stdin(), max) {
            Ok(code) => Ok(code),
            Err(Bounded::TooLarge) => bail!(
                "the program on standard input is larger than {}, more than codemode compiles",
                bounds::size(max)
            ),
            Err(Bounded::Io(error)) => {
                Err(error).context("cannot read the program from standard input")
            }
        };
    }
    json_file::read_text(std::path::Path::new(file), max)
        .with_context(|| format!("cannot read the program {file}"))
}

/// Flags over the config file's `"codemode"` section over the defaults.
fn settings(flags: &LimitArgs, file: &config::Settings) -> Settings {
    let chosen = flags.settings().or(*file);
    let defaults = Settings::default();
    let limits = defaults.limits;
    Settings {
        limits: Limits {
            timeout: chosen
                .timeout_ms
                .map_or(limits.timeout, Duration::from_millis),
            memory_bytes: chosen
                .memory_mb
                .map_or(limits.memory_bytes, |mb| (mb as usize) << 20),
            stack_bytes: chosen
                .stack_kb
                .map_or(limits.stack_bytes, |kb| (kb as usize) << 10),
            max_calls: chosen.max_calls.map_or(limits.max_calls, |n| n as u32),
            max_output_bytes: chosen
                .max_output_kb
                .map_or(limits.max_output_bytes, |kb| (kb as usize) << 10),
        },
        max_concurrent_calls: chosen
            .max_concurrent_calls
            .map_or(defaults.max_concurrent_calls, |n| n as usize),
        max_program_bytes: chosen
            .max_program_kb
            .map_or(defaults.max_program_bytes, |kb| (kb as usize) << 10),
    }
}

pub async fn savings(args: SavingsArgs) -> anyhow::Result<()> {
    let opened = open(&args.servers, Hooks::unattended("nothing is called"), &[]).await?;
    let (lists, _) = opened.policy.apply(
        opened.upstreams.tool_lists(),
        &opened.upstreams.introductions(),
    );
    opened.upstreams.shutdown().await;
    let (rows, total) = savings::measure(&lists, args.tokenizer);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&savings::to_json(args.tokenizer, &rows, &total))?
        );
    } else {
        print!("{}", savings::table(args.tokenizer, &rows, &total));
    }
    Ok(())
}

pub async fn types(args: TypesArgs) -> anyhow::Result<()> {
    // `--server` prints only the servers it names (only they are started).
    let opened = open(&args.servers, Hooks::unattended("nothing is called"), &[]).await?;
    let (api, _, _) = opened.api();
    opened.upstreams.shutdown().await;
    print!("{}", api.render(args.style.into()));
    Ok(())
}

fn server_names(api: &Api) -> String {
    api.namespaces()
        .iter()
        .map(|n| n.server())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the audit reads of a function: its definition, and the result type
/// learned for it, which reaches the prompt too (its field names come from
/// the server's results).
fn audited_definition(function: &codemode_typegen::Function) -> Value {
    let mut definition = function.raw().clone();
    if let (Some(observed), Some(fields)) = (function.observed(), definition.as_object_mut()) {
        fields.insert(
            LEARNED_RESULT_TYPE.to_owned(),
            Value::String(observed.render()),
        );
        let words = observed.words();
        if !words.is_empty() {
            fields.insert(
                LEARNED_RESULT_WORDS.to_owned(),
                Value::String(words.join(" ")),
            );
        }
    }
    definition
}

/// Where the audit names a learned result type.
const LEARNED_RESULT_TYPE: &str = "learnedResultType";
/// Where the audit names a learned result type's words read as one text.
const LEARNED_RESULT_WORDS: &str = "learnedResultWords";

/// The four behaviour hints MCP defines, in the order they are shown.
const HINTS: [(&str, &str); 4] = [
    ("readOnlyHint", "read-only"),
    ("destructiveHint", "destructive"),
    ("idempotentHint", "idempotent"),
    ("openWorldHint", "open-world"),
];

pub async fn tools(args: ToolsArgs) -> anyhow::Result<()> {
    let opened = open(&args.servers, Hooks::unattended("nothing is called"), &[]).await?;
    let (api, _, _) = opened.api();
    let upstreams = opened.upstreams;
    let introductions = upstreams.introductions();
    let failures: Vec<Value> = upstreams
        .failures
        .iter()
        .map(|f| {
            let mut failure = json!({"server": f.server, "error": f.error.to_string()});
            if let Some(hint) = crate::diagnostics::hint_of(&f.error) {
                failure["hint"] = hint.into();
            }
            failure
        })
        .collect();
    upstreams.shutdown().await;
    if args.audit {
        let lists: Vec<(String, Vec<Value>)> = api
            .namespaces()
            .iter()
            .map(|ns| {
                let tools = ns.functions().iter().map(audited_definition).collect();
                (ns.server().to_owned(), tools)
            })
            .collect();
        let flags = crate::audit::audit(&lists, &introductions);
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"flags": flags}))?
            );
        } else {
            print!("{}", crate::audit::table(&flags));
        }
    } else if args.raw {
        let namespace = match api.namespaces() {
            [only] => only,
            _ => bail!(
                "--raw prints one server; choose it with --server ({})",
                server_names(&api)
            ),
        };
        let tools: Vec<&Value> = namespace.functions().iter().map(|f| f.raw()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"tools": tools}))?
        );
    } else if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&tools_json(&api, failures))?
        );
    } else {
        print!("{}", tools_table(&api));
    }
    Ok(())
}

fn tools_json(api: &Api, failures: Vec<Value>) -> Value {
    let servers: Vec<Value> = api
        .namespaces()
        .iter()
        .map(|ns| {
            let tools: Vec<Value> = ns
                .functions()
                .iter()
                .map(|f| {
                    let raw = f.raw();
                    let annotations: serde_json::Map<String, Value> = HINTS
                        .iter()
                        .filter_map(|(key, _)| {
                            Some((key.to_string(), raw.get("annotations")?.get(*key)?.clone()))
                        })
                        .collect();
                    json!({
                        "name": f.tool(),
                        "typescript": format!("{}.{}", ns.ident(), f.ident()),
                        "title": raw.get("title").or_else(|| raw.get("annotations")?.get("title")),
                        "annotations": annotations,
                        "has_output_schema": f.output_schema().is_some(),
                    })
                })
                .collect();
            json!({"name": ns.server(), "namespace": ns.ident(), "tools": tools})
        })
        .collect();
    json!({"servers": servers, "failures": failures})
}

fn tools_table(api: &Api) -> String {
    let mut rows = vec![[
        "SERVER".to_owned(),
        "TOOL".into(),
        "TYPESCRIPT".into(),
        "HINTS".into(),
        "OUTPUT".into(),
    ]];
    for ns in api.namespaces() {
        for f in ns.functions() {
            let annotations = f.raw().get("annotations");
            let hints: Vec<&str> = HINTS
                .iter()
                .filter(|(key, _)| {
                    annotations.and_then(|a| a.get(*key)) == Some(&Value::Bool(true))
                })
                .map(|(_, label)| *label)
                .collect();
            rows.push([
                ns.server().to_owned(),
                f.tool().to_owned(),
                format!("{}.{}", ns.ident(), f.ident()),
                if hints.is_empty() {
                    "-".into()
                } else {
                    hints.join(",")
                },
                if f.output_schema().is_some() {
                    "typed".into()
                } else {
                    "-".into()
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

/// `codemode login`: the OAuth flow for one HTTP server; its tokens kept.
pub async fn login(args: LoginArgs) -> anyhow::Result<()> {
    let mut sources = args.servers.sources();
    if let Some(server) = &args.server
        && sources.url.is_none()
    {
        sources.only = vec![server.clone()];
    }
    let selection = config::select(&sources)?;
    let spec = match (&args.server, selection.servers.as_slice()) {
        (Some(server), servers) => servers.iter().find(|s| &s.name == server).with_context(
            || {
                format!(
                    "no server named {server}; pass the config that has it (--config) or its --url"
                )
            },
        )?,
        (None, [one]) if !selection.demo => one,
        (None, _) => bail!("name the server to log in to: codemode login NAME --config FILE"),
    };
    let url = match &spec.transport {
        Transport::Http { url, .. } => url.clone(),
        Transport::Sse { url, .. } => url.clone(),
        _ => bail!(
            "{} is not an HTTP server; only HTTP servers log in with OAuth",
            spec.name
        ),
    };
    let file =
        TokenFile::default_location().context("no home folder to keep the tokens in; set HOME")?;
    let browser = std::env::var("BROWSER").ok();
    let outcome = upstream::oauth::login(
        &spec.name,
        &url,
        &spec.oauth,
        &args.scopes,
        &file,
        browser.as_deref(),
    )
    .await?;
    eprintln!(
        "codemode: logged in to {}{}{}; tokens kept in {}",
        spec.name,
        outcome
            .issuer
            .map(|issuer| format!(" (issuer {issuer})"))
            .unwrap_or_default(),
        if outcome.scopes.is_empty() {
            String::new()
        } else {
            format!(" with scopes {}", outcome.scopes.join(" "))
        },
        file.path().display()
    );
    Ok(())
}

/// `codemode logout`: forgets a server's kept tokens.
pub fn logout(args: LogoutArgs) -> anyhow::Result<()> {
    let file = TokenFile::default_location()
        .context("no home folder, so no tokens are kept; nothing to do")?;
    if file
        .remove(&args.server)
        .with_context(|| format!("cannot update {}", file.path().display()))?
    {
        eprintln!("codemode: logged out of {}", args.server);
    } else {
        eprintln!(
            "codemode: no login is kept for {} (in {})",
            args.server,
            file.path().display()
        );
    }
    Ok(())
}
