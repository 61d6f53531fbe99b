//! Default server names: from a command line or a URL.

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
    // The built-in demo is `demo` however it is started, so programs
    // written for it (examples/triage.ts) run against its stdio child too.
    if program == "codemode" && args.first().is_some_and(|a| a == "demo-server") {
        return "demo".to_owned();
    }
    let subject = if LAUNCHERS.contains(&program) {
        // The first plain argument, skipping the values of flags that take
        // inline code (`node -e "..."`, `python -c "..."`) or a secret
        // (`--api-key V`), assignments (`--env TOKEN=V`) and keys: a name
        // is shown everywhere, the namespace in the model's prompt included.
        let mut previous = "";
        args.iter()
            .map(String::as_str)
            .find(|&a| {
                let code_value = ["-e", "-c", "-p", "--eval", "--print"].contains(&previous);
                let secret_value = previous.starts_with('-') && names_a_secret(previous);
                previous = a;
                !a.starts_with('-')
                    && !code_value
                    && !secret_value
                    && !a.contains('=')
                    && !LAUNCHER_WORDS.contains(&a)
                    && !a.contains(char::is_whitespace)
                    && package_name(a).is_none_or(|name| !id_like(&name))
            })
            .unwrap_or(program)
    } else {
        program
    };
    package_name(subject).unwrap_or_else(|| program.to_owned())
}

/// Whether a flag's name says its value is a secret (`--api-key`, `--token`).
fn names_a_secret(flag: &str) -> bool {
    let flag = flag.to_ascii_lowercase();
    ["key", "token", "secret", "pass", "auth", "credential"]
        .iter()
        .any(|mark| flag.contains(mark))
}

/// The meaningful part of a package or script name, or `None` when nothing is left.
fn package_name(subject: &str) -> Option<String> {
    // `@scope/pkg@1.2` → `@scope/pkg`; `pkg@latest` → `pkg`; an `@` in a
    // folder of a path (`node_modules/@scope/pkg/…`) is no version.
    let file = subject.rfind(['/', '\\']).map_or(0, |i| i + 1);
    let without_version = match subject[file..].rfind('@') {
        Some(i) if i > 0 => &subject[..file + i],
        _ => subject,
    };
    let scope = without_version
        .strip_prefix('@')
        .and_then(|s| s.split('/').next());
    let mut name = script_name(without_version).to_owned();
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

/// Folders a package's entry point sits in, which say nothing of the package.
const BUILD_FOLDERS: &[&str] = &["dist", "build", "lib", "src", "bin", "out", "esm", "cjs"];

/// The part of a script's path that names it: its file, unless that is an
/// entry point such as `index.js`, then the package folder above the build
/// folders (`…/server-filesystem/dist/index.js` → `server-filesystem`).
fn script_name(path: &str) -> &str {
    let mut parts = path.rsplit(['/', '\\']).filter(|p| !p.is_empty());
    let file = parts.next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    if !["index", "main", "cli", "server"].contains(&stem) {
        return file;
    }
    parts
        .find(|folder| !BUILD_FOLDERS.contains(folder))
        .unwrap_or(file)
}

/// A short server name from a URL's host: `https://mcp.linear.app/mcp` → `linear`.
pub fn name_from_url(url: &str) -> String {
    let Ok(url) = url::Url::parse(url) else {
        return "http".into();
    };
    let host = match url.host() {
        Some(url::Host::Domain(host)) => host.to_owned(),
        // An address says nothing about the server; its path may.
        _ => return name_from_path(&url).unwrap_or_else(|| "http".into()),
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

/// The last part of a URL's path that is not a transport's usual name:
/// `http://10.0.0.5:8080/github/mcp` → `github`. Never an id or a key
/// (`/s/Ab12…/mcp`): a name is shown everywhere, the namespace in the
/// model's prompt included, where a key in the URL must not be.
fn name_from_path(url: &url::Url) -> Option<String> {
    let name = url.path_segments()?.rev().find(|s| {
        !["", "mcp", "sse", "v1", "v2", "api", "message", "messages"].contains(s) && !id_like(s)
    })?;
    package_name(name)
}

/// Whether a path segment reads as an id or a key rather than a word:
/// long, with digits among its letters.
fn id_like(segment: &str) -> bool {
    let has_digit = segment.chars().any(|c| c.is_ascii_digit());
    let has_letter = segment.chars().any(char::is_alphabetic);
    segment.chars().count() >= 16 && has_digit && has_letter || segment.chars().count() >= 32
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(name("/usr/local/bin/codemode demo-server"), "demo");
        assert_eq!(name("codemode serve --config a.json"), "codemode");
        assert_eq!(
            name("npx -y @modelcontextprotocol/server-memory@2026.8.31"),
            "memory"
        );
        assert_eq!(name("uvx mcp-server-git --repository ."), "git");
        assert_eq!(name("npx @playwright/mcp@latest"), "playwright");
        assert_eq!(name("python -m mcp_server_time"), "time");
        assert_eq!(name("node /srv/weather-mcp.js"), "weather");
        // A secret is never a name, whatever its place on the line.
        assert_eq!(
            name(
                "docker run -i --rm --env GITHUB_TOKEN=ghp_Ab12Cd34Ef56 ghcr.io/github/github-mcp-server"
            ),
            "github"
        );
        assert_eq!(name("npx --api-key s3cr3t -y @scope/mcp"), "scope");
        assert_eq!(name("npx -y ghp_Ab12Cd34Ef56Gh78"), "npx");
        assert_eq!(
            name("node /opt/servers/src/filesystem/dist/index.js"),
            "filesystem"
        );
        assert_eq!(
            name(
                "node /home/me/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js /tmp"
            ),
            "filesystem"
        );
        assert_eq!(name("python -m mcp_server_git"), "git");
        assert_eq!(name("uvx mcp-server-fetch"), "fetch");
        assert_eq!(name("/usr/local/bin/github-mcp-server stdio"), "github");
        assert_eq!(name("codemode demo-server"), "demo");
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
        assert_eq!(name_from_url("http://10.0.0.5:8080/github/mcp"), "github");
        // A key or an id in the path is never the name.
        assert_eq!(
            name_from_url("http://10.0.0.5:8080/s/AbCdEfGhIjKlMnOpQrSt1234/mcp"),
            "s"
        );
        assert_eq!(
            name_from_url("http://10.0.0.5:8080/jira/3f2a9c1e-7b4d-4e2a-9f1c-0d5e8a7b6c4f/sse"),
            "jira"
        );
        assert_eq!(
            name_from_url("http://10.0.0.5/abcdefghijklmnopqrstuvwxyzabcdefgh/mcp"),
            "http"
        );
        assert_eq!(
            name_from_url("http://[::1]:9000/mcp-server-jira/sse"),
            "jira"
        );
        assert_eq!(name_from_url("http://localhost:3001/mcp"), "localhost");
        assert_eq!(name_from_url("not a url"), "http");
    }
}
