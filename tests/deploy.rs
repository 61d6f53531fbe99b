//! The deployment files in `deploy/` say what the code does: the probes the
//! server answers, a non-root user, the flags it has; the session key is
//! checked where it is used. (nginx's config is run for real, and both files
//! pass their linters, in `tests/peers/`.)

use serde_json::Value;

use crate::common::*;

#[test]
fn kubernetes_manifests_parse_and_probe_what_serve_answers() {
    let text = std::fs::read_to_string(repo().join("deploy/kubernetes/codemode.yaml")).unwrap();
    let documents: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let kinds: Vec<&str> = documents
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "Secret",
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler"
        ]
    );
    let container = &documents[2]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    // Every flag the manifest passes is one serve has.
    let help = codemode_ok(&["serve", "--help"]);
    for arg in container["args"].as_array().unwrap() {
        let flag = arg.as_str().unwrap().split('=').next().unwrap();
        assert!(help.contains(flag), "{flag} is not a serve flag");
    }
    let grace = documents[2]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        .as_u64()
        .unwrap();
    assert!(grace > 30, "longer than --drain-timeout=30");
}

#[test]
fn the_dockerfile_builds_in_two_stages_and_runs_as_a_plain_user() {
    let text = std::fs::read_to_string(repo().join("deploy/Dockerfile")).unwrap();
    assert_eq!(
        text.matches("\nFROM ").count() + usize::from(text.starts_with("FROM")),
        2
    );
    assert!(text.contains("USER 10001"));
    let help = codemode_ok(&["serve", "--help"]);
    for flag in [
        "--http",
        "--allow-remote",
        "--config",
        "--session-key-file",
        "--auth-token",
    ] {
        assert!(text.contains(flag) && help.contains(flag), "{flag}");
    }
}

#[test]
fn the_session_key_is_checked_over_http_and_unused_over_stdio() {
    let serve = |args: &[&str]| {
        std::process::Command::new(codemode_path())
            .arg("serve")
            .args(args)
            .env("CODEMODE_SESSION_KEY", "short")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let http = serve(&["--http", "127.0.0.1:0"]);
    assert!(!http.status.success());
    assert!(
        stderr(&http).contains("the session key is 5 bytes; use at least 32"),
        "{}",
        stderr(&http)
    );
    // Over stdio there are no session ids to seal: serve runs, and ends
    // with its input.
    let stdio = serve(&[]);
    assert!(stdio.status.success(), "{}", stderr(&stdio));
}
