//! How every command picks its upstream servers.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::seconds::parse_seconds;

/// How a command picks its upstream servers; the same for every command.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Servers")]
#[command(group(clap::ArgGroup::new("single_server").args(["url", "command"])))]
pub struct ServerArgs {
    /// An MCP client's config file (Claude Desktop, Claude Code, Cursor, VS Code; comments allowed), repeatable;
    /// `${VAR}`, `${VAR:-default}`, `${userHome}`, `${workspaceFolder}` and `${input:ID}` are filled in.
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,
    /// Use only this server of the config (repeatable); the others are not started.
    #[arg(long = "server", value_name = "NAME")]
    pub servers: Vec<String>,
    /// The value of the config's `${input:ID}` (repeatable), as `ID=VALUE`;
    /// the environment variable CODEMODE_INPUT_<ID> works too.
    #[arg(long = "input", value_name = "ID=VALUE")]
    pub inputs: Vec<String>,
    /// An HTTP MCP server: streamable HTTP, or legacy SSE when it does not answer as streamable HTTP.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// An HTTP header for `--url`, as `Name: value` (repeatable), e.g. "Authorization: Bearer $TOKEN".
    #[arg(long = "header", value_name = "HEADER", requires = "url")]
    pub headers: Vec<String>,
    /// A saved `tools/list` result (`{"tools": [...]}`), used offline and named after the file (repeatable).
    #[arg(long = "tools-file", value_name = "FILE")]
    pub tools_files: Vec<PathBuf>,
    /// Name for the server given by `--url` or `-- CMD` (default: derived from the package or host).
    #[arg(long, value_name = "NAME", requires = "single_server")]
    pub name: Option<String>,
    /// Where result types learned from calls are kept (default: shapes.json in codemode's cache
    /// folder); `none` learns nothing and shows only declared types.
    #[arg(long, value_name = "FILE", env = "CODEMODE_SHAPES")]
    pub shapes: Option<PathBuf>,
    /// Seconds to wait for each server to start, initialize and list its tools.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub init_timeout: Duration,
    /// Only tools matching this glob over `server.tool` (repeatable), e.g. `github.get_*`.
    #[arg(long, value_name = "PATTERN", help_heading = "Policy")]
    pub allow: Vec<String>,
    /// Never tools matching this glob over `server.tool` (repeatable), e.g. `*.delete_*`.
    #[arg(long, value_name = "PATTERN", help_heading = "Policy")]
    pub deny: Vec<String>,
    /// Only tools annotated `readOnlyHint: true` (and not also destructive).
    #[arg(long, help_heading = "Policy")]
    pub read_only: bool,
    /// Ask a person before each call of a tool matching this glob over `server.tool`
    /// (repeatable), e.g. `github.delete_*`: `serve` asks its client, `run` the terminal.
    #[arg(long, value_name = "PATTERN", help_heading = "Policy")]
    pub ask: Vec<String>,
    /// Ask a person before each call of a tool not annotated `readOnlyHint: true`,
    /// or annotated destructive (`destructiveHint` other than `false`).
    #[arg(long, help_heading = "Policy")]
    pub ask_destructive: bool,
    /// Leave out (and refuse) every tool whose definition differs from the one
    /// `codemode pin` wrote to FILE, and every tool not pinned there; show
    /// each tool's learned result type only as pinned there (none if none is,
    /// as in pins files of the previous format).
    #[arg(
        long,
        value_name = "FILE",
        env = "CODEMODE_PINS",
        help_heading = "Policy"
    )]
    pub pins: Option<PathBuf>,
    /// Seconds an approval may take before the call is refused [default: the rest of
    /// the execution's time limit, which keeps running while a person decides].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Policy")]
    pub approval_timeout: Option<Duration>,
    /// A stdio MCP server to run: everything after `--`, e.g. `-- npx -y @modelcontextprotocol/server-everything`.
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Which servers a command connects, and the policy over their tools.
#[derive(Debug, Default)]
pub(crate) struct ServerSettings {
    /// Where the servers come from.
    pub sources: crate::files::config::Sources,
    /// Where learned result types are kept; `none` learns nothing.
    pub shapes: Option<PathBuf>,
    /// How long each server may take to start and list its tools.
    pub init_timeout: Duration,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub read_only: bool,
    pub ask: Vec<String>,
    pub ask_destructive: bool,
    /// The pins file whose definitions tools must match.
    pub pins: Option<PathBuf>,
    /// How long an approval may take [default: the rest of the execution's time].
    pub approval_timeout: Option<Duration>,
}

impl From<ServerArgs> for ServerSettings {
    fn from(args: ServerArgs) -> Self {
        // The process's command, not a unit test's parse, says how servers were picked.
        #[cfg(not(test))]
        super::diagnostics::given_servers(selection(&args));
        ServerSettings {
            sources: crate::files::config::Sources {
                configs: args.config,
                command: args.command,
                url: args.url,
                headers: args.headers,
                tools_files: args.tools_files,
                name: args.name,
                only: args.servers,
                inputs: args.inputs,
            },
            shapes: args.shapes,
            init_timeout: args.init_timeout,
            allow: args.allow,
            deny: args.deny,
            read_only: args.read_only,
            ask: args.ask,
            ask_destructive: args.ask_destructive,
            pins: args.pins,
            approval_timeout: args.approval_timeout,
        }
    }
}

/// The arguments that pick the servers `args` picked, for a command the
/// user is told to run (`codemode login NAME --config FILE`): configs, and a
/// URL without its secrets; never a header, which may hold one.
fn selection(args: &ServerArgs) -> String {
    let mut picked = String::new();
    for config in &args.config {
        picked.push_str(" --config ");
        picked.push_str(&quoted(&config.to_string_lossy()));
    }
    if let Some(url) = &args.url {
        picked.push_str(" --url ");
        picked.push_str(&quoted(&crate::upstream::redact::scrub(url)));
        if let Some(name) = &args.name {
            picked.push_str(" --name ");
            picked.push_str(&quoted(name));
        }
    }
    picked
}

/// `text` as one word of a POSIX shell command line.
pub(super) fn quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,~".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_told_command_picks_the_same_servers_and_keeps_secrets_out() {
        let args = ServerArgs {
            config: vec!["/home/me/My Configs/mcp.json".into(), "b.json".into()],
            ..ServerArgs::default()
        };
        assert_eq!(
            selection(&args),
            " --config '/home/me/My Configs/mcp.json' --config b.json"
        );
        let args = ServerArgs {
            url: Some("https://mcp.example.com/mcp?token=s3cr3t".into()),
            name: Some("it's".into()),
            headers: vec!["Authorization: Bearer s3cr3t".into()],
            ..ServerArgs::default()
        };
        let picked = selection(&args);
        assert!(!picked.contains("s3cr3t"), "{picked}");
        assert!(
            picked.starts_with(" --url 'https://mcp.example.com/mcp?token="),
            "{picked}"
        );
        assert!(picked.ends_with(" --name 'it'\\''s'"), "{picked}");
    }
}
