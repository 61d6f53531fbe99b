//! Errors that say the fix, as a model meets them: each names the
//! expression as written with its line and column in the TypeScript, a
//! forgotten `await` wherever the promise is used, the namespace or tool
//! meant, what the sandbox lacks, and never a command a client cannot run.

use serde_json::{Value, json};

use super::RawStdio;
use crate::common::*;

/// Runs `program` with `codemode run` over the demo; its error as
/// `(message, line, column)`.
fn run_error(program: &str) -> (String, Value, Value) {
    let (report, ok) = run_program(program, &[]);
    assert!(!ok, "{report}");
    let error = &report["error"];
    (
        error["message"].as_str().unwrap().to_owned(),
        error["line"].clone(),
        error["column"].clone(),
    )
}

/// Three lines of TypeScript before the failing line 4, so a position that
/// falls back to the wrapper or a line before shows.
const PREAMBLE: &str = "const r: any = await demo.list_projects();\ntype Row = { id: string };\nconst rows: Row[] = [];\n";

#[test]
fn type_errors_name_the_value_as_written_at_its_typescript_position() {
    let cases: &[(&str, &str, u32)] = &[
        (
            "for (const x of r.items) { console.log(x); }",
            "TypeError: `r.items` is undefined, so it cannot be iterated (for…of)",
            17,
        ),
        (
            "const all: Row[] = [...rows, ...r.items];",
            "TypeError: `r.items` is undefined, so it cannot be iterated (spread with ...)",
            33,
        ),
        (
            "const list = Array.from(r.items as Row[]);",
            "TypeError: `r.items` is undefined, so it cannot be iterated (Array.from(…))",
            25,
        ),
        (
            "const [first, second]: Row[] = r.items;",
            "TypeError: `r.items` is undefined, so it cannot be iterated (array destructuring)",
            32,
        ),
        (
            "const { id, title }: { id: string; title: string } = r.first;",
            "TypeError: `r.first` is undefined, so it cannot be destructured",
            54,
        ),
        (
            "const r2: any = { projects: [null] }; const { projects: [{ key }] } = r2;",
            "TypeError: `r2.projects[0]` is null, so it cannot be destructured",
            58,
        ),
        (
            "for (const [k, v] of Object.entries(r.counts)) {}",
            "TypeError: `r.counts` is undefined, so Object.entries(…) cannot take it",
            37,
        ),
        (
            "return Object.keys(r.counts ?? null).length;",
            "TypeError: `r.counts ?? null` is null, so Object.keys(…) cannot take it",
            20,
        ),
        (
            "for await (const x of r.stream) {}",
            "TypeError: `r.stream` is undefined, so it cannot be iterated (for…of)",
            23,
        ),
        (
            "r.meta.count = rows.length;",
            "TypeError: `r.meta` is undefined, so its property `count` cannot be set",
            1,
        ),
        (
            "const n: number = r.items.length;",
            "TypeError: `r.items` is undefined, so it has no property `length`",
            19,
        ),
        (
            "const f = ({ id }: Row) => id; f(undefined as any);",
            "TypeError: the parameter `{ id }` was given undefined, so it cannot be destructured",
            12,
        ),
        (
            "return r.projects.filter((p: any) => p.key).sum();",
            "TypeError: r.projects.filter((p)=>p.key).sum is not a function: r.projects.filter((p)=>p.key) is an array",
            8,
        ),
        (
            "for (const p of r.projects[0]) {}",
            "TypeError: `r.projects[0]` is not iterable (for…of); for an object's values or entries use Object.values(r.projects[0]) or Object.entries(r.projects[0])",
            17,
        ),
    ];
    for &(line, message, column) in cases {
        let (got, at_line, at_column) = run_error(&format!("{PREAMBLE}{line}"));
        assert_eq!(got, message, "{line}");
        assert_eq!(
            (at_line, at_column),
            (json!(4), json!(column)),
            "{line}: {got}"
        );
    }
}

#[test]
fn a_forgotten_await_is_named_wherever_the_promise_is_used() {
    // Each fails on its first line, where the promise is used.
    let cases: &[(&str, &str)] = &[
        (
            "const r = demo.list_issues({}); return r.issues.map((i: any) => i.id);",
            "TypeError: `r` is a promise, so it has no property `issues`; did you forget `await` before demo.list_issues(…)?",
        ),
        (
            "const { issues } = demo.list_issues({});\nreturn issues;",
            "TypeError: `demo.list_issues({})` is a promise, so it has no property `issues`; did you forget `await` before demo.list_issues(…)?",
        ),
        (
            "for (const p of demo.list_projects()) {}",
            "TypeError: `demo.list_projects()` is a promise, so it cannot be iterated (for…of); did you forget `await` before demo.list_projects(…)?",
        ),
        (
            "const all = [...demo.list_projects()];",
            "TypeError: `demo.list_projects()` is a promise, so it cannot be iterated (spread with ...); did you forget `await` before demo.list_projects(…)?",
        ),
        (
            "return JSON.stringify(demo.list_projects());",
            "TypeError: a promise cannot be turned into JSON (it would be {}); did you forget `await` before demo.list_projects(…)?",
        ),
        (
            "const [projects, users] = Promise.all([demo.list_projects(), demo.list_users()]);",
            "TypeError: `Promise.all([ demo.list_projects(), demo.list_users() ])` is a promise, so it cannot be iterated (array destructuring); did you forget `await`?",
        ),
        (
            "const load = async () => demo.list_projects(); const { projects } = load();",
            "TypeError: `load()` is a promise, so it has no property `projects`; did you forget `await`?",
        ),
        (
            "return `projects: ${demo.list_projects()}`;",
            "TypeError: a promise cannot be turned into a string or number; did you forget `await` before demo.list_projects(…)?",
        ),
        (
            "const text = JSON.parse(demo.list_projects() as any);",
            "TypeError: JSON.parse was given a promise; did you forget `await` before demo.list_projects(…)?",
        ),
    ];
    for &(program, message) in cases {
        let (got, line, _) = run_error(program);
        assert_eq!(got, message, "{program}");
        assert_eq!(line, json!(1), "{program}");
    }
    // Returned inside an object, the promise is named too.
    let (report, ok) = run_program("return { projects: demo.list_projects() };", &[]);
    assert!(!ok);
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did you forget `await` before demo.list_projects(…)?"),
        "{report}"
    );
    // What a promise has still works.
    let (report, ok) = run_program(
        "const p = demo.list_projects();\n(p as any).label = 'x';\n\
         const [a] = await Promise.all([p]);\n\
         return [a.projects.length, p instanceof Promise, p instanceof Object, typeof p.then, (p as any).label, [].concat(p as any).length, (await p.then((v) => v.projects)).length, Object.prototype.toString.call(p), await Promise.resolve(2).finally(() => {})];",
        &[],
    );
    assert!(ok, "{report}");
    assert_eq!(
        report["result"],
        json!([3, true, true, "function", "x", 1, 3, "[object Promise]", 2])
    );
}

#[test]
fn json_parse_of_a_parsed_value_says_to_use_it() {
    for (value, given) in [("r", "an object"), ("r.projects", "an array")] {
        let program = format!("const r = await demo.list_projects();\nreturn JSON.parse({value});");
        let (message, line, _) = run_error(&program);
        assert_eq!(
            message,
            format!(
                "SyntaxError: JSON.parse was given {given}: the value is already parsed JSON; use it directly"
            )
        );
        assert_eq!(line, 2);
    }
    let (report, ok) = run_program(
        "return [JSON.parse('{\"a\":[1]}', (k, v) => v), JSON.parse.name];",
        &[],
    );
    assert!(ok, "{report}");
    assert_eq!(report["result"], json!([{"a": [1]}, "parse"]));
}

#[test]
fn a_program_that_made_calls_and_returned_nothing_gets_a_note() {
    let (report, ok) = run_program(
        "const r = await demo.list_projects();\nr.projects.length;",
        &[],
    );
    assert!(ok, "{report}");
    assert_eq!(report["result"], Value::Null);
    assert_eq!(
        report["note"],
        "the program returned undefined: `return` the value you want back"
    );
    // Returning null on purpose, or calling nothing, is no mistake to note.
    for program in ["await demo.list_projects();\nreturn null;", "const a = 1;"] {
        let (report, ok) = run_program(program, &[]);
        assert!(ok && report.get("note").is_none(), "{report}");
    }
    // `serve` says it in the text the model reads.
    let mut serve = RawStdio::start(&[]);
    let response = serve.request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code": "await demo.list_projects();"}}),
    );
    let text = response["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.ends_with(
            "\n\nnote: the program returned undefined: `return` the value you want back"
        ),
        "{text}"
    );
}

/// The error of an `execute` through `serve`: `(kind, message, line, column)`.
fn execute_error(serve: &mut RawStdio, code: &str) -> (String, String, Value, Value) {
    let report = serve.execute(code);
    assert_eq!(report["ok"], false, "{report}");
    let error = &report["error"];
    let message = error["message"].as_str().unwrap().to_owned();
    // A client cannot run codemode: no error tells the model to.
    assert!(!message.contains("`codemode "), "{message}");
    (
        error["kind"].as_str().unwrap().to_owned(),
        message,
        error["line"].clone(),
        error["column"].clone(),
    )
}

#[test]
fn names_misspelled_or_without_their_prefix_get_what_was_meant() {
    let mut serve = RawStdio::start(&[
        "--tools-file",
        fixture("catalogs/memory.json").to_str().unwrap(),
        "--tools-file",
        fixture("catalogs/git.json").to_str().unwrap(),
    ]);
    let (kind, message, line, column) = execute_error(
        &mut serve,
        "const x = 1;\nconst g = await memroy.read_graph({});",
    );
    assert_eq!(kind, "runtime");
    assert_eq!(
        message,
        "ReferenceError: memroy is not defined; did you mean memory? The namespaces are memory, git"
    );
    assert_eq!((line, column), (json!(2), json!(17)));
    let (_, message, ..) = execute_error(&mut serve, "return await mem.read_graph({});");
    assert_eq!(
        message,
        "ReferenceError: mem is not defined; it is not a namespace: the namespaces are memory, git"
    );
    // A tool called without its namespace, or with it glued on.
    let (_, message, ..) = execute_error(&mut serve, "return await git_log({ repo_path: '.' });");
    assert_eq!(
        message,
        "ReferenceError: git_log is not defined; did you mean git.git_log?"
    );
    let (_, message, ..) = execute_error(&mut serve, "return await memory_read_graph({});");
    assert_eq!(
        message,
        "ReferenceError: memory_read_graph is not defined; did you mean memory.read_graph?"
    );
    // Named without the server's prefix, found before anything runs.
    let (kind, message, line, column) = execute_error(
        &mut serve,
        "const a = 1;\nreturn await git.log({ repo_path: '.' });",
    );
    assert_eq!(kind, "unknown_function");
    assert_eq!(
        message,
        "git.log is not a function of the git API; did you mean git.git_log?"
    );
    assert_eq!((line, column), (json!(2), json!(18)));
    // Nothing close: the namespace's functions, not a command to run.
    let (_, message, ..) = execute_error(&mut serve, "return await memory.frobnicate({});");
    assert!(
        message.starts_with(
            "memory.frobnicate is not a function of the memory API; its functions are "
        ),
        "{message}"
    );
    serve.still_serves_tools();
}

#[test]
fn globals_the_sandbox_lacks_say_to_use_a_tool() {
    let mut serve = RawStdio::start(&[]);
    for (code, column) in [
        ("const r = await fetch('https://example.com');", 17),
        ("const fs = require('fs');", 12),
        ("const key = process.env.API_KEY;", 13),
        ("const ws = new WebSocket('wss://x');", 16),
        ("const x = new XMLHttpRequest();", 15),
    ] {
        let (kind, message, line, at) = execute_error(&mut serve, &format!("const a = 1;\n{code}"));
        assert_eq!(kind, "runtime");
        assert!(
            message.contains("is not defined: the sandbox has no network, files, modules or process; reach the outside world through the tools of the namespaces (demo)"),
            "{code}: {message}"
        );
        assert_eq!((line, at), (json!(2), json!(column)), "{code}");
    }
    let (_, message, ..) = execute_error(&mut serve, "const fs = await import('fs');");
    assert!(
        message.starts_with("ReferenceError: could not load module \"fs\": programs cannot import modules; the sandbox has no network"),
        "{message}"
    );
    let (kind, message, line, _) = execute_error(&mut serve, "import fs from 'fs';");
    assert_eq!((kind.as_str(), line), ("syntax", json!(1)));
    assert!(
        message.starts_with("a program cannot import modules"),
        "{message}"
    );
    let (_, message, ..) = execute_error(&mut serve, "return await globalThis.fetch('x');");
    assert!(message.contains("the sandbox has no network"), "{message}");
    serve.still_serves();
}

#[test]
fn every_invalid_argument_is_named_at_once() {
    let mut serve = RawStdio::start(&[]);
    let report = serve.execute(
        "try { await demo.create_issue({ project: 1, title: 'x', priority: 'highest', labels: 'bug' } as any); }\n\
         catch (e) { return e.message; }",
    );
    let message = report["result"].as_str().unwrap();
    for problem in [
        "args.project: 1 is not of type \"string\"",
        "args.title: \"x\" is shorter than 3 characters",
        "args.priority: \"highest\" is not one of \"low\", \"medium\", \"high\" or \"urgent\"",
        "args.labels: \"bug\" is not of type \"array\"",
    ] {
        assert!(message.contains(problem), "{problem} in {message}");
    }
    assert!(!message.contains("more problem"), "{message}");
}

impl RawStdio {
    /// Another execution still runs, with the catalogs loaded as files.
    fn still_serves_tools(&mut self) {
        let report = self.execute("return typeof memory.read_graph;");
        assert_eq!(report["result"], "function", "{report}");
    }
}
