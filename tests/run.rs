//! `codemode run` against the demo. (Against real third-party servers:
//! `tests/peers/run.rs`.)

use serde_json::{Value, json};

use crate::common::*;

#[test]
fn demo_examples_run_and_agree_with_direct_queries() {
    let triage = std::fs::read_to_string(repo().join("examples/triage.ts")).unwrap();
    let value = result(&triage, &[]);
    // The same question asked one issue at a time.
    let check = result(
        "const all = await demo.list_issues({ status: 'open', limit: 50 });\n\
         const hot = all.issues.filter(i => i.priority === 'urgent' || i.priority === 'high');\n\
         return { hot: hot.length, unassigned: hot.filter(i => i.assignee === null).map(i => i.id).sort() };",
        &[],
    );
    assert_eq!(value["hot"], check["hot"]);
    let mut unassigned: Vec<String> = serde_json::from_value(value["unassigned"].clone()).unwrap();
    unassigned.sort();
    assert_eq!(json!(unassigned), check["unassigned"]);
    assert!(value["hot"].as_u64().unwrap() > 0);

    let workload = std::fs::read_to_string(repo().join("examples/workload.ts")).unwrap();
    let (report, ok) = run_program(&workload, &[]);
    assert!(ok, "{report:#}");
    let assigned = report["result"]["assigned"].as_array().unwrap();
    let assigns = report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tool"] == "assign_issue")
        .count();
    assert_eq!(assigns, assigned.len());
}

#[test]
fn the_arrow_function_form_is_called() {
    assert_eq!(
        result(
            "async () => {\n  const p = await demo.list_projects();\n  return p.projects.length;\n}",
            &[]
        ),
        json!(3)
    );
}

#[test]
fn failures_exit_1_with_kind_and_typescript_line() {
    let (report, ok) = run_program(
        "type T = { a: number };\nconst t: T = { a: 1 };\n\nthrow new Error(`bad ${t.a}`);",
        &[],
    );
    assert!(!ok);
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["error"],
        json!({"kind": "runtime", "message": "Error: bad 1", "line": 4})
    );

    let (report, ok) = run_program("const a = ;", &[]);
    assert!(!ok);
    assert_eq!(report["error"]["kind"], "syntax");
    assert_eq!(
        (
            report["error"]["line"].as_u64(),
            report["error"]["column"].as_u64()
        ),
        (Some(1), Some(11))
    );

    let (report, _) = run_program("const x = 1;\nawait demo.get_isue({ id: 'CORE-1' });", &[]);
    assert_eq!(
        report["error"],
        json!({
            "kind": "unknown_function",
            "message": "demo.get_isue is not a function of the demo API; did you mean demo.get_issue?",
            "line": 2, "column": 12
        })
    );
    assert_eq!(report["calls"], json!([]), "nothing ran");
}

#[test]
fn invalid_arguments_throw_a_type_error_naming_path_and_type() {
    let value = result(
        "try { await demo.create_issue({ project: 'CORE', title: 'Flaky test', estimate: { points: '3' } }); }\n\
         catch (e) { return [e.name, e.message]; }",
        &[],
    );
    assert_eq!(
        value,
        json!([
            "TypeError",
            "demo.create_issue: invalid arguments: args.estimate.points: \"3\" is not of type \"integer\"; args.estimate.points: \"3\" is not one of 1, 2, 3, 5, 8 or 13"
        ])
    );
}

#[test]
fn unknown_functions_at_runtime_suggest_a_name() {
    let value = result(
        "const name = 'list_issue';\ntry { await demo[name]({}); } catch (e) { return [e.name, e.message]; }",
        &[],
    );
    assert_eq!(
        value,
        json!([
            "TypeError",
            "demo.list_issue is not a function; did you mean demo.list_issues?"
        ])
    );
}

#[test]
fn logs_and_calls_are_reported() {
    let (report, ok) = run_program(
        "console.log('hi', {a: 1});\nconsole.error('oops');\nawait demo.list_projects();\nreturn null;",
        &[],
    );
    assert!(ok);
    assert_eq!(report["result"], Value::Null);
    assert_eq!(
        report["logs"],
        json!([{"level": "info", "message": "hi {\"a\":1}"}, {"level": "error", "message": "oops"}])
    );
    assert_eq!(report["calls"][0]["tool"], "list_projects");
    assert_eq!(report["calls"][0]["ok"], true);
}

#[test]
fn limits_come_from_flags_and_config() {
    let (report, _) = run_program(
        "for (let i = 0; i < 5; i++) await demo.list_projects();",
        &["--max-calls", "2"],
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tool-call limit reached: at most 2 calls"),
        "{report:#}"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.json");
    let text = json!({"mcpServers": {"demo": {"command": codemode_path(), "args": ["demo-server"]}}, "codemode": {"maxCalls": 1}});
    std::fs::write(&config, text.to_string()).unwrap();
    let (report, _) = run_program(
        "await demo.list_projects(); await demo.list_projects();",
        &["--config", config.to_str().unwrap()],
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1 calls"),
        "{report:#}"
    );
    // Flags win over the config.
    let (report, ok) = run_program(
        "await demo.list_projects(); await demo.list_projects();",
        &["--config", config.to_str().unwrap(), "--max-calls", "5"],
    );
    assert!(ok, "{report:#}");
}

#[test]
fn tools_from_files_cannot_be_called() {
    let time = fixture("catalogs/time.json");
    let (report, _) = run_program(
        "return await time.get_current_time({ timezone: 'UTC' });",
        &["--tools-file", time.to_str().unwrap()],
    );
    assert_eq!(
        report["error"]["message"],
        "Error: time.get_current_time cannot be called: the time tools were loaded from a file, not from a running server"
    );
}

#[test]
fn unreadable_program_is_an_error() {
    let output = codemode(&["run", "/nonexistent/program.ts"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("error: cannot read the program /nonexistent/program.ts"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn typescript_constructs_run_with_their_javascript_meaning() {
    let program = r#"
interface Issue { id: string; points?: number }
type Ids = readonly string[];
enum Level { Low = 1, Mid, High }
const enum Flag { On = "on" }
function total<T extends Issue>(items: T[]): number {
  return items.reduce((sum, i) => sum + (i.points ?? 0), 0);
}
class Counter {
  private n = 0;
  constructor(public readonly name: string) {}
  add(by = 1): this { this.n += by; return this; }
  get value(): number { return this.n; }
}
const ids: Ids = ["a", "b"] as const;
const first = ids[0]!;
const cfg = { a: 1, b: { c: [10, 20] } } satisfies Record<string, unknown>;
const { a, b: { c: [, second] } } = cfg;
const maybe: Issue | undefined = undefined;
const tagged = `${first}-${Level.High}-${Flag.On}`;
const asyncDouble = async (x: number): Promise<number> => x * 2;
const issues: Issue[] = [{ id: "x", points: 3 }, { id: "y" }];
return {
  total: total(issues),
  counter: new Counter("c").add().add(2).value,
  first, a, second, tagged,
  optional: maybe?.points ?? "none",
  doubled: await asyncDouble(21),
  levels: [Level.Low, Level.Mid, Level[3]],
};
"#;
    assert_eq!(
        result(program, &[]),
        json!({
            "total": 3, "counter": 3, "first": "a", "a": 1, "second": 20, "tagged": "a-3-on",
            "optional": "none", "doubled": 42, "levels": [1, 2, "High"]
        })
    );
}

#[test]
fn the_stack_limit_is_configurable() {
    let program = "let depth = 0;\nconst f = (n: number): number => { depth = n; return f(n + 1) + 1; };\ntry { f(0); } catch (e) { return depth; }";
    let shallow = result(program, &["--stack-kb", "64"]).as_u64().unwrap();
    let deep = result(program, &["--stack-kb", "4096"]).as_u64().unwrap();
    assert!(
        shallow > 0 && deep > shallow * 10,
        "64 KiB: {shallow} frames, 4 MiB: {deep} frames"
    );
}

#[test]
fn a_server_that_is_gone_gives_an_error_naming_server_and_tool() {
    // The server sees only the four messages of start-up (`server/discover`,
    // with no era remembered in the fresh cache folder, and three pages of
    // tools/list); then its input closes and it exits.
    let cache = tempfile::tempdir().unwrap();
    let server = format!("stdbuf -oL head -n 4 | {} demo-server", codemode_path());
    let (report, ok) = run_program_env(
        "try { await gone.list_projects(); return 'answered'; } catch (e) { return [e.name, e.message]; }",
        &["--name", "gone", "--", "sh", "-c", &server],
        &[("XDG_CACHE_HOME", cache.path())],
    );
    assert!(ok, "{report:#}");
    assert_eq!(
        report["result"],
        json!([
            "Error",
            "gone.list_projects failed: the gone server has stopped (Transport closed); codemode restarts it when serving, so a retry may work"
        ])
    );
    assert_eq!(report["calls"][0]["ok"], false);
}

#[test]
fn terse_type_errors_name_the_expression_and_what_it_was() {
    // Each failing expression is on line 2; the column is where it starts
    // in the TypeScript as written (types and all), not in the JavaScript.
    let cases = [
        (
            "const rows = 'a,b';\nreturn rows.map((x) => x);",
            "TypeError: rows.map is not a function: rows is a string",
            8,
        ),
        (
            "const issues = demo.list_issues({});\nconst ids: number[] = issues.map((i) => i.id);",
            "TypeError: `issues` is a promise, so it has no property `map`; did you forget `await` before demo.list_issues(…)?",
            23,
        ),
        (
            "const r: { count: number } = { count: 2 };\n  return (r as any).count();",
            "TypeError: r.count is not a function: it is a number",
            10,
        ),
        (
            "const r: any = {};\nreturn r.items.length;",
            "TypeError: `r.items` is undefined, so it has no property `length`",
            8,
        ),
    ];
    for (program, message, column) in cases {
        let (report, ok) = run_program(program, &[]);
        assert!(!ok);
        assert_eq!(report["error"]["message"], message, "{report}");
        assert_eq!(report["error"]["line"], 2, "{report}");
        assert_eq!(report["error"]["column"], column, "{report}");
    }
}
