//! The edits `connect` and `disconnect` make to a client's config and to
//! codemode's own, each in place: comments, formatting and every setting
//! they do not touch stay as they are (JSONC through jsonc-parser's
//! concrete syntax tree, Codex's TOML through toml_edit).

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::{Map, Value};

use super::clients::{Client, ConfigLayout, codex_portable};
use crate::files::{config, json_file};

/// The name the serve entry takes in the client's config.
pub(super) const ENTRY: &str = "codemode";

/// What `connect` takes out of a client's config.
pub(super) struct Taken {
    /// The servers that move, in codemode's dialect.
    pub moved: Map<String, Value>,
    /// The config with them replaced by `serve`.
    pub text: String,
}

/// The client's servers that move to codemode, and the client's config
/// text with them replaced by the `serve` entry.
pub(super) fn take_servers(
    client: Client,
    text: &str,
    file: &Path,
    folder: &Path,
    serve: &Value,
) -> anyhow::Result<Taken> {
    match client.layout() {
        ConfigLayout::Json(key) => take_json(client, key, text, file, folder, serve),
        ConfigLayout::CodexToml => take_codex(text, file, serve),
    }
}

fn take_json(
    client: Client,
    key: &str,
    text: &str,
    file: &Path,
    folder: &Path,
    serve: &Value,
) -> anyhow::Result<Taken> {
    let document: Value = json_file::parse_jsonc(text, file)?;
    let Some(Value::Object(servers)) = document.get(key) else {
        bail!("{} has no \"{key}\" object of servers", file.display());
    };
    if servers.contains_key(ENTRY) {
        bail!(
            "{} already has a server named \"{ENTRY}\"; is codemode in front of it already?",
            file.display()
        );
    }
    let root = tree(text, file)?;
    let object = servers_object(&root, key, file)?;
    let mut moved = Map::new();
    for prop in object.properties() {
        let Some(name) = prop.decoded_name() else {
            continue;
        };
        if let Some(portable) = servers
            .get(&name)
            .and_then(|entry| client.portable(entry, folder))
        {
            moved.insert(name, portable);
            prop.remove();
        }
    }
    object.append(ENTRY, tree_value(serve));
    Ok(Taken {
        moved,
        text: root.to_string(),
    })
}

fn take_codex(text: &str, file: &Path, serve: &Value) -> anyhow::Result<Taken> {
    let table: toml::Table =
        toml::from_str(text).with_context(|| format!("cannot read {} as TOML", file.display()))?;
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
    Ok(Taken {
        moved,
        text: document.to_string(),
    })
}

/// What `disconnect` made of the client's config.
pub(super) struct Undone {
    pub text: String,
    /// The servers put back.
    pub restored: Vec<String>,
    /// The name of the serve entry taken out, if it was found.
    pub removed: Option<String>,
    /// Servers `connect` moved that the config has again under the same
    /// name (the user added them back): theirs are kept.
    pub kept: Vec<String>,
    /// Whether the config was as `connect` left it, so it is the original
    /// byte for byte.
    pub whole: bool,
}

/// `current` (the client's config now) with what `connect` did to
/// `original` undone: its serve entry removed and the servers it moved put
/// back, everything else as it is now. A config nobody changed since is
/// `original` itself.
pub(super) fn undo(
    client: Client,
    original: &str,
    current: &str,
    file: &Path,
    folder: &Path,
) -> anyhow::Result<Undone> {
    if let Some(serve) = serve_entry_in(client, current, file)
        && starts_codemode_serve(&serve)
        && let Ok(taken) = take_servers(client, original, file, folder, &serve)
        && taken.text == current
    {
        return Ok(Undone {
            text: original.to_owned(),
            restored: taken.moved.keys().cloned().collect(),
            removed: Some(ENTRY.to_owned()),
            kept: Vec::new(),
            whole: true,
        });
    }
    match client.layout() {
        ConfigLayout::Json(key) => undo_json(client, key, original, current, file, folder),
        ConfigLayout::CodexToml => undo_codex(original, current, file),
    }
}

/// The serve entry `connect` wrote into `current`, if it is still there.
fn serve_entry_in(client: Client, current: &str, file: &Path) -> Option<Value> {
    match client.layout() {
        ConfigLayout::Json(key) => {
            let document: Value = json_file::parse_jsonc(current, file).ok()?;
            document.get(key)?.get(ENTRY).cloned()
        }
        ConfigLayout::CodexToml => {
            let table: toml::Table = toml::from_str(current).ok()?;
            serde_json::to_value(table.get("mcp_servers")?.get(ENTRY)?).ok()
        }
    }
}

/// The name of the entry `connect` wrote among the servers `now`: [`ENTRY`]
/// while it still starts `codemode serve`, or else the one entry that does
/// under a name the `original` servers had not (the user renamed it). A
/// server of the user's own that took the name is theirs, never removed.
fn serve_entry_name(original: Option<&Value>, now: Option<&Value>) -> Option<String> {
    let Some(Value::Object(now)) = now else {
        return None;
    };
    let original = original.and_then(Value::as_object);
    if now.get(ENTRY).is_some_and(starts_codemode_serve) {
        return Some(ENTRY.to_owned());
    }
    let mut renamed = now.iter().filter(|(name, entry)| {
        original.is_none_or(|o| !o.contains_key(*name)) && starts_codemode_serve(entry)
    });
    match (renamed.next(), renamed.next()) {
        (Some((name, _)), None) => Some(name.clone()),
        _ => None,
    }
}

/// Whether a server entry starts `codemode serve`, as the one `connect`
/// writes does (wherever codemode now is, whatever flags were added).
fn starts_codemode_serve(entry: &Value) -> bool {
    let command = entry["command"].as_str().unwrap_or_default();
    let program = command.rsplit(['/', '\\']).next().unwrap_or(command);
    program.starts_with("codemode") && entry["args"][0].as_str() == Some("serve")
}

fn undo_json(
    client: Client,
    key: &str,
    original: &str,
    current: &str,
    file: &Path,
    folder: &Path,
) -> anyhow::Result<Undone> {
    let before: Value = json_file::parse_jsonc(original, file)?;
    let now: Value = json_file::parse_jsonc(current, file)?;
    let removed = serve_entry_name(before.get(key), now.get(key));
    let root = tree(current, file)?;
    let servers = root
        .object_value()
        .and_then(|document| document.object_value_or_create(key))
        .with_context(|| {
            format!(
                "{} no longer has a \"{key}\" object for the servers to go back in; put them back by hand",
                file.display()
            )
        })?;
    if let Some(entry) = removed.as_deref().and_then(|name| servers.get(name)) {
        entry.remove();
    }
    let (mut restored, mut kept) = (Vec::new(), Vec::new());
    if let Some(Value::Object(original_servers)) = before.get(key) {
        for (index, (name, entry)) in original_servers.iter().enumerate() {
            if client.portable(entry, folder).is_none() {
                continue; // connect left it in place
            }
            if servers.get(name).is_some() {
                kept.push(name.clone());
                continue;
            }
            let at = index.min(servers.properties().len());
            servers.insert(at, name, tree_value(entry));
            restored.push(name.clone());
        }
    }
    Ok(Undone {
        text: root.to_string(),
        restored,
        removed,
        kept,
        whole: false,
    })
}

fn undo_codex(original: &str, current: &str, file: &Path) -> anyhow::Result<Undone> {
    let before: toml_edit::DocumentMut = original
        .parse()
        .with_context(|| format!("cannot read the backup of {} as TOML", file.display()))?;
    let mut now: toml_edit::DocumentMut = current
        .parse()
        .with_context(|| format!("cannot read {} as TOML", file.display()))?;
    let servers_of = |text: &str| {
        let table: toml::Table = toml::from_str(text).ok()?;
        serde_json::to_value(table.get("mcp_servers")?).ok()
    };
    let removed = serve_entry_name(servers_of(original).as_ref(), servers_of(current).as_ref());
    let servers = now.entry("mcp_servers").or_insert_with(|| {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        toml_edit::Item::Table(table)
    });
    let Some(servers) = servers.as_table_like_mut() else {
        bail!(
            "mcp_servers in {} is no longer a table for the servers to go back in; put them back by hand",
            file.display()
        );
    };
    if let Some(name) = &removed {
        servers.remove(name);
    }
    let (mut restored, mut kept) = (Vec::new(), Vec::new());
    if let Some(original_servers) = before.get("mcp_servers").and_then(|s| s.as_table_like()) {
        for (name, item) in original_servers.iter() {
            if servers.contains_key(name) {
                kept.push(name.to_owned());
                continue;
            }
            let mut item = item.clone();
            unpositioned(&mut item);
            servers.insert(name, item);
            restored.push(name.to_owned());
        }
    }
    Ok(Undone {
        text: now.to_string(),
        restored,
        removed,
        kept,
        whole: false,
    })
}

/// Tables taken from another document forget their place in it, so they
/// are written where they are inserted.
fn unpositioned(item: &mut toml_edit::Item) {
    if let toml_edit::Item::Table(table) = item {
        table.set_position(None);
        for (_, child) in table.iter_mut() {
            unpositioned(child);
        }
    }
}

/// codemode's own config (`before`, `None` when there is none yet) with
/// `moved` added, edited in place so its comments stay; the same server
/// twice is fine, two different servers of one name are not.
pub(super) fn merged_config(
    before: Option<&str>,
    path: &Path,
    moved: &Map<String, Value>,
    client: Client,
) -> anyhow::Result<String> {
    let Some(text) = before else {
        let document = serde_json::json!({ "mcpServers": moved });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&document)?));
    };
    let document: Value = json_file::parse_jsonc(text, path)?;
    let Some(Value::Object(servers)) = document.get("mcpServers") else {
        bail!(
            "{} has no \"mcpServers\" object for the servers to go in",
            path.display()
        );
    };
    let root = tree(text, path)?;
    let object = servers_object(&root, "mcpServers", path)?;
    let folder = path.parent().unwrap_or(Path::new(""));
    for (name, entry) in moved {
        match servers.get(name) {
            Some(existing) if config::same_server(existing, entry, folder) => {}
            Some(_) => bail!(
                "{} already has a server named \"{name}\", different from {}'s; rename one of them",
                path.display(),
                client.name()
            ),
            None => {
                object.append(name, tree_value(entry));
            }
        }
    }
    Ok(root.to_string())
}

/// `text` as a concrete syntax tree, which keeps every comment and space.
fn tree(text: &str, path: &Path) -> anyhow::Result<CstRootNode> {
    CstRootNode::parse(json_file::without_bom(text), &json_file::jsonc_options()).map_err(|e| {
        anyhow!(
            "{}:{}:{}: {}",
            path.display(),
            e.line_display(),
            e.column_display(),
            e.kind()
        )
    })
}

/// The object under `key` at the top of `root`.
fn servers_object(root: &CstRootNode, key: &str, path: &Path) -> anyhow::Result<CstObject> {
    root.object_value()
        .and_then(|document| document.object_value(key))
        .with_context(|| format!("{} has no \"{key}\" object of servers", path.display()))
}

/// `value` as the tree writes it.
fn tree_value(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(tree_value).collect()),
        Value::Object(map) => CstInputValue::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), tree_value(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use super::*;

    /// Text of any script, with quotes, backslashes and control characters.
    const TEXT: &str = "(\\PC|[\\x00-\\x1f\"\\\\]){0,12}";
    const NAME: &str = "(\\PC|[\\x00-\\x1f\"\\\\]){1,12}";

    fn server() -> impl Strategy<Value = Value> {
        (
            TEXT,
            prop::collection::vec(TEXT, 0..3),
            prop::collection::btree_map("[A-Z_]{1,8}", TEXT, 0..3),
        )
            .prop_map(|(command, args, env)| json!({"command": command, "args": args, "env": env}))
    }

    fn config() -> impl Strategy<Value = (Map<String, Value>, Map<String, Value>, bool)> {
        (
            prop::collection::btree_map(NAME, server(), 1..4),
            prop::collection::btree_map(NAME, any::<i32>().prop_map(Value::from), 0..3),
            any::<bool>(),
        )
            .prop_map(|(servers, settings, commented)| {
                let servers = servers
                    .into_iter()
                    .filter(|(name, _)| name != ENTRY)
                    .collect();
                let settings = settings
                    .into_iter()
                    .filter(|(name, _)| name != "mcpServers")
                    .collect();
                (servers, settings, commented)
            })
    }

    proptest! {
        /// Whatever the names and strings (quotes, backslashes, control
        /// characters, any script), connect moves exactly the servers,
        /// leaves the rest, and disconnect gives back the original: byte for
        /// byte when nothing changed, in meaning with a change kept when
        /// something did.
        #[test]
        fn connect_then_disconnect_gives_back_the_original(
            (servers, settings, commented) in config()
        ) {
            prop_assume!(!servers.is_empty());
            let mut document = settings.clone();
            document.insert("mcpServers".into(), Value::Object(servers.clone()));
            let pretty = serde_json::to_string_pretty(&document).unwrap();
            let original = if commented { format!("// the user's note\n{pretty}\n") } else { pretty };
            let (file, folder) = (Path::new("/home/me/config.json"), Path::new("/home/me"));
            let serve = json!({"command": "/bin/codemode", "args": ["serve", "--config", "/c/servers.json"]});
            let client = Client::ClaudeDesktop;

            let taken = take_servers(client, &original, file, folder, &serve).unwrap();
            prop_assert_eq!(&taken.moved, &servers);
            let connected: Value = json_file::parse_jsonc(&taken.text, file).unwrap();
            prop_assert_eq!(&connected["mcpServers"], &json!({ENTRY: serve}));
            for (key, value) in &settings {
                prop_assert_eq!(&connected[key], value);
            }
            prop_assert_eq!(taken.text.contains("// the user's note"), commented);

            let undone = undo(client, &original, &taken.text, file, folder).unwrap();
            prop_assert!(undone.whole);
            prop_assert_eq!(&undone.text, &original);

            let mut changed = connected.clone();
            changed["addedWhileConnected"] = json!(true);
            let undone = undo(client, &original, &changed.to_string(), file, folder).unwrap();
            prop_assert!(!undone.whole);
            let mut expected = Value::Object(document);
            expected["addedWhileConnected"] = json!(true);
            let after: Value = json_file::parse_jsonc(&undone.text, file).unwrap();
            prop_assert_eq!(after, expected);
        }
    }
}
