//! Which upstream tools programs may use: allow and deny globs over
//! `server.tool`, per-server lists in the config, and read-only; and which
//! need a person's approval for each call: ask globs, per-server `"ask"`
//! lists, and asking before tools that may change something.
//!
//! In `server.tool`, `server` is the server's name or its namespace and
//! `tool` the tool's name or its TypeScript identifier: a pattern may be
//! written as `codemode types` shows names. A deny or ask pattern that
//! matches no tool is a mistake the caller hears of ([`Policy::unmatched`]).
//!
//! A tool that policy removes is left out of the API (so it is absent from
//! the types) and refused, with the reason, if a program names it anyway.
//! A tool that needs approval stays in the API; the executor asks before
//! each call (see [`crate::governance::approval`]).
//!
//! A reason is a value ([`Reason`]): each surface words it for its reader
//! (the CLI names its flags, `serve` speaks of the operator's rules).

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::{Value, json};

pub use codemode_transpile::Refusals;

use crate::files::config::ServerPolicy;
use crate::governance::pins::Introductions;
use crate::prompt::spelling::fold;

#[derive(Debug, thiserror::Error)]
#[error("invalid pattern `{pattern}`")]
pub struct PatternError {
    pattern: String,
    #[source]
    error: globset::Error,
}

/// A list of globs, kept with their text so refusals can quote them.
///
/// An allow list matches as written: matching more would let more through.
/// Deny and ask lists are lenient, where matching more is the safe side:
/// whatever the case, and however the name is spelled (a Cyrillic `е` in
/// `dеlete_repo` does not get past `*.delete_*`).
#[derive(Clone, Debug, Default)]
struct Patterns {
    texts: Vec<String>,
    set: GlobSet,
    /// For each glob of `set`, the pattern of `texts` it is from.
    owners: Vec<usize>,
    lenient: bool,
}

impl Patterns {
    fn new(texts: &[String], lenient: bool) -> Result<Patterns, PatternError> {
        let mut builder = GlobSetBuilder::new();
        let mut owners = Vec::new();
        let glob = |text: &str| GlobBuilder::new(text).case_insensitive(lenient).build();
        for (i, text) in texts.iter().enumerate() {
            let written = glob(text).map_err(|error| PatternError {
                pattern: text.clone(),
                error,
            })?;
            builder.add(written);
            owners.push(i);
            // Lenient lists also hold each pattern folded. Folding can
            // unmake a glob (`[0-9]` folds to `[o-9]`): then it is matched
            // as written only.
            if lenient && let Ok(folded) = glob(&fold(text)) {
                builder.add(folded);
                owners.push(i);
            }
        }
        let set = builder.build().map_err(|error| PatternError {
            pattern: texts.join(", "),
            error,
        })?;
        Ok(Patterns {
            texts: texts.to_vec(),
            set,
            owners,
            lenient,
        })
    }

    /// The first pattern that matches any of `names`.
    fn first_match(&self, names: &[String]) -> Option<&str> {
        names
            .iter()
            .flat_map(|name| {
                let mut hits = self.set.matches(name);
                if self.lenient {
                    hits.extend(self.set.matches(fold(name)));
                }
                hits
            })
            .map(|glob| self.owners[glob])
            .min()
            .map(|i| self.texts[i].as_str())
    }

    fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// The names a tool is known by: its server's name or namespace, and its
/// own name or its TypeScript identifier.
struct ToolNames {
    /// `server.tool`, in each combination.
    qualified: Vec<String>,
    /// The tool alone.
    bare: Vec<String>,
    /// The same, with also the identifiers the names become before
    /// collisions are told apart (`delete-issue` is `delete_issue` even when
    /// another tool took that identifier and it became `delete_issue_2`):
    /// for deny and ask lists, so that a tool a server adds cannot move a
    /// denied one to another identifier.
    qualified_loose: Vec<String>,
    bare_loose: Vec<String>,
    /// `server.tool` and `namespace.identifier`, for suggestions.
    shown: Vec<String>,
}

impl ToolNames {
    /// The names `patterns` are matched against: `server.tool`
    /// (`qualified`) or the tool alone.
    fn for_patterns(&self, patterns: &Patterns, qualified: bool) -> &[String] {
        match (qualified, patterns.lenient) {
            (true, false) => &self.qualified,
            (true, true) => &self.qualified_loose,
            (false, false) => &self.bare,
            (false, true) => &self.bare_loose,
        }
    }
}

impl Patterns {
    /// The first pattern that matches the tool named `names`.
    fn match_tool(&self, names: &ToolNames, qualified: bool) -> Option<&str> {
        self.first_match(names.for_patterns(self, qualified))
    }
}

/// Each tool of `lists` with the names it is known by, in order.
fn tool_names(lists: &[(String, Vec<Value>)]) -> Vec<Vec<ToolNames>> {
    // Identifiers depend only on the names; the API is built from them alone.
    let names_only = lists
        .iter()
        .map(|(server, tools)| {
            let tools = tools
                .iter()
                .map(|t| json!({"name": t.get("name").and_then(Value::as_str).unwrap_or("")}))
                .collect();
            (server.clone(), tools)
        })
        .collect();
    let api = codemode_typegen::Api::new(names_only);
    let base = codemode_typegen::function_identifier;
    let pairs = |servers: &[String], tools: &[String]| -> Vec<String> {
        servers
            .iter()
            .flat_map(|s| tools.iter().map(move |t| format!("{s}.{t}")))
            .collect()
    };
    api.namespaces()
        .iter()
        .map(|ns| {
            let servers = distinct([ns.server(), ns.ident()]);
            let servers_loose = distinct([ns.server(), ns.ident(), &base(ns.server())]);
            ns.functions()
                .iter()
                .map(|f| {
                    let bare = distinct([f.tool(), f.ident()]);
                    let bare_loose = distinct([f.tool(), f.ident(), &base(f.tool())]);
                    ToolNames {
                        qualified: pairs(&servers, &bare),
                        qualified_loose: pairs(&servers_loose, &bare_loose),
                        shown: distinct([
                            &format!("{}.{}", ns.server(), f.tool()),
                            &format!("{}.{}", ns.ident(), f.ident()),
                        ]),
                        bare,
                        bare_loose,
                    }
                })
                .collect()
        })
        .collect()
}

fn distinct<const N: usize>(names: [&str; N]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(N);
    for name in names {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    out
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Over `server.tool`, where `server` is the server's name or its
    /// namespace and `tool` the tool's name or its TypeScript identifier.
    allow: Patterns,
    deny: Patterns,
    read_only: bool,
    ask: Patterns,
    ask_destructive: bool,
    /// `--pins`: tools must be as pinned.
    pins: Option<std::sync::Arc<crate::governance::pins::Pins>>,
    /// Per server, over the tool's name or identifier: allow, deny, ask.
    servers: HashMap<String, (Patterns, Patterns, Patterns)>,
}

/// Where a rule was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// For every server, over `server.tool` (the CLI gives these as flags).
    Global,
    /// In `server`'s own entry of the config, over the tool's name.
    ServerConfig { server: String },
}

/// A list of patterns that a rule can be of, besides allow lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Deny,
    Ask,
}

/// One pattern of a list, as written, and where it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub origin: Origin,
}

/// Why a tool is not taken to only read, by its annotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MayWrite {
    /// `destructiveHint: true`.
    Destructive,
    /// No `readOnlyHint: true`.
    NotReadOnly,
    /// `readOnlyHint: true`, with a `destructiveHint` other than `false`.
    AlsoDestructive,
}

impl MayWrite {
    pub fn words(self) -> &'static str {
        match self {
            MayWrite::Destructive => "annotated destructive",
            MayWrite::NotReadOnly => "not annotated read-only",
            MayWrite::AlsoDestructive => "annotated read-only but also destructive",
        }
    }
}

/// Why policy leaves a tool out, or asks a person before each of its calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A deny pattern matches the tool.
    Denied(Rule),
    /// The allow list given at `origin` matches nothing of the tool.
    NotAllowed(Origin),
    /// Only read-only tools are allowed, and the tool may write.
    ReadOnly(MayWrite),
    /// The tool, or what its server says of itself, is not as pinned.
    Unpinned(crate::governance::pins::Unpinned),
    /// An ask pattern matches the tool.
    Asked(Rule),
    /// Calls of tools that may write are asked about, and this one may.
    AskDestructive(MayWrite),
}

impl Reason {
    /// In words that name no flag: for a model, which cannot change policy
    /// and should not retry, and for a person asked through an MCP client.
    pub fn plain(&self) -> String {
        // Quoted for a model; unquoted in the question a person is asked,
        // which escapes quotes.
        let rule = |rule: &Rule, quote: &str| {
            let pattern = format!("{quote}{}{quote}", rule.pattern);
            match &rule.origin {
                Origin::Global => format!("the operator's rule {pattern}"),
                Origin::ServerConfig { server } => {
                    format!("the operator's rule {pattern} for {server}")
                }
            }
        };
        match self {
            Reason::Denied(denied) => format!("denied by {}", rule(denied, "\"")),
            Reason::NotAllowed(_) => "not among the tools the operator allows".to_owned(),
            Reason::ReadOnly(why) => format!(
                "the operator allows only read-only tools, and this one is {}",
                why.words()
            ),
            Reason::Unpinned(unpinned) => {
                format!("{}; {}", unpinned.words(), unpinned.hint().plain())
            }
            Reason::Asked(asked) => format!("matched by {}", rule(asked, "")),
            Reason::AskDestructive(why) => format!(
                "the operator asks before calls of tools that may change something, and this one is {}",
                why.words()
            ),
        }
    }
}

/// A deny or ask pattern that matches no tool: a typo, or a name written
/// as something other than the server's or the tool's.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmatched {
    pub list: List,
    pub rule: Rule,
    /// The names closest to it, for "did you mean".
    pub closest: Vec<String>,
}

impl Policy {
    /// `allow`/`deny` match `server.tool`; `servers` holds each server's own
    /// lists from the config, matching the tool's name or identifier.
    pub fn new(
        allow: &[String],
        deny: &[String],
        read_only: bool,
        servers: &[ServerPolicy],
    ) -> Result<Policy, PatternError> {
        let servers = servers
            .iter()
            .map(|p| {
                Ok((
                    p.server.clone(),
                    (
                        Patterns::new(&p.allow, false)?,
                        Patterns::new(&p.deny, true)?,
                        Patterns::new(&p.ask, true)?,
                    ),
                ))
            })
            .collect::<Result<_, PatternError>>()?;
        Ok(Policy {
            allow: Patterns::new(allow, false)?,
            deny: Patterns::new(deny, true)?,
            read_only,
            ask: Patterns::default(),
            ask_destructive: false,
            pins: None,
            servers,
        })
    }

    /// Calls of tools matching `ask` (globs over `server.tool`) need a
    /// person's approval, and with `destructive` so do those of every tool
    /// annotated destructive or not annotated read-only (see `not_read_only`).
    pub fn asking(mut self, ask: &[String], destructive: bool) -> Result<Policy, PatternError> {
        self.ask = Patterns::new(ask, true)?;
        self.ask_destructive = destructive;
        Ok(self)
    }

    /// Tools must be as `pins` has them (see [`crate::governance::pins`]).
    pub fn pinned(mut self, pins: Option<crate::governance::pins::Pins>) -> Policy {
        self.pins = pins.map(std::sync::Arc::new);
        self
    }

    /// The learned result type a prompt shows for `server`'s `tool`, given
    /// the one learned `now`: under pins, only a pinned one (see
    /// [`crate::governance::pins::Pins::shown_learned`]).
    pub fn learned_type(
        &self,
        server: &str,
        tool: &str,
        now: Option<codemode_typegen::Observed>,
    ) -> Option<codemode_typegen::Observed> {
        match &self.pins {
            Some(pins) => pins.shown_learned(server, tool, now),
            None => now,
        }
    }

    /// Why a call of `tool` (its raw definition) needs a person's approval;
    /// `None` when it does not.
    fn approval(&self, server: &str, names: &ToolNames, tool: &Value) -> Option<Reason> {
        if let Some(pattern) = self.ask.match_tool(names, true) {
            return Some(Reason::Asked(Rule::global(pattern)));
        }
        if let Some((_, _, ask)) = self.servers.get(server)
            && let Some(pattern) = ask.match_tool(names, false)
        {
            return Some(Reason::Asked(Rule::of_server(pattern, server)));
        }
        if self.ask_destructive {
            let hint = |key: &str| tool.get("annotations").and_then(|a| a.get(key));
            if hint("destructiveHint") == Some(&Value::Bool(true)) {
                return Some(Reason::AskDestructive(MayWrite::Destructive));
            }
            if let Some(why) = not_read_only(tool) {
                return Some(Reason::AskDestructive(why));
            }
        }
        None
    }

    /// The tools of `lists` whose calls need approval, with the reason.
    pub fn approvals(&self, lists: &[(String, Vec<Value>)]) -> Approvals<Reason> {
        let mut asks = Approvals(HashMap::new());
        for ((server, tools), names) in lists.iter().zip(tool_names(lists)) {
            for (tool, names) in tools.iter().zip(names) {
                if let Some(reason) = self.approval(server, &names, tool) {
                    let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
                    asks.0
                        .entry(server.clone())
                        .or_default()
                        .insert(name.to_owned(), reason);
                }
            }
        }
        asks
    }

    /// `None` when `tool` (its raw definition) may be used, else why not.
    fn refusal(
        &self,
        server: &str,
        introductions: &Introductions,
        names: &ToolNames,
        tool: &Value,
    ) -> Option<Reason> {
        if let Some(pattern) = self.deny.match_tool(names, true) {
            return Some(Reason::Denied(Rule::global(pattern)));
        }
        if let Some((allow, deny, _)) = self.servers.get(server) {
            if let Some(pattern) = deny.match_tool(names, false) {
                return Some(Reason::Denied(Rule::of_server(pattern, server)));
            }
            if !allow.is_empty() && allow.match_tool(names, false).is_none() {
                return Some(Reason::NotAllowed(Origin::ServerConfig {
                    server: server.to_owned(),
                }));
            }
        }
        if !self.allow.is_empty() && self.allow.match_tool(names, true).is_none() {
            return Some(Reason::NotAllowed(Origin::Global));
        }
        if self.read_only
            && let Some(why) = not_read_only(tool)
        {
            return Some(Reason::ReadOnly(why));
        }
        if let Some(pins) = &self.pins {
            return pins
                .refusal(server, introductions.get(server), tool)
                .map(Reason::Unpinned);
        }
        None
    }

    /// Whether what `server` says of itself is as pinned (always, without pins).
    fn introduction_pinned(&self, server: &str, introductions: &Introductions) -> bool {
        self.pins.as_ref().is_none_or(|pins| {
            pins.server_standing(server, introductions.get(server))
                == crate::governance::pins::Standing::Pinned
        })
    }

    /// Splits each server's tools into the allowed ones and the refusals;
    /// `introductions` is what each server says of itself now, for the pins.
    pub fn apply(
        &self,
        lists: Vec<(String, Vec<Value>)>,
        introductions: &Introductions,
    ) -> (Vec<(String, Vec<Value>)>, Refusals<Reason>) {
        let mut refused = Refusals::default();
        let names = tool_names(&lists);
        let allowed = lists
            .into_iter()
            .zip(names)
            .map(|((server, tools), names)| {
                let kept = tools
                    .into_iter()
                    .zip(names)
                    .filter_map(|(tool, names)| {
                        match self.refusal(&server, introductions, &names, &tool) {
                            None => Some(tool),
                            Some(reason) => {
                                let name = tool
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_owned();
                                refused
                                    .tools
                                    .entry(server.clone())
                                    .or_default()
                                    .insert(name, reason);
                                None
                            }
                        }
                    })
                    .collect::<Vec<Value>>();
                let everything_refused = kept.is_empty() && refused.tools.contains_key(&server);
                if everything_refused || !self.introduction_pinned(&server, introductions) {
                    refused.withheld.insert(server.clone());
                }
                (server, kept)
            })
            .collect();
        (allowed, refused)
    }

    /// The deny and ask patterns that match no tool of `lists` (the tools
    /// as the servers list them, before policy). A server's own lists are
    /// checked only when it is in `lists`.
    pub fn unmatched(&self, lists: &[(String, Vec<Value>)]) -> Vec<Unmatched> {
        let names = tool_names(lists);
        let mut out = Vec::new();
        let everywhere: Vec<&ToolNames> = names.iter().flatten().collect();
        for (list, patterns) in [(List::Deny, &self.deny), (List::Ask, &self.ask)] {
            out.extend(unmatched_in(list, &Origin::Global, patterns, &everywhere));
        }
        for ((server, _), names) in lists.iter().zip(&names) {
            let Some((_, deny, ask)) = self.servers.get(server) else {
                continue;
            };
            let tools: Vec<&ToolNames> = names.iter().collect();
            let origin = Origin::ServerConfig {
                server: server.clone(),
            };
            for (list, patterns) in [(List::Deny, deny), (List::Ask, ask)] {
                out.extend(unmatched_in(list, &origin, patterns, &tools));
            }
        }
        out
    }
}

/// The patterns of `patterns` that match none of `tools` (by `server.tool`
/// when given for every server, else by the tool alone), each with the
/// names closest to it.
fn unmatched_in(
    list: List,
    origin: &Origin,
    patterns: &Patterns,
    tools: &[&ToolNames],
) -> Vec<Unmatched> {
    let qualified = *origin == Origin::Global;
    patterns
        .texts
        .iter()
        .filter(|text| {
            let one = Patterns::new(std::slice::from_ref(*text), patterns.lenient)
                .expect("a pattern that built once builds again");
            !tools
                .iter()
                .any(|tool| one.match_tool(tool, qualified).is_some())
        })
        .map(|text| {
            let candidates = tools
                .iter()
                .flat_map(|tool| if qualified { &tool.shown } else { &tool.bare })
                .map(String::as_str);
            Unmatched {
                list,
                rule: Rule {
                    pattern: text.clone(),
                    origin: origin.clone(),
                },
                closest: codemode_text::suggest::closest(text, candidates, 3)
                    .into_iter()
                    .map(shortened)
                    .collect(),
            }
        })
        .collect()
}

/// `name`, cut to a length an error message can hold.
fn shortened(name: &str) -> String {
    const SHOWN: usize = 80;
    match name.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_owned(),
    }
}

/// Whether `pattern`, a glob over `server.tool`, can name a tool of
/// `server` (one that is not connected, whose tools are unknown): some part
/// before a `.` matches the server's name or namespace.
pub fn may_name_server(pattern: &str, server: &str) -> bool {
    let names = [
        server.to_owned(),
        codemode_typegen::function_identifier(server),
    ];
    pattern.match_indices('.').any(|(at, _)| {
        Patterns::new(&[pattern[..at].to_owned()], true)
            .is_ok_and(|prefix| prefix.first_match(&names).is_some())
    })
}

/// Why `tool` (its raw definition) is not taken to only read; `None` when
/// it is: `readOnlyHint: true` (the boolean; `"true"` is no annotation) and
/// no `destructiveHint` but `false`, since a tool that claims both is not
/// taken at its kinder word.
fn not_read_only(tool: &Value) -> Option<MayWrite> {
    let hint = |key: &str| tool.get("annotations").and_then(|a| a.get(key));
    if hint("readOnlyHint") != Some(&Value::Bool(true)) {
        return Some(MayWrite::NotReadOnly);
    }
    hint("destructiveHint")
        .is_some_and(|d| *d != Value::Bool(false))
        .then_some(MayWrite::AlsoDestructive)
}

impl Rule {
    fn global(pattern: &str) -> Rule {
        Rule {
            pattern: pattern.to_owned(),
            origin: Origin::Global,
        }
    }

    fn of_server(pattern: &str, server: &str) -> Rule {
        Rule {
            pattern: pattern.to_owned(),
            origin: Origin::ServerConfig {
                server: server.to_owned(),
            },
        }
    }
}

/// Tools whose calls need a person's approval: server → tool → reason,
/// as a [`Reason`] until the surface words it for whoever it asks.
#[derive(Clone, Debug)]
pub struct Approvals<R = String>(HashMap<String, HashMap<String, R>>);

impl<R> Default for Approvals<R> {
    fn default() -> Self {
        Approvals(HashMap::new())
    }
}

impl<R> Approvals<R> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Why a call of `tool` (its original name) of `server` needs approval.
    pub fn reason(&self, server: &str, tool: &str) -> Option<&R> {
        self.0.get(server)?.get(tool)
    }

    /// The same approvals with each reason put in `words`.
    pub fn worded<S>(self, words: impl Fn(&R) -> S) -> Approvals<S> {
        let servers = self.0.into_iter().map(|(server, tools)| {
            let tools = tools.into_iter().map(|(tool, reason)| {
                let worded = words(&reason);
                (tool, worded)
            });
            (server, tools.collect())
        });
        Approvals(servers.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// As the CLI words them (see `diagnostics`), whose texts these pin.
    fn cli(refused: Refusals<Reason>) -> Refusals {
        refused.worded(crate::cli::diagnostics::reason)
    }

    fn tool(name: &str, read_only: bool) -> Value {
        json!({"name": name, "annotations": {"readOnlyHint": read_only}})
    }

    fn names(lists: &[(String, Vec<Value>)]) -> Vec<String> {
        lists
            .iter()
            .flat_map(|(s, tools)| {
                tools
                    .iter()
                    .map(move |t| format!("{s}.{}", t["name"].as_str().unwrap()))
            })
            .collect()
    }

    fn catalog() -> Vec<(String, Vec<Value>)> {
        vec![
            (
                "gh".into(),
                vec![
                    tool("get_me", true),
                    tool("delete_repository", false),
                    tool("create_issue", false),
                ],
            ),
            (
                "fs".into(),
                vec![tool("read_file", true), tool("write_file", false)],
            ),
        ]
    }

    #[test]
    fn deny_globs_remove_tools_with_a_reason() {
        let policy =
            Policy::new(&[], &["gh.delete_*".into(), "*.write_*".into()], false, &[]).unwrap();
        let (kept, refused) = policy.apply(catalog(), &Introductions::new());
        let refused = cli(refused);
        assert_eq!(
            names(&kept),
            ["gh.get_me", "gh.create_issue", "fs.read_file"]
        );
        assert_eq!(
            refused
                .reason("gh", "delete_repository")
                .map(String::as_str),
            Some("denied by --deny gh.delete_*")
        );
        assert_eq!(
            refused.reason("fs", "write_file").map(String::as_str),
            Some("denied by --deny *.write_*")
        );
        assert_eq!(refused.reason("gh", "get_me"), None);
    }

    #[test]
    fn allow_lists_keep_only_what_they_match() {
        let policy = Policy::new(&["fs.*".into(), "gh.get_*".into()], &[], false, &[]).unwrap();
        assert_eq!(
            names(&policy.apply(catalog(), &Introductions::new()).0),
            ["gh.get_me", "fs.read_file", "fs.write_file"]
        );
    }

    #[test]
    fn read_only_keeps_annotated_tools() {
        let policy = Policy::new(&[], &[], true, &[]).unwrap();
        let (kept, refused) = policy.apply(catalog(), &Introductions::new());
        let refused = cli(refused);
        assert_eq!(names(&kept), ["gh.get_me", "fs.read_file"]);
        assert_eq!(
            refused.reason("gh", "create_issue").map(String::as_str),
            Some("not annotated read-only, and --read-only is set")
        );
    }

    #[test]
    fn per_server_lists_match_tool_names() {
        let servers = vec![ServerPolicy {
            server: "gh".to_owned(),
            allow: vec!["get_*".to_owned(), "create_*".to_owned()],
            deny: vec!["create_*".to_owned()],
            ask: vec![],
        }];
        let policy = Policy::new(&[], &[], false, &servers).unwrap();
        let (kept, refused) = policy.apply(catalog(), &Introductions::new());
        let refused = cli(refused);
        assert_eq!(names(&kept), ["gh.get_me", "fs.read_file", "fs.write_file"]);
        assert_eq!(
            refused.reason("gh", "create_issue").map(String::as_str),
            Some("denied by the config's \"deny\" entry create_* for gh")
        );
        assert_eq!(
            refused
                .reason("gh", "delete_repository")
                .map(String::as_str),
            Some("not in the config's \"allow\" list for gh")
        );
    }

    #[test]
    fn refusals_are_found_by_original_name_or_identifier() {
        let policy = Policy::new(&["*.get_*".into()], &[], false, &[]).unwrap();
        let (kept, refused) = policy.apply(
            vec![(
                "s".into(),
                vec![
                    tool("get-sum", true),
                    tool("delete", false),
                    tool("list-all", true),
                ],
            )],
            &Introductions::new(),
        );
        let refused = cli(refused);
        // `get-sum` is `get_sum` in TypeScript, which `*.get_*` matches.
        assert_eq!(names(&kept), ["s.get-sum"]);
        assert_eq!(
            refused.reason("s", "delete").map(String::as_str),
            Some("not matched by any --allow pattern")
        );
        // The identifiers typegen would have given them.
        assert_eq!(
            refused.reason("s", "delete_").map(String::as_str),
            Some("not matched by any --allow pattern")
        );
        assert_eq!(
            refused.reason("s", "list_all").map(String::as_str),
            Some("not matched by any --allow pattern")
        );
    }

    #[test]
    fn approval_is_asked_by_glob_by_config_and_for_destructive_tools() {
        let servers = vec![ServerPolicy {
            server: "fs".to_owned(),
            ask: vec!["write_*".to_owned()],
            ..ServerPolicy::default()
        }];
        let policy = Policy::new(&[], &[], false, &servers)
            .unwrap()
            .asking(&["gh.create_*".into()], false)
            .unwrap();
        let asks = policy
            .approvals(&catalog())
            .worded(crate::cli::diagnostics::reason);
        assert_eq!(
            asks.reason("gh", "create_issue").map(String::as_str),
            Some("matched by --ask gh.create_*")
        );
        assert_eq!(
            asks.reason("fs", "write_file").map(String::as_str),
            Some("matched by the config's \"ask\" entry write_* for fs")
        );
        assert_eq!(asks.reason("gh", "delete_repository"), None);
        assert_eq!(asks.reason("gh", "get_me"), None);

        let destructive = Policy::default().asking(&[], true).unwrap();
        let asks = destructive
            .approvals(&catalog())
            .worded(crate::cli::diagnostics::reason);
        assert_eq!(
            asks.reason("gh", "delete_repository").map(String::as_str),
            Some("not annotated read-only, and --ask-destructive is set")
        );
        assert_eq!(asks.reason("fs", "read_file"), None);
        let contradictory =
            json!({"name": "t", "annotations": {"readOnlyHint": true, "destructiveHint": true}});
        let approval = |tool: &Value| {
            let lists = vec![("s".to_owned(), vec![tool.clone()])];
            destructive
                .approvals(&lists)
                .worded(crate::cli::diagnostics::reason)
                .reason("s", tool["name"].as_str().unwrap())
                .cloned()
        };
        assert_eq!(
            approval(&contradictory).as_deref(),
            Some("annotated destructive, and --ask-destructive is set")
        );
        assert!(approval(&json!({"name": "unannotated"})).is_some());
        let stringly =
            json!({"name": "t", "annotations": {"readOnlyHint": true, "destructiveHint": "true"}});
        assert_eq!(
            approval(&stringly).as_deref(),
            Some("annotated read-only but also destructive, and --ask-destructive is set")
        );
        let reader =
            json!({"name": "t", "annotations": {"readOnlyHint": true, "destructiveHint": false}});
        assert_eq!(approval(&reader), None);
    }

    fn tracker() -> Vec<(String, Vec<Value>)> {
        vec![(
            "issue-tracker".into(),
            vec![
                tool("list-issues", true),
                tool("delete-issue", false),
                tool("create_issue", false),
            ],
        )]
    }

    #[test]
    fn patterns_match_the_namespace_and_the_typescript_name() {
        // As `codemode types` shows them: issue_tracker.delete_issue.
        for pattern in [
            "issue_tracker.delete_*",
            "issue-tracker.delete-*",
            "issue_tracker.delete-issue",
            "issue-tracker.delete_issue",
            "ISSUE_TRACKER.Delete_Issue",
        ] {
            let policy = Policy::new(&[], &[pattern.to_owned()], false, &[]).unwrap();
            let (kept, refused) = policy.apply(tracker(), &Introductions::new());
            let refused = cli(refused);
            assert_eq!(
                names(&kept),
                ["issue-tracker.list-issues", "issue-tracker.create_issue"],
                "{pattern}"
            );
            assert_eq!(
                refused
                    .reason("issue-tracker", "delete_issue")
                    .map(String::as_str),
                Some(format!("denied by --deny {pattern}").as_str())
            );
            assert!(policy.unmatched(&tracker()).is_empty(), "{pattern}");
            let asking = Policy::default()
                .asking(&[pattern.to_owned()], false)
                .unwrap();
            assert!(
                asking
                    .approvals(&tracker())
                    .reason("issue-tracker", "delete-issue")
                    .is_some(),
                "{pattern}"
            );
        }
        // An allow list matches as written (its case), by name or identifier.
        let allow = Policy::new(&["issue_tracker.list_*".into()], &[], false, &[]).unwrap();
        assert_eq!(
            names(&allow.apply(tracker(), &Introductions::new()).0),
            ["issue-tracker.list-issues"]
        );
        let upper = Policy::new(&["ISSUE_TRACKER.*".into()], &[], false, &[]).unwrap();
        assert!(names(&upper.apply(tracker(), &Introductions::new()).0).is_empty());
    }

    #[test]
    fn lookalike_spellings_do_not_get_past_deny_and_ask() {
        // Cyrillic е, fullwidth letters, a zero-width space, other case.
        let disguised = [
            "d\u{435}lete_repository",
            "ＤＥＬＥＴＥ_repository",
            "del\u{200B}ete_repository",
            "Delete_Repository",
        ];
        let lists = vec![(
            "gh".to_owned(),
            disguised.iter().map(|n| tool(n, false)).collect(),
        )];
        let policy = Policy::new(&[], &["gh.delete_*".into()], false, &[])
            .unwrap()
            .asking(&["*.DELETE_*".into()], false)
            .unwrap();
        let (kept, _) = policy.apply(lists.clone(), &Introductions::new());
        assert!(names(&kept).is_empty(), "{:?}", names(&kept));
        let asks = policy.approvals(&lists);
        for name in disguised {
            assert!(asks.reason("gh", name).is_some(), "{name}");
        }
    }

    #[test]
    fn config_lists_match_the_typescript_name_too() {
        let servers = vec![ServerPolicy {
            server: "issue-tracker".to_owned(),
            deny: vec!["delete_issue".to_owned()],
            ask: vec!["CREATE_*".to_owned()],
            ..ServerPolicy::default()
        }];
        let policy = Policy::new(&[], &[], false, &servers).unwrap();
        let (kept, _) = policy.apply(tracker(), &Introductions::new());
        assert_eq!(
            names(&kept),
            ["issue-tracker.list-issues", "issue-tracker.create_issue"]
        );
        assert!(
            policy
                .approvals(&tracker())
                .reason("issue-tracker", "create_issue")
                .is_some()
        );
        assert!(policy.unmatched(&tracker()).is_empty());
    }

    #[test]
    fn deny_and_ask_patterns_that_match_nothing_are_named_with_the_closest_names() {
        let servers = vec![ServerPolicy {
            server: "issue-tracker".to_owned(),
            deny: vec!["delete_isue".to_owned()],
            ..ServerPolicy::default()
        }];
        let policy = Policy::new(
            &["nothing.*".into()],
            &["issue_tracker.delete_isue".into(), "gh.*".into()],
            false,
            &servers,
        )
        .unwrap()
        .asking(&["*.create_issue".into(), "*.creat_issues".into()], false)
        .unwrap();
        let unmatched: Vec<String> = policy
            .unmatched(&tracker())
            .iter()
            .map(crate::cli::diagnostics::unmatched)
            .collect();
        assert_eq!(
            unmatched,
            [
                "--deny issue_tracker.delete_isue matches no tool (closest: issue_tracker.delete_issue, issue-tracker.delete-issue, issue_tracker.create_issue)",
                "--deny gh.* matches no tool (closest: issue-tracker.list-issues, issue_tracker.list_issues, issue-tracker.create_issue)",
                "--ask *.creat_issues matches no tool (closest: issue-tracker.create_issue, issue_tracker.create_issue, issue_tracker.list_issues)",
                "the config's \"deny\" entry delete_isue for issue-tracker matches none of its tools (closest: delete_issue, delete-issue, create_issue)",
            ]
        );
        let long = vec![("s".to_owned(), vec![tool(&"x".repeat(10_000), false)])];
        let unmatched = Policy::new(&[], &["s.y".into()], false, &[])
            .unwrap()
            .unmatched(&long);
        assert_eq!(unmatched[0].closest, [format!("s.{}…", "x".repeat(78))]);
        // A server's own list is checked only when the server is there.
        assert_eq!(policy.unmatched(&[]).len(), 4);
    }

    /// Every reason policy gives, one of each kind and origin.
    fn every_reason() -> Vec<Reason> {
        use crate::governance::pins::Unpinned;
        let config = Origin::ServerConfig {
            server: "gh".into(),
        };
        let rules = [
            Rule::global("gh.delete_*"),
            Rule::of_server("delete_*", "gh"),
        ];
        let mut reasons: Vec<Reason> = rules.iter().cloned().map(Reason::Denied).collect();
        reasons.extend(rules.iter().cloned().map(Reason::Asked));
        reasons.extend([
            Reason::NotAllowed(Origin::Global),
            Reason::NotAllowed(config),
        ]);
        for why in [
            MayWrite::Destructive,
            MayWrite::NotReadOnly,
            MayWrite::AlsoDestructive,
        ] {
            reasons.extend([Reason::ReadOnly(why), Reason::AskDestructive(why)]);
        }
        reasons.extend(
            [
                Unpinned::NewTool,
                Unpinned::ChangedTool,
                Unpinned::NewServer,
                Unpinned::ChangedServer,
            ]
            .map(Reason::Unpinned),
        );
        reasons
    }

    #[test]
    fn plain_reasons_name_no_flag_or_command() {
        for reason in every_reason() {
            let words = reason.plain();
            assert!(
                !words.contains("--") && !words.contains('`') && !words.contains("config"),
                "{words}"
            );
        }
    }

    #[test]
    fn plain_reasons_say_whose_rule_it_is_and_what_the_tool_is() {
        let plain = |reason: Reason| reason.plain();
        assert_eq!(
            plain(Reason::Denied(Rule::global("gh.delete_*"))),
            "denied by the operator's rule \"gh.delete_*\""
        );
        assert_eq!(
            plain(Reason::Denied(Rule::of_server("delete_*", "gh"))),
            "denied by the operator's rule \"delete_*\" for gh"
        );
        assert_eq!(
            plain(Reason::NotAllowed(Origin::Global)),
            "not among the tools the operator allows"
        );
        assert_eq!(
            plain(Reason::ReadOnly(MayWrite::NotReadOnly)),
            "the operator allows only read-only tools, and this one is not annotated read-only"
        );
        assert_eq!(
            plain(Reason::Asked(Rule::global("gh.create_*"))),
            "matched by the operator's rule gh.create_*"
        );
        assert_eq!(
            plain(Reason::AskDestructive(MayWrite::Destructive)),
            "the operator asks before calls of tools that may change something, and this one is annotated destructive"
        );
        assert_eq!(
            plain(Reason::Unpinned(
                crate::governance::pins::Unpinned::ChangedServer
            )),
            "its server's description or instructions changed since they were pinned; the operator must review them and pin them again"
        );
    }

    #[test]
    fn a_pattern_may_name_a_server_whose_tools_are_unknown() {
        assert!(may_name_server("issue_tracker.delete_*", "issue-tracker"));
        assert!(may_name_server("*.delete_*", "gh"));
        assert!(may_name_server("GH.x", "gh"));
        assert!(!may_name_server("fs.delete_*", "gh"));
        assert!(!may_name_server("delete_*", "gh"));
    }

    mod spelled {
        use super::*;
        use proptest::prelude::*;

        /// Latin letters and a lookalike from another script.
        const LOOKALIKES: &[(char, char)] = &[
            ('a', '\u{430}'),
            ('e', '\u{435}'),
            ('o', '\u{43E}'),
            ('p', '\u{440}'),
            ('c', '\u{441}'),
            ('x', '\u{445}'),
        ];

        fn flip_case(text: &str, flips: &[bool]) -> String {
            text.chars()
                .zip(flips.iter().cycle())
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
                .collect()
        }

        proptest! {
            /// Whichever of its names a pattern uses (the server's name or
            /// namespace, the tool's name or identifier), in whatever case,
            /// it denies the tool, and a lookalike spelling of the tool's
            /// name does not get past it.
            #[test]
            fn a_deny_pattern_denies_by_any_of_the_names(
                server in "[a-z][a-z0-9]{0,6}([-.][a-z0-9]{1,6})?",
                tool_name in "[a-z][a-z0-9]{0,8}([-_ ][a-z0-9]{1,8}){0,2}",
                by_namespace: bool,
                by_identifier: bool,
                flips in proptest::collection::vec(any::<bool>(), 1..8),
                disguise in proptest::collection::vec(any::<bool>(), 1..8),
            ) {
                let lists = vec![(server.clone(), vec![tool(&tool_name, false)])];
                let api = codemode_typegen::Api::new(lists.clone());
                let ns = &api.namespaces()[0];
                let pattern = format!(
                    "{}.{}",
                    if by_namespace { ns.ident() } else { server.as_str() },
                    if by_identifier { ns.functions()[0].ident() } else { tool_name.as_str() },
                );
                let pattern = flip_case(&pattern, &flips);
                let policy = Policy::new(&[], std::slice::from_ref(&pattern), false, &[]).unwrap();
                prop_assert!(policy.unmatched(&lists).is_empty(), "{pattern}");
                let (kept, _) = policy.apply(lists, &Introductions::new());
                prop_assert!(names(&kept).is_empty(), "{pattern} kept {:?}", names(&kept));

                let mut swaps = disguise.iter().cycle();
                let disguised: String = tool_name
                    .chars()
                    .map(|c| match LOOKALIKES.iter().find(|(latin, _)| *latin == c) {
                        Some((_, lookalike)) if *swaps.next().unwrap() => *lookalike,
                        _ => c,
                    })
                    .collect();
                let lists = vec![(server.clone(), vec![tool(&disguised, false)])];
                let plain = format!("{server}.{tool_name}");
                let policy = Policy::new(&[], std::slice::from_ref(&plain), false, &[]).unwrap();
                let (kept, _) = policy.apply(lists, &Introductions::new());
                prop_assert!(names(&kept).is_empty(), "{plain} kept {:?}", names(&kept));
            }
        }
    }

    #[test]
    fn a_tool_added_later_cannot_move_a_denied_tool_to_another_identifier() {
        // At start `delete-issue` is `delete_issue` in TypeScript, and denied so.
        let policy = Policy::new(&[], &["t.delete_issue".into()], false, &[])
            .unwrap()
            .asking(&["t.delete_issue".into()], false)
            .unwrap();
        let before = vec![("t".to_owned(), vec![tool("delete-issue", false)])];
        assert!(names(&policy.apply(before, &Introductions::new()).0).is_empty());
        // A decoy takes the identifier; the real tool becomes `delete_issue_2`.
        let after = vec![(
            "t".to_owned(),
            vec![tool("delete-issue", false), tool("delete_issue", false)],
        )];
        let api = codemode_typegen::Api::new(after.clone());
        assert_eq!(api.namespaces()[0].functions()[0].ident(), "delete_issue_2");
        assert!(names(&policy.apply(after.clone(), &Introductions::new()).0).is_empty());
        assert!(
            policy
                .approvals(&after)
                .reason("t", "delete-issue")
                .is_some()
        );
    }

    #[test]
    fn patterns_that_folding_would_unmake_still_match_as_written() {
        let lists = vec![("gh".to_owned(), vec![tool("v2_delete", false)])];
        let policy = Policy::new(&[], &["gh.v[0-9]_*".into()], false, &[]).unwrap();
        assert!(names(&policy.apply(lists, &Introductions::new()).0).is_empty());
    }

    #[test]
    fn bad_patterns_are_reported() {
        let err = Policy::new(&["gh.[".into()], &[], false, &[]).unwrap_err();
        assert_eq!(err.to_string(), "invalid pattern `gh.[`");
        // What is wrong with it is the cause, which main prints below.
        let cause = std::error::Error::source(&err).expect("the glob's error");
        assert!(
            cause.to_string().contains("unclosed character class"),
            "{cause}"
        );
    }
}
