//! Codex CLI's `~/.codex/config.toml`: `[mcp_servers.NAME]` tables.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Document, Entry, error_at};
use crate::files::config::entry::seconds_to_duration;
use crate::files::config::{ConfigError, Timeouts};

#[derive(Deserialize)]
struct CodexFile {
    mcp_servers: Option<IndexMap<String, CodexEntry>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct CodexEntry {
    command: Option<String>,
    args: Vec<String>,
    env: IndexMap<String, String>,
    /// Variables of Codex's own environment passed on by name.
    env_vars: Vec<String>,
    cwd: Option<String>,
    url: Option<String>,
    bearer_token_env_var: Option<String>,
    http_headers: IndexMap<String, String>,
    /// Header → the environment variable holding its value.
    env_http_headers: IndexMap<String, String>,
    startup_timeout_sec: Option<f64>,
    startup_timeout_ms: Option<u64>,
    tool_timeout_sec: Option<f64>,
    enabled: Option<bool>,
    enabled_tools: Vec<String>,
    disabled_tools: Vec<String>,
    scopes: Vec<String>,
}

pub(super) fn read(text: &str, path: &Path) -> Result<super::Document, ConfigError> {
    let file: CodexFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        error_at(path, text, offset, e.message().to_owned())
    })?;
    let servers = file
        .mcp_servers
        .ok_or_else(|| ConfigError::NoServers { path: path.into() })?;
    let entries = servers
        .into_iter()
        .map(|(name, codex)| (name, codex.into_entry()))
        .collect();
    Ok(Document {
        entries,
        ..Document::default()
    })
}

impl CodexEntry {
    fn into_entry(self) -> Entry {
        let mut entry = Entry {
            command: self.command,
            args: self.args,
            env: self.env,
            cwd: self.cwd,
            url: self.url,
            headers: self.http_headers,
            enabled: self.enabled,
            allow: self.enabled_tools,
            deny: self.disabled_tools,
            scopes: self.scopes,
            ..Entry::default()
        };
        entry.extra.env_vars = self.env_vars;
        entry.extra.env_headers = self
            .env_http_headers
            .into_iter()
            .map(|(header, var)| (header, var, ""))
            .collect();
        if let Some(var) = self.bearer_token_env_var {
            entry
                .extra
                .env_headers
                .push(("Authorization".into(), var, "Bearer "));
        }
        let startup = self
            .startup_timeout_sec
            .or(self.startup_timeout_ms.map(|ms| ms as f64 / 1000.0));
        entry.extra.timeouts = Timeouts {
            startup: startup.and_then(seconds_to_duration),
            call: self.tool_timeout_sec.and_then(seconds_to_duration),
        };
        entry
    }
}
