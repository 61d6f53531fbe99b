//! The clients `codemode connect` knows: where each keeps its config, and
//! how its servers are written, taken out and replaced.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::files::config::dirs::user_config_dir;
use crate::files::config::input_var;

/// An MCP client whose user-level config `codemode connect` edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
    Gemini,
    Codex,
    Zed,
}

/// How a client writes its servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConfigLayout {
    /// A JSON object of servers under this key.
    Json(&'static str),
    /// Codex CLI's `[mcp_servers.NAME]` TOML tables.
    CodexToml,
}

impl Client {
    /// How the command line names it, e.g. in `codemode disconnect claude-desktop`.
    pub(crate) fn cli_name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude-desktop",
            Client::ClaudeCode => "claude-code",
            Client::Cursor => "cursor",
            Client::Vscode => "vscode",
            Client::Windsurf => "windsurf",
            Client::Gemini => "gemini",
            Client::Codex => "codex",
            Client::Zed => "zed",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::ClaudeCode => "Claude Code",
            Client::Cursor => "Cursor",
            Client::Vscode => "VS Code",
            Client::Windsurf => "Windsurf",
            Client::Gemini => "Gemini CLI",
            Client::Codex => "Codex CLI",
            Client::Zed => "Zed",
        }
    }

    pub(crate) fn layout(self) -> ConfigLayout {
        match self {
            Client::Vscode => ConfigLayout::Json("servers"),
            Client::Zed => ConfigLayout::Json("context_servers"),
            Client::Codex => ConfigLayout::CodexToml,
            _ => ConfigLayout::Json("mcpServers"),
        }
    }

    /// The user-level config file, where each client documents it on this
    /// OS; `None` when the home folder is unknown.
    pub(crate) fn default_file(self, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let home = PathBuf::from(crate::files::config::home_dir(env)?);
        let config = user_config_dir(&home, env);
        Some(match self {
            Client::ClaudeDesktop => config.join("Claude/claude_desktop_config.json"),
            Client::ClaudeCode => home.join(".claude.json"),
            Client::Cursor => home.join(".cursor/mcp.json"),
            Client::Vscode => config.join("Code/User/mcp.json"),
            Client::Windsurf => home.join(".codeium/windsurf/mcp_config.json"),
            Client::Gemini => home.join(".gemini/settings.json"),
            Client::Codex => env("CODEX_HOME")
                .map_or_else(|| home.join(".codex"), PathBuf::from)
                .join("config.toml"),
            // Zed keeps ~/.config/zed on macOS too.
            Client::Zed if cfg!(windows) => config.join("Zed/settings.json"),
            Client::Zed => home.join(".config/zed/settings.json"),
        })
    }

    /// The entry that starts `codemode serve` over `config`, as this client
    /// writes it. VS Code answers `${input:ID}` in it, so the `inputs` the
    /// moved servers use are handed on as the `CODEMODE_INPUT_<ID>`
    /// variables codemode reads them from.
    pub(crate) fn serve_entry(self, exe: &Path, config: &Path, inputs: &[&str]) -> Value {
        let args = json!(["serve", "--config", config.display().to_string()]);
        let command = exe.display().to_string();
        match self {
            Client::Vscode if !inputs.is_empty() => {
                let env: Map<String, Value> = inputs
                    .iter()
                    .map(|id| (input_var(id), json!(format!("${{input:{id}}}"))))
                    .collect();
                json!({"type": "stdio", "command": command, "args": args, "env": env})
            }
            Client::Vscode => json!({"type": "stdio", "command": command, "args": args}),
            Client::Zed => json!({"source": "custom", "command": command, "args": args, "env": {}}),
            _ => json!({"command": command, "args": args}),
        }
    }

    /// One of this client's server entries in the `mcpServers` dialect that
    /// codemode's own config uses, meaning the same there; `None` for a
    /// server only the client can start (a Zed extension's).
    pub(crate) fn portable(self, entry: &Value, folder: &Path) -> Option<Value> {
        let Value::Object(entry) = entry else {
            return Some(entry.clone());
        };
        let mut entry = entry.clone();
        match self {
            Client::Gemini => {
                // Gemini means a bare `url` as SSE and expands `$VAR` in `env`.
                if entry.contains_key("url") && !entry.contains_key("type") {
                    entry.insert("type".into(), json!("sse"));
                }
                // Gemini's `timeout` is in milliseconds, codemode's in seconds.
                if let Some(ms) = entry.get("timeout").and_then(Value::as_f64) {
                    entry.insert("timeout".into(), json!(ms / 1000.0));
                }
                if let Some(Value::Object(env)) = entry.get_mut("env") {
                    for value in env.values_mut() {
                        if let Value::String(text) = value {
                            *text = braced(text);
                        }
                    }
                }
            }
            Client::Zed => {
                if let Some(Value::Object(command)) = entry.get("command").cloned() {
                    entry.remove("command");
                    for (key, value) in command {
                        entry.insert(if key == "path" { "command".into() } else { key }, value);
                    }
                }
                if !entry.contains_key("command") && !entry.contains_key("url") {
                    return None;
                }
                entry.remove("settings");
                entry.remove("source");
            }
            _ => {}
        }
        // `${workspaceFolder}` names the client's folder, not codemode's.
        let workspace = crate::files::config::workspace_of(folder);
        for value in entry.values_mut() {
            replace_strings(
                value,
                "${workspaceFolder}",
                &workspace.display().to_string(),
            );
        }
        // Paths relative to the client's config mean the same from codemode's.
        for key in ["cwd", "envFile"] {
            if let Some(Value::String(path)) = entry.get_mut(key)
                && Path::new(path.as_str()).is_relative()
                && !path.starts_with("${")
            {
                *path = folder.join(&*path).display().to_string();
            }
        }
        Some(Value::Object(entry))
    }
}

/// Codex CLI's server tables as `mcpServers` entries.
pub(super) fn codex_portable(table: &toml::Table) -> Map<String, Value> {
    let mut entry = Map::new();
    // Variables passed on by name first, then `env` over them, as Codex does.
    let mut env = Map::new();
    if let Some(toml::Value::Array(vars)) = table.get("env_vars") {
        for var in vars.iter().filter_map(|v| v.as_str()) {
            env.insert(var.into(), json!(format!("${{{var}}}")));
        }
    }
    if let Some(Ok(Value::Object(own))) = table.get("env").map(serde_json::to_value) {
        env.extend(own);
    }
    if !env.is_empty() {
        entry.insert("env".into(), Value::Object(env));
    }
    for key in ["command", "args", "cwd", "url"] {
        if let Some(value) = table.get(key)
            && let Ok(value) = serde_json::to_value(value)
        {
            entry.insert(key.into(), value);
        }
    }
    let strings = |key: &str| -> Vec<(String, String)> {
        match table.get(key) {
            Some(toml::Value::Table(t)) => t
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut headers: Map<String, Value> = strings("http_headers")
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    for (header, var) in strings("env_http_headers") {
        headers.insert(header, json!(format!("${{{var}}}")));
    }
    if let Some(var) = table.get("bearer_token_env_var").and_then(|v| v.as_str()) {
        headers.insert("Authorization".into(), json!(format!("Bearer ${{{var}}}")));
    }
    if !headers.is_empty() {
        entry.insert("headers".into(), Value::Object(headers));
    }
    let seconds = |key: &str| match table.get(key) {
        Some(toml::Value::Float(s)) => Some(*s),
        Some(toml::Value::Integer(s)) => Some(*s as f64),
        _ => None,
    };
    let startup =
        seconds("startup_timeout_sec").or(seconds("startup_timeout_ms").map(|ms| ms / 1000.0));
    if let Some(startup) = startup {
        entry.insert("startupTimeoutSec".into(), json!(startup));
    }
    if let Some(call) = seconds("tool_timeout_sec") {
        entry.insert("timeout".into(), json!(call));
    }
    if table.get("enabled").and_then(toml::Value::as_bool) == Some(false) {
        entry.insert("disabled".into(), json!(true));
    }
    for (codex, ours) in [("enabled_tools", "allow"), ("disabled_tools", "deny")] {
        if let Some(value) = table.get(codex)
            && let Ok(value) = serde_json::to_value(value)
        {
            entry.insert(ours.into(), value);
        }
    }
    if let Some(scopes) = table.get("scopes")
        && let Ok(scopes) = serde_json::to_value(scopes)
    {
        entry.insert("oauth".into(), json!({ "scopes": scopes }));
    }
    entry
}

/// Every string in `value` with `from` replaced by `to`.
fn replace_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) if text.contains(from) => *text = text.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_strings(v, from, to)),
        _ => {}
    }
}

/// `$VAR` written as `${VAR}`, which every client and codemode read alike.
fn braced(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match crate::files::config::bare_var(after) {
            Some(name) => {
                out.push_str(&format!("${{{name}}}"));
                rest = &after[name.len()..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_variables_are_braced() {
        assert_eq!(
            braced("$A and ${B} and $1 and $"),
            "${A} and ${B} and $1 and $"
        );
        assert_eq!(braced("pre$TOKEN_2/x"), "pre${TOKEN_2}/x");
    }

    #[test]
    fn zed_and_gemini_entries_keep_their_meaning() {
        let folder = Path::new("/home/me/.config/zed");
        let old =
            json!({"command": {"path": "uvx", "args": ["x"], "env": {"A": "1"}}, "settings": {}});
        assert_eq!(
            Client::Zed.portable(&old, folder).unwrap(),
            json!({"command": "uvx", "args": ["x"], "env": {"A": "1"}})
        );
        assert!(
            Client::Zed
                .portable(&json!({"source": "extension", "settings": {}}), folder)
                .is_none()
        );
        let gemini = json!({"url": "http://h/sse", "env": {"K": "$KEY"}, "cwd": "srv"});
        assert_eq!(
            Client::Gemini
                .portable(&gemini, Path::new("/home/me/.gemini"))
                .unwrap(),
            json!({"url": "http://h/sse", "env": {"K": "${KEY}"}, "cwd": "/home/me/.gemini/srv", "type": "sse"})
        );
    }
}
