//! The release workflow's archives, packed here as the workflow packs them
//! (the dry run of `scripts/release-archive.sh`), are the ones
//! `cargo binstall` looks for.

use std::fs;
use std::process::Command;

use serde_json::Value;

use crate::common::*;

fn manifest() -> toml::Table {
    toml::from_str(&fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap()
}

/// The targets the workflow builds binaries for.
fn workflow_targets() -> Vec<String> {
    let text = fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    let workflow: Value = serde_yaml_ng::from_str(&text).unwrap();
    workflow["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("the binaries job has a matrix of targets")
        .iter()
        .map(|entry| entry["target"].as_str().unwrap().to_owned())
        .collect()
}

/// `template` with binstall's `{ key }` variables filled in.
fn expand(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_owned(), |text, (key, value)| {
        text.replace(&format!("{{ {key} }}"), value)
    })
}

fn pack(target: &str, out: &std::path::Path, binary: &str) -> std::process::Output {
    Command::new("bash")
        .arg(repo().join("scripts/release-archive.sh"))
        .args([target, out.to_str().unwrap(), binary])
        .env_remove("GITHUB_REF_TYPE")
        .output()
        .unwrap()
}

#[test]
fn each_archive_is_where_binstall_looks_and_holds_a_codemode_that_runs() {
    let manifest = manifest();
    let package = manifest["package"].as_table().unwrap();
    let version = package["version"].as_str().unwrap();
    let binstall = &package["metadata"]["binstall"];
    let pkg_url = binstall["pkg-url"].as_str().unwrap();
    let bin_dir = binstall["bin-dir"].as_str().unwrap();
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("tgz"));
    let repo_url = manifest["workspace"]["package"]["repository"]
        .as_str()
        .unwrap();

    let targets = workflow_targets();
    for platform in ["linux-musl", "apple-darwin"] {
        for arch in ["x86_64", "aarch64"] {
            assert!(
                targets
                    .iter()
                    .any(|t| t.starts_with(arch) && t.ends_with(platform)),
                "the workflow builds no {arch} {platform} binary: {targets:?}"
            );
        }
    }
    let out = tempfile::tempdir().unwrap();
    // This build is packed as the first target's binary and run from its
    // archive; the others pack a small stand-in (a debug build is 130 MB to
    // compress), since only their names and checksums differ.
    let stand_in = out.path().join("stand-in/codemode");
    fs::create_dir(stand_in.parent().unwrap()).unwrap();
    fs::write(&stand_in, "#!/bin/sh\necho stand-in\n").unwrap();
    for (i, target) in targets.iter().enumerate() {
        let binary = if i == 0 {
            codemode_path()
        } else {
            stand_in.to_str().unwrap()
        };
        let packed = pack(target, out.path(), binary);
        assert!(packed.status.success(), "{}", stderr(&packed));
        let archive = std::path::PathBuf::from(stdout(&packed).trim());
        let vars = [
            ("repo", repo_url),
            ("version", version),
            ("name", "codemode"),
            ("target", target.as_str()),
            ("bin", "codemode"),
            ("binary-ext", ""),
        ];
        let url = expand(pkg_url, &vars);
        assert_eq!(
            url,
            format!(
                "{repo_url}/releases/download/v{version}/{}",
                archive.file_name().unwrap().to_str().unwrap()
            ),
            "binstall looks for another name than the workflow packs"
        );

        let unpacked = tempfile::tempdir().unwrap();
        let untar = Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(unpacked.path())
            .output()
            .unwrap();
        assert!(untar.status.success(), "{}", stderr(&untar));
        let program = unpacked.path().join(expand(bin_dir, &vars));
        assert!(
            program.is_file(),
            "no {} in the archive",
            expand(bin_dir, &vars)
        );
        if i > 0 {
            continue;
        }
        let ran = Command::new(&program).arg("--version").output().unwrap();
        assert!(ran.status.success(), "{}", stderr(&ran));
        assert!(stdout(&ran).contains(version), "{}", stdout(&ran));
    }
    let checked = Command::new("sha256sum")
        .arg("--check")
        .args(
            targets
                .iter()
                .map(|t| format!("codemode-{version}-{t}.tar.gz.sha256")),
        )
        .current_dir(out.path())
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
}

#[test]
fn a_tag_that_is_not_the_version_packs_nothing() {
    let out = tempfile::tempdir().unwrap();
    let packed = Command::new("bash")
        .arg(repo().join("scripts/release-archive.sh"))
        .args([
            "x86_64-unknown-linux-musl",
            out.path().to_str().unwrap(),
            codemode_path(),
        ])
        .env("GITHUB_REF_TYPE", "tag")
        .env("GITHUB_REF_NAME", "v0.0.0-not-this")
        .output()
        .unwrap();
    assert!(!packed.status.success());
    assert!(
        stderr(&packed).contains("the tag v0.0.0-not-this is not v"),
        "{}",
        stderr(&packed)
    );
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}
