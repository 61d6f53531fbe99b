//! What the client's new entry starts, and what it must hand on for the
//! servers behind it to work: the codemode binary that will still be there
//! tomorrow, and the `${input:ID}` answers that only the client can ask for.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::clients::Client;
use crate::files::config::{input_var, references_in};

/// The codemode a client should start, and a line on why when it is not
/// the one running: a build in a cargo `target` folder is replaced by the
/// next `cargo build` and removed by `cargo clean`, so an installed
/// codemode on `path` (the `PATH` variable) is preferred, and without one
/// the user is told to install.
pub(super) fn codemode_to_start(exe: PathBuf, path: Option<&OsStr>) -> (PathBuf, Option<String>) {
    if !in_cargo_target(&exe) {
        return (exe, None);
    }
    let installed = path
        .into_iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(format!("codemode{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| is_program(candidate) && !in_cargo_target(candidate));
    match installed {
        Some(installed) => {
            let note = format!(
                "note: the client will start the installed codemode at {}, not this build in a cargo target folder ({}), which the next `cargo build` replaces and `cargo clean` removes",
                installed.display(),
                exe.display()
            );
            (installed, Some(note))
        }
        None => {
            let warning = format!(
                "warning: the client will start codemode from a cargo target folder ({}), which the next `cargo build` replaces and `cargo clean` removes; install it with `cargo install --locked --path .` and connect again from the installed one",
                exe.display()
            );
            (exe, Some(warning))
        }
    }
}

/// Whether `path` is in a cargo build folder: `target/debug`,
/// `target/release` or `target/<triple>/release`.
fn in_cargo_target(path: &Path) -> bool {
    let names: Vec<&OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect();
    names.iter().enumerate().any(|(i, name)| {
        *name == "target"
            && names[i + 1..]
                .iter()
                .take(2)
                .any(|profile| *profile == "debug" || *profile == "release")
    })
}

fn is_program(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    meta.is_file()
}

/// The `${input:ID}` answers the client's new entry hands on, and a
/// warning for each input nobody will answer.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Inputs {
    /// Ids the client asks for when it starts the entry (VS Code's declared
    /// `inputs`), handed on as `CODEMODE_INPUT_<ID>`.
    pub handed_on: Vec<String>,
    pub warnings: Vec<String>,
}

/// The inputs the moved servers use. VS Code asks for those its `inputs`
/// declare when it starts an entry; any other client, or an input VS Code
/// does not declare, leaves codemode without a value, and the server would
/// not start.
pub(super) fn inputs(
    client: Client,
    client_config: &Value,
    moved: &Map<String, Value>,
    file: &Path,
) -> Inputs {
    let declared: Vec<&str> = match client {
        Client::Vscode => client_config["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|input| input["id"].as_str())
            .collect(),
        _ => Vec::new(),
    };
    let mut inputs = Inputs::default();
    for id in inputs_used(moved) {
        if declared.contains(&id.as_str()) {
            inputs.handed_on.push(id);
            continue;
        }
        let var = input_var(&id);
        inputs.warnings.push(match client {
            Client::Vscode => format!(
                "warning: a server uses ${{input:{id}}}, which the \"inputs\" of {} do not declare, so VS Code cannot ask for it; declare it there, or set {var} in the \"env\" of the codemode entry",
                file.display()
            ),
            _ => format!(
                "warning: a server uses ${{input:{id}}}, which {} does not answer; codemode reads it from the environment variable {var}: set it in the \"env\" of the codemode entry in {}, or the server will not start",
                client.name(),
                file.display()
            ),
        });
    }
    inputs
}

/// The ids of the `${input:ID}` references in the moved servers, sorted,
/// each once.
fn inputs_used(moved: &Map<String, Value>) -> Vec<String> {
    let mut ids: Vec<String> = moved
        .values()
        .flat_map(references_in)
        .filter_map(|r| r.strip_prefix("input:"))
        .map(str::to_owned)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn builds_in_a_cargo_target_folder_are_told_apart() {
        for path in [
            "/src/codemode/target/debug/codemode",
            "/src/codemode/target/release/codemode",
            "/src/codemode/target/x86_64-unknown-linux-musl/release/codemode",
        ] {
            assert!(in_cargo_target(Path::new(path)), "{path}");
        }
        for path in [
            "/home/me/.cargo/bin/codemode",
            "/usr/local/bin/codemode",
            "/srv/target/bin/codemode",
        ] {
            assert!(!in_cargo_target(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn an_installed_codemode_on_path_is_preferred_to_a_cargo_build() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let installed = bin.join(format!("codemode{}", std::env::consts::EXE_SUFFIX));
        let build = PathBuf::from("/src/codemode/target/debug/codemode");

        let (chosen, said) = codemode_to_start(build.clone(), Some(bin.as_os_str()));
        assert_eq!(chosen, build, "nothing is installed yet");
        assert!(said.unwrap().contains("cargo install --locked"));

        std::fs::write(&installed, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let (chosen, said) = codemode_to_start(build, Some(bin.as_os_str()));
        assert_eq!(chosen, installed);
        assert!(said.unwrap().starts_with("note: "));

        let (chosen, said) = codemode_to_start(installed.clone(), Some(bin.as_os_str()));
        assert_eq!((chosen, said), (installed, None));
    }

    #[test]
    fn inputs_vs_code_declares_are_answered_and_the_others_warned_of() {
        let moved = json!({
            "a": {"command": "x", "env": {"K": "${input:api-key}", "L": "${input:api-key}"}},
            "b": {"url": "https://b.example/mcp", "headers": {"T": "Bearer ${input:token}"}},
            "c": {"command": "y", "args": ["${HOME}"]},
        });
        let moved = moved.as_object().unwrap();
        assert_eq!(inputs_used(moved), ["api-key", "token"]);
        let config = json!({"inputs": [{"id": "api-key", "type": "promptString"}]});
        let file = Path::new("mcp.json");
        let vscode = inputs(Client::Vscode, &config, moved, file);
        assert_eq!(vscode.handed_on, ["api-key"]);
        assert_eq!(vscode.warnings.len(), 1, "{vscode:?}");
        assert!(vscode.warnings[0].contains("${input:token}"), "{vscode:?}");
        assert!(
            vscode.warnings[0].contains("CODEMODE_INPUT_TOKEN"),
            "{vscode:?}"
        );
        let cursor = inputs(Client::Cursor, &config, moved, file);
        assert!(cursor.handed_on.is_empty());
        assert_eq!(cursor.warnings.len(), 2, "{cursor:?}");
        assert!(
            cursor.warnings[0].contains("CODEMODE_INPUT_API_KEY"),
            "{cursor:?}"
        );
    }
}
