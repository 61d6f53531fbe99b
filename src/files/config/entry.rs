//! One server as a config file describes it: the union of the fields MCP
//! clients use, which every format is turned into, and how it becomes a
//! [`Transport`].

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Transport, Unusable, Vars};
use crate::hint::Hinted;

/// Whether two entries of the `mcpServers` dialect mean the same server,
/// however each is spelled (`"type": "stdio"` or none, `serverUrl` for
/// `url`, empty `args`): what each would start or reach, with which
/// filters, time-outs and login. References (`${VAR}`) are compared as
/// written, never expanded, so no secret is read to compare; entries that
/// reference differently (`${env:A}` and `${A}`, other defaults) differ.
pub fn same_server(a: &serde_json::Value, b: &serde_json::Value, base_dir: &Path) -> bool {
    if a == b {
        return true;
    }
    if references_in(a) != references_in(b) {
        return false;
    }
    let (Ok(a), Ok(b)) = (Entry::deserialize(a), Entry::deserialize(b)) else {
        return false;
    };
    let as_written = |var: &str| Some(format!("${{{var}}}"));
    let inputs = std::collections::HashMap::new();
    let vars = Vars {
        env: &as_written,
        workspace: base_dir.to_owned(),
        inputs: &inputs,
    };
    a.is_disabled() == b.is_disabled()
        && a.policy() == b.policy()
        && a.timeouts() == b.timeouts()
        && a.oauth(&vars) == b.oauth(&vars)
        && a.transport(&vars, base_dir) == b.transport(&vars, base_dir)
}

/// Every `${…}` reference in the strings of `value`, sorted.
pub fn references_in(value: &serde_json::Value) -> Vec<&str> {
    let mut found = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::String(text) => found.extend(super::interpolate::references(text)),
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    found.sort_unstable();
    found
}

/// A server entry in the `mcpServers` dialect (Claude Desktop, Claude Code,
/// Cursor, Windsurf, Cline, Gemini CLI, VS Code's `servers`); the other
/// formats fill one in. Unknown keys are ignored, so configs written for
/// other clients load unchanged.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Entry {
    pub command: Option<String>,
    pub args: Vec<String>,
    pub env: IndexMap<String, String>,
    #[serde(rename = "envFile")]
    pub env_file: Option<String>,
    pub cwd: Option<String>,
    pub url: Option<String>,
    /// Gemini CLI's name for a streamable-HTTP `url`.
    #[serde(rename = "httpUrl")]
    pub http_url: Option<String>,
    /// Windsurf's name for `url`.
    #[serde(rename = "serverUrl")]
    pub server_url: Option<String>,
    pub headers: IndexMap<String, String>,
    pub disabled: bool,
    pub enabled: Option<bool>,
    #[serde(rename = "type", alias = "transportType")]
    pub kind: Option<String>,
    /// Globs over this server's tool names (codemode's own keys).
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    /// Globs over this server's tool names that need a person's approval
    /// for each call (codemode's own key).
    pub ask: Vec<String>,
    /// Gemini CLI's tool filters.
    #[serde(rename = "includeTools")]
    pub include_tools: Vec<String>,
    #[serde(rename = "excludeTools")]
    pub exclude_tools: Vec<String>,
    /// Per-request time-out: Cline's in seconds, Gemini CLI's in
    /// milliseconds (see [`Extra::timeout_in_ms`]).
    pub timeout: Option<f64>,
    /// Seconds to start, initialize and list tools (codemode's own key).
    #[serde(rename = "startupTimeoutSec")]
    pub startup_timeout_sec: Option<f64>,
    /// A pre-registered OAuth client (codemode's own key).
    pub oauth: Option<OAuthEntry>,
    /// Cursor's pre-registered OAuth client.
    pub auth: Option<CursorAuth>,
    /// OAuth scopes to ask for (Codex CLI's key).
    pub scopes: Vec<String>,
    /// Set by formats, never read from a file.
    #[serde(skip)]
    pub extra: Extra,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct OAuthEntry {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    pub client_metadata_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CursorAuth {
    #[serde(rename = "CLIENT_ID")]
    pub client_id: Option<String>,
    #[serde(rename = "CLIENT_SECRET")]
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
}

/// What some formats say that the `mcpServers` dialect has no key for.
#[derive(Debug, Default)]
pub(super) struct Extra {
    /// A bare `url` means the legacy SSE transport (Gemini CLI).
    pub url_is_sse: bool,
    /// `$VAR` in `env` values is expanded as well as `${VAR}` (Gemini CLI).
    pub bare_vars_in_env: bool,
    /// `timeout` is in milliseconds (Gemini CLI), not seconds (Cline).
    pub timeout_in_ms: bool,
    /// Time-outs a format gives under keys of its own (Codex CLI's).
    pub timeouts: super::Timeouts,
    /// Headers whose values are read from environment variables (Codex's
    /// `env_http_headers`, `bearer_token_env_var`): header → variable,
    /// with a prefix for the value (`Bearer `).
    pub env_headers: Vec<(String, String, &'static str)>,
    /// Variables of codemode's environment passed on by name (Codex's `env_vars`).
    pub env_vars: Vec<String>,
    /// Keys this format has that codemode reads but cannot honour yet.
    pub unhonoured: Vec<&'static str>,
    /// Why this entry cannot be used whatever its fields say.
    pub unusable: Option<String>,
}

impl Entry {
    pub(super) fn is_disabled(&self) -> bool {
        self.disabled || self.enabled == Some(false)
    }

    /// The tool filters of this entry as `allow`, `deny` and `ask` globs.
    pub(super) fn policy(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let allow = self.allow.iter().chain(&self.include_tools).cloned();
        let deny = self.deny.iter().chain(&self.exclude_tools).cloned();
        (allow.collect(), deny.collect(), self.ask.clone())
    }

    /// This server's own time-outs.
    pub(super) fn timeouts(&self) -> super::Timeouts {
        let mut timeouts = self.extra.timeouts;
        if let Some(seconds) = self.startup_timeout_sec {
            timeouts.startup = seconds_to_duration(seconds);
        }
        if let Some(timeout) = self.timeout {
            let seconds = if self.extra.timeout_in_ms {
                timeout / 1000.0
            } else {
                timeout
            };
            timeouts.call = seconds_to_duration(seconds);
        }
        timeouts
    }

    /// The pre-registered OAuth client, if the entry names one (its
    /// secret may come from the environment, `${VAR}`).
    pub(super) fn oauth(&self, vars: &Vars) -> Result<super::OAuthClient, String> {
        let expand = |value: &Option<String>| {
            value
                .as_deref()
                .map(|v| vars.expand(v).map_err(|e| words(&e)))
                .transpose()
        };
        let (id, secret, scopes) = match (&self.oauth, &self.auth) {
            (Some(_), Some(_)) => {
                return Err("has both \"oauth\" and \"auth\"; keep one".into());
            }
            (Some(o), None) => (&o.client_id, &o.client_secret, &o.scopes),
            (None, Some(a)) => (&a.client_id, &a.client_secret, &a.scopes),
            (None, None) => (&None, &None, &self.scopes),
        };
        let metadata_url = self
            .oauth
            .as_ref()
            .and_then(|o| o.client_metadata_url.clone());
        Ok(super::OAuthClient {
            client_metadata_url: metadata_url,
            client_id: expand(id)?,
            client_secret: expand(secret)?,
            scopes: if scopes.is_empty() {
                self.scopes.clone()
            } else {
                scopes.clone()
            },
        })
    }

    /// How to reach the server, or why it cannot be reached.
    pub(super) fn transport(&self, vars: &Vars, base_dir: &Path) -> Result<Transport, Unusable> {
        if let Some(reason) = &self.extra.unusable {
            return Err(reason.clone().into());
        }
        let expand = |value: &str| vars.expand(value).map_err(Unusable::from);
        let urls: Vec<&String> = [&self.url, &self.http_url, &self.server_url]
            .into_iter()
            .flatten()
            .collect();
        let url = match urls[..] {
            [] => None,
            [url] => Some(url),
            _ => {
                return Err(
                    "has more than one of \"url\", \"httpUrl\" and \"serverUrl\"; keep one".into(),
                );
            }
        };
        let kind = match self.kind.as_deref() {
            None if self.extra.url_is_sse && self.url.is_some() => Some("sse"),
            kind => kind,
        };
        match kind {
            None | Some("stdio" | "sse" | "http" | "streamable-http" | "streamableHttp") => {}
            Some(other) => {
                return Err(format!(
                    "has \"type\": {other:?}, a transport codemode does not speak; \
                     it speaks \"stdio\", \"http\" (also \"streamable-http\", \"streamableHttp\") and \"sse\""
                )
                .into());
            }
        }
        match (&self.command, url) {
            (Some(_), Some(_)) => Err("has both \"command\" and \"url\"; keep one".into()),
            (None, None) => Err(
                "needs \"command\" (a stdio server) or \"url\" (a streamable-HTTP server)".into(),
            ),
            (Some(_), None) if kind.is_some_and(|k| k != "stdio") => Err(format!(
                "has \"type\": {:?} but a \"command\" and no \"url\"",
                kind.unwrap_or_default()
            )
            .into()),
            (None, Some(_)) if kind == Some("stdio") => {
                Err("has \"type\": \"stdio\" but a \"url\" and no \"command\"".into())
            }
            (Some(command), None) => Ok(Transport::Stdio {
                command: expand(command)?,
                args: self
                    .args
                    .iter()
                    .map(|a| expand(a))
                    .collect::<Result<_, _>>()?,
                env: self.child_env(vars, base_dir)?,
                cwd: self
                    .cwd
                    .as_deref()
                    .map(|c| expand(c).map(|c| base_dir.join(c)))
                    .transpose()?,
                hidden_env: vec![],
            }),
            (None, Some(url)) => {
                let mut headers = self
                    .headers
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), expand(v)?)))
                    .collect::<Result<Vec<_>, Unusable>>()?;
                for (header, var, prefix) in &self.extra.env_headers {
                    let value = (vars.env)(var).ok_or_else(|| {
                        format!("reads the {header} header from the environment variable {var}, which is not set; export it")
                    })?;
                    headers.push((header.clone(), format!("{prefix}{value}")));
                }
                let url = expand(url)?;
                Ok(match kind {
                    Some("sse") => Transport::Sse { url, headers },
                    kind => Transport::Http {
                        url,
                        headers,
                        // `httpUrl` names streamable HTTP as plainly as a type.
                        sse_fallback: kind.is_none() && self.http_url.is_none(),
                    },
                })
            }
        }
    }

    /// The child's added environment: `envFile`, then the variables passed
    /// on by name, then `env`, each later one winning.
    fn child_env(&self, vars: &Vars, base_dir: &Path) -> Result<Vec<(String, String)>, Unusable> {
        let mut env: IndexMap<String, String> = IndexMap::new();
        if let Some(file) = &self.env_file {
            let file = base_dir.join(vars.expand(file)?);
            let entries = dotenvy::from_path_iter(&file).map_err(|e| {
                format!(
                    "its \"envFile\" {} cannot be read ({e}); fix the path or remove it",
                    file.display()
                )
            })?;
            for entry in entries {
                let (key, value) = entry
                    .map_err(|e| format!("its \"envFile\" {} is malformed: {e}", file.display()))?;
                env.insert(key, value);
            }
        }
        for var in &self.extra.env_vars {
            if let Some(value) = (vars.env)(var) {
                env.insert(var.clone(), value);
            }
        }
        for (key, value) in &self.env {
            let value = if self.extra.bare_vars_in_env {
                vars.expand_with_bare(value)
            } else {
                vars.expand(value)
            };
            env.insert(key.clone(), value?);
        }
        Ok(env.into_iter().collect())
    }
}

/// Why a reference has no value, with what would give it one in plain words
/// (a warning has no hint of its own).
fn words(unresolved: &super::Unresolved) -> String {
    match unresolved.hint() {
        Some(hint) => format!("{unresolved}; {}", hint.plain()),
        None => unresolved.to_string(),
    }
}

/// A positive, finite number of seconds as a duration (at most a day).
pub(super) fn seconds_to_duration(seconds: f64) -> Option<std::time::Duration> {
    (seconds.is_finite() && seconds > 0.0)
        .then(|| std::time::Duration::from_secs_f64(seconds.min(86_400.0)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn same(a: serde_json::Value, b: serde_json::Value) -> bool {
        same_server(&a, &b, Path::new("/work"))
    }

    #[test]
    fn servers_spelled_differently_are_the_same() {
        let command = json!({"command": "npx", "args": ["-y", "server"]});
        assert!(same(
            command.clone(),
            json!({"type": "stdio", "command": "npx", "args": ["-y", "server"], "env": {}})
        ));
        assert!(same(
            json!({"command": "x"}),
            json!({"command": "x", "args": [], "disabled": false})
        ));
        assert!(same(
            json!({"url": "https://a.example/mcp"}),
            json!({"serverUrl": "https://a.example/mcp", "headers": {}})
        ));
        assert!(same(
            json!({"type": "http", "url": "https://a.example/mcp"}),
            json!({"type": "streamable-http", "url": "https://a.example/mcp"})
        ));
        assert!(same(
            json!({"command": "x", "env": {"T": "${input:key}"}}),
            json!({"type": "stdio", "env": {"T": "${input:key}"}, "command": "x"})
        ));
    }

    #[test]
    fn servers_that_start_or_reach_something_else_differ() {
        let base = json!({"command": "npx", "args": ["-y", "server"]});
        for other in [
            json!({"command": "npx", "args": ["-y", "other"]}),
            json!({"command": "npx", "args": ["-y", "server"], "env": {"A": "1"}}),
            json!({"command": "npx", "args": ["-y", "server"], "deny": ["drop_*"]}),
            json!({"command": "npx", "args": ["-y", "server"], "disabled": true}),
            json!({"command": "npx", "args": ["-y", "server"], "timeout": 5}),
            json!({"command": "npx", "args": ["-y", "server"], "cwd": "sub"}),
            json!({"url": "https://a.example/mcp"}),
        ] {
            assert!(!same(base.clone(), other.clone()), "{other}");
        }
        // A bare URL may fall back to SSE; a typed one may not.
        assert!(!same(
            json!({"url": "https://a.example/mcp"}),
            json!({"type": "http", "url": "https://a.example/mcp"})
        ));
        // References are compared as written: other defaults, other inputs.
        assert!(!same(
            json!({"command": "x", "args": ["${DIR:-/a}"]}),
            json!({"command": "x", "args": ["${DIR:-/b}"]})
        ));
        assert!(!same(
            json!({"command": "x", "env": {"T": "${input:a}"}}),
            json!({"command": "x", "env": {"T": "${input:b}"}})
        ));
    }
}
