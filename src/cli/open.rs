//! The selected servers, connected, with policy and pins applied.

use std::path::Path;
use std::sync::Arc;

use anyhow::bail;
use codemode_typegen::Api;
use serde_json::Value;

use super::servers::ServerSettings;
use crate::files::config;
use crate::governance::pins::{self, Pins, Standing};
use crate::governance::policy::{Approvals, Origin, Policy, Reason, Refusals, Unmatched};
use crate::governance::terminal::Terminal;
use crate::prompt::shapes::{Shapes, definition_hash};
use crate::upstream::oauth::TokenFile;
use crate::upstream::{self, Hooks, Upstreams};

/// The connected servers, with the settings and policy that came with them.
pub(super) struct Opened {
    pub(super) upstreams: Upstreams,
    pub(super) settings: config::ConfigSettings,
    pub(super) policy: Policy,
    pub(super) shapes: Arc<Shapes>,
}

impl Opened {
    /// The API the model sees (policy applied), what policy left out, and
    /// what needs approval, each with its reason for the surface to word.
    pub(super) fn api(&self) -> (Api, Refusals<Reason>, Approvals<Reason>) {
        api_for(&self.policy, &self.upstreams, &self.shapes)
    }
}

/// The upstreams' tools with policy applied, as the model's API, with the
/// result types learned for tools that declare none (under pins, as pinned).
pub(super) fn api_for(
    policy: &Policy,
    upstreams: &Upstreams,
    shapes: &Shapes,
) -> (Api, Refusals<Reason>, Approvals<Reason>) {
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
pub(super) fn save_shapes(shapes: &Shapes) {
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
pub(super) async fn open(
    servers: &ServerSettings,
    hooks: Hooks,
    secrets: &[&str],
) -> anyhow::Result<Opened> {
    let mut selection = config::select(&servers.sources)?;
    for spec in &mut selection.servers {
        for var in secrets {
            spec.hide_env(var);
        }
    }
    for warning in &selection.warnings {
        eprintln!("warning: {warning}");
    }
    let pins = servers.pins.as_deref().map(Pins::load).transpose()?;
    let policy = Policy::new(
        &servers.allow,
        &servers.deny,
        servers.read_only,
        &selection.policies,
    )?
    .asking(&servers.ask, servers.ask_destructive)?
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
    let shapes = Shapes::load(servers.shapes.clone().or_else(Shapes::default_file))
        .serving(&selection.servers);
    // The built-in demo, which the selection names when nothing else was given.
    let demo = Some(crate::demo::serve_in_process as upstream::ServeInProcess);
    // Kept only where a login can be offered, to connect a server again.
    let terminal = Terminal::open();
    let specs = terminal.as_ref().map(|_| selection.servers.clone());
    let mut upstreams =
        upstream::connect_all_watched(selection.servers, servers.init_timeout, hooks.clone(), demo)
            .await;
    if let (Some(terminal), Some(specs)) = (terminal, specs) {
        let connecting = Connecting {
            specs: &specs,
            timeout: servers.init_timeout,
            hooks,
            demo,
        };
        offer_logins(&terminal, &connecting, &mut upstreams).await;
    }
    for failure in &upstreams.failures {
        eprint!("{}", crate::cli::diagnostics::unavailable(failure));
    }
    if upstreams.connected.is_empty() {
        bail!("none of the {total} server(s) could be used; see the warnings above");
    }
    if let Err(error) = check_patterns(&policy, &upstreams) {
        upstreams.shutdown().await;
        return Err(error);
    }
    if let (Some(pins), Some(path)) = (&pins, &servers.pins) {
        warn_unpinned(pins, path, &upstreams, &shapes);
    }
    Ok(Opened {
        upstreams,
        settings: selection.settings,
        policy,
        shapes: Arc::new(shapes),
    })
}

/// How the servers were connected, to connect one again.
struct Connecting<'a> {
    specs: &'a [config::ServerSpec],
    timeout: std::time::Duration,
    hooks: upstream::Hooks,
    demo: Option<upstream::ServeInProcess>,
}

/// For each server that wants a login (a first one, a wider scope, or again
/// after its authorization server moved), asks the person at `terminal`
/// whether to log in now, as `codemode login` would, and connects it again.
async fn offer_logins(terminal: &Terminal, connecting: &Connecting<'_>, upstreams: &mut Upstreams) {
    let wanting: Vec<(String, Option<String>)> = upstreams
        .failures
        .iter()
        .filter_map(|failure| match &failure.error {
            upstream::UpstreamError::LoginNeeded { scope, .. } => {
                Some((failure.server.clone(), scope.clone()))
            }
            _ => None,
        })
        .collect();
    for (server, scope) in wanting {
        let Some(spec) = connecting.specs.iter().find(|s| s.name == server) else {
            continue;
        };
        let scopes: Vec<String> = scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let question = format!(
            "\nthe {} server wants you to log in{}. Log in now (your browser opens)? [Y/n]: ",
            crate::prompt::visible::name(&server),
            with_scopes(&scopes)
        );
        if !terminal.confirm(question).await || !log_in(spec, &scopes).await {
            continue;
        }
        eprintln!("codemode: logged in to {server}; connecting again");
        let again = upstream::connect_all_watched(
            vec![spec.clone()],
            connecting.timeout,
            connecting.hooks.clone(),
            connecting.demo,
        )
        .await;
        upstreams
            .failures
            .retain(|failure| failure.server != server);
        upstreams.failures.extend(again.failures);
        upstreams.connected.extend(again.connected);
    }
}

/// For each login a program's calls were refused for want of, asks the
/// person at `terminal` whether to log in now, for the next run.
pub(super) async fn offer_call_logins(
    terminal: &Terminal,
    servers: &ServerSettings,
    wanted: &[crate::hint::Hint],
) {
    let Ok(selection) = config::select(&servers.sources) else {
        return;
    };
    for hint in wanted {
        let crate::hint::Hint::Login { server, scopes, .. } = hint else {
            continue;
        };
        let Some(spec) = selection.servers.iter().find(|s| &s.name == server) else {
            continue;
        };
        let question = format!(
            "\nthe {} server refused a call for want of a login{}. Log in now (your browser opens)? [Y/n]: ",
            crate::prompt::visible::name(server),
            with_scopes(scopes)
        );
        if terminal.confirm(question).await && log_in(spec, scopes).await {
            eprintln!("codemode: logged in to {server}; run the program again to make the call");
        }
    }
}

fn with_scopes(scopes: &[String]) -> String {
    match scopes {
        [] => String::new(),
        [one] => format!(" with the scope {one}"),
        many => format!(" with the scopes {}", many.join(" ")),
    }
}

/// Logs in to `spec`'s server as `codemode login` does, asking for
/// `scopes` too; whether it worked (if not, the error is printed).
async fn log_in(spec: &config::ServerSpec, scopes: &[String]) -> bool {
    let (config::Transport::Http { url, .. } | config::Transport::Sse { url, .. }) =
        &spec.transport
    else {
        return false;
    };
    let Some(file) = TokenFile::default_location() else {
        eprintln!("error: no home folder to keep the tokens in; set HOME");
        return false;
    };
    let browser = std::env::var("BROWSER").ok();
    let login = upstream::oauth::login(
        &spec.name,
        url,
        &spec.oauth,
        scopes,
        &file,
        browser.as_deref(),
    );
    match login.await {
        Ok(_) => true,
        Err(error) => {
            eprint!("{}", crate::cli::diagnostics::render(&error));
            false
        }
    }
}

/// A deny or ask pattern that matches no tool would let the calls it was
/// meant to stop go out: an error, unless it may be meant for a server
/// that is unavailable now (then a warning; it applies once it connects).
fn check_patterns(policy: &Policy, upstreams: &Upstreams) -> anyhow::Result<()> {
    let mut errors = Vec::new();
    for unmatched in policy.unmatched(&upstreams.tool_lists()) {
        let absent = upstreams.failures.iter().find(|failure| {
            unmatched.rule.origin == Origin::Global
                && crate::governance::policy::may_name_server(
                    &unmatched.rule.pattern,
                    &failure.server,
                )
        });
        match absent {
            Some(failure) => eprintln!(
                "warning: {}; it may be meant for server \"{}\", which is unavailable",
                // The connected servers' names are not what it meant.
                crate::cli::diagnostics::unmatched(&Unmatched {
                    closest: Vec::new(),
                    ..unmatched.clone()
                }),
                failure.server
            ),
            None => errors.push(crate::cli::diagnostics::unmatched(&unmatched)),
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
