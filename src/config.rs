//! Which upstream servers to use: the `mcpServers` config file and the
//! command-line shortcuts, turned into one list of [`ServerSpec`]s.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

use crate::cli::ServerArgs;
use crate::json_file::{self, JsonFileError};

/// One upstream server and how to reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerSpec {
    pub name: String,
    pub transport: Transport,
}

impl ServerSpec {
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
    /// A streamable-HTTP endpoint.
    Http {
        url: String,
        headers: Vec<(String, String)>,
    },
    /// A saved `tools/list` result: tools only, nothing to call.
    ToolsFile(PathBuf),
    /// The built-in demo server, in-process.
    Demo,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(transparent)]
    File(#[from] JsonFileError),
    #[error(
        "{}: server \"{server}\" uses ${{{var}}} but the environment variable {var} is not set; \
         export it or remove the reference",
        path.display()
    )]
    MissingVar {
        path: PathBuf,
        server: String,
        var: String,
    },
    #[error("{}: server \"{server}\": {reason}", path.display())]
    Invalid {
        path: PathBuf,
        server: String,
        reason: String,
    },
    #[error(
        "{}: no \"mcpServers\" (or \"servers\") object; expected {{\"mcpServers\": {{\"name\": {{\"command\": ...}}}}}}",
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
    #[error("invalid --header `{0}`: expected `Name: value`")]
    Header(String),
    #[error(
        "two servers are named \"{0}\"; give one another name (--name, or its key in the config)"
    )]
    DuplicateName(String),
}

/// The servers a command should use, and whether the demo was chosen because
/// nothing else was given.
pub fn select(args: &ServerArgs) -> Result<Selection, ConfigError> {
    let mut specs = Vec::new();
    let mut loaded = Loaded::default();
    if let Some(path) = &args.config {
        loaded = load(path, &|var| std::env::var(var).ok())?;
        specs.append(&mut loaded.servers);
    }
    if let Some((command, rest)) = args.command.split_first() {
        let name = args
            .name
            .clone()
            .unwrap_or_else(|| name_from_command(command, rest));
        specs.push(ServerSpec {
            name,
            transport: Transport::Stdio {
                command: command.clone(),
                args: rest.to_vec(),
                env: vec![],
                cwd: None,
                hidden_env: vec![],
            },
        });
    }
    if let Some(url) = &args.url {
        let headers = args
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<_, _>>()?;
        let name = args.name.clone().unwrap_or_else(|| name_from_url(url));
        specs.push(ServerSpec {
            name,
            transport: Transport::Http {
                url: url.clone(),
                headers,
            },
        });
    }
    for path in &args.tools_files {
        let name = path
            .file_stem()
            .map_or_else(|| "tools".into(), |s| s.to_string_lossy().into_owned());
        specs.push(ServerSpec {
            name,
            transport: Transport::ToolsFile(path.clone()),
        });
    }
    let mut seen = HashSet::new();
    for spec in &specs {
        if !seen.insert(spec.name.as_str()) {
            return Err(ConfigError::DuplicateName(spec.name.clone()));
        }
    }
    // A config whose servers are all disabled is a deliberate empty choice,
    // not a request for the demo.
    let demo = specs.is_empty() && args.config.is_none();
    if demo {
        specs.push(ServerSpec {
            name: "demo".into(),
            transport: Transport::Demo,
        });
    }
    Ok(Selection {
        servers: specs,
        demo,
        settings: loaded.settings,
        policies: loaded.policies,
    })
}

fn parse_header(text: &str) -> Result<(String, String), ConfigError> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().into(), value.trim().into()))
        }
        _ => Err(ConfigError::Header(text.into())),
    }
}

/// The config file as Claude Desktop, Cursor (`mcpServers`) and VS Code (`servers`) write it.
#[derive(Deserialize)]
struct ConfigFile {
    #[serde(rename = "mcpServers", alias = "servers")]
    servers: Option<IndexMap<String, ServerEntry>>,
    #[serde(default)]
    codemode: Settings,
}

/// Execution limits: codemode's own section of a config file
/// (`"codemode": {"timeoutMs": ...}`), and the same settings as flags
/// (`--timeout-ms`), which override it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, clap::Args)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[command(next_help_heading = "Limits")]
pub struct Settings {
    /// Wall-clock limit per execution, in milliseconds [default: 30000].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(ranges::TIMEOUT_MS))]
    pub timeout_ms: Option<u64>,
    /// Memory limit for the program's JavaScript heap, in MiB [default: 64].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(ranges::MEMORY_MB))]
    pub memory_mb: Option<u64>,
    /// Stack limit for the program (how deep it may recurse), in KiB [default: 1024];
    /// the sandbox's 1 MiB stack leaves a program at most 896.
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::STACK_KB))]
    pub stack_kb: Option<u64>,
    /// Tool calls allowed per execution [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::MAX_CALLS))]
    pub max_calls: Option<u64>,
    /// Size limit of result plus logs, in KiB; larger output is cut with a marker [default: 256].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::MAX_OUTPUT_KB))]
    pub max_output_kb: Option<u64>,
    /// Tool calls in flight at once per server, e.g. under Promise.all [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(ranges::MAX_CONCURRENT_CALLS))]
    pub max_concurrent_calls: Option<u64>,
    /// Size limit of a program's source, in KiB; larger programs are refused [default: 256].
    #[arg(long, value_name = "KIB", value_parser = clap::value_parser!(u64).range(ranges::MAX_PROGRAM_KB))]
    pub max_program_kb: Option<u64>,
}

/// Allowed values of each limit, for flags and config files alike.
pub mod ranges {
    use std::ops::RangeInclusive;

    pub const TIMEOUT_MS: RangeInclusive<u64> = 1..=86_400_000;
    pub const MEMORY_MB: RangeInclusive<u64> = 4..=65_536;
    /// Bounded well under the sandbox engine thread's own stack.
    pub const STACK_KB: RangeInclusive<u64> = 64..=8_192;
    pub const MAX_CALLS: RangeInclusive<u64> = 1..=10_000_000;
    pub const MAX_OUTPUT_KB: RangeInclusive<u64> = 1..=1_048_576;
    pub const MAX_CONCURRENT_CALLS: RangeInclusive<u64> = 1..=1_024;
    /// Compiling costs memory in proportion to the source; 4 MiB keeps it bounded.
    pub const MAX_PROGRAM_KB: RangeInclusive<u64> = 1..=4_096;
}

impl Settings {
    /// Each setting from `self`, or else from `fallback`.
    pub fn or(self, fallback: Settings) -> Settings {
        Settings {
            timeout_ms: self.timeout_ms.or(fallback.timeout_ms),
            memory_mb: self.memory_mb.or(fallback.memory_mb),
            stack_kb: self.stack_kb.or(fallback.stack_kb),
            max_calls: self.max_calls.or(fallback.max_calls),
            max_output_kb: self.max_output_kb.or(fallback.max_output_kb),
            max_concurrent_calls: self.max_concurrent_calls.or(fallback.max_concurrent_calls),
            max_program_kb: self.max_program_kb.or(fallback.max_program_kb),
        }
    }

    /// The first setting outside its range, as `(key, value, range)`.
    fn out_of_range(&self) -> Option<(&'static str, u64, std::ops::RangeInclusive<u64>)> {
        [
            ("timeoutMs", self.timeout_ms, ranges::TIMEOUT_MS),
            ("memoryMb", self.memory_mb, ranges::MEMORY_MB),
            ("stackKb", self.stack_kb, ranges::STACK_KB),
            ("maxCalls", self.max_calls, ranges::MAX_CALLS),
            ("maxOutputKb", self.max_output_kb, ranges::MAX_OUTPUT_KB),
            (
                "maxConcurrentCalls",
                self.max_concurrent_calls,
                ranges::MAX_CONCURRENT_CALLS,
            ),
            ("maxProgramKb", self.max_program_kb, ranges::MAX_PROGRAM_KB),
        ]
        .into_iter()
        .find_map(|(key, value, range)| {
            value
                .filter(|v| !range.contains(v))
                .map(|v| (key, v, range))
        })
    }
}

/// The servers a command should use, and the settings that came with them.
#[derive(Debug)]
pub struct Selection {
    pub servers: Vec<ServerSpec>,
    /// The demo was chosen because nothing else was given.
    pub demo: bool,
    pub settings: Settings,
    pub policies: Vec<ServerPolicy>,
}

/// One server entry; unknown keys are ignored so configs written for other
/// clients load unchanged.
#[derive(Deserialize)]
struct ServerEntry {
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: IndexMap<String, String>,
    cwd: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: IndexMap<String, String>,
    #[serde(default)]
    disabled: bool,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Globs over this server's tool names (codemode's own keys).
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

/// One server's own `allow`/`deny` lists from the config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerPolicy {
    pub server: String,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// What a config file holds.
#[derive(Debug, Default)]
pub struct Loaded {
    pub servers: Vec<ServerSpec>,
    pub settings: Settings,
    pub policies: Vec<ServerPolicy>,
}

/// Loads a config file; `lookup` reads environment variables.
pub fn load(path: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Loaded, ConfigError> {
    let text = json_file::read_text(path, json_file::MAX_FILE_BYTES)?;
    parse(&text, path, lookup)
}

fn parse(
    text: &str,
    path: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let file: ConfigFile = json_file::parse(text, path)?;
    let servers = file.servers.ok_or_else(|| ConfigError::NoServers {
        path: path.to_owned(),
    })?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let mut specs = Vec::new();
    let mut policies = Vec::new();
    for (name, entry) in servers {
        if !entry.allow.is_empty() || !entry.deny.is_empty() {
            policies.push(ServerPolicy {
                server: name.clone(),
                allow: entry.allow.clone(),
                deny: entry.deny.clone(),
            });
        }
        if entry.disabled {
            tracing::debug!(server = %name, "disabled in the config; skipped");
            continue;
        }
        let expand = |value: &str| {
            expand_vars(value, lookup).map_err(|var| ConfigError::MissingVar {
                path: path.to_owned(),
                server: name.clone(),
                var,
            })
        };
        let invalid = |reason: &str| ConfigError::Invalid {
            path: path.to_owned(),
            server: name.clone(),
            reason: reason.to_owned(),
        };
        let transport = match (&entry.command, &entry.url) {
            (Some(_), Some(_)) => {
                return Err(invalid("has both \"command\" and \"url\"; keep one"));
            }
            (None, None) => {
                return Err(invalid(
                    "needs \"command\" (a stdio server) or \"url\" (a streamable-HTTP server)",
                ));
            }
            (None, Some(_)) if entry.kind.as_deref() == Some("sse") => {
                return Err(invalid(
                    "uses the legacy SSE transport, which codemode does not support; \
                     use the server's streamable-HTTP endpoint (often /mcp) instead",
                ));
            }
            (Some(command), None) => Transport::Stdio {
                command: expand(command)?,
                args: entry
                    .args
                    .iter()
                    .map(|a| expand(a))
                    .collect::<Result<_, _>>()?,
                env: entry
                    .env
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), expand(v)?)))
                    .collect::<Result<_, ConfigError>>()?,
                cwd: entry
                    .cwd
                    .as_deref()
                    .map(|c| expand(c).map(|c| base_dir.join(c)))
                    .transpose()?,
                hidden_env: vec![],
            },
            (None, Some(url)) => Transport::Http {
                url: expand(url)?,
                headers: entry
                    .headers
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), expand(v)?)))
                    .collect::<Result<_, ConfigError>>()?,
            },
        };
        specs.push(ServerSpec { name, transport });
    }
    if let Some((key, value, range)) = file.codemode.out_of_range() {
        return Err(ConfigError::Setting {
            path: path.to_owned(),
            key,
            value,
            range,
        });
    }
    Ok(Loaded {
        servers: specs,
        settings: file.codemode,
        policies,
    })
}

/// Replaces `${VAR}` (and VS Code's `${env:VAR}`) with the variable's value;
/// `Err` names the first variable that is not set.
pub fn expand_vars(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        let var = &rest[start + 2..start + 2 + len];
        let var = var.strip_prefix("env:").unwrap_or(var);
        out.push_str(&rest[..start]);
        out.push_str(&lookup(var).ok_or_else(|| var.to_owned())?);
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Launchers whose first plain argument names the server package or script.
const LAUNCHERS: &[&str] = &[
    "npx", "bunx", "uvx", "pipx", "node", "bun", "deno", "python", "python3", "uv", "pnpm", "yarn",
    "docker",
];

/// Words that only say "this is a launcher step", never the server.
const LAUNCHER_WORDS: &[&str] = &["run", "dlx", "exec", "x", "tool", "-m"];

/// A short server name from a command line:
/// `npx -y @modelcontextprotocol/server-everything` → `everything`.
pub fn name_from_command(command: &str, args: &[String]) -> String {
    let program = base_name(command);
    let program = program.strip_suffix(".exe").unwrap_or(program);
    let subject = if LAUNCHERS.contains(&program) {
        // The first plain argument, skipping the values of flags that take
        // inline code (`node -e "..."`, `python -c "..."`).
        let mut previous = "";
        args.iter()
            .map(String::as_str)
            .find(|&a| {
                let code_value = ["-e", "-c", "-p", "--eval", "--print"].contains(&previous);
                previous = a;
                !a.starts_with('-')
                    && !code_value
                    && !LAUNCHER_WORDS.contains(&a)
                    && !a.contains(char::is_whitespace)
            })
            .unwrap_or(program)
    } else {
        program
    };
    package_name(subject).unwrap_or_else(|| program.to_owned())
}

/// The meaningful part of a package or script name, or `None` when nothing is left.
fn package_name(subject: &str) -> Option<String> {
    // `@scope/pkg@1.2` → `@scope/pkg`; `pkg@latest` → `pkg`.
    let without_version = match subject.rfind('@') {
        Some(i) if i > 0 => &subject[..i],
        _ => subject,
    };
    let scope = without_version
        .strip_prefix('@')
        .and_then(|s| s.split('/').next());
    let mut name = base_name(without_version).to_owned();
    for ext in [".js", ".mjs", ".cjs", ".ts", ".py"] {
        if let Some(stem) = name.strip_suffix(ext) {
            name = stem.to_owned();
        }
    }
    let name = name.replace('_', "-");
    let mut core = name.as_str();
    for prefix in ["mcp-server-", "server-", "mcp-"] {
        if let Some(rest) = core.strip_prefix(prefix) {
            core = rest;
            break;
        }
    }
    for suffix in ["-mcp-server", "-server", "-mcp"] {
        if let Some(rest) = core.strip_suffix(suffix) {
            core = rest;
            break;
        }
    }
    if ["", "mcp", "server", "index", "main"].contains(&core) {
        return scope.map(str::to_owned);
    }
    Some(core.to_owned())
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A short server name from a URL's host: `https://mcp.linear.app/mcp` → `linear`.
pub fn name_from_url(url: &str) -> String {
    let host = match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(host)) => host,
        // An address says nothing about the server.
        _ => return "http".into(),
    };
    let labels: Vec<&str> = host
        .split('.')
        .filter(|l| !["www", "api", "mcp"].contains(l))
        .collect();
    match labels.as_slice() {
        [] => "http".into(),
        [only] => (*only).to_owned(),
        // Skip the top-level domain: `example.com` → `example`.
        [.., name, _tld] => (*name).to_owned(),
    }
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
        parse(text, Path::new("/etc/codemode/mcp.json"), &env).map(|loaded| loaded.servers)
    }

    #[test]
    fn codemode_section_sets_limits_and_rejects_typos() {
        let settings = parse(
            r#"{"mcpServers": {}, "codemode": {"timeoutMs": 5000, "maxCalls": 10, "maxConcurrentCalls": 2}}"#,
            Path::new("c.json"),
            &env,
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
                ServerSpec {
                    name: "gh".into(),
                    transport: Transport::Http {
                        url: "https://api.example.com/mcp".into(),
                        headers: vec![("Authorization".into(), "Bearer s3cret".into())],
                    },
                },
                ServerSpec {
                    name: "fs".into(),
                    transport: Transport::Stdio {
                        command: "npx".into(),
                        args: vec!["-y".into(), "pkg".into(), "/home/me/docs".into()],
                        env: vec![("K".into(), "v".into())],
                        cwd: Some(PathBuf::from("/etc/codemode/work")),
                        hidden_env: vec![],
                    },
                },
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
    fn missing_variable_is_named() {
        let err = parse_str(
            r#"{"mcpServers": {"gh": {"url": "https://x", "headers": {"A": "${NOPE}"}}}}"#,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"gh\"") && text.contains("${NOPE}") && text.contains("NOPE is not set"),
            "{text}"
        );
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse_str("{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}")
            .unwrap_err();
        let ConfigError::File(JsonFileError::Parse { line, column, .. }) = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*line, *column), (3, 26));
        assert!(
            err.to_string().starts_with("/etc/codemode/mcp.json:3:26: "),
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
    fn entries_without_a_transport_or_with_two_are_rejected() {
        let err = parse_str(r#"{"mcpServers": {"a": {"args": []}}}"#).unwrap_err();
        assert!(err.to_string().contains("needs \"command\""), "{err}");
        let err =
            parse_str(r#"{"mcpServers": {"a": {"command": "x", "url": "http://y"}}}"#).unwrap_err();
        assert!(err.to_string().contains("both"), "{err}");
        let err = parse_str(r#"{"mcpServers": {"a": {"type": "sse", "url": "http://y/sse"}}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("SSE"), "{err}");
    }

    #[test]
    fn a_file_without_servers_says_what_is_expected() {
        let err = parse_str(r#"{"other": 1}"#).unwrap_err();
        assert!(matches!(err, ConfigError::NoServers { .. }), "{err:?}");
    }

    #[test]
    fn variable_expansion() {
        assert_eq!(
            expand_vars("a ${TOKEN} b ${env:HOME}", &env).unwrap(),
            "a s3cret b /home/me"
        );
        assert_eq!(
            expand_vars("no vars, $TOKEN, ${unclosed", &env).unwrap(),
            "no vars, $TOKEN, ${unclosed"
        );
        assert_eq!(expand_vars("${MISSING}", &env).unwrap_err(), "MISSING");
    }

    #[test]
    fn names_from_commands() {
        let name = |cmd: &str| {
            let parts: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
            name_from_command(&parts[0], &parts[1..])
        };
        assert_eq!(
            name("npx -y @modelcontextprotocol/server-everything"),
            "everything"
        );
        assert_eq!(
            name("npx -y @modelcontextprotocol/server-memory@2026.8.31"),
            "memory"
        );
        assert_eq!(name("uvx mcp-server-git --repository ."), "git");
        assert_eq!(name("npx @playwright/mcp@latest"), "playwright");
        assert_eq!(name("python -m mcp_server_time"), "time");
        assert_eq!(name("node /srv/weather-mcp.js"), "weather");
        assert_eq!(name("/usr/local/bin/github-mcp-server stdio"), "github");
        assert_eq!(name("codemode demo-server"), "codemode");
        assert_eq!(
            name_from_command("node", &["-e".into(), "require('x')".into()]),
            "node"
        );
        assert_eq!(
            name_from_command("python3", &["-c".into(), "x".into(), "weather.py".into()]),
            "weather"
        );
    }

    #[test]
    fn names_from_urls() {
        assert_eq!(
            name_from_url("https://api.githubcopilot.com/mcp/"),
            "githubcopilot"
        );
        assert_eq!(name_from_url("https://mcp.linear.app/mcp"), "linear");
        assert_eq!(name_from_url("http://127.0.0.1:3001/mcp"), "http");
        assert_eq!(name_from_url("http://localhost:3001/mcp"), "localhost");
        assert_eq!(name_from_url("not a url"), "http");
    }

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mcp.json");
        let specs = load(&path, &env).unwrap().servers;
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
            r#"{"mcpServers": {"gh": {"url": "https://x/mcp", "allow": ["get_*"], "deny": ["get_secret"]}, "fs": {"command": "x"}}}"#,
            Path::new("c.json"),
            &env,
        )
        .unwrap();
        assert_eq!(
            loaded.policies,
            vec![ServerPolicy {
                server: "gh".into(),
                allow: vec!["get_*".into()],
                deny: vec!["get_secret".into()]
            }]
        );
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        let err = parse(
            r#"{"mcpServers": {}, "codemode": {"stackKb": 100000}}"#,
            Path::new("c.json"),
            &env,
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
        assert!(parse_header("Authorization Bearer").is_err());
    }
}
