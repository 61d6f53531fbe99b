//! A user's files as a second local user and a planted link see them: each
//! file codemode writes that holds secrets or tool data is the user's alone
//! (or keeps the mode the user gave it), no write follows a link planted at
//! its path, and `connect`/`disconnect` lose nothing of a client's config:
//! not a link a dotfile manager made, not a change made while connected,
//! not a comment, not the original under two connects at once.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::common::*;

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `codemode ARGS` as a user whose home (with its config and cache
/// folders) is `home`.
fn codemode_at(home: &Path, args: &[&str]) -> Output {
    Command::new(codemode_path())
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env_remove("CODEX_HOME")
        .env_remove("CODEMODE_LOG")
        .output()
        .unwrap()
}

fn succeeded(output: &Output) -> &Output {
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(output),
        stderr(output)
    );
    output
}

/// A Claude Desktop config with one server that carries a token, readable
/// by its user alone as Claude Desktop writes it.
fn client_config(dir: &Path) -> (PathBuf, String) {
    let file = dir.join("claude_desktop_config.json");
    let text = serde_json::to_string_pretty(&json!({
        "mcpServers": {
            "tracker": {
                "command": codemode_path(),
                "args": ["demo-server"],
                "env": {"TRACKER_TOKEN": "s3cret-token"}
            }
        },
        "globalShortcut": "Ctrl+Space"
    }))
    .unwrap();
    fs::write(&file, &text).unwrap();
    set_mode(&file, 0o600);
    (file, text)
}

/// `codemode disconnect claude-desktop --file FILE`, which must succeed.
fn disconnect(home: &Path, file: &Path) {
    succeeded(&codemode_at(
        home,
        &[
            "disconnect",
            "claude-desktop",
            "--file",
            file.to_str().unwrap(),
        ],
    ));
}

/// `output` is of a command that failed, saying `why` on stderr.
fn refused(output: &Output, why: &str) {
    let said = stderr(output);
    assert!(!output.status.success(), "{said}");
    assert!(said.contains(why), "{said}");
}

fn connect_args<'a>(file: &'a Path, config: Option<&'a Path>) -> Vec<&'a str> {
    let mut args = vec![
        "connect",
        "claude-desktop",
        "--file",
        file.to_str().unwrap(),
    ];
    if let Some(config) = config {
        args.extend(["--config", config.to_str().unwrap()]);
    }
    args
}

fn every_file_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        found.push(path.clone());
        if entry.file_type().unwrap().is_dir() {
            found.extend(every_file_under(&path));
        }
    }
    found
}

#[test]
fn every_file_connect_writes_is_the_users_alone_or_keeps_its_mode() {
    let home = tempfile::tempdir().unwrap();
    let (file, _) = client_config(home.path());
    succeeded(&codemode_at(home.path(), &connect_args(&file, None)));
    // codemode's config now holds the token: it and its new folders are the
    // user's alone, and so is every other file connect wrote.
    let config = home.path().join(".config/codemode/servers.json");
    assert!(
        fs::read_to_string(&config)
            .unwrap()
            .contains("s3cret-token")
    );
    for path in every_file_under(home.path()) {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }

    // A mode the user chose is kept when the file is rewritten.
    disconnect(home.path(), &file);
    set_mode(&file, 0o640);
    set_mode(&config, 0o640);
    succeeded(&codemode_at(home.path(), &connect_args(&file, None)));
    assert_eq!(mode(&file), 0o640);
    assert_eq!(mode(&config), 0o640);
}

#[test]
fn traces_and_learned_files_are_the_users_alone() {
    let home = tempfile::tempdir().unwrap();
    let trace = home.path().join("trace.jsonl");
    let fixture = conformance_fixture();
    // A tool with no outputSchema, so its result's shape is learned.
    let mut child = Command::new(codemode_path())
        .args([
            "run",
            "-",
            "--trace-file",
            trace.to_str().unwrap(),
            "--trace-results",
        ])
        .args(["--", fixture.as_str(), "--era", "legacy"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_CACHE_HOME", home.path().join(".cache"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"return await conformance_fixture.test_simple_text({});",
    )
    .unwrap();
    succeeded(&child.wait_with_output().unwrap());
    // Every tool's answer is in the trace.
    assert!(fs::read_to_string(&trace).unwrap().contains("\"calls\""));
    assert!(home.path().join(".cache/codemode/shapes.json").exists());
    for path in every_file_under(home.path()) {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
}

/// `codemode run` of `return 1` tracing to `trace`; its output.
fn run_traced(trace: &Path) -> Output {
    let mut child = Command::new(codemode_path())
        .args([
            "run",
            "-",
            "--trace-file",
            trace.to_str().unwrap(),
            "--trace-results",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"return 1;").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_trace_never_goes_through_a_planted_link_or_into_anothers_file() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("authorized_keys");
    fs::write(&victim, "ssh-ed25519 AAAA me\n").unwrap();
    let trace = dir.path().join("trace.jsonl");
    symlink(&victim, &trace).unwrap();
    let output = run_traced(&trace);
    refused(&output, "is a symbolic link");
    assert_eq!(
        fs::read_to_string(&victim).unwrap(),
        "ssh-ed25519 AAAA me\n"
    );
    assert!(
        fs::symlink_metadata(&trace)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A link to where nothing is yet: nothing is created there either.
    let nowhere = dir.path().join("created-by-the-write");
    let dangling = dir.path().join("dangling.jsonl");
    symlink(&nowhere, &dangling).unwrap();
    assert!(!run_traced(&dangling).status.success());
    assert!(!nowhere.exists());

    // A hard link to another file.
    let hard = dir.path().join("hard.jsonl");
    fs::hard_link(&victim, &hard).unwrap();
    let output = run_traced(&hard);
    refused(&output, "hard links");
    assert_eq!(
        fs::read_to_string(&victim).unwrap(),
        "ssh-ed25519 AAAA me\n"
    );

    // A world-readable file another user put there first (needs root to make).
    let planted = dir.path().join("planted.jsonl");
    fs::write(&planted, "").unwrap();
    set_mode(&planted, 0o666);
    if std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).is_ok() {
        let output = run_traced(&planted);
        refused(&output, "belongs to another user");
        assert_eq!(fs::read_to_string(&planted).unwrap(), "");
    }
}

#[test]
fn tokens_are_rewritten_the_users_alone_and_never_through_a_link() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join(".config/codemode");
    fs::create_dir_all(&folder).unwrap();
    let credentials = folder.join("credentials.json");
    let saved = json!({
        "linear": {"resource": "https://mcp.linear.app/mcp", "credentials": {"client_id": "c1", "token_response": null, "granted_scopes": []}},
        "github": {"resource": "https://api.githubcopilot.com/mcp/", "credentials": {"client_id": "c2", "token_response": null, "granted_scopes": []}}
    });
    fs::write(&credentials, saved.to_string()).unwrap();
    // An older codemode, or a copy, left it readable by all: tokens are
    // secrets, so the rewrite is the user's alone whatever it had.
    set_mode(&credentials, 0o644);
    let output = codemode_at(home.path(), &["logout", "linear"]);
    succeeded(&output);
    assert!(stderr(&output).contains("logged out of linear"));
    assert_eq!(mode(&credentials), 0o600);
    let left: Value = serde_json::from_str(&fs::read_to_string(&credentials).unwrap()).unwrap();
    assert!(left.get("github").is_some() && left.get("linear").is_none());

    // A link planted at the token file: refused, its target untouched.
    let elsewhere = home.path().join("elsewhere.json");
    fs::rename(&credentials, &elsewhere).unwrap();
    symlink(&elsewhere, &credentials).unwrap();
    let before = fs::read(&elsewhere).unwrap();
    let output = codemode_at(home.path(), &["logout", "github"]);
    refused(&output, "is a symbolic link");
    assert_eq!(fs::read(&elsewhere).unwrap(), before);
}

#[test]
fn a_linked_client_config_is_edited_where_it_points_and_the_link_stays() {
    let home = tempfile::tempdir().unwrap();
    let dotfiles = home.path().join("dotfiles");
    fs::create_dir(&dotfiles).unwrap();
    let (target, original) = client_config(&dotfiles);
    let link = home.path().join("claude_desktop_config.json");
    symlink(&target, &link).unwrap();
    let config = home.path().join("servers.json");
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&link, Some(&config)),
    ));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let connected: Value = serde_json::from_str(&fs::read_to_string(&target).unwrap()).unwrap();
    assert!(
        connected["mcpServers"]["codemode"].is_object(),
        "{connected}"
    );
    assert!(connected["mcpServers"].get("tracker").is_none());
    assert_eq!(mode(&target), 0o600);

    succeeded(&codemode_at(
        home.path(),
        &[
            "disconnect",
            "claude-desktop",
            "--file",
            link.to_str().unwrap(),
        ],
    ));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), original);
}

#[test]
fn codemodes_own_config_linked_by_a_dotfile_manager_is_edited_where_it_points() {
    let home = tempfile::tempdir().unwrap();
    let (file, _) = client_config(home.path());
    let target = home.path().join("dotfiles-servers.json");
    fs::write(&target, "{\"mcpServers\": {}} // mine\n").unwrap();
    set_mode(&target, 0o600);
    let config = home.path().join("servers.json");
    symlink(&target, &config).unwrap();
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&file, Some(&config)),
    ));
    assert!(
        fs::symlink_metadata(&config)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a plain file"
    );
    let edited = fs::read_to_string(&target).unwrap();
    assert!(edited.contains("// mine"), "{edited}");
    assert!(edited.contains("\"tracker\""), "{edited}");
    assert_eq!(mode(&target), 0o600);
}

#[test]
fn disconnect_keeps_what_the_user_changed_while_connected() {
    let home = tempfile::tempdir().unwrap();
    let (file, _) = client_config(home.path());
    let config = home.path().join("servers.json");
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&file, Some(&config)),
    ));
    // The user (or the client app) changes settings and adds a server.
    let mut changed: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    changed["globalShortcut"] = json!("Alt+Space");
    changed["theme"] = json!("dark");
    changed["mcpServers"]["notes"] = json!({"command": "notes-server"});
    fs::write(&file, serde_json::to_string_pretty(&changed).unwrap()).unwrap();

    let output = codemode_at(
        home.path(),
        &[
            "disconnect",
            "claude-desktop",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    succeeded(&output);
    let after: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(after["globalShortcut"], "Alt+Space");
    assert_eq!(after["theme"], "dark");
    assert_eq!(after["mcpServers"]["notes"]["command"], "notes-server");
    assert_eq!(
        after["mcpServers"]["tracker"]["env"]["TRACKER_TOKEN"],
        "s3cret-token"
    );
    assert!(after["mcpServers"].get("codemode").is_none(), "{after}");
    assert_eq!(mode(&file), 0o600);
    assert!(
        !home
            .path()
            .join("claude_desktop_config.json.codemode-backup")
            .exists()
    );
}

#[test]
fn comments_in_codemodes_config_survive_connect() {
    let home = tempfile::tempdir().unwrap();
    let (file, _) = client_config(home.path());
    let config = home.path().join("servers.json");
    let own = "// my servers, see the wiki\n{\n  \"mcpServers\": {\n    // the time server\n    \"time\": {\"command\": \"uvx\", \"args\": [\"mcp-server-time\"]}, // pinned\n  },\n  /* trailing note */\n}\n";
    fs::write(&config, own).unwrap();
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&file, Some(&config)),
    ));
    let text = fs::read_to_string(&config).unwrap();
    for comment in [
        "// my servers, see the wiki",
        "// the time server",
        "// pinned",
        "/* trailing note */",
    ] {
        assert!(text.contains(comment), "{comment} lost:\n{text}");
    }
    let loaded = codemode_json(&["tools", "--json", "--config", config.to_str().unwrap()]);
    let names: Vec<&str> = loaded["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"tracker"), "{loaded}");
}

#[test]
fn two_connects_at_once_keep_the_original_in_the_backup() {
    // A large ~/.claude.json (Claude Code keeps each project's history in it).
    let projects: serde_json::Map<String, Value> = (0..2_000)
        .map(|i| {
            (
                format!("/home/me/project-{i}"),
                json!({"history": ["x".repeat(1_000)], "allowedTools": []}),
            )
        })
        .collect();
    let original = serde_json::to_string_pretty(&json!({
        "numStartups": 12,
        "projects": projects,
        "mcpServers": {
            "tracker": {"command": codemode_path(), "args": ["demo-server"]},
            "other": {"command": "other-server"}
        }
    }))
    .unwrap();
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".claude.json");
        fs::write(&file, &original).unwrap();
        let config = dir.path().join("servers.json");
        let args = [
            "connect",
            "claude-code",
            "--file",
            file.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ];
        let spawn = || {
            Command::new(codemode_path())
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (first, second) = (spawn(), spawn());
        let outputs = [
            first.wait_with_output().unwrap(),
            second.wait_with_output().unwrap(),
        ];
        let won: Vec<_> = outputs.iter().filter(|o| o.status.success()).collect();
        assert_eq!(won.len(), 1, "round {round}: one connects");
        let lost = outputs.iter().find(|o| !o.status.success()).unwrap();
        assert!(
            stderr(lost).contains("is connected already"),
            "round {round}: {}",
            stderr(lost)
        );
        let backup = dir.path().join(".claude.json.codemode-backup");
        assert_eq!(
            fs::read_to_string(&backup).unwrap(),
            original,
            "round {round}: the backup is the original"
        );
        let connected: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
        assert!(connected["mcpServers"]["codemode"].is_object());
        assert_eq!(connected["projects"].as_object().unwrap().len(), 2_000);
        let own: Value = serde_json::from_str(&fs::read_to_string(&config).unwrap()).unwrap();
        assert_eq!(own["mcpServers"].as_object().unwrap().len(), 2);
        succeeded(&codemode(&[
            "disconnect",
            "claude-code",
            "--file",
            file.to_str().unwrap(),
        ]));
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            original,
            "round {round}"
        );
    }
}

#[test]
fn a_config_connected_by_root_stays_its_owners() {
    let home = tempfile::tempdir().unwrap();
    let (file, original) = client_config(home.path());
    // Giving the file to another user takes root; elsewhere there is nothing to test.
    if std::os::unix::fs::chown(&file, Some(65534), Some(65534)).is_err() {
        return;
    }
    let config = home.path().join("servers.json");
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&file, Some(&config)),
    ));
    let backup = home
        .path()
        .join("claude_desktop_config.json.codemode-backup");
    for path in [&file, &backup] {
        let meta = fs::metadata(path).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid(), meta.mode() & 0o777),
            (65534, 65534, 0o600),
            "{}",
            path.display()
        );
    }
    disconnect(home.path(), &file);
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    assert_eq!(fs::metadata(&file).unwrap().uid(), 65534);
}

#[test]
fn a_link_planted_as_the_backup_is_neither_replaced_nor_restored() {
    let home = tempfile::tempdir().unwrap();
    let (file, original) = client_config(home.path());
    let secret = home.path().join("someone-elses.json");
    fs::write(
        &secret,
        "{\"mcpServers\": {\"evil\": {\"command\": \"rm\"}}}",
    )
    .unwrap();
    let backup = home
        .path()
        .join("claude_desktop_config.json.codemode-backup");
    symlink(&secret, &backup).unwrap();
    let disconnect = [
        "disconnect",
        "claude-desktop",
        "--file",
        file.to_str().unwrap(),
    ];
    let output = codemode_at(home.path(), &disconnect);
    refused(&output, "is not a plain file");
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    // connect sees it as a backup it must not replace, even dangling.
    fs::remove_file(&secret).unwrap();
    let config = home.path().join("servers.json");
    let output = codemode_at(home.path(), &connect_args(&file, Some(&config)));
    assert!(
        stderr(&output).contains("is connected already"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    assert!(!secret.exists());
}

/// A trace an older codemode made readable by all (it created traces
/// 0644), or that the user touched into being: `--trace-results` writes
/// every tool's answer, so it is made the user's alone before more goes in.
#[test]
fn a_trace_others_can_read_is_made_the_users_alone_before_it_is_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    fs::write(&trace, "{\"earlier\": true}\n").unwrap();
    set_mode(&trace, 0o644);
    let output = run_traced(&trace);
    succeeded(&output);
    assert_eq!(mode(&trace), 0o600);
    assert!(
        stderr(&output).contains("could be read by other users"),
        "{}",
        stderr(&output)
    );
    let text = fs::read_to_string(&trace).unwrap();
    assert!(
        text.starts_with("{\"earlier\": true}\n") && text.lines().count() == 2,
        "{text}"
    );
}

/// codemode's config that the user made readable by all (an editor's
/// default), taking the servers of a client config readable by the user
/// alone: their tokens must not become readable by every local user.
#[test]
fn secrets_moved_by_connect_are_readable_by_no_one_who_could_not_read_them() {
    let home = tempfile::tempdir().unwrap();
    let (file, _) = client_config(home.path());
    let config = home.path().join("servers.json");
    fs::write(&config, "{\n  // mine\n  \"mcpServers\": {}\n}\n").unwrap();
    set_mode(&config, 0o644);
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&file, Some(&config)),
    ));
    let text = fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("s3cret-token") && text.contains("// mine"),
        "{text}"
    );
    assert_eq!(mode(&config), 0o600);

    // A client config the group may read lends the group no more than that.
    disconnect(home.path(), &file);
    set_mode(&file, 0o640);
    fs::write(&config, "{\"mcpServers\": {}}").unwrap();
    set_mode(&config, 0o664);
    succeeded(&codemode_at(
        home.path(),
        &connect_args(&file, Some(&config)),
    ));
    assert_eq!(mode(&config), 0o640);
}

/// A client config as Windows editors leave it (a byte order mark, CRLF
/// line ends, comments and trailing commas), named relative to the current
/// folder: connect moves its servers, and disconnect gives the original
/// back byte for byte.
#[test]
fn a_config_with_a_byte_order_mark_named_relatively_connects_and_comes_back_whole() {
    let home = tempfile::tempdir().unwrap();
    let original = "\u{feff}{\r\n  // mine\r\n  \"mcpServers\": {\r\n    \"a\": {\"command\": \"x\", \"args\": [\"y\",],},\r\n  },\r\n}\r\n";
    let file = home.path().join("c.json");
    fs::write(&file, original).unwrap();
    let codemode = |args: &[&str]| {
        Command::new(codemode_path())
            .args(args)
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env_remove("CODEMODE_LOG")
            .output()
            .unwrap()
    };
    succeeded(&codemode(&[
        "connect",
        "claude-desktop",
        "--file",
        "c.json",
        "--config",
        "servers.json",
    ]));
    let config = fs::read_to_string(home.path().join("servers.json")).unwrap();
    assert!(config.contains("\"a\""), "{config}");
    assert!(fs::read_to_string(&file).unwrap().contains("serve"));
    succeeded(&codemode(&[
        "disconnect",
        "claude-desktop",
        "--file",
        "c.json",
    ]));
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
}

/// Root connects a user's client config (with sudo, say); the user then
/// disconnects it as themselves, and root can connect it again: the lock
/// left beside the config is the user's, as the config is, where a lock
/// of root's own shut its owner out ("Permission denied").
#[test]
fn after_root_connects_a_users_config_its_owner_can_still_disconnect() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    let (file, original) = client_config(&home);
    // Acting as another user takes root; elsewhere there is nothing to test.
    let user = 65534;
    if std::os::unix::fs::chown(&home, Some(user), Some(user)).is_err() {
        return;
    }
    set_mode(dir.path(), 0o755);
    std::os::unix::fs::chown(&file, Some(user), Some(user)).unwrap();
    let config = dir.path().join("servers.json");
    succeeded(&codemode_at(&home, &connect_args(&file, Some(&config))));
    let lock = home.join("claude_desktop_config.json.codemode-lock");
    assert_eq!(fs::metadata(&lock).unwrap().uid(), user);

    let as_user = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(codemode_path())
        .args(["disconnect", "claude-desktop", "--file"])
        .arg(&file)
        .env("HOME", &home)
        .env_remove("CODEMODE_LOG")
        .output()
        .unwrap();
    succeeded(&as_user);
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    // And root again, over the lock its owner now holds between runs.
    succeeded(&codemode_at(&home, &connect_args(&file, Some(&config))));
}

/// `sudo codemode connect` where sudo keeps the user's HOME (macOS does):
/// codemode's config would be made root's in the user's home, and the
/// client, run as the user, could then not read it. It is refused, saying
/// what to do, and the client's config is left as it was.
#[test]
fn root_does_not_make_codemodes_config_in_another_users_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir(&home).unwrap();
    let (file, original) = client_config(&home);
    // Acting for another user takes root; elsewhere there is nothing to test.
    let user = 65534;
    if std::os::unix::fs::chown(&home, Some(user), Some(user)).is_err() {
        return;
    }
    std::os::unix::fs::chown(&file, Some(user), Some(user)).unwrap();
    let output = codemode_at(&home, &connect_args(&file, None));
    refused(&output, "run connect as that user");
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    assert!(!home.join(".config/codemode").exists());
    assert!(
        !home
            .join("claude_desktop_config.json.codemode-backup")
            .exists()
    );
}

/// `disconnect` takes out the entry `connect` wrote, wherever it is now:
/// renamed by the user, it goes all the same (else the client would start
/// the moved servers twice); replaced by a server of the user's own under
/// codemode's name, that server is the user's and stays.
#[test]
fn disconnect_takes_out_connects_entry_renamed_and_never_a_users_own() {
    let rename = |text: &str| text.replacen("\"codemode\":", "\"proxy\":", 1);
    let replace = |text: &str| {
        let mut changed: Value = serde_json::from_str(text).unwrap();
        changed["mcpServers"]["codemode"] = json!({"command": "my-own-server"});
        serde_json::to_string_pretty(&changed).unwrap()
    };
    for (edit, stays) in [
        (&rename as &dyn Fn(&str) -> String, None),
        (&replace, Some("codemode")),
    ] {
        let home = tempfile::tempdir().unwrap();
        let (file, _) = client_config(home.path());
        let config = home.path().join("servers.json");
        succeeded(&codemode_at(
            home.path(),
            &connect_args(&file, Some(&config)),
        ));
        fs::write(&file, edit(&fs::read_to_string(&file).unwrap())).unwrap();
        disconnect(home.path(), &file);
        let after: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
        let names: Vec<&String> = after["mcpServers"].as_object().unwrap().keys().collect();
        let mut expected = vec!["tracker"];
        expected.extend(stays);
        assert_eq!(names, expected, "{after}");
        if stays.is_some() {
            assert_eq!(after["mcpServers"]["codemode"]["command"], "my-own-server");
        }
    }

    // The same in Codex's TOML.
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("config.toml");
    let original = format!(
        "# mine\n[mcp_servers.tracker]\ncommand = \"{}\"\nargs = [\"demo-server\"]\n",
        codemode_path()
    );
    fs::write(&file, &original).unwrap();
    let codex = |command: &str| {
        let mut args = vec![command, "codex", "--file", file.to_str().unwrap()];
        let config = home.path().join("servers.json");
        if command == "connect" {
            args.extend(["--config", config.to_str().unwrap()]);
        }
        succeeded(&codemode_at(home.path(), &args));
    };
    codex("connect");
    let connected = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        connected.replace("[mcp_servers.codemode]", "[mcp_servers.proxy]"),
    )
    .unwrap();
    codex("disconnect");
    let after: toml::Table = toml::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    let names: Vec<&String> = after["mcp_servers"].as_table().unwrap().keys().collect();
    assert_eq!(names, ["tracker"], "{after:?}");
}
