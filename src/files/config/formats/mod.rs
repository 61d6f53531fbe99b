//! The config files of MCP clients, each read into [`Entry`]s: the JSON
//! dialects here (Claude Desktop, Claude Code, Cursor, Windsurf, Cline,
//! Gemini CLI, VS Code; Zed's in [`zed`]), Codex CLI's TOML in [`codex`],
//! Continue's YAML in [`continue_dev`].

mod codex;
mod continue_dev;
mod zed;

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use super::entry::Entry;
use super::{ConfigError, ConfigSettings};
use crate::files::json_file::{self, JsonFileError};

/// The servers a file names, in its order, and codemode's own settings.
#[derive(Debug, Default)]
pub(super) struct Document {
    pub entries: Vec<(String, Entry)>,
    pub settings: ConfigSettings,
}

/// Reads the config at `path` in whichever client's format it is, told by
/// its extension or, failing that, its first key. `cwd` picks Claude Code's
/// per-project servers.
pub(super) fn read(text: &str, path: &Path, cwd: &Path) -> Result<Document, ConfigError> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let first_key = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if extension == "toml" || first_key.starts_with("[mcp_servers") {
        codex::read(text, path)
    } else if matches!(extension, "yaml" | "yml") || first_key.starts_with("mcpServers:") {
        continue_dev::read(text, path)
    } else {
        json(text, path, cwd)
    }
}

/// Every JSON dialect's top-level keys, read in one pass so that errors
/// keep their line and column.
#[derive(Deserialize)]
struct JsonConfig {
    #[serde(rename = "mcpServers")]
    mcp_servers: Option<IndexMap<String, Entry>>,
    /// VS Code.
    servers: Option<IndexMap<String, Entry>>,
    /// Zed.
    context_servers: Option<IndexMap<String, zed::ZedEntry>>,
    /// Claude Code's `~/.claude.json`: servers per project folder.
    #[serde(default)]
    projects: IndexMap<String, ClaudeProject>,
    #[serde(default)]
    codemode: ConfigSettings,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ClaudeProject {
    #[serde(rename = "mcpServers")]
    mcp_servers: IndexMap<String, Entry>,
}

fn json(text: &str, path: &Path, cwd: &Path) -> Result<Document, ConfigError> {
    let file: JsonConfig = json_file::parse_jsonc(text, path)?;
    let has_projects = file.projects.values().any(|p| !p.mcp_servers.is_empty());
    let mut entries: IndexMap<String, Entry> = match (file.mcp_servers, file.servers) {
        (Some(servers), None) | (None, Some(servers)) => servers,
        (Some(_), Some(_)) => {
            return Err(ConfigError::File(JsonFileError::Parse {
                path: path.into(),
                line: 1,
                column: 1,
                message:
                    "has both \"mcpServers\" and \"servers\"; which client's file is it? keep one"
                        .into(),
            }));
        }
        (None, None) => match file.context_servers {
            Some(servers) => servers
                .into_iter()
                .map(|(name, entry)| (name, entry.into_entry()))
                .collect(),
            None if has_projects => IndexMap::new(),
            None => return Err(ConfigError::NoServers { path: path.into() }),
        },
    };
    // Claude Code: the servers of the project being worked in (the deepest
    // folder holding the working directory) over the user's own.
    if let Some(project) = file
        .projects
        .into_iter()
        .filter(|(folder, _)| cwd.starts_with(folder))
        .max_by_key(|(folder, _)| folder.len())
    {
        entries.extend(project.1.mcp_servers);
    }
    // Gemini CLI means a bare `url` as legacy SSE, and expands `$VAR` in `env`.
    if path.components().any(|c| c.as_os_str() == ".gemini") {
        for entry in entries.values_mut() {
            entry.extra.url_is_sse = true;
            entry.extra.bare_vars_in_env = true;
            entry.extra.timeout_in_ms = true;
        }
    }
    Ok(Document {
        entries: entries.into_iter().collect(),
        settings: file.codemode,
    })
}

/// A parse error at byte `offset` of `text`, as `file:line:column`.
fn error_at(path: &Path, text: &str, offset: usize, message: String) -> ConfigError {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    ConfigError::File(JsonFileError::Parse {
        path: path.into(),
        line,
        column,
        message,
    })
}
