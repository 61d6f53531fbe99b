//! Approval before calls policy marks (`--ask`): at the terminal under
//! `run`, approved by `--yes`, refused when nobody can be asked. (Asked of
//! `serve`'s client through the Python SDK: `tests/peers/approval.rs`.)

use serde_json::json;

use crate::common::*;
use crate::programs::TWO_CREATIONS;

#[test]
fn run_asks_at_the_terminal_and_yes_approves_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("two.ts");
    std::fs::write(&program, TWO_CREATIONS).unwrap();
    // `script` gives codemode a terminal; the person types y, then n.
    let command = format!(
        "{} run {} --ask demo.create_issue",
        codemode_path(),
        program.display()
    );
    let (screen, report) = on_a_terminal(&command, b"y\nn\n", dir.path());
    assert_eq!(
        screen
            .matches("Allow this call? [y]es, [N]o, [f]ull arguments:")
            .count(),
        2,
        "{screen}"
    );
    // The operator is told which of the flags asked.
    assert!(
        screen.contains("(matched by --ask demo.create_issue)"),
        "{screen}"
    );
    assert_eq!(
        report["result"]["titles"],
        json!(["approved one"]),
        "{screen}"
    );
    assert_eq!(
        report["result"]["refused"],
        "demo.create_issue was not approved: declined at the terminal (the terminal)"
    );
    assert_eq!(
        report["calls"][1]["approval"],
        json!({"approved": false, "by": "the terminal", "why": "declined at the terminal"})
    );

    // --yes approves both without a question; without a terminal or --yes, both are refused.
    let (report, ok) = run_program(TWO_CREATIONS, &["--ask", "demo.create_issue", "--yes"]);
    assert!(ok, "{report}");
    assert_eq!(
        report["result"]["titles"],
        json!(["declined one", "approved one"]),
        "newest first"
    );
    assert_eq!(report["calls"][0]["approval"]["by"], "--yes");
    let (report, _) = run_program(TWO_CREATIONS, &["--ask", "demo.create_issue"]);
    assert_eq!(
        report["error"]["message"],
        "Error: demo.create_issue was not approved: no terminal to ask at; run it in a terminal, or pass --yes to approve every such call (codemode)",
        "{report}"
    );
}

#[test]
fn an_approval_nobody_gives_in_time_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("one.ts");
    std::fs::write(
        &program,
        "await demo.create_issue({ project: \"CORE\", title: \"never\" });\nreturn 1;",
    )
    .unwrap();
    let command = format!(
        "{} run {} --ask demo.create_issue --approval-timeout 0.3",
        codemode_path(),
        program.display()
    );
    // A terminal where nobody types.
    let (screen, report) = on_a_terminal(&command, b"", dir.path());
    assert_eq!(
        report["error"]["message"],
        "Error: demo.create_issue was not approved: no answer within 0.3 s (the approval time-out) (codemode)",
        "{screen}"
    );
}
