//! The deployment files and the release workflow pass the linters
//! `scripts/test.sh` installs into the venv (hadolint, kubernetes-validate,
//! check-jsonschema, zizmor).

use crate::common::*;

/// Runs a linter the test command installs into the venv on a file of the
/// repository; its output when it complains.
fn lint(linter: &str, args: &[&str], file: &str) {
    let bin = test_deps().join("venv/bin").join(linter);
    assert!(
        bin.exists(),
        "{} is missing; run `bash scripts/test.sh`",
        bin.display()
    );
    let output = std::process::Command::new(bin)
        .args(args)
        .arg(repo().join(file))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{linter} {file}:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn the_deployment_files_pass_their_linters() {
    lint("hadolint", &["--no-color"], "deploy/Dockerfile");
    // Strict: a misspelt field is an error, not ignored.
    lint(
        "kubernetes-validate",
        &["--strict", "--quiet"],
        "deploy/kubernetes/codemode.yaml",
    );
}

#[test]
fn the_release_workflow_passes_its_linters() {
    let workflow = ".github/workflows/release.yml";
    // GitHub's schema of workflows, as the package ships it (no network).
    lint(
        "check-jsonschema",
        &["--builtin-schema", "vendor.github-workflows"],
        workflow,
    );
    // Template injection, unpinned actions, credentials left in checkouts,
    // permissions wider than a job needs.
    lint("zizmor", &["--offline", "--no-progress"], workflow);
}
