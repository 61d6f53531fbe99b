//! The library's top-level modules form layers: each uses only those
//! listed before it in `src/lib.rs`, so the next engineer can read them
//! bottom up and no change can quietly make two of them depend on each
//! other.

use std::path::{Path, PathBuf};

/// The layers `src/lib.rs` lists, bottom up, checked to be exactly the
/// top-level modules it declares.
fn layers(lib: &str) -> Vec<String> {
    let listed: Vec<String> = lib
        .lines()
        .find_map(|line| line.strip_prefix("//! Layers: "))
        .expect("src/lib.rs lists its layers in a `//! Layers: ` line")
        .trim_end_matches('.')
        .split(", ")
        .map(str::to_owned)
        .collect();
    let mut declared: Vec<String> = lib
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub mod ")
                .or_else(|| line.strip_prefix("pub(crate) mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            Some(rest.trim_end_matches(';').to_owned())
        })
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    declared.sort();
    assert_eq!(sorted, declared, "every module in exactly one layer");
    listed
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level modules `code` names as `crate::NAME`, outside comments
/// and unit tests (from a file's first `#[cfg(test)]` on: tests may check a
/// layer's values in the words of the layers that show them).
fn named(code: &str, layers: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for line in code.lines().take_while(|l| l.trim() != "#[cfg(test)]") {
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            // `codemode_sandbox::...` or `$crate::` are not this crate's paths.
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if layers.contains(&name) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(layers.len() >= 8, "{layers:?}");
    let mut upward = Vec::new();
    for (rank, layer) in layers.iter().enumerate() {
        let mut files = Vec::new();
        let dir = src.join(layer);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{layer}.rs")));
        }
        for file in files {
            let code = std::fs::read_to_string(&file).unwrap();
            for used in named(&code, &layers) {
                let used_rank = layers.iter().position(|l| *l == used).unwrap();
                if used_rank > rank {
                    upward.push(format!(
                        "{} uses crate::{used}, a layer above {layer}",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "move the code down, or pass it in from above:\n{}",
        upward.join("\n")
    );
}

#[test]
fn a_path_in_code_counts_and_one_in_a_comment_does_not() {
    let layers = vec!["files".to_owned(), "engine".to_owned()];
    assert_eq!(
        named(
            "use crate::engine::executor;\n// crate::files\nlet x = codemode_crate::files;\n\
             #[cfg(test)]\nmod tests { use crate::files; }",
            &layers
        ),
        vec!["engine"]
    );
}
