//! Which upstream tools programs may use: `--allow`/`--deny` globs over
//! `server.tool`, per-server lists in the config, and `--read-only`; and
//! which need a person's approval for each call: `--ask` globs, per-server
//! `"ask"` lists, and `--ask-destructive`.
//!
//! A tool that policy removes is left out of the API (so it is absent from
//! the types) and refused, with the reason, if a program names it anyway.
//! A tool that needs approval stays in the API; the executor asks before
//! each call (see [`crate::approval`]).

use std::collections::HashMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use crate::config::ServerPolicy;

#[derive(Debug, thiserror::Error)]
#[error("invalid pattern `{pattern}`: {error}")]
pub struct PatternError {
    pattern: String,
    error: globset::Error,
}

/// A list of globs, kept with their text so refusals can quote them.
#[derive(Clone, Debug, Default)]
struct Patterns {
    texts: Vec<String>,
    set: GlobSet,
}

impl Patterns {
    fn new(texts: &[String]) -> Result<Patterns, PatternError> {
        let mut builder = GlobSetBuilder::new();
        for text in texts {
            let glob = Glob::new(text).map_err(|error| PatternError {
                pattern: text.clone(),
                error,
            })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|error| PatternError {
            pattern: texts.join(", "),
            error,
        })?;
        Ok(Patterns {
            texts: texts.to_vec(),
            set,
        })
    }

    fn first_match(&self, name: &str) -> Option<&str> {
        self.set
            .matches(name)
            .first()
            .map(|&i| self.texts[i].as_str())
    }

    fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Over `server.tool`.
    allow: Patterns,
    deny: Patterns,
    read_only: bool,
    ask: Patterns,
    ask_destructive: bool,
    /// `--pins`: tools must be as pinned.
    pins: Option<std::sync::Arc<crate::pins::Pins>>,
    /// Per server, over the tool name: allow, deny, ask.
    servers: HashMap<String, (Patterns, Patterns, Patterns)>,
}

impl Policy {
    /// `allow`/`deny` match `server.tool`; `servers` holds each server's own
    /// `(allow, deny)` lists from the config, matching the tool name.
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
                        Patterns::new(&p.allow)?,
                        Patterns::new(&p.deny)?,
                        Patterns::new(&p.ask)?,
                    ),
                ))
            })
            .collect::<Result<_, PatternError>>()?;
        Ok(Policy {
            allow: Patterns::new(allow)?,
            deny: Patterns::new(deny)?,
            read_only,
            ask: Patterns::default(),
            ask_destructive: false,
            pins: None,
            servers,
        })
    }

    /// Calls of tools matching `ask` (globs over `server.tool`) need a
    /// person's approval, and with `destructive` so do those of every tool
    /// annotated `destructiveHint: true` or not annotated `readOnlyHint: true`.
    pub fn asking(mut self, ask: &[String], destructive: bool) -> Result<Policy, PatternError> {
        self.ask = Patterns::new(ask)?;
        self.ask_destructive = destructive;
        Ok(self)
    }

    /// Tools must be as `pins` has them (see [`crate::pins`]).
    pub fn pinned(mut self, pins: Option<crate::pins::Pins>) -> Policy {
        self.pins = pins.map(std::sync::Arc::new);
        self
    }

    /// Why a call of `tool` (its raw definition) needs a person's approval;
    /// `None` when it does not.
    pub fn approval(&self, server: &str, tool: &Value) -> Option<String> {
        self.approval_as(server, tool, None)
    }

    /// [`Policy::approval`], where a pattern may also name the tool as the
    /// program does, `namespace.function` (`my_gh.delete_repo` for the
    /// `my-gh` server's `delete-repo`): a person who writes the names the
    /// API shows must not leave the tool unasked.
    fn approval_as(
        &self,
        server: &str,
        tool: &Value,
        idents: Option<(&str, &str)>,
    ) -> Option<String> {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
        let qualified = [
            Some(format!("{server}.{name}")),
            idents.map(|(ns, f)| format!("{ns}.{f}")),
        ];
        if let Some(pattern) = qualified
            .iter()
            .flatten()
            .find_map(|q| self.ask.first_match(q))
        {
            return Some(format!("matched by --ask {pattern}"));
        }
        if let Some((_, _, ask)) = self.servers.get(server)
            && let Some(pattern) = [Some(name), idents.map(|(_, f)| f)]
                .into_iter()
                .flatten()
                .find_map(|n| ask.first_match(n))
        {
            return Some(format!(
                "matched by the config's \"ask\" entry {pattern} for {server}"
            ));
        }
        if self.ask_destructive {
            let hint = |key: &str| tool.get("annotations").and_then(|a| a.get(key));
            if hint("destructiveHint") == Some(&Value::Bool(true)) {
                return Some("annotated destructive, and --ask-destructive is set".to_owned());
            }
            if hint("readOnlyHint") != Some(&Value::Bool(true)) {
                return Some("not annotated read-only, and --ask-destructive is set".to_owned());
            }
        }
        None
    }

    /// The tools of `lists` whose calls need approval, with the reason. An
    /// `--ask` pattern that matches no tool (a typo asks about nothing) is
    /// warned about.
    pub fn approvals(&self, lists: &[(String, Vec<Value>)]) -> Approvals {
        let mut asks = Approvals::default();
        let mut matched = vec![false; self.ask.texts.len()];
        // The identifiers the program's API gives them, as it gives them.
        let api = codemode_typegen::Api::new(lists.to_vec());
        for namespace in api.namespaces() {
            let server = namespace.server();
            for function in namespace.functions() {
                for qualified in [
                    format!("{server}.{}", function.tool()),
                    format!("{}.{}", namespace.ident(), function.ident()),
                ] {
                    for i in self.ask.set.matches(&qualified) {
                        matched[i] = true;
                    }
                }
                let idents = Some((namespace.ident(), function.ident()));
                if let Some(reason) = self.approval_as(server, function.raw(), idents) {
                    asks.0
                        .entry(server.to_owned())
                        .or_default()
                        .insert(function.tool().to_owned(), reason);
                }
            }
        }
        for (pattern, _) in self.ask.texts.iter().zip(matched).filter(|(_, m)| !m) {
            tracing::warn!(
                "--ask {pattern} matches no tool of the servers in use, so it asks about nothing; check it against `codemode tools` (server.tool or namespace.function)"
            );
        }
        asks
    }

    /// `None` when `tool` (its raw definition) may be used, else why not.
    pub fn refusal(&self, server: &str, tool: &Value) -> Option<String> {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
        let qualified = format!("{server}.{name}");
        if let Some(pattern) = self.deny.first_match(&qualified) {
            return Some(format!("denied by --deny {pattern}"));
        }
        if let Some((allow, deny, _)) = self.servers.get(server) {
            if let Some(pattern) = deny.first_match(name) {
                return Some(format!(
                    "denied by the config's \"deny\" entry {pattern} for {server}"
                ));
            }
            if !allow.is_empty() && allow.first_match(name).is_none() {
                return Some(format!("not in the config's \"allow\" list for {server}"));
            }
        }
        if !self.allow.is_empty() && self.allow.first_match(&qualified).is_none() {
            return Some("not matched by any --allow pattern".to_owned());
        }
        let read_only =
            tool.get("annotations").and_then(|a| a.get("readOnlyHint")) == Some(&Value::Bool(true));
        if self.read_only && !read_only {
            return Some("not annotated read-only, and --read-only is set".to_owned());
        }
        if let Some(pins) = &self.pins {
            return pins.refusal(server, tool);
        }
        None
    }

    /// Splits each server's tools into the allowed ones and the refusals.
    pub fn apply(&self, lists: Vec<(String, Vec<Value>)>) -> (Vec<(String, Vec<Value>)>, Refusals) {
        let mut refused = Refusals::default();
        let allowed = lists
            .into_iter()
            .map(|(server, tools)| {
                let kept = tools
                    .into_iter()
                    .filter(|tool| match self.refusal(&server, tool) {
                        None => true,
                        Some(reason) => {
                            let name = tool
                                .get("name")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_owned();
                            refused
                                .0
                                .entry(server.clone())
                                .or_default()
                                .insert(name, reason);
                            false
                        }
                    })
                    .collect();
                (server, kept)
            })
            .collect();
        (allowed, refused)
    }
}

/// Tools whose calls need a person's approval: server → tool → reason.
#[derive(Clone, Debug, Default)]
pub struct Approvals(HashMap<String, HashMap<String, String>>);

impl Approvals {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Why a call of `tool` (its original name) of `server` needs approval.
    pub fn reason(&self, server: &str, tool: &str) -> Option<&str> {
        self.0.get(server)?.get(tool).map(String::as_str)
    }
}

/// Tools left out by policy: server → tool → reason.
#[derive(Clone, Debug, Default)]
pub struct Refusals(HashMap<String, HashMap<String, String>>);

impl Refusals {
    /// Why `tool` of `server` was left out; `tool` may be the original name
    /// or its TypeScript identifier.
    pub fn reason(&self, server: &str, tool: &str) -> Option<&str> {
        let refused = self.0.get(server)?;
        refused
            .get(tool)
            .or_else(|| {
                refused
                    .iter()
                    .find(|(name, _)| codemode_typegen::function_identifier(name) == tool)
                    .map(|(_, reason)| reason)
            })
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let (kept, refused) = policy.apply(catalog());
        assert_eq!(
            names(&kept),
            ["gh.get_me", "gh.create_issue", "fs.read_file"]
        );
        assert_eq!(
            refused.reason("gh", "delete_repository"),
            Some("denied by --deny gh.delete_*")
        );
        assert_eq!(
            refused.reason("fs", "write_file"),
            Some("denied by --deny *.write_*")
        );
        assert_eq!(refused.reason("gh", "get_me"), None);
    }

    #[test]
    fn allow_lists_keep_only_what_they_match() {
        let policy = Policy::new(&["fs.*".into(), "gh.get_*".into()], &[], false, &[]).unwrap();
        assert_eq!(
            names(&policy.apply(catalog()).0),
            ["gh.get_me", "fs.read_file", "fs.write_file"]
        );
    }

    #[test]
    fn read_only_keeps_annotated_tools() {
        let policy = Policy::new(&[], &[], true, &[]).unwrap();
        let (kept, refused) = policy.apply(catalog());
        assert_eq!(names(&kept), ["gh.get_me", "fs.read_file"]);
        assert_eq!(
            refused.reason("gh", "create_issue"),
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
        let (kept, refused) = policy.apply(catalog());
        assert_eq!(names(&kept), ["gh.get_me", "fs.read_file", "fs.write_file"]);
        assert_eq!(
            refused.reason("gh", "create_issue"),
            Some("denied by the config's \"deny\" entry create_* for gh")
        );
        assert_eq!(
            refused.reason("gh", "delete_repository"),
            Some("not in the config's \"allow\" list for gh")
        );
    }

    #[test]
    fn refusals_are_found_by_original_name_or_identifier() {
        let policy = Policy::new(&["*.get_*".into()], &[], false, &[]).unwrap();
        let (_, refused) = policy.apply(vec![(
            "s".into(),
            vec![tool("get-sum", true), tool("delete", false)],
        )]);
        assert_eq!(
            refused.reason("s", "delete"),
            Some("not matched by any --allow pattern")
        );
        // The identifiers typegen would have given them.
        assert_eq!(
            refused.reason("s", "delete_"),
            Some("not matched by any --allow pattern")
        );
        // `s.get-sum` does not match `*.get_*`, so it is refused too, and found by `get_sum`.
        assert_eq!(
            refused.reason("s", "get_sum"),
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
        let asks = policy.approvals(&catalog());
        assert_eq!(
            asks.reason("gh", "create_issue"),
            Some("matched by --ask gh.create_*")
        );
        assert_eq!(
            asks.reason("fs", "write_file"),
            Some("matched by the config's \"ask\" entry write_* for fs")
        );
        assert_eq!(asks.reason("gh", "delete_repository"), None);
        assert_eq!(asks.reason("gh", "get_me"), None);

        let destructive = Policy::default().asking(&[], true).unwrap();
        let asks = destructive.approvals(&catalog());
        assert_eq!(
            asks.reason("gh", "delete_repository"),
            Some("not annotated read-only, and --ask-destructive is set")
        );
        assert_eq!(asks.reason("fs", "read_file"), None);
        let contradictory =
            json!({"name": "t", "annotations": {"readOnlyHint": true, "destructiveHint": true}});
        assert_eq!(
            destructive.approval("s", &contradictory).as_deref(),
            Some("annotated destructive, and --ask-destructive is set")
        );
        assert!(
            destructive
                .approval("s", &json!({"name": "unannotated"}))
                .is_some()
        );
    }

    #[test]
    fn bad_patterns_are_reported() {
        let err = Policy::new(&["gh.[".into()], &[], false, &[]).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid pattern `gh.[`"),
            "{err}"
        );
    }
}
