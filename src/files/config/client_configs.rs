//! Every client's config from `fixtures/configs/`, loaded as codemode reads
//! it: the servers, transports, headers, environment and policy it yields.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/configs")
        .join(name)
}

fn env(var: &str) -> Option<String> {
    let value = match var {
        "HOME" => "/home/me",
        "GITHUB_TOKEN" | "API_KEY" | "TOKEN" => "t0ken",
        "AIRTABLE_API_KEY" => "air",
        "FIGMA_TOKEN" | "FIGMA_OAUTH_TOKEN" => "fig",
        "FIGMA_API_KEY" => "fig-key",
        "HOME_REGION" => "eu",
        "DB_CONNECTION_STRING" => "postgres://db",
        "EXTERNAL_API_KEY" => "ext",
        "API_TOKEN" => "api-t",
        "PGPASSWORD" => "pw",
        "OPENWEATHER_API_KEY" => "ow",
        "CODEMODE_INPUT_PERPLEXITY_KEY" => "pplx",
        _ => return None,
    };
    Some(value.to_owned())
}

/// Loads a fixture as if codemode ran in `/home/me/app`.
fn load_fixture(name: &str) -> Loaded {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path).unwrap();
    parse(
        &text,
        &path,
        &env,
        &HashMap::new(),
        Path::new("/home/me/app/src"),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn spec<'a>(loaded: &'a Loaded, name: &str) -> &'a ServerSpec {
    loaded
        .servers
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no server {name} in {:?}", loaded.servers))
}

fn server<'a>(loaded: &'a Loaded, name: &str) -> &'a Transport {
    &spec(loaded, name).transport
}

fn names(loaded: &Loaded) -> Vec<&str> {
    loaded.servers.iter().map(|s| s.name.as_str()).collect()
}

fn stdio(transport: &Transport) -> (&str, &[String], &[(String, String)]) {
    match transport {
        Transport::Stdio {
            command, args, env, ..
        } => (command, args, env),
        other => panic!("not stdio: {other:?}"),
    }
}

fn http(transport: &Transport) -> (&str, &[(String, String)]) {
    match transport {
        Transport::Http { url, headers, .. } => (url, headers),
        other => panic!("not streamable HTTP: {other:?}"),
    }
}

fn unusable(transport: &Transport) -> &str {
    match transport {
        Transport::Unusable { reason, .. } => reason,
        other => panic!("usable: {other:?}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn claude_desktop() {
    let loaded = load_fixture("claude_desktop_config.json");
    assert_eq!(names(&loaded), ["filesystem", "github"]);
    let (command, args, _) = stdio(server(&loaded, "filesystem"));
    assert_eq!(command, "npx");
    assert_eq!(args[2..], ["/home/me/Desktop", "/home/me/Downloads"]);
    let (_, _, env) = stdio(server(&loaded, "github"));
    assert_eq!(env, pairs(&[("GITHUB_PERSONAL_ACCESS_TOKEN", "t0ken")]));
}

#[test]
fn claude_code_project_file() {
    let loaded = load_fixture("claude-code.mcp.json");
    let (url, headers) = http(server(&loaded, "api-server"));
    assert_eq!(url, "https://api.example.com/mcp", "the default stands in");
    assert_eq!(headers, pairs(&[("Authorization", "Bearer t0ken")]));
    assert_eq!(
        server(&loaded, "asana"),
        &Transport::Sse {
            url: "https://mcp.asana.com/sse".into(),
            headers: vec![],
        }
    );
    assert!(
        matches!(
            server(&loaded, "api-server"),
            Transport::Http {
                sse_fallback: false,
                ..
            }
        ),
        "a typed URL is not tried as SSE"
    );
    let (_, _, env) = stdio(server(&loaded, "airtable"));
    assert_eq!(
        env,
        pairs(&[("AIRTABLE_API_KEY", "air"), ("REGION", "eu-west-1")])
    );
}

#[test]
fn claude_code_user_file_with_the_projects_servers() {
    let loaded = load_fixture("claude.json");
    // The user's servers, then the working directory's project's, which win.
    assert_eq!(names(&loaded), ["sentry", "memory", "postgres"]);
    let (_, _, env) = stdio(server(&loaded, "memory"));
    assert_eq!(
        env,
        pairs(&[("MEMORY_FILE_PATH", "/home/me/app/.memory.json")])
    );
}

#[test]
fn cursor() {
    let loaded = load_fixture("cursor/.cursor/mcp.json");
    let workspace = fixture("cursor");
    let (command, args, env) = stdio(server(&loaded, "local-tools"));
    assert_eq!(command, "node");
    assert_eq!(
        args,
        [format!("{}/tools/mcp-server.js", workspace.display())]
    );
    // envFile first, then env over it.
    assert_eq!(
        env,
        pairs(&[
            ("DB_URL", "postgres://localhost/dev"),
            ("API_KEY", "t0ken"),
            ("CACHE_DIR", "/home/me/.cache/tools"),
        ])
    );
    let (url, headers) = http(server(&loaded, "remote"));
    assert_eq!(url, "https://mcp.example.com/mcp");
    assert_eq!(headers, pairs(&[("Authorization", "Bearer t0ken")]));
}

#[test]
fn vs_code_with_inputs_comments_and_trailing_commas() {
    let loaded = load_fixture("vscode/.vscode/mcp.json");
    assert_eq!(names(&loaded), ["perplexity", "github"]);
    let (_, _, env) = stdio(server(&loaded, "perplexity"));
    assert_eq!(
        env,
        pairs(&[("LOG_LEVEL", "debug"), ("PERPLEXITY_API_KEY", "pplx")])
    );
    assert_eq!(
        http(server(&loaded, "github")).0,
        "https://api.githubcopilot.com/mcp/"
    );
    // Without the input's value the server is unusable, and says how to give it.
    let path = fixture("vscode/.vscode/mcp.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let no_input = |var: &str| self::env(var).filter(|_| !var.starts_with("CODEMODE_INPUT_"));
    let loaded = parse(&text, &path, &no_input, &HashMap::new(), Path::new("/")).unwrap();
    let Transport::Unusable { reason, hint } = server(&loaded, "perplexity") else {
        panic!("perplexity is usable without its input");
    };
    assert!(reason.contains("${input:perplexity-key}"), "{reason}");
    assert_eq!(
        hint,
        &Some(crate::hint::Hint::AnswerInput {
            id: "perplexity-key".into(),
            var: "CODEMODE_INPUT_PERPLEXITY_KEY".into()
        })
    );
}

#[test]
fn windsurf() {
    let loaded = load_fixture("windsurf_mcp_config.json");
    let (url, headers) = http(server(&loaded, "figma"));
    assert_eq!(url, "https://mcp.figma.com/mcp");
    assert_eq!(headers, pairs(&[("X-Figma-Token", "fig")]));
    assert_eq!(stdio(server(&loaded, "git")).0, "uvx");
}

#[test]
fn gemini_cli() {
    let loaded = load_fixture("gemini/.gemini/settings.json");
    let (command, _, env) = stdio(server(&loaded, "pythonTools"));
    assert_eq!(command, "python");
    assert_eq!(
        env,
        pairs(&[("DATABASE_URL", "postgres://db"), ("API_KEY", "ext")])
    );
    let (url, headers) = http(server(&loaded, "httpServer"));
    assert_eq!(url, "http://localhost:3000/mcp");
    // Gemini expands bare `$VAR` only in `env`.
    assert_eq!(headers, pairs(&[("Authorization", "Bearer $API_TOKEN")]));
    assert!(
        matches!(server(&loaded, "sseServer"), Transport::Sse { url, .. } if url == "http://localhost:8080/sse"),
        "Gemini's bare url is SSE"
    );
    assert!(matches!(
        server(&loaded, "httpServer"),
        Transport::Http {
            sse_fallback: false,
            ..
        }
    ));
    assert_eq!(
        loaded.policies,
        [
            ServerPolicy {
                server: "pythonTools".into(),
                allow: vec!["safe_tool".into(), "file_reader".into()],
                deny: vec![],
                ask: vec![],
            },
            ServerPolicy {
                server: "httpServer".into(),
                allow: vec![],
                deny: vec!["dangerous_tool".into()],
                ask: vec![],
            },
        ]
    );
    // Gemini's `timeout` is in milliseconds.
    assert_eq!(
        spec(&loaded, "pythonTools").timeouts,
        Timeouts {
            startup: None,
            call: Some(Duration::from_secs(15)),
        }
    );
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn zed_both_shapes() {
    let loaded = load_fixture("zed_settings.json");
    let (command, args, env) = stdio(server(&loaded, "postgres"));
    assert_eq!(command, "npx");
    assert_eq!(args.len(), 3);
    assert_eq!(env, pairs(&[("PGPASSWORD", "pw")]));
    let (command, args, env) = stdio(server(&loaded, "legacy-shape"));
    assert_eq!(
        (command, args),
        ("uvx", &["mcp-server-time".to_owned()][..])
    );
    assert_eq!(env, pairs(&[("TZ", "UTC")]));
    assert_eq!(
        http(server(&loaded, "remote")).1,
        pairs(&[("Authorization", "Bearer t0ken")])
    );
    assert!(unusable(server(&loaded, "from-extension")).contains("Zed extension"));
}

#[test]
fn codex_cli_toml() {
    let loaded = load_fixture("codex_config.toml");
    assert_eq!(names(&loaded), ["context7", "figma"]);
    assert_eq!(loaded.disabled, ["off"]);
    let (_, _, env) = stdio(server(&loaded, "context7"));
    assert_eq!(
        env,
        pairs(&[("HOME_REGION", "eu"), ("MY_ENV_VAR", "MY_ENV_VALUE")])
    );
    let (url, headers) = http(server(&loaded, "figma"));
    assert_eq!(url, "https://mcp.figma.com/mcp");
    assert_eq!(
        headers,
        pairs(&[
            ("X-Figma-Region", "us-east-1"),
            ("X-Api-Key", "fig-key"),
            ("Authorization", "Bearer fig"),
        ])
    );
    assert_eq!(
        loaded.policies,
        [
            ServerPolicy {
                server: "context7".into(),
                allow: vec!["resolve-library-id".into(), "get-library-docs".into()],
                deny: vec![],
                ask: vec![],
            },
            ServerPolicy {
                server: "figma".into(),
                allow: vec![],
                deny: vec!["delete_file".into()],
                ask: vec![],
            },
        ]
    );
    assert_eq!(
        spec(&loaded, "context7").timeouts,
        Timeouts {
            startup: Some(Duration::from_secs(20)),
            call: Some(Duration::from_secs(60)),
        }
    );
    assert_eq!(spec(&loaded, "figma").oauth.scopes, ["file_content:read"]);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn cline() {
    let loaded = load_fixture("cline_mcp_settings.json");
    assert_eq!(names(&loaded), ["weather", "remote"]);
    assert_eq!(loaded.disabled, ["paused"]);
    assert_eq!(
        stdio(server(&loaded, "weather")).2,
        pairs(&[("OPENWEATHER_API_KEY", "ow")])
    );
    assert_eq!(
        http(server(&loaded, "remote")).0,
        "https://mcp.example.com/mcp"
    );
    assert!(
        loaded.policies.is_empty(),
        "autoApprove is not a tool filter"
    );
    // Cline's `timeout` is in seconds.
    assert_eq!(
        spec(&loaded, "weather").timeouts.call,
        Some(Duration::from_secs(60))
    );
}

#[test]
fn continue_yaml() {
    let loaded = load_fixture("continue_config.yaml");
    assert_eq!(names(&loaded), ["SQLite MCP", "Remote", "fetch"]);
    assert_eq!(
        stdio(server(&loaded, "SQLite MCP")).2,
        pairs(&[("LOG", "info")])
    );
    assert_eq!(
        http(server(&loaded, "Remote")).1,
        pairs(&[("Authorization", "Bearer t0ken")])
    );
    assert_eq!(loaded.warnings.len(), 1, "connectionTimeout");
    assert!(
        loaded.warnings[0].contains("\"Remote\": \"connectionTimeout\" is not honoured"),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn toml_and_yaml_errors_say_where() {
    let path = Path::new("/c/config.toml");
    let err = parse(
        "[mcp_servers.a]\ncommand = \n",
        path,
        &env,
        &HashMap::new(),
        Path::new("/"),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("/c/config.toml:2:"), "{err}");
    let path = Path::new("/c/config.yaml");
    let err = parse(
        "mcpServers:\n  - name: a\n    args: 3\n",
        path,
        &env,
        &HashMap::new(),
        Path::new("/"),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("/c/config.yaml:3:"), "{err}");
}
