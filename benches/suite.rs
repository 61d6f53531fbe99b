//! The benchmark suite behind BENCHMARKS.md: `cargo bench --bench suite`.
//!
//! Every row is measured in this one run, side by side, and printed as a
//! Markdown table (medians and p99s of many samples). `--quick` takes fewer
//! samples. Rows that need `node` are skipped when it is not on PATH.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use codemode::engine::executor::{Executor, Settings};
use codemode::governance::policy::Refusals;
use codemode_sandbox as sandbox;
use codemode_sandbox::{Binding, Bindings, Event, Job, Limits, Reply};
use codemode_transpile as transpile;
use codemode_typegen::{Api, Style};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::TokioChildProcess;
use rmcp::{ErrorData, Peer, RoleClient, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::Notify;

#[path = "../tests/peers/nginx.rs"]
mod nginx;
#[path = "suite/replicas.rs"]
mod replicas;

/// Calls to `hold` now waiting, and the signal that lets them all answer.
static HOLDING: AtomicUsize = AtomicUsize::new(0);
static RELEASE: Notify = Notify::const_new();

/// Set (to a file) when the suite runs itself to compile one program in a
/// fresh process, whose peak memory is then the compiler's alone.
const COMPILE_ONE: &str = "CODEMODE_BENCH_COMPILE_ONE";

/// Set (to `WHAT:LIVE`) when the suite runs itself to measure the memory of
/// `LIVE` held executions or calls in a fresh process: each measurement
/// starts from the same warmed state, none reusing what another freed.
const MEMORY_ONE: &str = "CODEMODE_BENCH_MEMORY_ONE";

fn main() {
    if let Some(path) = std::env::var_os(COMPILE_ONE) {
        return compile_one(Path::new(&path));
    }
    if let Ok(what) = std::env::var(MEMORY_ONE) {
        return memory_one(&what);
    }
    if std::env::var_os(replicas::UPSTREAM).is_some() {
        return runtime().block_on(async {
            let service = BenchServer.serve(rmcp::transport::stdio()).await;
            let _ = service.expect("the bench upstream starts").waiting().await;
        });
    }
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only calls,memory` runs those sections.
    let only: Vec<String> = args
        .iter()
        .skip_while(|a| *a != "--only")
        .nth(1)
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    runtime().block_on(suite(if quick { 5 } else { 1 }, &only));
}

/// The runtime the suite and its fresh processes run on, as codemode's.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        // As codemode's own runtime: room to compile on these threads.
        .thread_stack_size(transpile::THREAD_STACK)
        .build()
        .expect("a tokio runtime")
}

/// Percentiles of a sample set.
struct Stats {
    p50: Duration,
    p99: Duration,
    n: usize,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        p50: at(0.5),
        p99: at(0.99),
        n: samples.len(),
    }
}

/// How long each of `n` runs of `run` takes.
async fn samples(n: usize, mut run: impl AsyncFnMut()) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        run().await;
        times.push(t.elapsed());
    }
    times
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Compiles on this thread (the bench's main thread has room for it).
fn compile(code: &str, api: &Api) -> transpile::Compiled {
    let bindings = Binding::all(api);
    let known = transpile::Known {
        bindings: &bindings,
        refusals: &Refusals::default(),
    };
    transpile::compile(code, &known, 256 << 10).unwrap()
}

/// The table being built: one line per measurement.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 3]>,
}

impl Table {
    fn row(&mut self, what: &str, measured: String, target: &str) {
        let line = [what.to_owned(), measured, target.to_owned()];
        eprintln!("{} | {} | {}", line[0], line[1], line[2]);
        self.rows.push(line);
    }

    fn timing(&mut self, what: &str, stats: &Stats, target: &str) {
        let measured = format!(
            "p50 {} · p99 {} (n={})",
            ms(stats.p50),
            ms(stats.p99),
            stats.n
        );
        self.row(what, measured, target);
    }

    fn print(&self) {
        println!("| Benchmark | Measured | Target |");
        println!("| --- | --- | --- |");
        for [what, measured, target] in &self.rows {
            println!("| {what} | {measured} | {target} |");
        }
    }
}

const SECTIONS: &[&str] = &[
    "cold",
    "calls",
    "fanout",
    "throughput",
    "memory",
    "stop",
    "compute",
    "typegen",
    "compile",
    "serve",
    "replicas",
    "node",
];

async fn suite(divisor: usize, only: &[String]) {
    for name in only {
        assert!(
            SECTIONS.contains(&name.as_str()),
            "--only takes some of {SECTIONS:?}"
        );
    }
    let want = |section: &str| only.is_empty() || only.iter().any(|o| o == section);
    let n = |full: usize| (full / divisor).max(5);
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_codemode"));
    let mut table = Table::default();

    let github = github_tools();
    let api100 = Api::new(vec![("github".into(), github[..100].to_vec())]);
    let bench = connect_bench_server().await;
    let bench_api = Api::new(vec![("bench".into(), bench_tool_json())]);
    let peers = HashMap::from([("bench".to_owned(), bench.clone())]);

    let bindings = Bindings::new(Binding::all(&api100));
    if want("cold") {
        // 1. Cold start, in this process: the isolate executions use, and
        // QuickJS compiled natively into codemode, side by side.
        for engine in [Engine::Isolate, Engine::Native] {
            let cold = samples(n(2000), async || {
                let compiled = compile("return 1;", &api100);
                run_in_process(engine, &compiled.js, &bindings).await;
            })
            .await;
            let what = format!(
                "Cold start in process: transpile + fresh {} + bindings for 100 tools + `return 1` + teardown",
                engine.describe()
            );
            let target = match engine {
                Engine::Isolate => "p50 ≤ 0.25 ms",
                Engine::Native => "",
            };
            table.timing(&what, &stats(cold), target);
        }

        // 1b. The same through the executor, as `run` and `serve` run programs.
        let executor = Arc::new(new_executor(&api100, &HashMap::new(), Settings::default()));
        executor.execute("return 1;", Limits::default()).await;
        let whole = on_the_runtime(executor.clone(), n(2000)).await;
        table.timing(
            "Whole execution of `return 1` through the executor (compile, fresh instance, report)",
            &stats(whole),
            "",
        );
    }

    let calls = 1000;
    let limits = Limits {
        max_calls: calls,
        ..Limits::default()
    };
    if want("calls") {
        // 2. Per-call overhead against direct rmcp calls to the same upstream.
        let per_call = |times: Vec<Duration>| stats(times.into_iter().map(|t| t / calls).collect());
        // Both sides run in a task of the runtime, as `serve`'s requests do.
        let (rounds, empties) = (n(20), n(500));
        let peer = bench.clone();
        let direct = spawned(async move {
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let t = Instant::now();
                for i in 0..calls {
                    call(&peer, "echo", json!({"value": i})).await;
                }
                times.push(t.elapsed());
            }
            times
        })
        .await;
        let program =
            format!("for (let i = 0; i < {calls}; i++) await bench.echo({{ value: i }});");
        let executor = Arc::new(new_executor(&bench_api, &peers, Settings::default()));
        let (times, empty) = spawned({
            let executor = executor.clone();
            let program = program.clone();
            async move {
                executor.execute(&program, limits).await;
                // What an execution costs without calls, to subtract.
                let mut empty = Vec::with_capacity(empties);
                for _ in 0..empties {
                    let t = Instant::now();
                    executor.execute("return 1;", limits).await;
                    empty.push(t.elapsed());
                }
                let mut times = Vec::with_capacity(rounds);
                for _ in 0..rounds {
                    let t = Instant::now();
                    let report = executor.execute(&program, limits).await;
                    assert!(report.ok(), "{:?}", report.outcome);
                    times.push(t.elapsed());
                }
                (times, empty)
            }
        })
        .await;
        let empty = stats(empty).p50;
        let times = times.into_iter().map(|t| t.saturating_sub(empty)).collect();
        let through = per_call(times);
        let bench_bindings = Bindings::new(Binding::all(&bench_api));
        let compiled = compile(&program, &bench_api);
        let direct = per_call(direct);
        for engine in [Engine::Isolate, Engine::Native] {
            let engine_only = samples(n(20), async || {
                run_answering_in_process(engine, &compiled.js, &bench_bindings, limits).await;
            })
            .await;
            let what = format!(
                "One sequential call from a program to a host that answers at once ({} alone, in process)",
                engine.describe()
            );
            table.row(
                &what,
                format!("p50 {} per call", us(per_call(engine_only).p50)),
                "",
            );
        }
        table.row(
            "One sequential call, direct rmcp client → in-process upstream `echo` (1,000 calls)",
            format!("p50 {} per call", us(direct.p50)),
            "",
        );
        table.row(
            "One sequential call from a program, through codemode → same upstream (1,000 calls)",
            format!(
                "p50 {} per call: {} over direct, {:.1}x",
                us(through.p50),
                us(through.p50.saturating_sub(direct.p50)),
                through.p50.as_secs_f64() / direct.p50.as_secs_f64()
            ),
            "≤ 20 µs over direct",
        );
    }

    if want("fanout") {
        // 3. Fan-out: 1,000 calls in one Promise.all to a tool that sleeps 10 ms.
        let fan_out =
            "await Promise.all(Array.from({ length: 1000 }, () => bench.sleep({ ms: 10 })));";
        for cap in [1000, Settings::default().max_concurrent_calls] {
            let settings = Settings {
                max_concurrent_calls: cap,
                ..Settings::default()
            };
            let executor = new_executor(&bench_api, &peers, settings);
            let walls = samples(n(10).min(10), async || {
                let report = executor.execute(fan_out, limits).await;
                assert!(report.ok(), "{:?}", report.outcome);
            })
            .await;
            let what = format!(
                "Fan-out: 1,000 calls in one `Promise.all` to a tool sleeping 10 ms, at most {cap} in flight per server"
            );
            let target = if cap == 1000 {
                "≤ 100 ms"
            } else {
                "(the default cap)"
            };
            table.timing(&what, &stats(walls), target);
        }
    }

    if want("throughput") {
        // 4. Throughput with N concurrent executions.
        let executor = Arc::new(new_executor(&bench_api, &peers, Settings::default()));
        for concurrency in [1usize, 2, 8, 64] {
            let window = Duration::from_secs(3) / divisor as u32;
            let started = Instant::now();
            let tasks: Vec<_> = (0..concurrency)
                .map(|_| {
                    let executor = executor.clone();
                    tokio::spawn(async move {
                        let mut done = 0u32;
                        while started.elapsed() < window {
                            assert!(executor.execute("return 1;", Limits::default()).await.ok());
                            done += 1;
                        }
                        done
                    })
                })
                .collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            let rate = f64::from(total) / started.elapsed().as_secs_f64();
            table.row(
                &format!("Throughput: trivial executions per second, {concurrency} at once"),
                format!("{rate:.0}/s"),
                "≥ 2,000/s",
            );
        }
    }

    if want("memory") {
        // 5. Memory per concurrent live execution, each count in a fresh
        // process (see `memory_one`).
        for live in [100usize, 1000] {
            let live = (live / divisor).max(10);
            let [per, host, children] = memory_in_fresh_process("executions", live);
            // The upstream lives in the same process: what its side of a
            // held call takes, and the client's, is measured without codemode.
            let [direct, ..] = memory_in_fresh_process("direct", live);
            let what = format!("Memory per live execution waiting on a slow tool, {live} at once");
            let measured = format!(
                "{:.0} KiB, of which the upstream and its client hold {:.0} KiB (a direct call held alone): codemode's share {:.0} KiB (host +{:.0} KiB; child processes +{:.0} KiB)",
                per / 1024.0,
                direct / 1024.0,
                (per - direct) / 1024.0,
                host / 1024.0,
                children / 1024.0
            );
            table.row(&what, measured, "≤ 200 KiB (codemode's share)");
        }
        for engine in [Engine::Isolate, Engine::Native] {
            for live in [100usize, 1000] {
                let live = (live / divisor).max(10);
                let [per, ..] = memory_in_fresh_process(engine.key(), live);
                let what = format!(
                    "Memory per live {} waiting on a call, {live} at once (alone, in process)",
                    engine.describe()
                );
                table.row(&what, format!("{:.0} KiB", per / 1024.0), "");
            }
        }
    }

    if want("stop") {
        // 6. How soon after its deadline a runaway program stops.
        let executor = new_executor(&api100, &HashMap::new(), Settings::default());
        let deadline = Duration::from_millis(100);
        for (what, program) in [
            ("`while (true) {}`", "while (true) {}"),
            (
                "a loop of slow built-ins (`indexOf` on 10 MB)",
                "const s = 'x'.repeat(10_000_000);\nfor (;;) s.indexOf('y');",
            ),
            (
                "a catastrophic regex",
                "/(a+)+$/.test('a'.repeat(60) + 'b');",
            ),
        ] {
            let late = samples(n(50).min(50), async || {
                let report = executor
                    .execute(
                        program,
                        Limits {
                            timeout: deadline,
                            ..Limits::default()
                        },
                    )
                    .await;
                assert!(!report.ok());
            })
            .await;
            let late: Vec<Duration> = late
                .into_iter()
                .map(|t| t.saturating_sub(deadline))
                .collect();
            table.timing(
                &format!("Stopped after a 100 ms deadline: {what}, time past the deadline"),
                &stats(late),
                "≤ 10 ms",
            );
        }
    }

    if want("compute") {
        // 7. What running in WebAssembly costs compute-heavy JavaScript.
        let no_api = Api::new(Vec::new());
        for (what, program) in [
            (
                "a prime sieve to 2,000,000",
                "const n = 2_000_000; const sieve = new Uint8Array(n + 1); let count = 0;\nfor (let i = 2; i <= n; i++) { if (!sieve[i]) { count++; for (let j = i * 2; j <= n; j += i) sieve[j] = 1; } }\nreturn count;",
            ),
            (
                "20,000 timers due within 7 ms, each run in a step of its own",
                "let fired = 0;\nfor (let i = 0; i < 20000; i++) setTimeout(() => fired++, 1 + (i % 7));\nawait new Promise((r) => setTimeout(r, 20));\nreturn fired;",
            ),
            (
                "20,000 names sorted by localeCompare",
                "const names = [];\nfor (let i = 0; i < 20000; i++) names.push('Name ' + ((i * 7919) % 20000));\nnames.sort((a, b) => a.localeCompare(b));\nreturn names[0];",
            ),
            (
                "200 JSON round trips of a 1,000-item list",
                "const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], done: i % 2 === 0 }));\nlet total = 0;\nfor (let i = 0; i < 200; i++) total += JSON.parse(JSON.stringify(items)).length;\nreturn total;",
            ),
        ] {
            let compiled = compile(program, &no_api);
            let none = Bindings::new(Vec::new());
            let mut medians = Vec::new();
            for engine in [Engine::Isolate, Engine::Native] {
                let times = samples(n(20), async || {
                    run_in_process(engine, &compiled.js, &none).await;
                })
                .await;
                medians.push(stats(times).p50);
            }
            table.row(
                &format!("Compute: {what}, in process"),
                format!(
                    "isolate p50 {} · native QuickJS p50 {} · {:.1}x",
                    ms(medians[0]),
                    ms(medians[1]),
                    medians[0].as_secs_f64() / medians[1].as_secs_f64()
                ),
                "",
            );
        }
    }

    if want("typegen") {
        // 6. Typegen and transpile.
        for (style, name) in [(Style::Full, "full"), (Style::Compact, "compact")] {
            let times = samples(n(200), async || {
                let api = Api::new(vec![("github".into(), github.clone())]);
                std::hint::black_box(api.render(style));
            })
            .await;
            let what = format!("Typegen: GitHub's 117 tools, {name} declarations");
            table.timing(&what, &stats(times), "≤ 5 ms");
        }
        let long = program_of_300_lines();
        let github_api = Api::new(vec![("github".into(), github.clone())]);
        let strip = samples(n(500), async || {
            std::hint::black_box(compile(&long, &github_api));
        })
        .await;
        table.timing(
            &format!(
                "Transpile: strip and check a {}-line TypeScript program",
                long.lines().count()
            ),
            &stats(strip),
            "≤ 1 ms",
        );
    }

    if want("compile") {
        // 6b. Compiling programs of growing size and hostile shape: time and
        // the host's peak memory growth (the compiler runs in this process).
        let github_bindings: Arc<[Binding]> =
            Binding::all(&Api::new(vec![("github".into(), github.clone())])).into();
        let chain = |terms: usize| {
            format!(
                "const a = `x`{};\nreturn a.length;",
                " + `x`".repeat(terms - 1)
            )
        };
        let nested = |depth: usize| format!("return {}1{};", "(".repeat(depth), ")".repeat(depth));
        let mut programs: Vec<(String, String)> = [4usize, 32, 128, 250]
            .iter()
            .map(|&kib| {
                (
                    format!("ordinary TypeScript, {kib} KiB"),
                    typescript_program(kib << 10),
                )
            })
            .collect();
        programs.extend([
            (
                "`+` chain of 120 template literals (0.7 KiB; accepted)".to_owned(),
                chain(120),
            ),
            (
                "`+` chain of 2,500 template literals (10 KiB; refused)".to_owned(),
                chain(2_500),
            ),
            (
                "`+` chain of 10,000 template literals (40 KiB; refused)".to_owned(),
                chain(10_000),
            ),
            (
                "parentheses nested 120 deep (accepted)".to_owned(),
                nested(120),
            ),
            (
                "parentheses nested 100,000 deep (195 KiB; refused)".to_owned(),
                nested(100_000),
            ),
        ]);
        for (what, program) in programs {
            let code: Arc<str> = program.into();
            let compile_once = || {
                transpile::compile_bounded(
                    code.clone(),
                    github_bindings.clone(),
                    Arc::default(),
                    256 << 10,
                )
            };
            let outcome = compile_once().await.expect("a compiler thread");
            let verdict = match &outcome {
                Ok(_) => "compiled".to_owned(),
                Err(e) => format!("{} error", e.kind.as_str()),
            };
            let peak = compile_peak_growth(&code);
            let times = samples(n(100), async || {
                std::hint::black_box(compile_once().await);
            })
            .await;
            let times = stats(times);
            table.row(
                &format!("Compile (size and nesting checks, strip): {what}"),
                format!(
                    "{verdict}; p50 {} · p99 {} (n={}); peak memory +{:.1} MiB",
                    ms(times.p50),
                    ms(times.p99),
                    times.n,
                    peak as f64 / 1024.0
                ),
                "bounded",
            );
        }
        let values: Vec<Value> = (0..40_000).map(|i| json!(format!("value_{i}"))).collect();
        let enum_tool = json!({"name": "pick", "inputSchema": {"type": "object", "properties": {"v": {"enum": values}}}});
        let times = samples(n(20), async || {
            let api = Api::new(vec![("big".into(), vec![enum_tool.clone()])]);
            std::hint::black_box(api.render(Style::Full));
        })
        .await;
        table.timing(
            "Typegen: one enum of 40,000 values",
            &stats(times),
            "near-linear",
        );
    }

    if want("serve") {
        // 7. End to end through `codemode serve` over stdio.
        let execute = |code: &str| {
            CallToolRequestParams::new("execute")
                .with_arguments(json!({ "code": code }).as_object().unwrap().clone())
        };
        let served = stdio_latency(&exe, "serve", execute("return 1;"), n(1000)).await;
        let what = "`execute` of `return 1` from an MCP client through `codemode serve` (stdio, demo upstream)";
        table.timing(what, &served, "");
        // The same tool, called by the same client: through `execute`, and
        // directly on the demo upstream served alone.
        let list = || json!({"status": "open"}).as_object().unwrap().clone();
        let through = stdio_latency(
            &exe,
            "serve",
            execute(r#"return await demo.list_issues({ status: "open" });"#),
            n(1000),
        )
        .await;
        let direct = stdio_latency(
            &exe,
            "demo-server",
            CallToolRequestParams::new("list_issues").with_arguments(list()),
            n(1000),
        )
        .await;
        table.row(
            "`list_issues` from an MCP client: in one `execute` through `codemode serve`, against a direct call to the demo upstream served alone (both stdio)",
            format!(
                "through p50 {} · direct p50 {} · {:.1}x",
                ms(through.p50),
                ms(direct.p50),
                through.p50.as_secs_f64() / direct.p50.as_secs_f64()
            ),
            "report the ratio",
        );
    }

    if want("replicas") {
        // 8. Scaling out: replicas of `serve --http` behind nginx.
        match nginx::binary() {
            Some(nginx) => {
                let seconds = Duration::from_secs_f64((8.0 / divisor as f64).max(1.5));
                let nginx = Some(nginx.as_path());
                let setups: [(&str, Option<&Path>, usize, &[&str]); 4] = [
                    ("1 replica, direct", None, 1, &[]),
                    ("1 replica behind nginx", nginx, 1, &[]),
                    ("2 replicas behind nginx", nginx, 2, &[]),
                    (
                        "1 replica with `--max-concurrent 32 --max-concurrent-calls 32` behind nginx",
                        nginx,
                        1,
                        &["--max-concurrent", "32", "--max-concurrent-calls", "32"],
                    ),
                ];
                use replicas::{Lifecycle, Workload};
                let runs = [
                    (Workload::Demo, Lifecycle::Legacy),
                    (Workload::Demo, Lifecycle::Modern),
                    (Workload::Waiting, Lifecycle::Modern),
                ];
                for (workload, lifecycle) in runs {
                    for (setup, nginx, count, flags) in setups {
                        let deployment =
                            replicas::Deployment::start(&exe, workload, nginx, count, flags);
                        let load =
                            replicas::load(&deployment.url, workload, lifecycle, seconds).await;
                        table.row(
                            &format!(
                                "`execute` of {} over HTTP, {} clients ({}): {setup}",
                                workload.describe(),
                                replicas::CLIENTS,
                                lifecycle.describe()
                            ),
                            format!(
                                "{:.0}/s · p50 {} · p99 {} (n={}) · cores: clients {:.2}, servers {:.2}",
                                load.rate,
                                ms(load.times.p50),
                                ms(load.times.p99),
                                load.times.n,
                                load.client_cores,
                                load.server_cores
                            ),
                            "report the ratio",
                        );
                    }
                }
            }
            None => eprintln!("nginx is not installed: no replica rows"),
        }
    }

    if want("node") {
        // 9. Reference: a V8 context from Node's `vm` module.
        match node_vm_cold_start(n(2000)) {
            Some((p50, p99, version)) => table.row(
                &format!("Reference: Node {version} `vm.createContext()` + `runInContext(\"1\")`"),
                format!("p50 {p50:.3} ms · p99 {p99:.3} ms"),
                "",
            ),
            None => eprintln!("node is not on PATH: no reference row"),
        }
    }

    println!("{}", machine());
    table.print();
}

/// Which engine runs a program in this process.
#[derive(Clone, Copy)]
enum Engine {
    /// A fresh WebAssembly instance of QuickJS: what executions use.
    Isolate,
    /// QuickJS compiled into codemode, for comparison.
    Native,
}

impl Engine {
    fn key(self) -> &'static str {
        match self {
            Engine::Isolate => "isolate",
            Engine::Native => "native",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Engine::Isolate => "isolate (QuickJS in WebAssembly)",
            Engine::Native => "native QuickJS runtime and context",
        }
    }

    async fn run(
        self,
        job: Job,
        events: tokio::sync::mpsc::UnboundedSender<Event>,
    ) -> Result<sandbox::Finished, sandbox::ScriptError> {
        match self {
            Engine::Isolate => sandbox::isolate::run(job, events).await,
            Engine::Native => sandbox::native::run(job, events).await,
        }
    }
}

/// Runs a compiled program in this process and waits for it; calls are refused.
async fn run_in_process(engine: Engine, js: &str, bindings: &Bindings) {
    let job = Job {
        throws_null: false,
        js: js.to_owned(),
        bindings: bindings.clone(),
        limits: Limits::default(),
    };
    let (events, _ignored) = tokio::sync::mpsc::unbounded_channel();
    let local = tokio::task::LocalSet::new();
    local
        .run_until(engine.run(job, events))
        .await
        .expect("the program runs");
}

/// Runs a compiled program in this process, answering every call at once.
async fn run_answering_in_process(engine: Engine, js: &str, bindings: &Bindings, limits: Limits) {
    let job = Job {
        throws_null: false,
        js: js.to_owned(),
        bindings: bindings.clone(),
        limits,
    };
    let (events, mut incoming) = tokio::sync::mpsc::unbounded_channel();
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            tokio::task::spawn_local(async move {
                while let Some(event) = incoming.recv().await {
                    if let Event::Call(call) = event {
                        let _ = call
                            .reply
                            .send((Reply::Ok { value: call.args }, Default::default()));
                    }
                }
            });
            engine.run(job, events).await.expect("the program runs");
        })
        .await;
}

/// `n` executions of `return 1`, timed one by one in a task of the runtime,
/// which runs on a worker thread as the requests of `codemode serve` do.
/// Runs `work` in a task of the runtime rather than on the bench's main thread.
async fn spawned<T: Send + 'static>(work: impl Future<Output = T> + Send + 'static) -> T {
    tokio::spawn(work).await.expect("the samples ran")
}

async fn on_the_runtime(executor: Arc<Executor>, n: usize) -> Vec<Duration> {
    tokio::spawn(async move {
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            assert!(executor.execute("return 1;", Limits::default()).await.ok());
            times.push(t.elapsed());
        }
        times
    })
    .await
    .expect("the samples ran")
}

fn new_executor(
    api: &Api,
    peers: &HashMap<String, Peer<RoleClient>>,
    settings: Settings,
) -> Executor {
    Executor::new(api.clone(), peers.clone(), settings)
}

/// Memory of this process, in bytes: its proportional set size, which
/// counts a page once however many mappings share it. (`VmRSS` counts a
/// page again for every mapping: each instance maps the guest's
/// copy-on-write snapshot, so it would count the snapshot's pages once per
/// live instance although they exist once.)
fn own_memory() -> f64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    kib_field(&rollup, "Pss:") * 1024.0
}

fn kib_field(text: &str, field: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

/// Summed proportional set size of this process's descendants, in bytes
/// (shared pages are divided among the processes sharing them): executions
/// start none, which this shows.
fn descendants_pss() -> f64 {
    descendants()
        .into_iter()
        .map(|pid| {
            let rollup =
                std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            kib_field(&rollup, "Pss:") * 1024.0
        })
        .sum()
}

/// The processes this one started, and theirs.
fn descendants() -> Vec<u32> {
    let mut parents = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: the command may contain spaces, so split after `)`.
        let pid = stat.split(' ').next().and_then(|p| p.parse::<u32>().ok());
        let ppid = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<u32>().ok());
        if let (Some(pid), Some(ppid)) = (pid, ppid) {
            parents.insert(pid, ppid);
        }
    }
    let me = std::process::id();
    let descends = |mut pid: u32| {
        while let Some(&parent) = parents.get(&pid) {
            if parent == me {
                return true;
            }
            pid = parent;
        }
        false
    };
    parents
        .keys()
        .copied()
        .filter(|&pid| descends(pid))
        .collect()
}

/// CPU seconds (user and system) used so far by this process, and by the
/// processes it started that are still running.
fn cpu_seconds() -> (f64, f64) {
    static TICKS: std::sync::LazyLock<f64> = std::sync::LazyLock::new(|| {
        let out = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output();
        out.ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    let of = |pid: u32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // After `pid (comm) `: utime and stime are the 12th and 13th fields.
        let fields: Vec<&str> = stat
            .rsplit_once(") ")
            .map_or(vec![], |(_, r)| r.split(' ').collect());
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / *TICKS
    };
    let children = descendants().into_iter().map(of).sum();
    (of(std::process::id()), children)
}

/// `(per execution, host growth, child processes' growth)` in bytes, with
/// `live` executions each waiting on a call to `hold`.
async fn memory_per_execution(executor: Arc<Executor>, live: usize) -> [f64; 3] {
    let (host_before, workers_before) = (own_memory(), descendants_pss());
    let tasks: Vec<_> = (0..live)
        .map(|_| {
            let executor = executor.clone();
            tokio::spawn(async move {
                executor
                    .execute("return await bench.hold({});", Limits::default())
                    .await
            })
        })
        .collect();
    while HOLDING.load(Ordering::SeqCst) < live {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (host, workers) = (
        own_memory() - host_before,
        descendants_pss() - workers_before,
    );
    RELEASE.notify_waiters();
    for task in tasks {
        assert!(task.await.unwrap().ok());
    }
    [(host + workers) / live as f64, host, workers]
}

/// Bytes of resident memory per call held by the upstream when `live` direct
/// rmcp calls wait at once, without codemode.
async fn direct_memory_per_call(peer: &Peer<RoleClient>, live: usize) -> f64 {
    let before = own_memory();
    let tasks: Vec<_> = (0..live)
        .map(|_| {
            let peer = peer.clone();
            tokio::spawn(async move { call(&peer, "hold", json!({})).await })
        })
        .collect();
    while HOLDING.load(Ordering::SeqCst) < live {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let grown = own_memory() - before;
    RELEASE.notify_waiters();
    for task in tasks {
        task.await.expect("the direct call ends");
    }
    grown / live as f64
}

/// Bytes of resident memory per live runtime when `live` programs wait on a
/// call that is never answered, all in this process.
async fn engine_memory_per_execution(engine: Engine, bindings: &Bindings, live: usize) -> f64 {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let before = own_memory();
            let (events, mut incoming) = tokio::sync::mpsc::unbounded_channel();
            let runs: Vec<_> = (0..live)
                .map(|_| {
                    let job = Job {
                        throws_null: false,
                        js: "(async () => { return await github.get_me(); })()".into(),
                        bindings: bindings.clone(),
                        limits: Limits::default(),
                    };
                    tokio::task::spawn_local(engine.run(job, events.clone()))
                })
                .collect();
            let mut waiting = Vec::new();
            while waiting.len() < live {
                if let Some(Event::Call(call)) = incoming.recv().await {
                    waiting.push(call.reply);
                }
            }
            let grown = own_memory() - before;
            for reply in waiting {
                let _ = reply.send((Reply::Ok { value: json!(1) }, Default::default()));
            }
            for run in runs {
                run.await.unwrap().expect("the program finishes");
            }
            grown / live as f64
        })
        .await
}

/// Request-to-response times of `request` from an rmcp client to a
/// `codemode SUBCOMMAND` child over stdio.
async fn stdio_latency(
    exe: &std::path::Path,
    subcommand: &str,
    request: CallToolRequestParams,
    samples: usize,
) -> Stats {
    let mut command = tokio::process::Command::new(exe);
    command.arg(subcommand).stderr(Stdio::null());
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.unwrap();
    client.call_tool(request.clone()).await.unwrap();
    let mut times = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        let result = client.call_tool(request.clone()).await.unwrap();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        times.push(t.elapsed());
    }
    client.cancel().await.unwrap();
    stats(times)
}

/// `(p50 ms, p99 ms, node version)` of a fresh `vm` context running `1`.
fn node_vm_cold_start(samples: usize) -> Option<(f64, f64, String)> {
    let script = format!(
        r#"const vm = require("vm");
const times = [];
for (let i = 0; i < {samples} + 50; i++) {{
  const t = process.hrtime.bigint();
  const context = vm.createContext({{}});
  vm.runInContext("1", context);
  if (i >= 50) times.push(Number(process.hrtime.bigint() - t) / 1e6);
}}
times.sort((a, b) => a - b);
const at = (q) => times[Math.round((times.length - 1) * q)];
console.log(JSON.stringify({{ p50: at(0.5), p99: at(0.99), version: process.version }}));"#
    );
    let output = std::process::Command::new("node")
        .arg("-e")
        .arg(script)
        .output()
        .ok()?;
    let report: Value = serde_json::from_slice(&output.stdout).ok()?;
    Some((
        report["p50"].as_f64()?,
        report["p99"].as_f64()?,
        report["version"].as_str()?.to_owned(),
    ))
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = kib_field(&meminfo, "MemTotal:") / (1024.0 * 1024.0);
    format!(
        "Machine: {model}, {cores} cores, {memory:.0} GiB; release build; tokio with 2 worker threads.\n"
    )
}

/// GitHub's catalog from the fixtures.
fn github_tools() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/catalogs/github.json");
    let catalog: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    catalog["tools"].as_array().unwrap().clone()
}

/// A TypeScript program of about `bytes` bytes (at least one block), made of
/// the blocks of [`program_of_300_lines`].
fn typescript_program(bytes: usize) -> String {
    let mut blocks = 1;
    while program_of_blocks(blocks + 1).len() <= bytes {
        blocks += 1;
    }
    program_of_blocks(blocks)
}

/// Runs the suite itself with [`MEMORY_ONE`] set to `what:live`: bytes per
/// held execution or call, and the growth of this process and of its child
/// processes in all.
fn memory_in_fresh_process(what: &str, live: usize) -> [f64; 3] {
    let output = std::process::Command::new(std::env::current_exe().expect("the bench"))
        .env(MEMORY_ONE, format!("{what}:{live}"))
        .stderr(Stdio::inherit())
        .output()
        .expect("the bench runs itself");
    let text = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = text
        .split_whitespace()
        .map(|n| n.parse().expect("numbers"))
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|_| panic!("three numbers from the memory run of {what}, not {text:?}"))
}

/// In a fresh process: holds `live` executions or calls of one kind at once
/// (`executions`, `direct`, `isolate`, `native`), after one of the same kind
/// warmed the process up, and prints bytes per live one, then the growth of
/// this process and of its child processes.
fn memory_one(what: &str) {
    let (kind, live) = what.split_once(':').expect("WHAT:LIVE");
    let live: usize = live.parse().expect("a count");
    let measured = runtime().block_on(async {
        let bench = connect_bench_server().await;
        match kind {
            "executions" | "direct" => {
                let bench_api = Api::new(vec![("bench".into(), bench_tool_json())]);
                let peers = HashMap::from([("bench".to_owned(), bench.clone())]);
                let settings = Settings {
                    max_concurrent_calls: live,
                    ..Settings::default()
                };
                let executor = Arc::new(new_executor(&bench_api, &peers, settings));
                if kind == "executions" {
                    assert!(
                        executor
                            .execute("return await bench.echo({});", Limits::default())
                            .await
                            .ok()
                    );
                    memory_per_execution(executor, live).await
                } else {
                    call(&bench, "echo", json!({})).await;
                    [direct_memory_per_call(&bench, live).await, 0.0, 0.0]
                }
            }
            engine => {
                let engine = match engine {
                    "isolate" => Engine::Isolate,
                    "native" => Engine::Native,
                    other => panic!("no memory measurement named {other}"),
                };
                let bindings = Bindings::new(Binding::all(&Api::new(vec![(
                    "github".into(),
                    github_tools()[..100].to_vec(),
                )])));
                engine_memory_per_execution(engine, &bindings, 1).await;
                [
                    engine_memory_per_execution(engine, &bindings, live).await,
                    0.0,
                    0.0,
                ]
            }
        }
    });
    println!("{} {} {}", measured[0], measured[1], measured[2]);
}

/// In a fresh process: compiles the program in `path` against GitHub's API,
/// as `execute` does, and prints this process's peak resident KiB.
fn compile_one(path: &Path) {
    let code: Arc<str> = std::fs::read_to_string(path).expect("the program").into();
    let bindings: Arc<[Binding]> =
        Binding::all(&Api::new(vec![("github".into(), github_tools())])).into();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let compiled = runtime.block_on(transpile::compile_bounded(
        code,
        bindings,
        Arc::default(),
        256 << 10,
    ));
    std::hint::black_box(compiled);
    let peak = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status");
    println!("{peak}");
}

/// How much more memory (KiB) a fresh process peaks at to compile `program`
/// than to compile `return 1;`.
fn compile_peak_growth(program: &str) -> u64 {
    let peak = |text: &str| -> u64 {
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(file.path(), text).expect("the program is written");
        let output = std::process::Command::new(std::env::current_exe().expect("the bench"))
            .env(COMPILE_ONE, file.path())
            .output()
            .expect("the bench runs itself");
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("a peak in KiB")
    };
    let baseline = (0..3).map(|_| peak("return 1;")).min().unwrap_or(0);
    let measured = (0..3).map(|_| peak(program)).min().unwrap_or(0);
    measured.saturating_sub(baseline)
}

/// A realistic program of about 300 lines: types, generics, classes, enums,
/// loops and calls, repeated with different names.
fn program_of_300_lines() -> String {
    program_of_blocks(12)
}

/// `blocks` blocks of ordinary TypeScript (about 1.1 KiB and 25 lines each).
fn program_of_blocks(blocks: usize) -> String {
    let mut program = String::new();
    for i in 0..blocks {
        program.push_str(&format!(
            r#"interface Issue{i}<T extends object = Record<string, unknown>> {{
  number: number;
  title: string;
  labels: Array<{{ name: string }}>;
  extra?: T;
}}
type Summary{i} = Pick<Issue{i}, "number" | "title"> & {{ score: number }};
enum Weight{i} {{ Low = 1, High = 3 }}
class Ranker{i} {{
  constructor(private readonly weight: Weight{i}) {{}}
  score(issue: Issue{i}): number {{
    return issue.labels.length * this.weight + (issue.title.length as number) / 100;
  }}
}}
function summarize{i}(issues: Issue{i}[], ranker: Ranker{i}): Summary{i}[] {{
  const out: Summary{i}[] = [];
  for (const issue of issues) {{
    const score = ranker.score(issue);
    if (score > 0) out.push({{ number: issue.number, title: issue.title, score }});
  }}
  return out.sort((a, b) => b.score - a.score).slice(0, 5);
}}
const found{i} = (await github.list_issues({{ owner: "o", repo: "r{i}" }})) as unknown as Issue{i}[];
const top{i} = summarize{i}(found{i} ?? [], new Ranker{i}(Weight{i}.High));
console.log(`batch {i}: ${{top{i}.length}}`);
"#
        ));
    }
    program.push_str("return { done: true };\n");
    program
}

/// An in-process upstream with `echo` and `sleep`, connected over a duplex pipe.
async fn connect_bench_server() -> Peer<RoleClient> {
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(service) = BenchServer.serve(theirs).await {
            let _ = service.waiting().await;
        }
    });
    let client = Box::leak(Box::new(
        ().serve(ours)
            .await
            .expect("the bench upstream initializes"),
    ));
    client.peer().clone()
}

fn bench_tool_json() -> Vec<Value> {
    vec![
        json!({"name": "echo", "description": "Returns its input.", "inputSchema": {"type": "object", "properties": {"value": {}}}}),
        json!({"name": "sleep", "description": "Waits, then answers.", "inputSchema": {"type": "object", "properties": {"ms": {"type": "integer"}}, "required": ["ms"]}}),
        json!({"name": "hold", "description": "Answers when the benchmark says so.", "inputSchema": {"type": "object"}}),
    ]
}

async fn call(peer: &Peer<RoleClient>, tool: &str, args: Value) -> CallToolResult {
    let request = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().unwrap().clone());
    peer.call_tool(request)
        .await
        .expect("the bench upstream answers")
}

#[derive(Clone)]
struct BenchServer;

impl ServerHandler for BenchServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools: Vec<Tool> = bench_tool_json()
            .into_iter()
            .map(|t| serde_json::from_value(t).expect("valid tools"))
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        match request.name.as_ref() {
            "sleep" => {
                let ms = args["ms"].as_u64().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            "hold" => {
                // Registered before it is counted, so the release cannot be missed.
                let released = RELEASE.notified();
                tokio::pin!(released);
                released.as_mut().enable();
                HOLDING.fetch_add(1, Ordering::SeqCst);
                released.await;
                HOLDING.fetch_sub(1, Ordering::SeqCst);
            }
            _ => {}
        }
        Ok(CallToolResponse::Complete(CallToolResult::structured(args)))
    }
}
