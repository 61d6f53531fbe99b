//! Hostile programs against one long-lived executor: each gets a clean,
//! specific error, and the host keeps serving the next execution.

use std::time::{Duration, Instant};

use codemode::engine::executor::{Executor, Report, Settings};
use codemode::files::config::{ServerSpec, Transport};
use codemode::upstream;
use codemode_sandbox::Limits;
use codemode_typegen::Api;
use serde_json::{Value, json};

async fn demo_executor() -> (Executor, upstream::Upstreams) {
    let specs = vec![ServerSpec::new("demo", Transport::Demo)];
    let demo = Some(codemode::demo::serve_in_process as upstream::ServeInProcess);
    let upstreams = upstream::connect_all(specs, Duration::from_secs(30), demo).await;
    assert_eq!(upstreams.connected.len(), 1);
    let executor = Executor::new(
        Api::new(upstreams.tool_lists()),
        upstreams.peers(),
        Settings::default(),
    );
    (executor, upstreams)
}

fn limits(timeout_ms: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        ..Limits::default()
    }
}

fn failure(report: &Report) -> (String, String) {
    match &report.outcome {
        Some(Err(f)) => (f.kind.to_string(), f.message.clone()),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn success(report: &Report) -> Value {
    match &report.outcome {
        Some(Ok(value)) => value.clone(),
        other => panic!(
            "expected success, got {other:?} with logs {:?}",
            report.logs
        ),
    }
}

/// A slow built-in in a loop: QuickJS checks its deadline only every ~10,000
/// ticks, but the isolate's epoch interruption stops it at its deadline.
const RUNAWAY: &str = "const s = 'x'.repeat(10_000_000);\nfor (;;) s.indexOf('y');";

/// Runs [`RUNAWAY`] and checks that the caller hears of it in time.
async fn runaway_is_stopped(executor: &Executor) {
    let started = Instant::now();
    let report = executor.execute(RUNAWAY, limits(500)).await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "timeout", "{message}");
    // A generous bound for a loaded machine; the benchmark measures how close.
    assert!(
        started.elapsed() < Duration::from_millis(500 + 1000),
        "stopped within timeout + 1 s: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_stops_alone_while_another_execution_runs_beside_it() {
    let (executor, upstreams) = demo_executor().await;
    let busy = "const t = Date.now(); while (Date.now() - t < 300) {}\nconst p = await demo.list_projects();\nreturn p.projects.length;";
    let (runaway, ordinary) = tokio::join!(
        executor.execute(RUNAWAY, limits(300)),
        executor.execute(busy, Limits::default()),
    );
    assert_eq!(failure(&runaway).0, "timeout");
    assert_eq!(success(&ordinary), json!(3));
    still_serves(&executor).await;
    drop(executor);
    upstreams.shutdown().await;
}

/// After each hostile program, an ordinary one must still work.
async fn still_serves(executor: &Executor) {
    let report = executor
        .execute(
            "const p = await demo.list_projects();\nreturn p.projects.map(x => x.key);",
            Limits::default(),
        )
        .await;
    assert_eq!(success(&report), json!(["CORE", "WEB", "OPS"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_programs_fail_cleanly_and_the_host_keeps_serving() {
    let (executor, upstreams) = demo_executor().await;
    still_serves(&executor).await;

    // An infinite loop: stopped by the engine's interrupt.
    let started = Instant::now();
    let report = executor.execute("while (true) {}", limits(300)).await;
    assert_eq!(failure(&report).0, "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(300 + 250),
        "stopped within timeout + 250 ms: {:?}",
        started.elapsed()
    );
    still_serves(&executor).await;

    // Slow built-ins between QuickJS's own interrupt checks.
    runaway_is_stopped(&executor).await;
    still_serves(&executor).await;

    // Memory bomb.
    let report = executor
        .execute(
            "const a = [];\nfor (;;) a.push(new Array(100000).fill(a.length));",
            Limits::default(),
        )
        .await;
    assert_eq!(failure(&report).0, "memory");
    still_serves(&executor).await;

    // Deep recursion.
    let report = executor
        .execute(
            "const f = (n: number): number => f(n + 1) + 1;\nreturn f(0);",
            Limits::default(),
        )
        .await;
    let (kind, message) = failure(&report);
    assert_eq!(kind, "stack", "{message}");
    still_serves(&executor).await;

    // A 10 MB result is cut with a marker.
    let report = executor
        .execute("return 'x'.repeat(10 * 1024 * 1024);", Limits::default())
        .await;
    let text = success(&report);
    let text = text.as_str().unwrap();
    assert!(text.len() < 300 * 1024, "{}", text.len());
    assert!(text.ends_with("[codemode: result truncated: it is 10485762 bytes and the output limit (result plus logs) is 262144 bytes]"), "{}", &text[text.len() - 200..]);
    still_serves(&executor).await;

    // A promise that never settles.
    let report = executor
        .execute("await new Promise(() => {});", limits(300))
        .await;
    assert_eq!(failure(&report).0, "timeout");
    still_serves(&executor).await;

    // No way out of the sandbox.
    for (program, expected) in [
        (
            "return await fetch('http://127.0.0.1:1');",
            "ReferenceError: fetch is not defined",
        ),
        (
            "return require('fs');",
            "ReferenceError: require is not defined",
        ),
        (
            "return process.env;",
            "ReferenceError: process is not defined",
        ),
        (
            "return Deno.readTextFile('/etc/passwd');",
            "ReferenceError: Deno is not defined",
        ),
    ] {
        let report = executor.execute(program, Limits::default()).await;
        let (kind, message) = failure(&report);
        // What follows says the sandbox has no network (tests/attacks/errors.rs).
        assert!(
            kind == "runtime" && message.starts_with(expected),
            "{program}: {kind}: {message}"
        );
    }
    let report = executor
        .execute("return await import('fs');", Limits::default())
        .await;
    assert_eq!(failure(&report).0, "runtime");
    still_serves(&executor).await;

    // Tampering does not leak into the next execution.
    let report = executor
        .execute(
            "Object.prototype.polluted = 1;\nArray.prototype.map = () => 'hijacked';\n(globalThis as any).leak = 42;\n\
             JSON.stringify = () => 'x';\ntry { (demo as any).list_projects = () => 'fake'; } catch {}\nreturn 1;",
            Limits::default(),
        )
        .await;
    assert_eq!(success(&report), json!(1));
    let report = executor
        .execute(
            "return [({} as any).polluted ?? 'clean', typeof (globalThis as any).leak, [1, 2].map(x => x * 2), JSON.stringify({a: 1}), (await demo.list_projects()).projects.length];",
            Limits::default(),
        )
        .await;
    assert_eq!(
        success(&report),
        json!(["clean", "undefined", [2, 4], "{\"a\":1}", 3])
    );

    // Throwing things that are not errors.
    for (program, expected) in [
        (
            "throw 'a string';",
            "uncaught non-Error value: \"a string\"",
        ),
        (
            "throw { code: 42 };",
            "uncaught non-Error value: {\"code\":42}",
        ),
        ("throw null;", "uncaught non-Error value: null"),
        ("return Promise.reject(7);", "uncaught non-Error value: 7"),
    ] {
        let report = executor.execute(program, Limits::default()).await;
        assert_eq!(
            failure(&report),
            ("runtime".to_owned(), expected.to_owned()),
            "{program}"
        );
    }
    still_serves(&executor).await;

    // A call scheduled to run after the program returned never reaches the server.
    let report = executor
        .execute(
            "Promise.resolve().then(async () => { await null; await null; await demo.delete_issue({ id: 'CORE-2', confirm: true }); });\nreturn 'returned';",
            Limits::default(),
        )
        .await;
    assert_eq!(success(&report), json!("returned"));
    assert!(report.calls.is_empty(), "{:?}", report.calls);
    let report = executor
        .execute(
            "return (await demo.get_issue({ id: 'CORE-2' })).id;",
            Limits::default(),
        )
        .await;
    assert_eq!(
        success(&report),
        json!("CORE-2"),
        "the late delete did not happen"
    );

    // Many calls: 10,000 in sequence, 1,000 at once.
    let mut many = Limits {
        max_calls: 20_000,
        max_output_bytes: 8 << 20,
        ..Limits::default()
    };
    many.timeout = Duration::from_secs(120);
    let report = executor
        .execute("let n = 0;\nfor (let i = 0; i < 10000; i++) n += (await demo.list_projects()).projects.length;\nreturn n;", many)
        .await;
    assert_eq!(success(&report), json!(30000));
    assert_eq!(report.calls.len(), 10000);
    let report = executor
        .execute(
            "const all = await Promise.all(Array.from({ length: 1000 }, (_, i) => demo.get_issue({ id: `CORE-${(i % 12) + 1}`, include_comments: false })));\nreturn new Set(all.map(x => x.id)).size;",
            many,
        )
        .await;
    assert_eq!(success(&report), json!(12));
    assert_eq!(report.calls.len(), 1000);
    still_serves(&executor).await;

    drop(executor);
    upstreams.shutdown().await;
}
