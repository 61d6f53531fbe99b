//! `${...}` in config values, in every form MCP clients write it:
//! `${VAR}`, `${env:VAR}`, `${VAR:-default}` (Claude Code), `${userHome}`
//! and `${workspaceFolder}` (Cursor, VS Code), and `${input:ID}` (VS Code's
//! prompted inputs, which codemode takes from `--input` or the environment).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::hint::{Hint, Hinted};

/// Where the values of a config's references come from.
pub struct Vars<'a> {
    /// Environment variables.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The folder holding `.vscode/` or `.cursor/`, else the config's folder.
    pub workspace: PathBuf,
    /// `--input ID=VALUE` pairs.
    pub inputs: &'a HashMap<String, String>,
}

/// A reference that has no value, and what would give it one.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    #[error(
        "uses ${{{0}}} but the environment variable {0} is not set; export it or remove the reference"
    )]
    Var(String),
    #[error("uses ${{input:{id}}}, which its client would prompt for and codemode cannot")]
    Input { id: String, var: String },
    #[error("uses ${{userHome}} but neither HOME nor USERPROFILE is set")]
    Home,
}

impl Hinted for Unresolved {
    fn hint(&self) -> Option<Hint> {
        match self {
            Unresolved::Input { id, var } => Some(Hint::AnswerInput {
                id: id.clone(),
                var: var.clone(),
            }),
            _ => None,
        }
    }
}

/// The user's home folder: `HOME`, or `USERPROFILE` on Windows.
pub fn home_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    env("HOME").or_else(|| env("USERPROFILE"))
}

/// The variable named by a bare `$VAR` whose text after the `$` is `after`:
/// letters, digits and `_`, not starting with a digit.
pub fn bare_var(after: &str) -> Option<&str> {
    let len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    let name = &after[..len];
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then_some(name)
}

/// What each `${…}` reference in `text` says between its braces, in order.
pub(super) fn references(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        found.push(&rest[start + 2..start + 2 + len]);
        rest = &rest[start + 3 + len..];
    }
    found
}

/// The environment variable that answers `${input:ID}`: `api-key` → `CODEMODE_INPUT_API_KEY`.
pub fn input_var(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("CODEMODE_INPUT_{id}")
}

impl Vars<'_> {
    /// `text` with every reference replaced; text that is no reference
    /// (`$VAR`, an unclosed `${`) stays as it is.
    pub fn expand(&self, text: &str) -> Result<String, Unresolved> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start + 2..].find('}') else {
                break;
            };
            out.push_str(&rest[..start]);
            out.push_str(&self.value(&rest[start + 2..start + 2 + len])?);
            rest = &rest[start + 3 + len..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Like [`Vars::expand`], and `$VAR` too, as Gemini CLI reads its `env`.
    pub fn expand_with_bare(&self, text: &str) -> Result<String, Unresolved> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find('$') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            if after.starts_with('{') {
                let Some(len) = after.find('}') else {
                    out.push_str(&rest[start..]);
                    return Ok(out);
                };
                out.push_str(&self.value(&after[1..len])?);
                rest = &after[len + 1..];
                continue;
            }
            let Some(name) = bare_var(after) else {
                out.push('$');
                rest = after;
                continue;
            };
            out.push_str(&(self.env)(name).ok_or_else(|| Unresolved::Var(name.to_owned()))?);
            rest = &after[name.len()..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn value(&self, reference: &str) -> Result<String, Unresolved> {
        match reference {
            "userHome" => return self.home(),
            "workspaceFolder" => return Ok(self.workspace.display().to_string()),
            _ => {}
        }
        if let Some(id) = reference.strip_prefix("input:") {
            let var = input_var(id);
            return self
                .inputs
                .get(id)
                .cloned()
                .or_else(|| (self.env)(&var))
                .ok_or_else(|| Unresolved::Input {
                    id: id.to_owned(),
                    var,
                });
        }
        let reference = reference.strip_prefix("env:").unwrap_or(reference);
        // As in a shell: the default stands in for a variable unset or empty.
        if let Some((var, default)) = reference.split_once(":-") {
            return Ok((self.env)(var)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned()));
        }
        (self.env)(reference).ok_or_else(|| Unresolved::Var(reference.to_owned()))
    }

    fn home(&self) -> Result<String, Unresolved> {
        home_dir(self.env).ok_or(Unresolved::Home)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_what_the_braces_hold() {
        assert_eq!(
            references("a ${input:key} b ${HOME:-/x}${env:T} ${unclosed"),
            ["input:key", "HOME:-/x", "env:T"]
        );
        assert!(references("$HOME and {x}").is_empty());
    }

    fn env(var: &str) -> Option<String> {
        match var {
            "TOKEN" => Some("s3cret".into()),
            "HOME" => Some("/home/me".into()),
            "EMPTY" => Some(String::new()),
            "CODEMODE_INPUT_DB_PASSWORD" => Some("from-env".into()),
            _ => None,
        }
    }

    fn expand(text: &str) -> Result<String, Unresolved> {
        let inputs = HashMap::from([("api-key".to_owned(), "k-123".to_owned())]);
        Vars {
            env: &env,
            workspace: PathBuf::from("/src/app"),
            inputs: &inputs,
        }
        .expand(text)
    }

    #[test]
    fn every_form_clients_write() {
        assert_eq!(
            expand("a ${TOKEN} b ${env:HOME}").unwrap(),
            "a s3cret b /home/me"
        );
        assert_eq!(expand("${REGION:-eu-west-1}").unwrap(), "eu-west-1");
        assert_eq!(expand("${EMPTY:-fallback}").unwrap(), "fallback");
        assert_eq!(expand("${TOKEN:-unused}").unwrap(), "s3cret");
        assert_eq!(expand("${env:REGION:-eu}").unwrap(), "eu");
        assert_eq!(
            expand("${userHome}/.config ${workspaceFolder}/data").unwrap(),
            "/home/me/.config /src/app/data"
        );
        assert_eq!(
            expand("${input:api-key} ${input:db-password}").unwrap(),
            "k-123 from-env"
        );
    }

    #[test]
    fn bare_variables_where_the_client_expands_them() {
        let inputs = HashMap::new();
        let vars = Vars {
            env: &env,
            workspace: PathBuf::from("/w"),
            inputs: &inputs,
        };
        assert_eq!(
            vars.expand_with_bare("$TOKEN:${HOME}/x $ $1 a$").unwrap(),
            "s3cret:/home/me/x $ $1 a$"
        );
        assert_eq!(
            vars.expand_with_bare("$NOPE").unwrap_err(),
            Unresolved::Var("NOPE".into())
        );
        assert_eq!(vars.expand("$TOKEN").unwrap(), "$TOKEN");
    }

    #[test]
    fn what_is_not_a_reference_stays() {
        assert_eq!(
            expand("no vars, $TOKEN, ${unclosed").unwrap(),
            "no vars, $TOKEN, ${unclosed"
        );
    }

    #[test]
    fn unresolved_references_say_how_to_resolve_them() {
        assert_eq!(
            expand("${MISSING}").unwrap_err(),
            Unresolved::Var("MISSING".into())
        );
        let err = expand("${input:github-token}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "uses ${input:github-token}, which its client would prompt for and codemode cannot"
        );
        assert_eq!(
            err.hint(),
            Some(Hint::AnswerInput {
                id: "github-token".into(),
                var: "CODEMODE_INPUT_GITHUB_TOKEN".into()
            })
        );
        let no_home = |_: &str| None;
        let inputs = HashMap::new();
        let vars = Vars {
            env: &no_home,
            workspace: PathBuf::from("/w"),
            inputs: &inputs,
        };
        assert_eq!(vars.expand("${userHome}").unwrap_err(), Unresolved::Home);
    }
}
