//! `codemode connect CLIENT` puts codemode in front of an MCP client: the
//! servers of the client's config move into codemode's own config, and the
//! client gets one entry that starts `codemode serve` over them. The
//! client's file is backed up first; `codemode disconnect CLIENT` puts the
//! backup back, byte for byte.

mod clients;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Map, Value};

use crate::config::dirs::user_config_dir;
pub use clients::Client;
use clients::{Layout, codex_portable};

use crate::json_file;

/// What `connect` was asked to do.
pub struct Request {
    pub client: Client,
    /// The client's config (default: where the client keeps it).
    pub file: Option<PathBuf>,
    /// codemode's own config, which receives the servers.
    pub config: Option<PathBuf>,
    pub dry_run: bool,
}

/// The name the serve entry takes in the client's config.
const ENTRY: &str = "codemode";

/// Where the client's original config is kept while codemode is in front.
fn backup_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".codemode-backup");
    PathBuf::from(name)
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

fn client_file(client: Client, file: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match file.or_else(|| client.default_file(&env)) {
        Some(file) => Ok(file),
        None => bail!(
            "cannot tell where {} keeps its config (HOME is not set); name the file with --file",
            client.name()
        ),
    }
}

/// codemode's own config: `--config`, or `servers.json` in codemode's
/// folder of the user's config folder.
fn own_config(config: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(config) = config {
        return Ok(config);
    }
    let home = crate::config::home_dir(&env).context(
        "cannot tell where codemode's config goes (HOME is not set); name it with --config",
    )?;
    Ok(user_config_dir(Path::new(&home), &env).join("codemode/servers.json"))
}

/// `codemode connect`: prints what it changed (or, with `dry_run`, would).
pub fn connect(request: Request) -> anyhow::Result<()> {
    let client = request.client;
    let file = client_file(client, request.file)?;
    let backup = backup_of(&file);
    if backup.exists() {
        bail!(
            "{} is connected already: its original config is at {}; run `codemode disconnect {}` first",
            client.name(),
            backup.display(),
            cli_name(client)
        );
    }
    let original = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "cannot read {}'s config {}; if it is elsewhere, name it with --file",
            client.name(),
            file.display()
        )
    })?;
    let config = absolute(&own_config(request.config)?)?;
    let exe = std::env::current_exe().context("cannot tell where this codemode is")?;
    let folder = absolute(file.parent().unwrap_or(Path::new(".")))?;

    let (moved, kept_text) = take_servers(client, &original, &file, &folder, &exe, &config)?;
    if moved.is_empty() {
        bail!(
            "{} has no servers to move; add them to its config first (or run codemode with --config)",
            file.display()
        );
    }
    let config_before = match std::fs::read_to_string(&config) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).context(format!("cannot read {}", config.display())),
    };
    let config_after = merged_config(config_before.as_deref(), &config, &moved, client)?;

    let names: Vec<&str> = moved.keys().map(String::as_str).collect();
    if request.dry_run {
        print!("{}", diff(&file, &original, &kept_text));
        print!(
            "{}",
            diff(
                &config,
                config_before.as_deref().unwrap_or(""),
                &config_after
            )
        );
        println!(
            "dry run: would move {} server(s) ({}) from {} to {}; nothing was written",
            names.len(),
            names.join(", "),
            file.display(),
            config.display()
        );
        return Ok(());
    }
    std::fs::copy(&file, &backup)
        .with_context(|| format!("cannot back up {} to {}", file.display(), backup.display()))?;
    let written = (|| {
        if let Some(parent) = config.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        write_replacing(&config, &config_after)?;
        write_replacing(&file, &kept_text)
    })();
    if let Err(error) = written {
        // The client's config is as it was: no backup may say otherwise.
        let _ = std::fs::remove_file(&backup);
        return Err(error);
    }
    println!(
        "moved {} server(s) ({}) from {} to {}",
        names.len(),
        names.join(", "),
        file.display(),
        config.display()
    );
    println!(
        "{} now starts `{} serve --config {}` as its server \"{ENTRY}\"; restart {} to use it",
        file.display(),
        exe.display(),
        config.display(),
        client.name()
    );
    println!(
        "the original is at {}; `codemode disconnect {}` puts it back",
        backup.display(),
        cli_name(client)
    );
    Ok(())
}

/// `codemode disconnect`: the client's config as it was before `connect`.
pub fn disconnect(client: Client, file: Option<PathBuf>) -> anyhow::Result<()> {
    let file = client_file(client, file)?;
    let backup = backup_of(&file);
    if !backup.exists() {
        bail!(
            "{} is not connected: there is no backup at {} (connect leaves one)",
            client.name(),
            backup.display()
        );
    }
    std::fs::rename(&backup, &file).with_context(|| {
        format!(
            "cannot restore {} from {}",
            file.display(),
            backup.display()
        )
    })?;
    println!(
        "restored {} from {}; codemode's own config keeps the servers",
        file.display(),
        backup.display()
    );
    Ok(())
}

fn cli_name(client: Client) -> String {
    use clap::ValueEnum;
    client
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// The client's servers that move, in codemode's dialect, and the client's
/// config text with them replaced by the serve entry.
fn take_servers(
    client: Client,
    text: &str,
    file: &Path,
    folder: &Path,
    exe: &Path,
    config: &Path,
) -> anyhow::Result<(Map<String, Value>, String)> {
    let serve = client.serve_entry(exe, config);
    match client.layout() {
        Layout::Json(key) => {
            let mut document: Value = json_file::parse_jsonc(text, file)?;
            let Some(Value::Object(servers)) = document.get_mut(key) else {
                bail!("{} has no \"{key}\" object of servers", file.display());
            };
            if servers.contains_key(ENTRY) {
                bail!(
                    "{} already has a server named \"{ENTRY}\"; is codemode in front of it already?",
                    file.display()
                );
            }
            let mut moved = Map::new();
            let mut kept = Map::new();
            for (name, entry) in std::mem::take(servers) {
                match client.portable(&entry, folder) {
                    Some(portable) => {
                        moved.insert(name, portable);
                    }
                    None => {
                        kept.insert(name, entry);
                    }
                }
            }
            kept.insert(ENTRY.into(), serve);
            *servers = kept;
            Ok((
                moved,
                format!("{}\n", serde_json::to_string_pretty(&document)?),
            ))
        }
        Layout::CodexToml => {
            let table: toml::Table = toml::from_str(text)
                .with_context(|| format!("cannot read {} as TOML", file.display()))?;
            let mut document: toml_edit::DocumentMut = text
                .parse()
                .with_context(|| format!("cannot read {} as TOML", file.display()))?;
            let Some(toml::Value::Table(servers)) = table.get("mcp_servers") else {
                bail!("{} has no [mcp_servers.NAME] tables", file.display());
            };
            if servers.contains_key(ENTRY) {
                bail!(
                    "{} already has [mcp_servers.{ENTRY}]; is codemode in front of it already?",
                    file.display()
                );
            }
            let moved = servers
                .iter()
                .filter_map(|(name, server)| {
                    let server = server.as_table()?;
                    Some((name.clone(), Value::Object(codex_portable(server))))
                })
                .collect();
            let mut entry = toml_edit::Table::new();
            if let Some(command) = serve["command"].as_str() {
                entry["command"] = toml_edit::value(command);
            }
            let args: toml_edit::Array = serve["args"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            entry["args"] = toml_edit::value(args);
            let mut servers = toml_edit::Table::new();
            servers.set_implicit(true);
            servers.insert(ENTRY, toml_edit::Item::Table(entry));
            document["mcp_servers"] = toml_edit::Item::Table(servers);
            Ok((moved, document.to_string()))
        }
    }
}

/// codemode's config with `moved` added; the same server twice is fine,
/// two different servers of one name are not.
fn merged_config(
    before: Option<&str>,
    path: &Path,
    moved: &Map<String, Value>,
    client: Client,
) -> anyhow::Result<String> {
    let mut document = match before {
        Some(text) => json_file::parse_jsonc::<Value>(text, path)?,
        None => serde_json::json!({"mcpServers": {}}),
    };
    let Some(Value::Object(servers)) = document.get_mut("mcpServers") else {
        bail!(
            "{} has no \"mcpServers\" object for the servers to go in",
            path.display()
        );
    };
    for (name, entry) in moved {
        match servers.get(name) {
            Some(existing) if existing == entry => {}
            Some(_) => bail!(
                "{} already has a server named \"{name}\", different from {}'s; rename one of them",
                path.display(),
                client.name()
            ),
            None => {
                servers.insert(name.clone(), entry.clone());
            }
        }
    }
    Ok(format!("{}\n", serde_json::to_string_pretty(&document)?))
}

/// Writes `text` to `path` through a file beside it, so a failure leaves
/// the old content whole.
fn write_replacing(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".codemode-new");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {}", path.display()))
}

fn diff(path: &Path, before: &str, after: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .header(&name, &name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::{self, Transport};

    fn fixture_env(var: &str) -> Option<String> {
        Some(match var {
            "HOME" => "/home/me".into(),
            _ => format!("value-of-{var}"),
        })
    }

    /// Copies `fixtures/configs` into a temporary folder.
    fn fixtures() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/configs");
        copy_tree(&from, dir.path());
        dir
    }

    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }

    fn load(path: &Path) -> config::Loaded {
        config::load_in(path, &fixture_env, &HashMap::new(), Path::new("/"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_client_moves_its_servers_unchanged_in_meaning_and_gets_them_back_byte_for_byte() {
        let dir = fixtures();
        for (client, name) in [
            (Client::ClaudeDesktop, "claude_desktop_config.json"),
            (Client::ClaudeCode, "claude.json"),
            (Client::Cursor, "cursor/.cursor/mcp.json"),
            (Client::Vscode, "vscode/.vscode/mcp.json"),
            (Client::Windsurf, "windsurf_mcp_config.json"),
            (Client::Gemini, "gemini/.gemini/settings.json"),
            (Client::Codex, "codex_config.toml"),
            (Client::Zed, "zed_settings.json"),
        ] {
            let file = dir.path().join(name);
            let config = dir
                .path()
                .join(format!("codemode-{}.json", cli_name(client)));
            let original = std::fs::read(&file).unwrap();
            let before = load(&file);
            connect(Request {
                client,
                file: Some(file.clone()),
                config: Some(config.clone()),
                dry_run: false,
            })
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            // codemode's config yields the servers the client's did.
            let moved = load(&config);
            let expected: Vec<_> = before
                .servers
                .iter()
                .filter(|s| !matches!(&s.transport, Transport::Unusable { reason } if reason.contains("Zed extension")))
                .cloned()
                .collect();
            assert_eq!(moved.servers, expected, "{name}");
            assert_eq!(moved.policies, before.policies, "{name}");
            assert_eq!(moved.disabled, before.disabled, "{name}");
            // The client now starts codemode over that config, beside only
            // what codemode cannot start for it.
            let after = load(&file);
            let (serve, kept): (Vec<_>, Vec<_>) = after
                .servers
                .into_iter()
                .partition(|s| s.name == "codemode");
            let Transport::Stdio { args, .. } = &serve[0].transport else {
                panic!("{name}: {serve:?}")
            };
            assert_eq!(
                args,
                &["serve", "--config", &config.display().to_string()],
                "{name}"
            );
            let left: Vec<_> = before
                .servers
                .iter()
                .filter(|s| !expected.contains(s))
                .cloned()
                .collect();
            assert_eq!(kept, left, "{name}");
            assert_eq!(std::fs::read(backup_of(&file)).unwrap(), original, "{name}");
            disconnect(client, Some(file.clone())).unwrap();
            assert_eq!(
                std::fs::read(&file).unwrap(),
                original,
                "{name}: byte for byte"
            );
            assert!(!backup_of(&file).exists());
        }
    }

    #[test]
    fn a_dry_run_writes_nothing_and_a_clash_moves_nothing() {
        let dir = fixtures();
        let file = dir.path().join("windsurf_mcp_config.json");
        let config = dir.path().join("servers.json");
        let original = std::fs::read(&file).unwrap();
        let request = |dry_run| Request {
            client: Client::Windsurf,
            file: Some(file.clone()),
            config: Some(config.clone()),
            dry_run,
        };
        connect(request(true)).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), original);
        assert!(!config.exists() && !backup_of(&file).exists());
        // codemode's config already has a different server of the same name.
        std::fs::write(&config, r#"{"mcpServers": {"git": {"command": "other"}}}"#).unwrap();
        let err = connect(request(false)).unwrap_err().to_string();
        assert!(err.contains("already has a server named \"git\""), "{err}");
        assert_eq!(std::fs::read(&file).unwrap(), original);
        assert!(!backup_of(&file).exists());
    }
}
