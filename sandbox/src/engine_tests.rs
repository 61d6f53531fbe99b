//! Tests of an engine's `run`, shared by `engine` (native QuickJS) and
//! `isolate` (QuickJS in WebAssembly): both must behave the same.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::run;
use crate::host::program_position;
use crate::{
    Binding, Bindings, ErrorKind, Event, Finished, Job, Level, Limits, Reply, ScriptError,
};

use serde_json::{Value, json};

/// Runs `js` (already JavaScript) with a host that answers calls with `answer`.
fn run_js(
    js: &str,
    limits: Limits,
    answer: fn(&str, &Value) -> Reply,
) -> (Result<Finished, ScriptError>, Vec<(Level, String)>, u32) {
    let bindings = vec![Binding {
        ident: "demo".into(),
        server: "demo".into(),
        functions: vec![
            ("get_sum".into(), "get-sum".into()),
            ("echo".into(), "echo".into()),
            ("then_".into(), "then".into()),
        ],
    }];
    run_with(bindings, js, limits, answer)
}

/// [`run_js`] with the namespaces `bindings`.
fn run_with(
    bindings: Vec<Binding>,
    js: &str,
    limits: Limits,
    answer: fn(&str, &Value) -> Reply,
) -> (Result<Finished, ScriptError>, Vec<(Level, String)>, u32) {
    let job = Job {
        js: js.to_owned(),
        throws_null: js.contains("throw null"),
        bindings: Bindings::new(bindings),
        limits,
    };
    // QuickJS needs more stack than a test thread's default.
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (tx, mut rx) = mpsc::unbounded_channel();
                let server = tokio::spawn(async move {
                    let (mut logs, mut calls) = (Vec::new(), 0);
                    while let Some(event) = rx.recv().await {
                        match event {
                            Event::Call(call) => {
                                calls += 1;
                                let _ = call
                                    .reply
                                    .send((answer(&call.tool, &call.args), Default::default()));
                            }
                            Event::Log { level, message } => logs.push((level, message)),
                        }
                    }
                    (logs, calls)
                });
                let outcome = run(job, tx).await;
                let (logs, calls) = server.await.unwrap();
                (outcome, logs, calls)
            })
        })
        .unwrap()
        .join()
        .unwrap()
}

fn sum(tool: &str, args: &Value) -> Reply {
    match tool {
        "get-sum" => Reply::Ok {
            value: json!(args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0)),
        },
        "echo" => Reply::Ok {
            value: args.clone(),
        },
        other => Reply::TypeError {
            message: format!("no tool {other}"),
        },
    }
}

fn program(body: &str) -> String {
    format!("(async () => {{\n{body}\n}})()")
}

fn ok_json(js: &str) -> Value {
    let (outcome, _, _) = run_js(&program(js), Limits::default(), sum);
    serde_json::from_str(&outcome.unwrap_or_else(|e| panic!("{e:?}")).json).unwrap()
}

fn error(js: &str, limits: Limits) -> ScriptError {
    run_js(&program(js), limits, sum)
        .0
        .expect_err("the program should fail")
}

#[test]
fn returns_the_value_as_json() {
    assert_eq!(
        ok_json("return {a: [1, 'x', null]};"),
        json!({"a": [1, "x", null]})
    );
    assert_eq!(ok_json("return undefined;"), Value::Null);
}

#[test]
fn bindings_call_the_host_by_identifier_and_by_original_name() {
    let value = ok_json(
        "const a = await demo.get_sum({a: 1, b: 2});\n\
         const b = await demo['get-sum']({a: 3, b: 4});\n\
         const all = await Promise.all([1, 2, 3].map(n => demo.echo({n})));\n\
         return [a, b, all.map(x => x.n)];",
    );
    assert_eq!(value, json!([3, 7, [1, 2, 3]]));
}

#[test]
fn host_errors_are_thrown_with_their_type() {
    let value = ok_json(
        "try { await demo.missing({}); } catch (e) { return [e instanceof TypeError, e.message]; }",
    );
    assert_eq!(value, json!([true, "no tool missing"]));
}

#[test]
fn console_output_is_captured_with_levels() {
    let (outcome, logs, _) = run_js(
        &program(
            "console.log('a', 1, {b: 2}); console.warn(new Error('w')); console.error('e'); console.debug('d'); return 1;",
        ),
        Limits::default(),
        sum,
    );
    outcome.unwrap();
    assert_eq!(
        logs,
        vec![
            (Level::Info, "a 1 {\"b\":2}".to_owned()),
            (Level::Warn, "Error: w".to_owned()),
            (Level::Error, "e".to_owned()),
            (Level::Debug, "d".to_owned()),
        ]
    );
}

#[test]
fn uncaught_errors_carry_the_line() {
    let err = error(
        "const x = 1;\nthrow new RangeError('bad ' + x);",
        Limits::default(),
    );
    assert_eq!(err.kind, ErrorKind::Runtime);
    assert_eq!(err.message, "RangeError: bad 1");
    assert_eq!(err.js_line, Some(3), "line 1 is the wrapper");
}

#[test]
fn errors_from_calls_point_at_the_calling_line() {
    let err = error("const a = 1;\n\nawait demo.missing({});", Limits::default());
    assert_eq!(err.message, "TypeError: no tool missing");
    assert_eq!(err.js_line, Some(4));
}

#[test]
fn thrown_non_errors_are_reported() {
    let err = error("throw {code: 7};", Limits::default());
    assert_eq!(err.message, "uncaught non-Error value: {\"code\":7}");
    let err = error("throw 'plain';", Limits::default());
    assert_eq!(err.message, "uncaught non-Error value: \"plain\"");
}

/// A host that answers only after the deadline (here: blocking its thread,
/// as a slow did-you-mean over thousands of names once did) does not let
/// the program run again and finish: the deadline comes first.
#[test]
fn answers_that_come_after_the_deadline_do_not_revive_the_program() {
    // A second to make the call, which a loaded machine needs (100 ms was
    // not always enough for the program to start).
    let limits = Limits {
        timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let (outcome, _, calls) = run_js(
        &program("await demo.echo({});\nreturn 1;"),
        limits,
        |_, _| {
            // The host's own work, past the program's deadline: the
            // deadline was set before the call came.
            std::thread::sleep(Duration::from_millis(1200));
            Reply::Ok { value: json!(null) }
        },
    );
    assert_eq!(calls, 1, "{outcome:?}");
    let err = outcome.expect_err("the program finished after its deadline");
    assert_eq!(err.kind, ErrorKind::Timeout, "{err:?}");
}

#[test]
fn infinite_loops_stop_at_the_deadline() {
    let limits = Limits {
        timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let started = Instant::now();
    let err = error("while (true) {}", limits);
    assert_eq!(err.kind, ErrorKind::Timeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = error(
        "try { while (true) {} } catch (e) { return 'caught'; }",
        limits,
    );
    assert_eq!(
        err.kind,
        ErrorKind::Timeout,
        "the interrupt cannot be caught: {err:?}"
    );
}

#[test]
fn never_settling_promises_time_out() {
    let limits = Limits {
        timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let err = error("await new Promise(() => {});", limits);
    assert_eq!(err.kind, ErrorKind::Timeout);
}

#[test]
fn memory_and_stack_limits() {
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let err = error(
        "const a = []; while (true) a.push('x'.repeat(1000) + a.length);",
        limits,
    );
    assert_eq!(err.kind, ErrorKind::Memory, "{err:?}");
    // The runtime stays usable after running out: the error is reported, not a crash.
    let err = error(
        "const a = []; for (;;) a.push(new Array(10000).fill(a.length));",
        limits,
    );
    assert_eq!(err.kind, ErrorKind::Memory, "{err:?}");
    let err = error(
        "const f = (n) => f(n + 1) + 1; return f(0);",
        Limits::default(),
    );
    assert_eq!(err.kind, ErrorKind::Stack, "{err:?}");
}

#[test]
fn call_limit_is_enforced() {
    let limits = Limits {
        max_calls: 3,
        ..Limits::default()
    };
    let (outcome, _, calls) = run_js(
        &program("for (let i = 0; i < 5; i++) await demo.echo({i});"),
        limits,
        sum,
    );
    let err = outcome.unwrap_err();
    assert!(
        err.message
            .contains("tool-call limit reached: at most 3 calls"),
        "{err:?}"
    );
    assert_eq!(calls, 3);
}

#[test]
fn calls_after_return_are_not_made() {
    let (outcome, _, calls) = run_js(
        &program(
            "Promise.resolve().then(async () => { await null; await null; demo.echo({late: true}); }); return 'done';",
        ),
        Limits::default(),
        sum,
    );
    assert_eq!(outcome.unwrap().json, "\"done\"");
    assert_eq!(calls, 0);
}

#[test]
fn results_and_logs_are_cut_at_the_output_limit() {
    let limits = Limits {
        max_output_bytes: 1000,
        ..Limits::default()
    };
    let (outcome, logs, _) = run_js(
        &program("console.log('y'.repeat(5000)); return 'x'.repeat(5000);"),
        limits,
        sum,
    );
    let finished = outcome.unwrap();
    assert_eq!(finished.json.len(), 1000);
    assert_eq!(finished.truncated_from, Some(5002));
    assert!(
        logs[0]
            .1
            .ends_with("[codemode: logs cut at the 1000-byte output limit]"),
        "{logs:?}"
    );
}

#[test]
fn unserializable_results_are_reported() {
    let err = error("const a = {}; a.self = a; return a;", Limits::default());
    assert_eq!(err.kind, ErrorKind::Result, "{err:?}");
    let err = error("return 10n;", Limits::default());
    assert_eq!(err.kind, ErrorKind::Result, "{err:?}");
}

#[test]
fn the_sandbox_has_no_host_access() {
    let value = ok_json(
        "return [typeof require, typeof process, typeof fetch, typeof Deno, typeof alarm, \
         typeof __codemode_call, typeof globalThis.call, typeof XMLHttpRequest, typeof std, typeof os];",
    );
    assert!(
        value.as_array().unwrap().iter().all(|t| t == "undefined"),
        "{value}"
    );
    let err = error("await import('fs');", Limits::default());
    assert_eq!(err.kind, ErrorKind::Runtime, "{err:?}");
}

#[test]
fn bindings_cannot_be_replaced() {
    let value = ok_json(
        "try { demo = 1; } catch (e) { }\n\
         try { demo.echo = () => 'hijacked'; } catch (e) { }\n\
         return await demo.echo({ok: true});",
    );
    assert_eq!(value, json!({"ok": true}));
}

#[test]
fn namespaces_list_their_functions_and_stay_as_they_are() {
    let value = ok_json(
        "'use strict';\n\
         const replaced = [];\n\
         for (const attempt of [\n\
           () => Object.defineProperty(globalThis, 'demo', { value: {} }),\n\
           () => delete globalThis.demo,\n\
           () => Object.defineProperty(demo, 'echo', { value: 1 }),\n\
           () => delete demo.echo,\n\
           () => Object.setPrototypeOf(demo, {}),\n\
         ]) { try { attempt(); replaced.push(true); } catch { replaced.push(false); } }\n\
         return {\n\
           keys: Object.keys(demo).sort(),\n\
           has: ['echo' in demo, 'get-sum' in demo, 'then' in demo, 'nope' in demo],\n\
           same: demo.get_sum === demo['get-sum'] && demo.echo === demo.echo,\n\
           name: demo['get-sum'].name,\n\
           replaced,\n\
           json: JSON.stringify(demo),\n\
           still: await demo.echo({ ok: 1 }),\n\
         };",
    );
    assert_eq!(
        value,
        json!({
            "keys": ["echo", "get-sum", "get_sum", "then_"],
            "has": [true, true, false, false],
            "same": true,
            "name": "demo.get_sum",
            "replaced": [false, false, false, false, false],
            "json": "{}",
            "still": {"ok": 1},
        })
    );
}

#[test]
fn errors_from_calls_in_functions_point_at_the_calling_line() {
    let err = error(
        "async function fetchIt() {\n  return await demo.missing({});\n}\nconst x = 1;\nawait fetchIt();",
        Limits::default(),
    );
    assert_eq!(err.message, "TypeError: no tool missing");
    assert_eq!(err.js_line, Some(3));
}

#[test]
fn stack_lines_are_found() {
    assert_eq!(
        program_position("    at f (program.js:12:5)\n    at <anonymous> (program.js:20)"),
        Some((12, Some(5)))
    );
    assert_eq!(program_position("    at <eval> (codemode:prelude:3)"), None);
    assert_eq!(
        program_position("    at <anonymous> (program.js:20)"),
        Some((20, None))
    );
}

#[test]
fn arguments_json_cannot_carry_are_refused_and_never_sent() {
    let (outcome, _, calls) = run_js(
        &program(
            "try { await demo.echo({ filter: { title: 'a\\ud800b' } }); } catch (e) { return [e.name, e.message]; }",
        ),
        Limits::default(),
        sum,
    );
    let value: Value = serde_json::from_str(&outcome.unwrap().json).unwrap();
    assert_eq!(
        value,
        json!([
            "TypeError",
            "demo.echo: invalid arguments: args.filter.title: the string has an unpaired surrogate, which JSON cannot carry; the call was not made"
        ])
    );
    assert_eq!(calls, 0, "the tool never ran");
    let (outcome, _, calls) = run_js(
        &program(
            "let a = { leaf: 1 }; for (let i = 0; i < 150; i++) a = { a };\n\
             try { await demo.echo(a); } catch (e) { return e.message; }",
        ),
        Limits::default(),
        sum,
    );
    let message = outcome.unwrap().json;
    assert!(
        message.starts_with("\"demo.echo: invalid arguments: args.a.a.a."),
        "{message}"
    );
    assert!(
        message.contains(": nested more than 100 levels deep; the call was not made"),
        "{message}"
    );
    assert_eq!(calls, 0);
    // A key is checked as well as a value.
    let err = error("await demo.echo({ ['k\\udc00']: 1 });", Limits::default());
    assert!(
        err.message.contains("the key has an unpaired surrogate"),
        "{err:?}"
    );
}

#[test]
fn arguments_in_flight_are_bounded() {
    // 16 MiB of memory: 4 MiB of arguments may wait for answers at once.
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let (outcome, _, calls) = run_js(
        &program(
            "const s = 'x'.repeat(1500000);\n\
             const calls = [demo.echo({ s }), demo.echo({ s }), demo.echo({ s })];\n\
             const settled = await Promise.allSettled(calls);\n\
             return settled.map((r) => r.status === 'fulfilled' ? 'ok' : r.reason.message);",
        ),
        limits,
        sum,
    );
    let value: Value = serde_json::from_str(&outcome.unwrap().json).unwrap();
    assert_eq!(value[0], "ok");
    assert_eq!(value[1], "ok");
    assert_eq!(
        value[2],
        "the arguments of the calls in flight would take 4.3 MiB, more than the 4.0 MiB allowed (a quarter of the memory limit); await some calls before starting more"
    );
    assert_eq!(calls, 2);
    // Awaited one after another, the same calls all go through.
    let (outcome, _, calls) = run_js(
        &program(
            "const s = 'x'.repeat(1500000);\nfor (let i = 0; i < 3; i++) await demo.echo({ s });\nreturn 1;",
        ),
        limits,
        sum,
    );
    assert!(outcome.is_ok());
    assert_eq!(calls, 3);
}

#[test]
fn a_tool_named_then_does_not_make_the_namespace_a_promise() {
    let value = ok_json(
        "const ns = await demo;\nreturn [ns === demo, typeof demo.then, typeof demo.then_];",
    );
    assert_eq!(value, json!([true, "undefined", "function"]));
}

#[test]
fn running_out_of_memory_is_reported_as_memory() {
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    for js in [
        "const parts = []; for (;;) parts.push(String(Math.random()));",
        "let o = {}; for (let i = 0; i < 1e6; i++) o = { o }; return JSON.stringify(o).length;",
        "const s = 'ab'.repeat(5e6); return s.split('').join(',').length;",
    ] {
        let err = error(js, limits);
        assert_eq!(err.kind, ErrorKind::Memory, "{js}: {err:?}");
    }
    // A program that throws `null` itself is told so.
    let err = error("throw null;", limits);
    assert_eq!(err.message, "uncaught non-Error value: null");
}

/// Ways a program can replace, delete or poison what the bindings use.
const SABOTAGE: &[&str] = &[
    "JSON.parse = JSON.stringify = () => { throw new Error('replaced'); };",
    "delete globalThis.JSON;",
    "globalThis.JSON = { parse: () => ({ status: 'ok', value: 'forged' }), stringify: () => 'garbage' };",
    "globalThis.Object = globalThis.Reflect = globalThis.Proxy = globalThis.Map = undefined;",
    "for (const k of Object.getOwnPropertyNames(Object)) try { Object[k] = () => { throw new Error(k); }; } catch {}",
    "for (const k of ['map', 'push', 'join', 'slice', 'forEach']) Array.prototype[k] = () => { throw new Error(k); };\n\
     Array.prototype[Symbol.iterator] = function* () { throw new Error('iterator'); };",
    "globalThis.Promise = undefined;\n\
     Object.getPrototypeOf((async () => {})()).then = () => { throw new Error('then'); };",
    "Function.prototype.call = Function.prototype.apply = Function.prototype.bind = () => { throw new Error('call'); };",
    "globalThis.Symbol = undefined;\n\
     for (const k of Object.getOwnPropertyNames(String.prototype)) if (k !== 'length') String.prototype[k] = () => { throw new Error(k); };",
    "globalThis.Error = globalThis.TypeError = 1;",
    "Object.defineProperty(Error.prototype, 'stack', { get() { throw 1; }, set() { throw 2; } });\n\
     Error.prepareStackTrace = () => { throw 3; };\n\
     Error.isError = () => false;",
    "for (const k of ['get', 'set', 'value', 'writable', 'enumerable', 'configurable', 'has', 'ownKeys', 'getPrototypeOf', 'apply']) \
     Object.defineProperty(Object.prototype, k, { __proto__: null, get() { throw new Error(k); }, configurable: true });",
    "for (const k of ['id', 'name', 'arguments', 'stack', 'status', 'message', 'value', '__proto__', '0', '1']) \
     Object.defineProperty(Object.prototype, k, { __proto__: null, set() { throw new Error('set ' + k); }, configurable: true });",
    "Object.defineProperty(Object.getPrototypeOf((async () => {})()), 'constructor', { get() { throw new Error('constructor'); } });\n\
     Object.defineProperty(Promise, Symbol.species, { get() { throw new Error('species'); } });",
    "for (const o of [Object.prototype, Array.prototype, Function.prototype, Error.prototype, TypeError.prototype, \
     Object.getPrototypeOf((async () => {})()), String.prototype, globalThis]) Object.freeze(o);",
];

#[test]
fn replaced_built_ins_leave_the_bindings_working() {
    for sabotage in SABOTAGE {
        let (outcome, logs, calls) = run_js(
            &program(&format!(
                "{sabotage}\n\
                 const echoed = await demo.echo({{ n: 1 }});\n\
                 console.log('echoed', echoed, 2);\n\
                 let caught;\n\
                 try {{ await demo.missing({{}}); }} catch (e) {{ caught = e.message; }}\n\
                 return [echoed.n, caught];"
            )),
            Limits::default(),
            sum,
        );
        let finished = outcome.unwrap_or_else(|e| panic!("{sabotage}: {e:?}"));
        assert_eq!(finished.json, r#"[1,"no tool missing"]"#, "{sabotage}");
        assert_eq!(
            logs,
            [(Level::Info, r#"echoed {"n":1} 2"#.to_owned())],
            "{sabotage}"
        );
        assert_eq!(calls, 2, "{sabotage}");
        // What the program throws is still reported as its own error.
        let err = error(
            &format!("{sabotage}\nawait demo.echo({{}});\nnotDefinedAnywhere();"),
            Limits::default(),
        );
        assert_eq!(err.kind, ErrorKind::Runtime, "{sabotage}: {err:?}");
        assert!(
            err.message.starts_with("ReferenceError: ")
                && err.message.contains("notDefinedAnywhere"),
            "{sabotage}: {err:?}"
        );
    }
}

/// A result's JSON, or a failure's kind and part of its message.
type Ending = Result<&'static str, (ErrorKind, &'static str)>;

#[test]
fn code_that_runs_while_the_result_or_error_is_read_makes_no_call() {
    // (program, what it ends in: a result, or a kind and part of the message)
    let cases: &[(&str, Ending)] = &[
        (
            "return { get x() { demo.echo({}); return 1; } };",
            Ok(r#"{"x":1}"#),
        ),
        (
            "return { toJSON() { demo.echo({}); return 'j'; } };",
            Ok(r#""j""#),
        ),
        (
            "Object.prototype.toJSON = function () { throw new Error('no json'); }; return {};",
            Err((ErrorKind::Result, "Error: no json")),
        ),
        (
            "return new Proxy({}, { ownKeys() { demo.echo({}); throw new Error('trap'); } });",
            Err((ErrorKind::Result, "Error: trap")),
        ),
        (
            // Resolving the program's promise with it looks up its `then`.
            "const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy;",
            Err((ErrorKind::Runtime, "TypeError: revoked proxy")),
        ),
        (
            "throw { toJSON() { demo.echo({}); return 'j'; } };",
            Err((ErrorKind::Runtime, r#"uncaught non-Error value: "j""#)),
        ),
        (
            "throw new Proxy({}, { get() { throw 1; }, ownKeys() { throw 1; }, getPrototypeOf() { throw 1; }, getOwnPropertyDescriptor() { throw 1; } });",
            Err((ErrorKind::Runtime, "uncaught non-Error value: [object]")),
        ),
        (
            "throw { [Symbol.toPrimitive]() { demo.echo({}); return 'p'; }, toString() { demo.echo({}); return 't'; } };",
            Err((ErrorKind::Runtime, "uncaught non-Error value: {}")),
        ),
        (
            "const e = new RangeError('r');\n\
             Object.defineProperty(e, 'message', { get() { demo.echo({}); return 'm'; } });\n\
             Object.defineProperty(e, 'name', { get() { throw 1; } });\n\
             throw e;",
            Err((ErrorKind::Runtime, "Error: ")),
        ),
        (
            "const e = new Error('x');\n\
             Object.setPrototypeOf(e, new Proxy({}, { getOwnPropertyDescriptor() { throw 1; }, getPrototypeOf() { throw 1; } }));\n\
             throw e;",
            Err((ErrorKind::Runtime, "Error: x")),
        ),
        (
            "Error.prototype.toString = () => { throw 1; }; Error.prototype.name = 'Renamed'; throw new Error('x');",
            Err((ErrorKind::Runtime, "Renamed: x")),
        ),
        (
            "const e = new Error('x'); e.name = { toString() { demo.echo({}); return 'N'; } }; throw e;",
            Err((ErrorKind::Runtime, "[object]: x")),
        ),
        (
            "JSON.stringify = () => { throw 1; }; throw new Error('mine');",
            Err((ErrorKind::Runtime, "Error: mine")),
        ),
        (
            "JSON.stringify = () => 'garbage'; throw new Error('mine');",
            Err((ErrorKind::Runtime, "Error: mine")),
        ),
        (
            "delete globalThis.JSON; throw { a: 1 };",
            Err((ErrorKind::Runtime, r#"uncaught non-Error value: {"a":1}"#)),
        ),
    ];
    for (js, expected) in cases {
        let (outcome, _, calls) = run_js(&program(js), Limits::default(), sum);
        match (outcome, expected) {
            (Ok(finished), Ok(json)) => assert_eq!(finished.json, *json, "{js}"),
            (Err(err), Err((kind, message))) => {
                assert_eq!(err.kind, *kind, "{js}: {err:?}");
                assert!(err.message.contains(message), "{js}: {err:?}");
            }
            (outcome, _) => panic!("{js}: {outcome:?}"),
        }
        assert_eq!(calls, 0, "{js}: no call is made once the program has ended");
    }
}

/// Answers every call with the tool's name.
fn tool_name(tool: &str, _: &Value) -> Reply {
    Reply::Ok { value: json!(tool) }
}

#[test]
fn any_server_or_tool_name_is_a_plain_namespace_or_function() {
    // Identifiers as typegen gives them to tools named after members of
    // `Object.prototype`; the namespaces' are given as they are, which the
    // prelude must cope with too (typegen renames them).
    let functions: Vec<(String, String)> = [
        ("__proto__", "__proto__"),
        ("constructor", "constructor"),
        ("hasOwnProperty", "hasOwnProperty"),
        ("isPrototypeOf", "isPrototypeOf"),
        ("toLocaleString", "toLocaleString"),
        ("toString_", "toString"),
        ("valueOf_", "valueOf"),
        ("toJSON_", "toJSON"),
        ("then_", "then"),
        ("Echo", "Echo"),
        ("echo", "echo"),
        ("a_b", "a_b"),
        ("a_b_2", "a-b"),
    ]
    .iter()
    .map(|(ident, tool)| (ident.to_string(), tool.to_string()))
    .collect();
    let spaces = ["toString", "__proto__", "hasOwnProperty", "valueOf"];
    let bindings = spaces
        .iter()
        .map(|name| Binding {
            ident: name.to_string(),
            server: name.to_string(),
            functions: functions.clone(),
        })
        .collect();
    let (outcome, _, calls) = run_with(
        bindings,
        &program(
            "const out = [];\n\
             for (const ns of [toString, __proto__, hasOwnProperty, valueOf]) out.push({\n\
               called: await Promise.all([ns.__proto__(), ns.constructor(), ns.hasOwnProperty(), ns.isPrototypeOf(),\n\
                 ns.toLocaleString(), ns.toString_(), ns.valueOf_(), ns.toJSON_(), ns.then_(),\n\
                 ns.Echo(), ns.echo(), ns.a_b(), ns.a_b_2(), ns['a-b']()]),\n\
               implicit: [typeof ns.then, typeof ns.toJSON, typeof ns.toString, typeof ns.valueOf],\n\
               keys: Object.keys(ns).sort(),\n\
               json: JSON.stringify(ns),\n\
               awaited: (await ns) === ns,\n\
               text: (() => { try { return String(ns); } catch (e) { return e.name; } })(),\n\
             });\n\
             return { out, plain: Object.prototype.hasOwnProperty.call({ a: 1 }, 'a') && {}.toString() === '[object Object]' };",
        ),
        Limits::default(),
        tool_name,
    );
    let value: Value = serde_json::from_str(&outcome.unwrap().json).unwrap();
    let one = json!({
        "called": ["__proto__", "constructor", "hasOwnProperty", "isPrototypeOf", "toLocaleString",
            "toString", "valueOf", "toJSON", "then", "Echo", "echo", "a_b", "a-b", "a-b"],
        "implicit": ["undefined", "undefined", "undefined", "undefined"],
        "keys": ["Echo", "__proto__", "a-b", "a_b", "a_b_2", "constructor", "echo", "hasOwnProperty",
            "isPrototypeOf", "then_", "toJSON_", "toLocaleString", "toString_", "valueOf_"],
        "json": "{}",
        "awaited": true,
        "text": "TypeError",
    });
    assert_eq!(value, json!({"out": [one, one, one, one], "plain": true}));
    assert_eq!(calls, 4 * 14);
}

#[test]
fn what_is_thrown_is_described_whatever_its_text() {
    // An unpaired surrogate made the description unreadable: `internal`.
    let err = error("throw new Error('a\\ud800b');", Limits::default());
    assert_eq!(err.kind, ErrorKind::Runtime, "{err:?}");
    assert_eq!(err.message, "Error: a\u{fffd}b");
    let err = error("throw Symbol('\\udc00');", Limits::default());
    assert_eq!(err.message, "uncaught non-Error value: Symbol(\u{fffd})");
    // Texts too large to describe whole were "a value that cannot be
    // shown"; they are cut, saying how long they were.
    let limits = Limits {
        memory_bytes: 64 << 20,
        ..Limits::default()
    };
    for (js, shown) in [
        ("throw new Error('x'.repeat(3e7));", "Error: xxxx"),
        ("throw 'x'.repeat(3e7);", "uncaught non-Error value: \"xxxx"),
        (
            "const e = new Error('m'); e.name = 'N'.repeat(3e7); throw e;",
            "NNNN",
        ),
    ] {
        let err = error(js, limits);
        assert_eq!(err.kind, ErrorKind::Runtime, "{js}: {err:?}");
        assert!(
            err.message.starts_with(shown)
                && err.message.contains("… [cut: 30000000 characters in all]"),
            "{js}: {}",
            &err.message[..200.min(err.message.len())]
        );
    }
}

/// How a sabotaged program may end.
const ENDINGS: &[&str] = &[
    "return await demo.echo({ n: 1 });",
    "return { get x() { return demo.echo({}); }, y: [1, 'z'] };",
    "throw new TypeError('mine');",
    "throw { toJSON() { return demo.echo({}); } };",
    "console.log('last', new Error('e'), { a: 1 }); return 1;",
    "await demo.missing({});",
    "return new Proxy({}, { ownKeys() { throw new Error('trap'); } });",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// Whatever a program breaks, and however it ends, it ends as itself:
    /// never as the engine's own failure.
    #[test]
    fn sabotage_never_makes_an_internal_failure(
        sabotage in proptest::collection::vec(proptest::sample::select(SABOTAGE), 1..4),
        ending in proptest::sample::select(ENDINGS),
    ) {
        let js = format!("{}\n{ending}", sabotage.join("\n"));
        let (outcome, _, _) = run_js(&program(&js), Limits::default(), sum);
        if let Err(err) = outcome {
            proptest::prop_assert_ne!(err.kind, ErrorKind::Internal, "{}: {:?}", js, err);
        }
    }
}

#[test]
fn arguments_that_are_no_json_at_all_are_refused_and_never_sent() {
    for (args, kind) in [
        ("() => 1", "function"),
        ("Symbol('s')", "symbol"),
        ("{ toJSON() {} }", "object"),
    ] {
        let (outcome, _, calls) = run_js(
            &program(&format!(
                "try {{ await demo.echo({args}); }} catch (e) {{ return [e.name, e.message]; }}"
            )),
            Limits::default(),
            sum,
        );
        let value: Value = serde_json::from_str(&outcome.unwrap().json).unwrap();
        assert_eq!(
            value,
            json!([
                "TypeError",
                format!(
                    "demo.echo takes one object of named arguments; a {kind} cannot be sent as JSON"
                )
            ])
        );
        assert_eq!(calls, 0, "{args}");
    }
}

#[path = "runtime_tests.rs"]
mod runtime;
