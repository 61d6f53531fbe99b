//! Which upstream servers to use: config files as MCP clients write them
//! and the command-line shortcuts, turned into one list of [`ServerSpec`]s.
//! Plain data: the CLI turns its flags into [`Sources`].

#[cfg(test)]
mod client_configs;
pub mod dirs;
mod entry;
mod formats;
mod interpolate;
mod names;
mod settings;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use codemode_text::suggest::did_you_mean;

use crate::files::json_file::{self, JsonFileError};
use crate::hint::{Given, Hint, Hinted};
pub use entry::{references_in, same_server};
pub use interpolate::{Unresolved, Vars, bare_var, home_dir, input_var};
pub use names::{name_from_command, name_from_url};
pub use settings::{ConfigSettings, ranges};

/// One upstream server and how to reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerSpec {
    pub name: String,
    pub transport: Transport,
    pub timeouts: Timeouts,
    /// How codemode logs in to an HTTP server that requires OAuth.
    pub oauth: OAuthClient,
}

/// A client registered with a server's authorization server ahead of time
/// (`"oauth": {"clientId", "clientSecret", "scopes"}`, Cursor's `auth`,
/// Codex's `scopes`); empty to register dynamically.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OAuthClient {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    /// An HTTPS URL serving the client's metadata document, its client ID
    /// where the authorization server supports those (`clientMetadataUrl`).
    pub client_metadata_url: Option<String>,
}

/// A server's own time-outs from its config; codemode's flags apply where
/// they are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timeouts {
    /// To start, initialize and list tools (instead of `--init-timeout`).
    pub startup: Option<Duration>,
    /// For each tool call (within the execution's own limit).
    pub call: Option<Duration>,
}

impl ServerSpec {
    pub fn new(name: impl Into<String>, transport: Transport) -> ServerSpec {
        ServerSpec {
            name: name.into(),
            transport,
            timeouts: Timeouts::default(),
            oauth: OAuthClient::default(),
        }
    }

    /// Keeps the variable `var` of codemode's environment from a stdio server.
    pub fn hide_env(&mut self, var: &str) {
        if let Transport::Stdio { hidden_env, .. } = &mut self.transport {
            hidden_env.push(var.to_owned());
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Transport {
    /// A child process speaking MCP on stdin/stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
        cwd: Option<PathBuf>,
        /// Variables of codemode's own environment the child must not see
        /// (`serve --auth-token`'s secret).
        hidden_env: Vec<String>,
    },
    /// A streamable-HTTP endpoint; with `sse_fallback` (a URL given without
    /// a type), the legacy SSE transport is tried when it does not answer as
    /// one, as the MCP specification's backward-compatibility section says.
    Http {
        url: String,
        headers: Vec<(String, String)>,
        sse_fallback: bool,
    },
    /// A server speaking the legacy HTTP+SSE transport.
    Sse {
        url: String,
        headers: Vec<(String, String)>,
    },
    /// A saved `tools/list` result: tools only, nothing to call.
    ToolsFile(PathBuf),
    /// The built-in demo server, in-process.
    Demo,
    /// A server the config names but codemode cannot start, and why (an
    /// unset variable, a transport it does not speak): reported like a
    /// server that failed to start, while the others are used.
    Unusable { reason: String, hint: Option<Hint> },
}

/// Why a config's server cannot be used, and what would help.
#[derive(Clone, Debug, PartialEq)]
pub struct Unusable {
    pub reason: String,
    pub hint: Option<Hint>,
}

impl From<String> for Unusable {
    fn from(reason: String) -> Unusable {
        Unusable { reason, hint: None }
    }
}

impl From<&str> for Unusable {
    fn from(reason: &str) -> Unusable {
        reason.to_owned().into()
    }
}

impl From<Unresolved> for Unusable {
    fn from(unresolved: Unresolved) -> Unusable {
        Unusable {
            reason: unresolved.to_string(),
            hint: unresolved.hint(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(transparent)]
    File(#[from] JsonFileError),
    #[error(
        "{}: no servers: expected an MCP client's config, with \"mcpServers\" (Claude, Cursor, Windsurf, Gemini CLI, Cline; a list in Continue's YAML), \"servers\" (VS Code), \"context_servers\" (Zed) or [mcp_servers.NAME] tables (Codex CLI's TOML)",
        path.display()
    )]
    NoServers { path: PathBuf },
    #[error("{}: \"codemode\".{key} is {value}; it must be between {} and {}", path.display(), range.start(), range.end())]
    Setting {
        path: PathBuf,
        key: &'static str,
        value: u64,
        range: std::ops::RangeInclusive<u64>,
    },
    /// What was given is not repeated: it may be a secret.
    #[error(
        "invalid HTTP header: expected `Name: value`, as in \"Authorization: Bearer $TOKEN\" (what was given is not repeated here, as it may hold a secret)"
    )]
    Header,
    #[error("two servers are named \"{0}\"")]
    DuplicateName(String),
    #[error(
        "two servers are named \"{name}\": in {} and in {}; rename one of them",
        first.display(),
        second.display()
    )]
    DuplicateAcrossFiles {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("cannot use server \"{name}\": {problem}")]
    NotSelectable { name: String, problem: String },
    #[error(
        "invalid input value: expected `ID=VALUE`, as in \"api-key=$KEY\" (what was given is not repeated here, as it may hold a secret)"
    )]
    Input,
}

impl Hinted for ConfigError {
    fn hint(&self) -> Option<Hint> {
        match self {
            ConfigError::Header => Some(Hint::Check(Given::Header)),
            ConfigError::Input => Some(Hint::Check(Given::Input)),
            ConfigError::DuplicateName(_) => Some(Hint::Give(Given::ServerName)),
            _ => None,
        }
    }
}

/// Where a command's servers come from, as its flags say.
#[derive(Debug, Default)]
pub struct Sources {
    /// Config files (`--config`, repeatable).
    pub configs: Vec<PathBuf>,
    /// A stdio server's command line (`-- CMD ARGS`).
    pub command: Vec<String>,
    pub url: Option<String>,
    /// `Name: value` headers for `url`.
    pub headers: Vec<String>,
    pub tools_files: Vec<PathBuf>,
    /// The name of the server given by `command` or `url`.
    pub name: Option<String>,
    /// Only these servers (`--server`, repeatable); all when empty.
    pub only: Vec<String>,
    /// `ID=VALUE` answers to `${input:ID}` (`--input`, repeatable).
    pub inputs: Vec<String>,
}

/// The servers a command should use, and whether the demo was chosen because
/// nothing else was given.
pub fn select(sources: &Sources) -> Result<Selection, ConfigError> {
    select_with(sources, &|var| std::env::var(var).ok())
}

fn select_with(
    sources: &Sources,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Selection, ConfigError> {
    let inputs = sources
        .inputs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((id, value)) if !id.is_empty() => Ok((id.to_owned(), value.to_owned())),
            _ => Err(ConfigError::Input),
        })
        .collect::<Result<HashMap<_, _>, _>>()?;
    let mut specs: Vec<ServerSpec> = Vec::new();
    let mut origins: HashMap<String, PathBuf> = HashMap::new();
    let mut settings = ConfigSettings::default();
    let mut policies = Vec::new();
    let mut disabled = Vec::new();
    let mut warnings = Vec::new();
    for path in &sources.configs {
        let loaded = load(path, env, &inputs)?;
        for spec in loaded.servers {
            if let Some(first) = origins.insert(spec.name.clone(), path.clone()) {
                return Err(ConfigError::DuplicateAcrossFiles {
                    name: spec.name,
                    first,
                    second: path.clone(),
                });
            }
            specs.push(spec);
        }
        settings = settings.or(loaded.settings);
        policies.extend(loaded.policies);
        disabled.extend(loaded.disabled);
        warnings.extend(loaded.warnings);
    }
    if let Some((command, rest)) = sources.command.split_first() {
        let name = sources
            .name
            .clone()
            .unwrap_or_else(|| name_from_command(command, rest));
        specs.push(ServerSpec::new(
            name,
            Transport::Stdio {
                command: command.clone(),
                args: rest.to_vec(),
                env: vec![],
                cwd: None,
                hidden_env: vec![],
            },
        ));
    }
    if let Some(url) = &sources.url {
        let headers = sources
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<_, _>>()?;
        let name = sources.name.clone().unwrap_or_else(|| name_from_url(url));
        specs.push(ServerSpec::new(
            name,
            Transport::Http {
                url: url.clone(),
                headers,
                sse_fallback: true,
            },
        ));
    }
    for path in &sources.tools_files {
        let name = path
            .file_stem()
            .map_or_else(|| "tools".into(), |s| s.to_string_lossy().into_owned());
        specs.push(ServerSpec::new(name, Transport::ToolsFile(path.clone())));
    }
    let mut seen = std::collections::HashSet::new();
    for spec in &specs {
        if !seen.insert(spec.name.as_str()) {
            return Err(ConfigError::DuplicateName(spec.name.clone()));
        }
    }
    // A config whose servers are all disabled is a deliberate empty choice,
    // not a request for the demo.
    let demo = specs.is_empty() && sources.configs.is_empty();
    if demo {
        specs.push(ServerSpec::new("demo", Transport::Demo));
    }
    if !sources.only.is_empty() {
        specs = only(specs, &sources.only, &disabled)?;
    }
    Ok(Selection {
        servers: specs,
        demo,
        settings,
        policies,
        warnings,
    })
}

/// The servers named in `wanted`, which must all exist and be enabled.
fn only(
    specs: Vec<ServerSpec>,
    wanted: &[String],
    disabled: &[String],
) -> Result<Vec<ServerSpec>, ConfigError> {
    for name in wanted {
        if specs.iter().any(|s| &s.name == name) {
            continue;
        }
        let problem = if disabled.contains(name) {
            "it is disabled in its config file; remove its \"disabled\": true (or set \"enabled\": true)".to_owned()
        } else {
            let hint = did_you_mean(name, specs.iter().map(|s| s.name.as_str()))
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_default();
            let known: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
            format!(
                "no server has that name (there are: {}){hint}",
                known.join(", ")
            )
        };
        return Err(ConfigError::NotSelectable {
            name: name.clone(),
            problem,
        });
    }
    Ok(specs
        .into_iter()
        .filter(|s| wanted.contains(&s.name))
        .collect())
}

fn parse_header(text: &str) -> Result<(String, String), ConfigError> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().into(), value.trim().into()))
        }
        _ => Err(ConfigError::Header),
    }
}

/// The servers a command should use, and the settings that came with them.
#[derive(Debug)]
pub struct Selection {
    pub servers: Vec<ServerSpec>,
    /// The demo was chosen because nothing else was given.
    pub demo: bool,
    pub settings: ConfigSettings,
    pub policies: Vec<ServerPolicy>,
    /// What the config files ask that codemode does not do.
    pub warnings: Vec<String>,
}

/// One server's own `allow`/`deny` lists from the config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerPolicy {
    pub server: String,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    /// Tools whose every call needs a person's approval.
    pub ask: Vec<String>,
}

/// What a config file holds.
#[derive(Debug, Default)]
pub struct Loaded {
    pub servers: Vec<ServerSpec>,
    pub settings: ConfigSettings,
    pub policies: Vec<ServerPolicy>,
    /// Servers the file names but turns off.
    pub disabled: Vec<String>,
    /// What the file asks that codemode does not do, to tell the user.
    pub warnings: Vec<String>,
}

/// Loads a config file; `env` reads environment variables, `inputs` answers `${input:ID}`.
pub fn load(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    inputs: &HashMap<String, String>,
) -> Result<Loaded, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    load_in(path, env, inputs, &cwd)
}

/// [`load`] as if run in `cwd` (which picks Claude Code's project servers).
pub fn load_in(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    inputs: &HashMap<String, String>,
    cwd: &Path,
) -> Result<Loaded, ConfigError> {
    let text = json_file::read_text(path, json_file::MAX_FILE_BYTES)?;
    parse(&text, path, env, inputs, cwd)
}

/// The folder `${workspaceFolder}` names for a config in `folder`: the one
/// holding `.vscode/` or `.cursor/`, else `folder` itself.
pub fn workspace_of(folder: &Path) -> PathBuf {
    let in_editor_folder = folder
        .file_name()
        .is_some_and(|n| n == ".vscode" || n == ".cursor");
    match folder.parent() {
        Some(parent) if in_editor_folder => parent.to_owned(),
        _ => folder.to_owned(),
    }
}

fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    inputs: &HashMap<String, String>,
    cwd: &Path,
) -> Result<Loaded, ConfigError> {
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let vars = Vars {
        env,
        workspace: workspace_of(base_dir),
        inputs,
    };
    let document = formats::read(text, path, cwd)?;
    let mut loaded = Loaded {
        settings: document.settings,
        ..Loaded::default()
    };
    for (name, entry) in document.entries {
        let (allow, deny, ask) = entry.policy();
        if !allow.is_empty() || !deny.is_empty() || !ask.is_empty() {
            loaded.policies.push(ServerPolicy {
                server: name.clone(),
                allow,
                deny,
                ask,
            });
        }
        if entry.is_disabled() {
            tracing::debug!(server = %name, "disabled in the config; skipped");
            loaded.disabled.push(name);
            continue;
        }
        for key in &entry.extra.unhonoured {
            loaded.warnings.push(format!(
                "{}: server \"{name}\": \"{key}\" is not honoured yet; codemode's own start-up and execution time limits apply",
                path.display()
            ));
        }
        let transport =
            entry
                .transport(&vars, base_dir)
                .unwrap_or_else(|unusable| Transport::Unusable {
                    reason: format!("{}: {}", path.display(), unusable.reason),
                    hint: unusable.hint,
                });
        let oauth = entry.oauth(&vars).unwrap_or_else(|reason| {
            loaded
                .warnings
                .push(format!("{}: server \"{name}\": {reason}", path.display()));
            OAuthClient::default()
        });
        loaded.servers.push(ServerSpec {
            name,
            transport,
            timeouts: entry.timeouts(),
            oauth,
        });
    }
    if let Some((key, value, range)) = loaded.settings.out_of_range() {
        return Err(ConfigError::Setting {
            path: path.to_owned(),
            key,
            value,
            range,
        });
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(var: &str) -> Option<String> {
        match var {
            "TOKEN" => Some("s3cret".into()),
            "HOME" => Some("/home/me".into()),
            _ => None,
        }
    }

    fn parse_str(text: &str) -> Result<Vec<ServerSpec>, ConfigError> {
        parse(
            text,
            Path::new("/etc/codemode/mcp.json"),
            &env,
            &HashMap::new(),
            Path::new("/"),
        )
        .map(|loaded| loaded.servers)
    }

    #[test]
    fn pre_registered_oauth_clients_are_read_from_each_dialect() {
        let specs = parse_str(
            r#"{"mcpServers": {
                "ours": {"url": "https://a.example/mcp", "oauth": {"clientId": "id-1", "clientSecret": "${TOKEN}", "scopes": ["read"]}},
                "cursor": {"url": "https://b.example/mcp", "auth": {"CLIENT_ID": "id-2", "scopes": ["repo"]}},
                "plain": {"url": "https://c.example/mcp"}
            }}"#,
        )
        .unwrap();
        let oauth = |name: &str| specs.iter().find(|s| s.name == name).unwrap().oauth.clone();
        assert_eq!(
            oauth("ours"),
            OAuthClient {
                client_id: Some("id-1".into()),
                client_secret: Some("s3cret".into()),
                scopes: vec!["read".into()],
                client_metadata_url: None,
            }
        );
        assert_eq!(oauth("cursor").client_id.as_deref(), Some("id-2"));
        assert_eq!(oauth("cursor").scopes, ["repo"]);
        assert_eq!(oauth("plain"), OAuthClient::default());
    }

    /// Why each server that cannot be used cannot, by name.
    fn unusable(specs: &[ServerSpec]) -> Vec<(&str, &str)> {
        specs
            .iter()
            .filter_map(|s| match &s.transport {
                Transport::Unusable { reason, .. } => Some((s.name.as_str(), reason.as_str())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn codemode_section_sets_limits_and_rejects_typos() {
        let settings = parse(
            r#"{"mcpServers": {}, "codemode": {"timeoutMs": 5000, "maxCalls": 10, "maxConcurrentCalls": 2}}"#,
            Path::new("c.json"),
            &env,
            &HashMap::new(),
            Path::new("/"),
        )
        .unwrap()
        .settings;
        assert_eq!(settings.timeout_ms, Some(5000));
        assert_eq!(settings.max_calls, Some(10));
        assert_eq!(settings.memory_mb, None);
        let err = parse(
            r#"{"mcpServers": {}, "codemode": {"timeout": 5}}"#,
            Path::new("c.json"),
            &env,
            &HashMap::new(),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `timeout`"), "{err}");
    }

    #[test]
    fn reads_stdio_and_http_servers_in_order() {
        let specs = parse_str(
            r#"{"mcpServers": {
                "gh": {"url": "https://api.example.com/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}},
                "fs": {"command": "npx", "args": ["-y", "pkg", "${HOME}/docs"], "env": {"K": "v"}, "cwd": "work"}
            }}"#,
        )
        .unwrap();
        assert_eq!(
            specs,
            vec![
                ServerSpec::new(
                    "gh",
                    Transport::Http {
                        url: "https://api.example.com/mcp".into(),
                        headers: vec![("Authorization".into(), "Bearer s3cret".into())],
                        sse_fallback: true,
                    },
                ),
                ServerSpec::new(
                    "fs",
                    Transport::Stdio {
                        command: "npx".into(),
                        args: vec!["-y".into(), "pkg".into(), "/home/me/docs".into()],
                        env: vec![("K".into(), "v".into())],
                        cwd: Some(PathBuf::from("/etc/codemode/work")),
                        hidden_env: vec![],
                    },
                ),
            ]
        );
    }

    #[test]
    fn vs_code_servers_key_and_unknown_keys_are_accepted() {
        let specs = parse_str(r#"{"servers": {"a": {"type": "stdio", "command": "x", "envFile": ".env"}}, "inputs": []}"#)
            .unwrap();
        assert_eq!(specs.len(), 1);
    }

    #[test]
    fn disabled_servers_are_skipped() {
        let specs = parse_str(
            r#"{"mcpServers": {"a": {"command": "x", "disabled": true}, "b": {"command": "y"}}}"#,
        )
        .unwrap();
        assert_eq!(
            specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
    }

    #[test]
    fn a_server_with_an_unset_variable_is_unusable_and_the_others_load() {
        let specs = parse_str(
            r#"{"mcpServers": {"gh": {"url": "https://x", "headers": {"A": "${NOPE}"}}, "fs": {"command": "x"}}}"#,
        )
        .unwrap();
        assert_eq!(specs.len(), 2);
        let [(name, reason)] = unusable(&specs)[..] else {
            panic!("{specs:?}")
        };
        assert_eq!(name, "gh");
        assert_eq!(
            reason,
            "/etc/codemode/mcp.json: uses ${NOPE} but the environment variable NOPE is not set; export it or remove the reference"
        );
        assert!(matches!(specs[1].transport, Transport::Stdio { .. }));
    }

    #[test]
    fn jsonc_and_the_other_clients_url_keys_are_read() {
        let specs = parse_str(
            r#"{
                // Zed and VS Code write comments and trailing commas.
                "mcpServers": {
                    "gemini": {"httpUrl": "https://g.example/mcp",},
                    "windsurf": {"serverUrl": "https://w.example/mcp"}, /* both */
                },
            }"#,
        )
        .unwrap();
        let urls: Vec<&str> = specs
            .iter()
            .map(|s| match &s.transport {
                Transport::Http { url, .. } => url.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(urls, ["https://g.example/mcp", "https://w.example/mcp"]);
    }

    #[test]
    fn workspace_folder_is_the_folder_holding_the_editor_folder() {
        assert_eq!(
            workspace_of(Path::new("/src/app/.vscode")),
            Path::new("/src/app")
        );
        assert_eq!(
            workspace_of(Path::new("/src/app/.cursor")),
            Path::new("/src/app")
        );
        assert_eq!(
            workspace_of(Path::new("/etc/codemode")),
            Path::new("/etc/codemode")
        );
        let specs = parse(
            r#"{"servers": {"fs": {"command": "x", "args": ["${workspaceFolder}/data", "${input:root}"]}}}"#,
            Path::new("/src/app/.vscode/mcp.json"),
            &env,
            &HashMap::from([("root".to_owned(), "/r".to_owned())]),
            Path::new("/"),
        )
        .unwrap()
        .servers;
        let Transport::Stdio { args, .. } = &specs[0].transport else {
            panic!("{specs:?}")
        };
        assert_eq!(args, &["/src/app/data", "/r"]);
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse_str("{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"]\n  }\n}")
            .unwrap_err();
        let ConfigError::File(JsonFileError::Parse { line, column, .. }) = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*line, *column), (3, 25));
        assert!(
            err.to_string().starts_with("/etc/codemode/mcp.json:3:25: "),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_name_line_and_column() {
        let err =
            parse_str(r#"{"mcpServers": {"a": {"command": "x", "args": "-y"}}}"#).unwrap_err();
        assert!(
            matches!(err, ConfigError::File(JsonFileError::Parse { line: 1, .. })),
            "{err:?}"
        );
        assert!(err.to_string().contains("invalid type"), "{err}");
    }

    #[test]
    fn entries_codemode_cannot_use_say_why_and_leave_the_others() {
        let specs = parse_str(
            r#"{"mcpServers": {
                "none": {"args": []},
                "both": {"command": "x", "url": "http://y"},
                "ws": {"type": "ws", "url": "ws://y"},
                "mixed": {"type": "http", "command": "x"},
                "ok": {"type": "streamableHttp", "url": "http://y/mcp"}
            }}"#,
        )
        .unwrap();
        let reasons = unusable(&specs);
        let reason = |name: &str| {
            reasons
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, r)| *r)
                .unwrap_or_else(|| panic!("{name} is usable: {specs:?}"))
        };
        assert!(reason("none").contains("needs \"command\""));
        assert!(reason("both").contains("both"));
        assert!(reason("ws").contains("\"ws\""), "{}", reason("ws"));
        assert!(reason("mixed").contains("\"http\" but a \"command\""));
        assert_eq!(reasons.len(), 4);
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn several_configs_load_and_a_name_in_two_names_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(
            dir.path(),
            "a.json",
            r#"{"mcpServers": {"fs": {"command": "x"}}}"#,
        );
        let b = write(
            dir.path(),
            "b.json",
            r#"{"mcpServers": {"gh": {"command": "y"}}}"#,
        );
        let c = write(
            dir.path(),
            "c.json",
            r#"{"mcpServers": {"fs": {"command": "z"}}}"#,
        );
        let sources = |configs: Vec<PathBuf>| Sources {
            configs,
            ..Sources::default()
        };
        let names: Vec<String> = select_with(&sources(vec![a.clone(), b]), &env)
            .unwrap()
            .servers
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["fs", "gh"]);
        let err = select_with(&sources(vec![a.clone(), c.clone()]), &env).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "two servers are named \"fs\": in {} and in {}; rename one of them",
                a.display(),
                c.display()
            )
        );
    }

    #[test]
    fn server_selects_by_name_and_explains_names_it_cannot_select() {
        let dir = tempfile::tempdir().unwrap();
        let config = write(
            dir.path(),
            "mcp.json",
            r#"{"mcpServers": {"github": {"command": "x"}, "fs": {"command": "y"}, "old": {"command": "z", "disabled": true}}}"#,
        );
        let select = |only: &[&str]| {
            select_with(
                &Sources {
                    configs: vec![config.clone()],
                    only: only.iter().map(|s| s.to_string()).collect(),
                    ..Sources::default()
                },
                &env,
            )
        };
        let names: Vec<String> = select(&["fs"])
            .unwrap()
            .servers
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["fs"]);
        let err = select(&["githb"]).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot use server \"githb\": no server has that name (there are: github, fs); did you mean github?"
        );
        let err = select(&["old"]).unwrap_err().to_string();
        assert!(err.contains("disabled"), "{err}");
    }

    #[test]
    fn inputs_need_an_id() {
        let err = select_with(
            &Sources {
                inputs: vec!["=x".into()],
                ..Sources::default()
            },
            &env,
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::Input), "{err}");
        assert!(!err.to_string().contains("=x"), "{err}");
    }

    #[test]
    fn a_file_without_servers_says_what_is_expected() {
        let err = parse_str(r#"{"other": 1}"#).unwrap_err();
        assert!(matches!(err, ConfigError::NoServers { .. }), "{err:?}");
    }

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mcp.json");
        let specs = load(&path, &env, &HashMap::new()).unwrap().servers;
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["everything", "memory"],
            "github is disabled until a token is set"
        );
        let Transport::Stdio { env, .. } = &specs[1].transport else {
            panic!("memory runs over stdio")
        };
        assert_eq!(
            env,
            &[(
                "MEMORY_FILE_PATH".to_owned(),
                "/home/me/.codemode-memory.json".to_owned()
            )]
        );
    }

    #[test]
    fn per_server_allow_and_deny_lists_are_read() {
        let loaded = parse(
            r#"{"mcpServers": {"gh": {"url": "https://x/mcp", "allow": ["get_*"], "deny": ["get_secret"], "ask": ["get_me"]}, "fs": {"command": "x"}}}"#,
            Path::new("c.json"),
            &env,
            &HashMap::new(),
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(
            loaded.policies,
            vec![ServerPolicy {
                server: "gh".into(),
                allow: vec!["get_*".into()],
                deny: vec!["get_secret".into()],
                ask: vec!["get_me".into()],
            }]
        );
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        let err = parse(
            r#"{"mcpServers": {}, "codemode": {"stackKb": 100000}}"#,
            Path::new("c.json"),
            &env,
            &HashMap::new(),
            Path::new("/"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.json: \"codemode\".stackKb is 100000; it must be between 64 and 8192"
        );
        let err = parse(
            r#"{"mcpServers": {}, "codemode": {"maxCalls": 0}}"#,
            Path::new("c.json"),
            &env,
            &HashMap::new(),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("maxCalls is 0"), "{err}");
    }

    #[test]
    fn headers_need_a_colon() {
        assert_eq!(
            parse_header("Authorization: Bearer x").unwrap(),
            ("Authorization".into(), "Bearer x".into())
        );
        let wrong = parse_header("Authorization Bearer sk-secret").unwrap_err();
        assert!(!wrong.to_string().contains("sk-secret"), "{wrong}");
        assert!(wrong.to_string().contains("Name: value"), "{wrong}");
    }
}
