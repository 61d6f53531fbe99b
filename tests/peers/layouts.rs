//! Text results from real servers, end to end: mcp-server-git's log teaches
//! a layout that `types` shows after one call, and mcp-server-sqlite's rows,
//! printed as a Python literal, reach a program as an array of objects.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// A Python server `scripts/test.sh` installs under the test dependencies.
fn installed(path: &str) -> String {
    let path = test_deps().join(path);
    assert!(
        path.exists(),
        "{} is missing; run `bash scripts/test.sh`",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

fn git(repo: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .envs([
            ("GIT_AUTHOR_NAME", "Ann Example"),
            ("GIT_AUTHOR_EMAIL", "ann@example.org"),
            ("GIT_COMMITTER_NAME", "Ann Example"),
            ("GIT_COMMITTER_EMAIL", "ann@example.org"),
            ("GIT_AUTHOR_DATE", "2026-01-15T10:00:00+00:00"),
            ("GIT_COMMITTER_DATE", "2026-01-15T10:00:00+00:00"),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn one_call_of_git_log_teaches_the_layout_types_shows() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    for (file, message) in [("a.txt", "Add a"), ("b.txt", "Add b\n\nWith a body.")] {
        std::fs::write(repo.join(file), "x\n").unwrap();
        git(&repo, &["add", file]);
        git(&repo, &["commit", "-qm", message]);
    }
    let shapes = dir.path().join("shapes.json");
    let server = installed("servers/bin/mcp-server-git");
    let repo_arg = repo.to_str().unwrap();
    let with = |first: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        let rest = [
            "--shapes",
            shapes.to_str().unwrap(),
            "--",
            &server,
            "--repository",
            repo_arg,
        ];
        args.extend(rest.iter().map(|s| s.to_string()));
        args
    };
    let cm = |first: &[&str]| {
        let args = with(first);
        codemode_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let before = cm(&["types", "--style", "compact"]);
    assert!(
        before.contains("git_log(") && !before.contains("Commit history"),
        "{before}"
    );

    let program = format!("return await git.git_log({{ repo_path: {repo_arg:?} }});");
    let (report, ran) = run_program(
        &program,
        &with(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(ran, "{report}");
    assert!(
        report["result"]
            .as_str()
            .unwrap()
            .starts_with("Commit history:\nCommit: "),
        "{report}"
    );

    let layout = r#"Promise<Observed<string, "Commit history:\n(Commit: <hex>\nAuthor: <text>\nDate: <date-time>\nMessage: <text>\n<lines>\n)*">>"#;
    for style in ["compact", "full"] {
        let types = cm(&["types", "--style", style]);
        assert!(types.contains(layout), "{types}");
        assert!(types.contains("L: its text's layout"), "{types}");
        // The layout keeps no value of the log.
        for value in ["Ann Example", "2026-01-15", "Add b", "With a body"] {
            assert!(!types.contains(value), "{value:?} in {types}");
        }
        // Still TypeScript, and the result still a string, for `tsc --strict`.
        let file = dir.path().join(format!("git.{style}.ts"));
        let program = "async function f(): Promise<string[]> {\n  const log = await git.git_log({ repo_path: \".\" });\n  return log.split(\"\\nCommit: \");\n}\n";
        std::fs::write(&file, format!("{types}{program}")).unwrap();
        let output = crate::tsc::tsc(&[file]);
        assert!(output.status.success(), "{}\n{types}", stdout(&output));
    }
}

#[test]
fn sqlite_rows_printed_as_python_reach_a_program_as_objects() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let shapes = dir.path().join("shapes.json");
    let server = installed("sqlite/bin/mcp-server-sqlite");
    let args = [
        "--shapes",
        shapes.to_str().unwrap(),
        "--",
        &server,
        "--db-path",
        db.to_str().unwrap(),
    ];
    let program = r#"
        await sqlite.create_table({ query: "CREATE TABLE users (id INTEGER, name TEXT, note TEXT)" });
        await sqlite.write_query({ query: "INSERT INTO users VALUES (1, 'Ann', NULL), (2, 'O''Brien', 'it''s \"x\"')" });
        const rows = await sqlite.read_query({ query: "SELECT * FROM users ORDER BY id" });
        return rows.map(r => `${r.id}:${r.name}:${r.note}`);
    "#;
    let (report, ran) = run_program(program, &args);
    assert!(ran, "{report}");
    assert_eq!(
        report["result"],
        serde_json::json!(["1:Ann:null", "2:O'Brien:it's \"x\""])
    );
    let mut types_args = vec!["types", "--style", "compact"];
    types_args.extend(args);
    let types = codemode_ok(&types_args);
    assert!(
        types.contains(
            "read_query(args: { query: string }): Promise<Observed<{ id: number; name: string; note: null | string }[]>>"
        ) && types.contains("write_query(args: { query: string }): Promise<Observed<{ affected_rows: number }[]>>"),
        "{types}"
    );
}
