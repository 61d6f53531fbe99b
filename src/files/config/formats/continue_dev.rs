//! Continue's YAML (`config.yaml`, or a block in `.continue/mcpServers/`):
//! `mcpServers` is a list, each server naming itself.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Document, Entry, error_at};
use crate::files::config::{ConfigError, name_from_command, name_from_url};
use crate::files::json_file::without_position;

#[derive(Deserialize)]
struct ContinueFile {
    #[serde(rename = "mcpServers")]
    mcp_servers: Option<Vec<ContinueEntry>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ContinueEntry {
    name: Option<String>,
    command: Option<String>,
    args: Vec<String>,
    env: IndexMap<String, String>,
    cwd: Option<String>,
    url: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(rename = "requestOptions")]
    request_options: RequestOptions,
    #[serde(rename = "connectionTimeout")]
    connection_timeout: Option<f64>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RequestOptions {
    headers: IndexMap<String, String>,
}

pub(super) fn read(text: &str, path: &Path) -> Result<Document, ConfigError> {
    let file: ContinueFile = serde_yaml_ng::from_str(text).map_err(|e| {
        let offset = e.location().map_or(0, |l| l.index());
        error_at(path, text, offset, without_position(&e.to_string()))
    })?;
    let servers = file
        .mcp_servers
        .ok_or_else(|| ConfigError::NoServers { path: path.into() })?;
    let entries = servers
        .into_iter()
        .map(|server| {
            let name =
                server
                    .name
                    .clone()
                    .unwrap_or_else(|| match (&server.command, &server.url) {
                        (Some(command), _) => name_from_command(command, &server.args),
                        (None, Some(url)) => name_from_url(url),
                        (None, None) => "server".into(),
                    });
            let mut entry = Entry {
                command: server.command,
                args: server.args,
                env: server.env,
                cwd: server.cwd,
                url: server.url,
                headers: server.request_options.headers,
                kind: server.kind,
                ..Entry::default()
            };
            if server.connection_timeout.is_some() {
                entry.extra.unhonoured.push("connectionTimeout");
            }
            (name, entry)
        })
        .collect();
    Ok(Document {
        entries,
        ..Document::default()
    })
}
