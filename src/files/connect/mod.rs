//! `codemode connect CLIENT` puts codemode in front of an MCP client: the
//! servers of the client's config move into codemode's own config, and the
//! client gets one entry that starts `codemode serve` over them. Both files
//! are edited in place (comments and other settings stay), the client's
//! original is backed up first, and edits of one config are serialized by a
//! lock. `codemode disconnect CLIENT` undoes exactly what `connect` did in
//! the client's config as it is then, keeping every change made meanwhile.
//!
//! A client's config that is a symbolic link (as dotfile managers make) is
//! edited where the link points; the link stays.

mod clients;
mod edit;
mod launch;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::Value;

use crate::files::config::dirs::user_config_dir;
use crate::files::{json_file, private_file};
use crate::hint::{Given, Hint, WithHint};
pub(crate) use clients::Client;
use edit::ENTRY;

/// What `connect` was asked to do.
pub(crate) struct ConnectRequest {
    pub client: Client,
    /// The client's config (default: where the client keeps it).
    pub file: Option<PathBuf>,
    /// codemode's own config, which receives the servers.
    pub config: Option<PathBuf>,
    pub dry_run: bool,
}

/// Where the client's original config is kept while codemode is in front.
fn backup_of(file: &Path) -> PathBuf {
    beside(file, ".codemode-backup")
}

/// The lock every `connect` and `disconnect` of `file` holds while it
/// reads and rewrites it.
fn lock_of(file: &Path) -> PathBuf {
    beside(file, ".codemode-lock")
}

fn beside(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// The client's config file: the target of a link there.
fn client_file(client: Client, file: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let Some(file) = file.or_else(|| client.default_file(&env)) else {
        return Err(WithHint::new(
            format!(
                "cannot tell where {} keeps its config (HOME is not set)",
                client.name()
            ),
            Hint::Give(Given::ClientConfig),
        )
        .into());
    };
    private_file::resolve_link(&file).map_err(|error| {
        WithHint::new(
            format!("{} is a symbolic link to nothing", file.display()),
            Hint::Give(Given::ClientConfig),
        )
        .caused_by(error)
        .into()
    })
}

/// codemode's own config: `--config`, or `servers.json` in codemode's
/// folder of the user's config folder.
fn own_config(config: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(config) = config {
        return Ok(config);
    }
    let home = crate::files::config::home_dir(&env).ok_or_else(|| {
        WithHint::new(
            "cannot tell where codemode's config goes (HOME is not set)",
            Hint::Give(Given::OwnConfig),
        )
    })?;
    Ok(user_config_dir(Path::new(&home), &env).join("codemode/servers.json"))
}

/// The whole of a text file, or `None` when there is none.
fn read_if_any(path: &Path) -> anyhow::Result<Option<String>> {
    match json_file::read_text(path, json_file::MAX_FILE_BYTES) {
        Ok(text) => Ok(Some(text)),
        Err(json_file::JsonFileError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

fn connected_already(client: Client, backup: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is connected already: its original config is at {}; run `codemode disconnect {}` first",
        client.name(),
        backup.display(),
        client.cli_name()
    )
}

/// `codemode connect`: prints what it changed (or, with `dry_run`, would).
pub(crate) fn connect(request: ConnectRequest) -> anyhow::Result<()> {
    let client = request.client;
    let file = client_file(client, request.file)?;
    let backup = backup_of(&file);
    let config = absolute(&own_config(request.config)?)?;
    let running = std::env::current_exe().context("cannot tell where this codemode is")?;
    let (exe, started) = launch::codemode_to_start(running, std::env::var_os("PATH").as_deref());
    let folder = absolute(&file)?
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default();
    // Another connect or disconnect of this file waits for this one.
    let _lock = if request.dry_run {
        None
    } else {
        Some(
            private_file::lock_beside(&lock_of(&file), &file)
                .with_context(|| format!("cannot lock {} to edit it", file.display()))?,
        )
    };
    // A link there, even to nothing, counts: the backup is never replaced.
    if std::fs::symlink_metadata(&backup).is_ok() {
        return Err(connected_already(client, &backup));
    }
    let original = read_if_any(&file)?.ok_or_else(|| {
        WithHint::new(
            format!(
                "cannot read {}'s config {}: there is none",
                client.name(),
                file.display()
            ),
            Hint::Give(Given::ClientConfig),
        )
    })?;
    // The servers decide what the entry hands on, and the entry is written
    // where they were: taken once to see them, once with the entry.
    let seen = edit::take_servers(client, &original, &file, &folder, &Value::Null)?;
    let document = match client.layout() {
        clients::ConfigLayout::Json(_) => json_file::parse_jsonc(&original, &file)?,
        clients::ConfigLayout::CodexToml => Value::Null,
    };
    let inputs = launch::inputs(client, &document, &seen.moved, &file);
    let handed_on: Vec<&str> = inputs.handed_on.iter().map(String::as_str).collect();
    let serve = client.serve_entry(&exe, &config, &handed_on);
    let taken = edit::take_servers(client, &original, &file, &folder, &serve)?;
    if taken.moved.is_empty() {
        return Err(WithHint::new(
            format!(
                "{} has no servers to move; add them to its config first",
                file.display()
            ),
            Hint::Give(Given::OwnConfig),
        )
        .into());
    }
    for line in started.iter().chain(&inputs.warnings) {
        eprintln!("{line}");
    }
    let names: Vec<&str> = taken.moved.keys().map(String::as_str).collect();
    if request.dry_run {
        let config_before = read_if_any(&config)?;
        let config_after =
            edit::merged_config(config_before.as_deref(), &config, &taken.moved, client)?;
        print!("{}", diff(&file, &original, &taken.text));
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
    // The backup is made from the file read under the lock, which has no
    // serve entry (take_servers refused one), and never replaces a backup.
    match private_file::create_new(&backup, original.as_bytes(), &file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(connected_already(client, &backup));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!("cannot back up {} to {}", file.display(), backup.display())
            });
        }
    }
    let written = (|| {
        add_to_own_config(&config, &taken.moved, client, &file)?;
        // The client itself may have rewritten its file meanwhile.
        if read_if_any(&file)?.as_deref() != Some(original.as_str()) {
            bail!(
                "{} changed while codemode was editing it (is {} running and saving it?); it was left as it is: run connect again",
                file.display(),
                client.name()
            );
        }
        private_file::replace(&file, taken.text.as_bytes(), private_file::Access::Original)
            .with_context(|| format!("cannot write {}", file.display()))
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
        "the original is at {}; `codemode disconnect {}` puts its servers back",
        backup.display(),
        client.cli_name()
    );
    Ok(())
}

/// Adds `moved` to codemode's config under its own lock (two clients may
/// be connected at once), keeping its comments; a new one is the user's
/// alone, in a folder that is too. Like a client's, the config is the
/// user's own file: a link there (a dotfile manager's) is edited where it
/// points. The servers (and their secrets) come from the client's `file`,
/// so the config is left open to no one that file was not.
fn add_to_own_config(
    config: &Path,
    moved: &serde_json::Map<String, serde_json::Value>,
    client: Client,
    file: &Path,
) -> anyhow::Result<()> {
    let config = &private_file::resolve_link(config)
        .with_context(|| format!("cannot follow the link {}", config.display()))?;
    if let Some(uid) = private_file::another_users_as_root(config) {
        return Err(WithHint::new(
            format!(
                "codemode's config {} would be written by root in a place of user {uid}'s, who could then not read it; run connect as that user (without sudo), or name a config of root's own",
                config.display()
            ),
            Hint::Give(Given::OwnConfig),
        )
        .into());
    }
    let _lock = private_file::lock(&beside(config, ".lock"))
        .with_context(|| format!("cannot lock {} to edit it", config.display()))?;
    let before = read_if_any(config)?;
    let after = edit::merged_config(before.as_deref(), config, moved, client)?;
    if before.as_deref() == Some(after.as_str()) {
        return Ok(());
    }
    let others = private_file::others_bits(file);
    private_file::replace(
        config,
        after.as_bytes(),
        private_file::Access::KeptWithin(others),
    )
    .with_context(|| format!("cannot write {}", config.display()))
}

/// `codemode disconnect`: the client's config without codemode's entry and
/// with the servers `connect` moved, every other change made since kept.
pub(crate) fn disconnect(client: Client, file: Option<PathBuf>) -> anyhow::Result<()> {
    let file = client_file(client, file)?;
    let backup = backup_of(&file);
    let _lock = private_file::lock_beside(&lock_of(&file), &file)
        .with_context(|| format!("cannot lock {} to edit it", file.display()))?;
    match std::fs::symlink_metadata(&backup) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => bail!(
            "{} is not a plain file, so it is no backup connect made (a link planted there?); remove it, and put {}'s servers back by hand",
            backup.display(),
            client.name()
        ),
        Err(_) => bail!(
            "{} is not connected: there is no backup at {} (connect leaves one)",
            client.name(),
            backup.display()
        ),
    }
    let original = read_if_any(&backup)?.unwrap_or_default();
    let current = read_if_any(&file)?.unwrap_or_default();
    let folder = absolute(&file)?
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default();
    let undone = if current.is_empty() {
        // The file is gone or emptied: the original is all there is.
        edit::Undone {
            text: original.clone(),
            restored: Vec::new(),
            removed: None,
            kept: Vec::new(),
            whole: true,
        }
    } else {
        edit::undo(client, &original, &current, &file, &folder).with_context(|| {
            format!(
                "the original is still at {}; nothing was changed",
                backup.display()
            )
        })?
    };
    private_file::replace(
        &file,
        undone.text.as_bytes(),
        private_file::Access::Original,
    )
    .with_context(|| format!("cannot write {}", file.display()))?;
    std::fs::remove_file(&backup)
        .with_context(|| format!("cannot remove the backup {}", backup.display()))?;
    if undone.whole {
        println!(
            "restored {} as it was before connect; codemode's own config keeps the servers",
            file.display()
        );
    } else {
        let put_back = if undone.restored.is_empty() {
            String::new()
        } else {
            format!(
                " and put back {} server(s) ({})",
                undone.restored.len(),
                undone.restored.join(", ")
            )
        };
        let removed = match undone.removed.as_deref() {
            Some(ENTRY) => format!("removed codemode from {}", file.display()),
            Some(name) => format!(
                "removed codemode (now named \"{name}\") from {}",
                file.display()
            ),
            None => format!(
                "found no entry starting `codemode serve` in {} (its server \"{ENTRY}\", if any, is not codemode's and stays)",
                file.display()
            ),
        };
        println!(
            "{removed}{put_back}, keeping the changes made since connect; codemode's own config keeps the servers"
        );
    }
    if !undone.kept.is_empty() {
        println!(
            "kept the servers {} has again under the same names: {}",
            file.display(),
            undone.kept.join(", ")
        );
    }
    Ok(())
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
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

    use serde_json::Value;

    use super::*;
    use crate::files::config::{self, Transport};
    use clients::ConfigLayout;

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

    /// Each client with its config in `fixtures/configs`.
    const CLIENTS: [(Client, &str); 8] = [
        (Client::ClaudeDesktop, "claude_desktop_config.json"),
        (Client::ClaudeCode, "claude.json"),
        (Client::Cursor, "cursor/.cursor/mcp.json"),
        (Client::Vscode, "vscode/.vscode/mcp.json"),
        (Client::Windsurf, "windsurf_mcp_config.json"),
        (Client::Gemini, "gemini/.gemini/settings.json"),
        (Client::Codex, "codex_config.toml"),
        (Client::Zed, "zed_settings.json"),
    ];

    fn load(path: &Path) -> config::Loaded {
        config::load_in(path, &fixture_env, &HashMap::new(), Path::new("/"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn every_client_moves_its_servers_unchanged_in_meaning_and_gets_them_back_byte_for_byte() {
        let dir = fixtures();
        for (client, name) in CLIENTS {
            let file = dir.path().join(name);
            let config = dir
                .path()
                .join(format!("codemode-{}.json", client.cli_name()));
            let original = std::fs::read(&file).unwrap();
            let before = load(&file);
            connect(ConnectRequest {
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
                .filter(|s| !matches!(&s.transport, Transport::Unusable { reason, .. } if reason.contains("Zed extension")))
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
        let request = |dry_run| ConnectRequest {
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

    /// `text` as the user left it after changing a setting, adding a server
    /// of their own and writing a comment while codemode was in front.
    fn changed_by_the_user(client: Client, text: &str) -> String {
        match client.layout() {
            ConfigLayout::CodexToml => format!(
                "{text}\n# mine, added while connected\n[mcp_servers.mine]\ncommand = \"mine\"\n\n[tui]\nnotifications = true\n"
            ),
            ConfigLayout::Json(key) => {
                let root = jsonc_parser::cst::CstRootNode::parse(
                    text,
                    &crate::files::json_file::jsonc_options(),
                )
                .unwrap();
                let document = root.object_value().unwrap();
                document.append("addedWhileConnected", true.into());
                let servers = document.object_value(key).unwrap();
                servers.insert(
                    0,
                    "mine",
                    vec![("command".to_owned(), "mine".into())].into(),
                );
                root.to_string()
            }
        }
    }

    #[test]
    fn disconnect_undoes_only_what_connect_did_and_keeps_every_change_since() {
        let dir = fixtures();
        for (client, name) in CLIENTS {
            let file = dir.path().join(name);
            let config = dir.path().join(format!("own-{}.json", client.cli_name()));
            let original = std::fs::read_to_string(&file).unwrap();
            let before = load(&file);
            connect(ConnectRequest {
                client,
                file: Some(file.clone()),
                config: Some(config),
                dry_run: false,
            })
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            let connected = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, changed_by_the_user(client, &connected)).unwrap();
            disconnect(client, Some(file.clone())).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            let after_text = std::fs::read_to_string(&file).unwrap();
            let after = load(&file);
            // Every server of the original is back, the user's own is kept,
            // codemode's is gone.
            for server in &before.servers {
                assert!(
                    after.servers.contains(server),
                    "{name}: {server:?} lost:\n{after_text}"
                );
            }
            let names: Vec<&str> = after.servers.iter().map(|s| s.name.as_str()).collect();
            assert!(
                names.contains(&"mine") && !names.contains(&"codemode"),
                "{name}: {names:?}"
            );
            assert_eq!(
                after.servers.len(),
                before.servers.len() + 1,
                "{name}: {names:?}"
            );
            assert_eq!(after.disabled, before.disabled, "{name}");
            // The setting and comments made meanwhile, and the original's
            // comments outside the servers, are all there.
            let added = if client == Client::Codex {
                "# mine, added while connected"
            } else {
                "\"addedWhileConnected\": true"
            };
            assert!(after_text.contains(added), "{name}:\n{after_text}");
            for line in original.lines().map(str::trim) {
                if line.starts_with("//") && !line.contains("\"") {
                    assert!(
                        after_text.contains(line),
                        "{name}: lost {line}:\n{after_text}"
                    );
                }
            }
            assert!(!backup_of(&file).exists(), "{name}");
        }
    }

    #[test]
    fn a_server_added_back_by_hand_wins_over_the_moved_one() {
        let dir = fixtures();
        let file = dir.path().join("windsurf_mcp_config.json");
        let request = ConnectRequest {
            client: Client::Windsurf,
            file: Some(file.clone()),
            config: Some(dir.path().join("servers.json")),
            dry_run: false,
        };
        connect(request).unwrap();
        let mut now: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        now["mcpServers"]["git"] = serde_json::json!({"command": "my-own-git"});
        std::fs::write(&file, now.to_string()).unwrap();
        disconnect(Client::Windsurf, Some(file.clone())).unwrap();
        let after: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(
            after["mcpServers"]["git"],
            serde_json::json!({"command": "my-own-git"})
        );
        assert!(after["mcpServers"]["figma"].is_object());
        assert!(after["mcpServers"].get("codemode").is_none());
    }
}
