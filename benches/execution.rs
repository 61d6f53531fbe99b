//! Where the time of one execution goes. Run with `cargo bench --bench execution`.
//!
//! Prints the median of each measurement, taken side by side in one run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use codemode::config::{ServerSpec, Transport};
use codemode::executor::{Executor, Settings};
use codemode::sandbox::worker::Pool;
use codemode::sandbox::{Binding, Job, Limits};
use codemode::{sandbox, transpile, upstream};
use codemode_typegen::Api;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn show(name: &str, samples: Vec<Duration>) -> Duration {
    let m = median(samples);
    println!("{name:<58} {:>10.3} ms", m.as_secs_f64() * 1000.0);
    m
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench());
}

async fn bench() {
    let specs = vec![ServerSpec {
        name: "demo".into(),
        transport: Transport::Demo,
    }];
    let upstreams = upstream::connect_all(specs, Duration::from_secs(30)).await;
    let api = Api::new(upstreams.tool_lists());
    let triage =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/triage.ts"))
            .unwrap();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_codemode"));
    println!("median of each; demo upstream in-process");

    let compile: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            transpile::compile(&triage, &api, &Default::default()).unwrap();
            t.elapsed()
        })
        .collect();
    show(
        "swc: compile examples/triage.ts (TS -> JS + checks)",
        compile,
    );

    // The engine alone, in this process: fresh runtime + context + prelude.
    let bindings = Binding::all(&api);
    let mut engine = Vec::new();
    for _ in 0..200 {
        let job = Job {
            js: "(async () => { return 1; })()".into(),
            bindings: bindings.clone(),
            limits: Limits::default(),
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let t = Instant::now();
        let local = tokio::task::LocalSet::new();
        local.run_until(sandbox::run(job, tx)).await.unwrap();
        engine.push(t.elapsed());
    }
    let engine = show(
        "engine: fresh QuickJS runtime, bindings, `return 1`",
        engine,
    );

    let executor = Executor::new(
        api.clone(),
        upstreams.peers(),
        Settings::default(),
        Pool::new(exe.clone()),
    );
    executor.execute("return 1;", Limits::default()).await;
    let mut warm = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        executor.execute("return 1;", Limits::default()).await;
        warm.push(t.elapsed());
    }
    let warm = show("execute `return 1` (warm worker process)", warm);

    let mut cold = Vec::new();
    for _ in 0..50 {
        let fresh = Executor::new(
            api.clone(),
            upstreams.peers(),
            Settings::default(),
            Pool::new(exe.clone()),
        );
        let t = Instant::now();
        fresh.execute("return 1;", Limits::default()).await;
        cold.push(t.elapsed());
    }
    let cold = show("execute `return 1` (new worker process each time)", cold);

    let mut triage_runs = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let report = executor.execute(&triage, Limits::default()).await;
        assert!(report.ok());
        triage_runs.push(t.elapsed());
    }
    show(
        "execute examples/triage.ts (3 + 6 calls, warm worker)",
        triage_runs,
    );

    let mut calls = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let report = executor
            .execute(
                "for (let i = 0; i < 1000; i++) await demo.list_projects();",
                Limits::default(),
            )
            .await;
        assert!(report.ok());
        calls.push(t.elapsed() / 1000);
    }
    let per_call = show(
        "one sequential tool call, worker -> host -> MCP -> back",
        calls,
    );

    println!();
    println!(
        "warm execution / bare engine: {:.1}x",
        warm.as_secs_f64() / engine.as_secs_f64()
    );
    println!(
        "new worker / warm worker:     {:.1}x",
        cold.as_secs_f64() / warm.as_secs_f64()
    );
    println!(
        "calls per second, sequential: {:.0}",
        1.0 / per_call.as_secs_f64()
    );
    drop(executor);
    upstreams.shutdown().await;
}
