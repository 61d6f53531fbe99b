//! No server or tool name, and nothing a program does to the engine's
//! globals, breaks the bindings or makes an execution fail as `internal`.

use super::*;

/// Server names that are members of `Object.prototype` (which the global
/// object inherits), globals, reserved words, or that differ only by case
/// or by characters the identifier mapping drops; each runs the demo.
const SERVERS: &[&str] = &[
    "toString",
    "constructor",
    "__proto__",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
    "eval",
    "arguments",
    "globalThis",
    "console",
    "Promise",
    "JSON",
    "Demo",
    "demo",
    "a-b",
    "a_b",
];

/// Tool names of the same kinds, all on the server `named`.
const TOOLS: &[&str] = &[
    "__proto__",
    "constructor",
    "hasOwnProperty",
    "toString",
    "valueOf",
    "toJSON",
    "then",
    "Echo",
    "echo",
    "a_b",
    "a-b",
    "a.b",
    "eval",
    "arguments",
];

fn named_config(dir: &Path) -> PathBuf {
    let mut servers = serde_json::Map::new();
    for name in SERVERS {
        servers.insert(
            (*name).to_owned(),
            json!({"command": codemode_path(), "args": ["demo-server"]}),
        );
    }
    servers.insert(
        "named".into(),
        json!({"command": "python3", "args": [repo().join("tests/python/named_server.py")],
               "env": {"NAMED_TOOLS": serde_json::to_string(TOOLS).unwrap()}}),
    );
    let config = dir.join("mcp.json");
    std::fs::write(&config, json!({ "mcpServers": servers }).to_string()).unwrap();
    config
}

#[test]
fn servers_and_tools_named_like_the_engines_own_members_work() {
    let dir = tempfile::tempdir().unwrap();
    let config = named_config(dir.path());
    let mut serve = RawStdio::start(&["--config", config.to_str().unwrap()]);
    // A server named `toString` used to fail every execution as `internal`.
    serve.still_serves();
    // Each server has a namespace of its own, renamed where its name is the
    // engine's, and the globals are what they were.
    let report = serve.execute(
        "const spaces: Record<string, any> = { toString_, constructor_, __proto___, valueOf_, hasOwnProperty_,\n\
           isPrototypeOf_, eval_, arguments_, globalThis_, console_, Promise_, JSON_, Demo, demo, a_b, a_b_2 };\n\
         const counts: Record<string, number> = {};\n\
         for (const [name, ns] of Object.entries(spaces)) counts[name] = (await ns.list_projects()).projects.length;\n\
         return { spaces: Object.keys(counts).length, counts: [...new Set(Object.values(counts))],\n\
           globals: [typeof toString, typeof eval, globalThis.constructor === Object, typeof JSON.parse,\n\
             typeof Promise.all, typeof console.log, typeof hasOwnProperty, Object.getPrototypeOf({}) === Object.prototype] };",
    );
    assert_eq!(
        report["result"],
        json!({"spaces": SERVERS.len(), "counts": [3],
               "globals": ["function", "function", true, "function", "function", "function", "function", true]}),
        "{report}"
    );
    // Each tool is called by its identifier, or by its own name where that
    // is not a member the engine looks up by itself.
    let report = serve.execute(
        "const calls = [named.__proto__(), named.constructor(), named.hasOwnProperty(), named.toString_(),\n\
           named.valueOf_(), named.toJSON_(), named.then_(), named.Echo(), named.echo(), named.a_b(),\n\
           named.a_b_2(), named['a-b'](), named.a_b_3(), named['a.b'](), named.eval_(), named.arguments_()];\n\
         const tools = [];\n\
         for (const call of calls) tools.push((await call).tool);\n\
         console.log(named);\n\
         return { tools, implicit: [typeof named.then, typeof named.toJSON, typeof named.toString, typeof named.valueOf],\n\
           awaited: (await named) === named };",
    );
    assert_eq!(
        report["result"],
        json!({
            "tools": ["__proto__", "constructor", "hasOwnProperty", "toString", "valueOf", "toJSON", "then",
                "Echo", "echo", "a_b", "a-b", "a-b", "a.b", "a.b", "eval", "arguments"],
            "implicit": ["undefined", "undefined", "undefined", "undefined"],
            "awaited": true,
        }),
        "{report}"
    );
    assert_eq!(report["logs"][0]["message"], "{}", "{report}");
    assert_eq!(
        report["calls"].as_array().unwrap().len(),
        16,
        "logging or awaiting the namespace called nothing: {report}"
    );
    serve.still_serves();
}

/// A program that replaces, deletes or poisons what the bindings use.
const SABOTAGE: &[&str] = &[
    "JSON.parse = JSON.stringify = () => { throw new Error('replaced'); };",
    "delete (globalThis as any).JSON;",
    "(globalThis as any).JSON = { parse: () => ({ status: 'ok', value: 'forged' }), stringify: () => 'garbage' };",
    "for (const k of ['Object', 'Reflect', 'Proxy', 'Promise', 'Error', 'TypeError', 'Symbol', 'String']) (globalThis as any)[k] = undefined;",
    "for (const k of ['map', 'push', 'join']) (Array.prototype as any)[k] = () => { throw new Error(k); };\n\
     (Array.prototype as any)[Symbol.iterator] = function* () { throw new Error('iterator'); };",
    "(Promise.prototype as any).then = () => { throw new Error('then'); };",
    "Function.prototype.call = Function.prototype.apply = () => { throw new Error('call'); };",
    "for (const k of ['id', 'name', 'arguments', 'then', 'stack', 'message', 'status', 'value', 'get', 'set'])\n\
       Object.defineProperty(Object.prototype, k, { __proto__: null, set() { throw new Error('set ' + k); }, configurable: true } as any);",
    "Object.defineProperty(Error.prototype, 'stack', { get() { throw 1; }, set() { throw 2; } });\n\
     (Error as any).prepareStackTrace = () => { throw 3; };",
    "for (const o of [Object.prototype, Array.prototype, Function.prototype, Error.prototype, Promise.prototype, globalThis]) Object.freeze(o);",
];

#[test]
fn a_program_that_replaces_the_built_ins_fails_as_itself_and_the_next_runs() {
    let mut serve = RawStdio::start(&[]);
    for sabotage in SABOTAGE {
        let report = serve.execute(&format!(
            "{sabotage}\n\
             const found = await demo.list_projects();\n\
             console.log('projects', found.projects.length);\n\
             try {{ await (demo as any).no_such_tool(); }} catch (e) {{ console.log(e.message.slice(0, 30)); }}\n\
             throw new RangeError('mine');"
        ));
        let (kind, message) = failure(&report);
        assert_eq!(kind, "runtime", "{sabotage}: {report}");
        assert_eq!(message, "RangeError: mine", "{sabotage}: {report}");
        // A program that breaks stack traces gets no line for its error.
        if !sabotage.contains("prepareStackTrace") {
            let line = sabotage.lines().count() + 4;
            assert_eq!(report["error"]["line"], line, "{sabotage}: {report}");
        }
        let logs: Vec<&str> = report["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["message"].as_str().unwrap())
            .collect();
        assert_eq!(
            logs,
            ["projects 3", "demo.no_such_tool is not a fun"],
            "{sabotage}: {report}"
        );
        serve.still_serves();
    }
}

#[test]
fn results_and_errors_that_run_code_when_read_make_no_call() {
    let mut serve = RawStdio::start(&[]);
    let cases = [
        (
            "return new Proxy({}, { ownKeys() { demo.list_projects(); throw new Error('trap'); } });",
            Some(("result", "Error: trap")),
        ),
        (
            "Object.prototype.toJSON = function () { demo.list_projects(); throw new Error('toJSON'); };\nreturn {};",
            Some(("result", "Error: toJSON")),
        ),
        (
            "return { get x() { demo.list_projects(); return 1; } };",
            None,
        ),
        (
            "throw new Proxy({}, { get() { demo.list_projects(); throw 1; }, ownKeys() { throw 1; } });",
            Some(("runtime", "uncaught non-Error value: [object]")),
        ),
        (
            "const e = new Error('x');\n\
             Object.defineProperty(e, 'message', { get() { demo.list_projects(); return 'm'; } });\n\
             (e as any).toString = () => { demo.list_projects(); return 't'; };\n\
             throw e;",
            Some(("runtime", "Error: ")),
        ),
        (
            "throw { [Symbol.toPrimitive]() { demo.list_projects(); return 'p'; }, toJSON() { demo.list_projects(); return 'j'; } };",
            Some(("runtime", "uncaught non-Error value: \"j\"")),
        ),
    ];
    for (program, failed) in cases {
        let report = serve.execute(program);
        match failed {
            Some((kind, message)) => {
                let (got_kind, got) = failure(&report);
                assert_eq!(got_kind, kind, "{program}: {report}");
                assert!(got.contains(message), "{program}: {report}");
            }
            None => assert_eq!(report["result"], json!({"x": 1}), "{program}: {report}"),
        }
        assert_eq!(
            report["calls"],
            json!([]),
            "{program}: no call is made once the program has ended"
        );
        serve.still_serves();
    }
}

#[test]
fn lines_logged_after_the_last_await_are_kept() {
    // They used to be dropped with the events of the program's last step.
    let (report, ok) = run_program("console.log('first', 1);\nreturn 2;", &[]);
    assert!(ok, "{report}");
    assert_eq!(
        report["logs"],
        json!([{"level": "info", "message": "first 1"}])
    );
}

#[test]
fn a_program_that_closes_the_function_it_runs_in_is_a_syntax_error() {
    let mut serve = RawStdio::start(&[]);
    // Its value was the last expression's, not a promise: "the sandbox broke", as `internal`.
    for program in [
        "})(); (() => {",
        "return 1; })(), (() => {",
        "})(); 5; (async () => {",
    ] {
        let report = serve.execute(program);
        let (kind, message) = failure(&report);
        assert_eq!(kind, "syntax", "{program}: {report}");
        assert!(
            message.contains("closes the function the program runs in"),
            "{program}: {report}"
        );
        serve.still_serves();
    }
}
