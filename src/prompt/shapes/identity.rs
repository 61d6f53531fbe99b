//! What a server is, for the types learned from its results: how it is run
//! or reached, never the name a config gives it, so that another project's
//! server called `git` never writes into the types of mine.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::files::config::{ServerSpec, Transport};

/// A digest of everything that decides which program answers `spec`'s calls
/// and with what: for a child process its command, arguments, folder and
/// the environment its config gives it; for a URL, the URL and the headers
/// its config sends. `None` for servers whose results are never seen (tools
/// files, entries codemode cannot use).
///
/// Only a digest is kept, never the text: a config's environment and
/// headers hold secrets, and the digest shows nothing of them.
pub fn identity(spec: &ServerSpec) -> Option<String> {
    let mut digest = Fields(Sha256::new());
    match &spec.transport {
        Transport::Stdio {
            command,
            args,
            env,
            cwd,
            ..
        } => {
            // A relative command, argument or folder names a different
            // program in another folder: the folder is part of it.
            let folder = std::env::current_dir()
                .ok()?
                .join(cwd.as_deref().unwrap_or(Path::new("")));
            digest.field(b"stdio");
            digest.field(command.as_bytes());
            digest.list(args.iter().map(String::as_bytes));
            digest.field(folder.as_os_str().as_encoded_bytes());
            let mut env: Vec<_> = env.iter().collect();
            env.sort();
            digest.list(env.iter().flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]));
        }
        Transport::Http { url, headers, .. } | Transport::Sse { url, headers } => {
            let mut headers: Vec<(String, &str)> = headers
                .iter()
                .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str()))
                .collect();
            headers.sort();
            digest.field(b"url");
            digest.field(url.as_bytes());
            digest.list(
                headers
                    .iter()
                    .flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]),
            );
        }
        Transport::Demo => digest.field(b"demo"),
        Transport::ToolsFile(_) | Transport::Unusable { .. } => return None,
    }
    let hash = digest.0.finalize();
    Some(hash.iter().map(|b| format!("{b:02x}")).collect())
}

/// Fields written with their lengths, so no two lists of fields give the
/// same bytes (`["a b"]` and `["a", "b"]` differ).
struct Fields(Sha256);

impl Fields {
    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn list<'a>(&mut self, items: impl Iterator<Item = &'a [u8]>) {
        let items: Vec<&[u8]> = items.collect();
        self.0.update((items.len() as u64).to_le_bytes());
        items.into_iter().for_each(|item| self.field(item));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stdio(command: &str, args: &[&str], env: &[(&str, &str)]) -> ServerSpec {
        ServerSpec::new(
            "git",
            Transport::Stdio {
                command: command.into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                cwd: None,
                hidden_env: Vec::new(),
            },
        )
    }

    fn url(url: &str, headers: &[(&str, &str)]) -> ServerSpec {
        ServerSpec::new(
            "git",
            Transport::Http {
                url: url.into(),
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                sse_fallback: true,
            },
        )
    }

    #[test]
    fn servers_are_told_apart_by_what_they_are_not_by_name() {
        let id = |spec: &ServerSpec| identity(spec).unwrap();
        let git = stdio("uvx", &["mcp-server-git"], &[]);
        // The name is not part of it; everything that runs the server is.
        let mut renamed = git.clone();
        renamed.name = "other".into();
        assert_eq!(id(&git), id(&renamed));
        let different = [
            stdio("uvx", &["mcp-server-evil"], &[]),
            stdio("uvx", &["mcp-server", "git"], &[]),
            stdio("uvx mcp-server-git", &[], &[]),
            stdio("uvx", &["mcp-server-git"], &[("GIT_DIR", "/elsewhere")]),
            url("https://example.com/mcp", &[]),
        ];
        for other in &different {
            assert_ne!(id(&git), id(other), "{other:?}");
        }
        let mut elsewhere = git.clone();
        if let Transport::Stdio { cwd, .. } = &mut elsewhere.transport {
            *cwd = Some("/somewhere/else".into());
        }
        assert_ne!(id(&git), id(&elsewhere));

        let remote = url("https://example.com/mcp", &[("X-Tenant", "a")]);
        assert_eq!(
            id(&remote),
            id(&url("https://example.com/mcp", &[("x-tenant", "a")]))
        );
        assert_ne!(
            id(&remote),
            id(&url("https://example.com/mcp", &[("X-Tenant", "b")]))
        );
        assert_ne!(id(&remote), id(&url("https://evil.example/mcp", &[])));
        // A digest: nothing of a secret is kept.
        let secret = url(
            "https://example.com/mcp?key=s3cr3t",
            &[("Authorization", "Bearer t0ken")],
        );
        let kept = id(&secret);
        assert_eq!(kept.len(), 64);
        assert!(!kept.contains("s3cr3t") && !kept.contains("t0ken"));

        assert!(identity(&ServerSpec::new("t", Transport::ToolsFile("t.json".into()))).is_none());
    }

    proptest::proptest! {
        /// However a command line is split into words, two that differ
        /// are two servers.
        #[test]
        fn different_command_lines_are_different_servers(
            a in proptest::collection::vec("[a-b ]{0,3}", 1..4),
            b in proptest::collection::vec("[a-b ]{0,3}", 1..4),
        ) {
            let spec = |words: &[String]| {
                let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
                identity(&stdio(&words[0], &args, &[])).unwrap()
            };
            proptest::prop_assert_eq!(spec(&a) == spec(&b), a == b);
        }
    }
}
