//! Calls are exactly what the program sent, and what flows through them is bounded.

use super::*;

#[test]
fn arguments_json_cannot_carry_never_reach_the_tool() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let mut serve = RawStdio::start(&["--config", config.to_str().unwrap()]);
    // A lone surrogate used to turn the arguments into {}: the tool ran
    // without its filters.
    let report = serve.execute("return await hostile.echo({ filter: { title: 'a\\ud83d' } });");
    let (kind, message) = failure(&report);
    assert_eq!(kind, "runtime");
    assert_eq!(
        message,
        "TypeError: hostile.echo: invalid arguments: args.filter.title: the string has an unpaired surrogate, which JSON cannot carry; the call was not made"
    );
    // So did arguments nested 127 levels or more.
    let report = serve.execute(
        "let a: any = { leaf: 1 };\nfor (let i = 0; i < 130; i++) a = { a };\nreturn await hostile.echo(a);",
    );
    let (_, message) = failure(&report);
    assert!(
        message.contains("nested more than 100 levels deep; the call was not made"),
        "{message}"
    );
    assert_eq!(report["error"]["line"], 3, "{report}");
    // Arguments that can be sent arrive exactly as sent.
    let report =
        serve.execute("return await hostile.echo({ s: 'é\\u{1F600}', n: [1, { m: null }] });");
    assert_eq!(
        report["result"],
        json!({"s": "é😀", "n": [1, {"m": null}]}),
        "{report}"
    );
    assert_eq!(
        calls_received(&log, "echo"),
        1,
        "only the last call reached the server"
    );
    let sent = hostile_log(&log)
        .into_iter()
        .find(|e| e["call"] == "echo")
        .unwrap();
    assert_eq!(sent["args"], json!({"s": "é😀", "n": [1, {"m": null}]}));
    serve.still_serves();
}

#[test]
fn arguments_in_flight_are_bounded_by_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let mut serve = RawStdio::start(&["--config", config.to_str().unwrap(), "--memory-mb", "64"]);
    // Measured from serve at rest: its peak so far is start-up's, which
    // depends on the build, not on the calls.
    serve.still_serves();
    let at_rest = peak_mib(serve.pid());
    std::fs::write(format!("/proc/{}/clear_refs", serve.pid()), "5").unwrap();
    // 40 pending calls with 8 MB of arguments each: the sandbox grew to 620 MB
    // and the host to 330 MB.
    let report = serve.execute(
        "const s = 'x'.repeat(8_000_000);\n\
         const settled = await Promise.allSettled(Array.from({ length: 40 }, () => hostile.slow({ ms: 200, s })));\n\
         return settled.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason.message));",
    );
    let outcomes = report["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"));
    let sent = outcomes.iter().filter(|o| *o == "ok").count();
    assert_eq!(sent, 2, "16 MiB in flight: two 8 MB calls, {outcomes:?}");
    assert!(
        outcomes[39].as_str().unwrap().starts_with("the arguments of the calls in flight would take 22.9 MiB, more than the 16.0 MiB allowed (a quarter of the memory limit)"),
        "{}",
        outcomes[39]
    );
    assert_eq!(calls_received(&log, "slow"), 2);
    // One call larger than a server can be sent is refused by name.
    let report = serve.execute("return await hostile.echo({ s: 'x'.repeat(20_000_000) });");
    let (_, message) = failure(&report);
    assert!(
        message.ends_with("the arguments are 19.1 MiB as JSON; at most 16.0 MiB can be sent to a server in one call"),
        "{message}"
    );
    serve.still_serves();
    let peak = peak_mib(serve.pid());
    // The 40 calls' arguments alone would take 320 MB if all were held.
    assert!(
        peak < at_rest + 200,
        "codemode serve peaked at {peak} MiB, {at_rest} MiB at rest"
    );
}

#[test]
fn results_too_deep_or_too_large_fail_at_once_naming_why() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = hostile_config(dir.path());
    let mut serve = RawStdio::start(&[
        "--config",
        config.to_str().unwrap(),
        "--timeout-ms",
        "60000",
    ]);
    // Both used to hang until the deadline with "did not answer".
    let report = serve.execute("return await hostile.deep({ depth: 130 });");
    let (kind, message) = failure(&report);
    assert_eq!(kind, "runtime");
    assert_eq!(
        message,
        "Error: hostile.deep failed: the response nests 133 levels deep, more than the 127 codemode can read"
    );
    let report = serve.execute("return await hostile.huge({ mb: 20 });");
    let (_, message) = failure(&report);
    assert!(
        message.starts_with(
            "Error: hostile.huge failed: the response is 20000073 bytes, over the limit of 16.0 MiB"
        ),
        "{message}"
    );
    // Deep enough to read, too deep to hand to a program.
    let report = serve.execute("return await hostile.deep({ depth: 110 });");
    let (_, message) = failure(&report);
    assert_eq!(
        message,
        "Error: hostile.deep returned a result nested 111 levels deep; at most 100 levels can be passed to a program"
    );
    // The connection to the server is fine afterwards.
    let report = serve.execute("return await hostile.echo({ ok: true });");
    assert_eq!(report["result"], json!({"ok": true}), "{report}");
    serve.still_serves();
}

#[test]
fn a_result_nested_too_deep_to_return_is_a_result_error() {
    let mut serve = RawStdio::start(&[]);
    let report =
        serve.execute("let a: any = 1;\nfor (let i = 0; i < 200; i++) a = [a];\nreturn a;");
    let (kind, message) = failure(&report);
    assert_eq!(kind, "result");
    assert_eq!(
        message,
        "the returned value nests more than 100 levels deep; return a flatter value"
    );
    let report = serve.execute("return 'a\\ud800';");
    let (kind, message) = failure(&report);
    assert_eq!(kind, "result");
    assert!(
        message.contains("strings with unpaired surrogates cannot be returned"),
        "{message}"
    );
    serve.still_serves();
}

#[test]
fn everything_in_the_report_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = hostile_config(dir.path());
    let mut serve = RawStdio::start(&[
        "--config",
        config.to_str().unwrap(),
        "--max-output-kb",
        "16",
        "--max-calls",
        "100000",
        // It takes 25 s on a loaded machine: the default deadline (30 s) is
        // not what is tested.
        "--timeout-ms",
        "300000",
    ]);
    // Huge error texts from the server, huge names from the program, and a
    // flood of empty log lines used to make a 100 MB report.
    let response = serve.request(
        "tools/call",
        json!({"name": "execute", "arguments": {"code": "\
            for (let i = 0; i < 20; i++) { try { await hostile.fail({ kb: 1024 }); } catch {} }\n\
            const name = 'n'.repeat(1_000_000);\n\
            for (let i = 0; i < 200; i++) { try { await (hostile as any)[name + i]({}); } catch {} }\n\
            for (let i = 0; i < 200; i++) { try { await (hostile as any)['x'.repeat(200) + i]({}); } catch {} }\n\
            for (let i = 0; i < 100000; i++) console.log('');\n\
            await hostile.fail({ kb: 4096 });"}}),
    );
    let bytes = response.to_string().len();
    assert!(bytes < 96 << 10, "the response is {bytes} bytes");
    let report = &response["result"]["structuredContent"];
    let (kind, message) = failure(report);
    assert_eq!(kind, "runtime");
    assert!(message.len() < 9 << 10, "{}", message.len());
    assert!(
        message.ends_with("[cut: 4.0 MiB in all]"),
        "{}",
        &message[message.len() - 60..]
    );
    let calls = report["calls"].as_array().unwrap();
    assert!(!calls.is_empty() && calls.len() < 20, "{}", calls.len());
    assert!(
        calls[0]["error"]
            .as_str()
            .unwrap()
            .ends_with("[cut: 1.0 MiB in all]")
    );
    assert!(report["calls_omitted"].as_u64().unwrap() > 0, "{report}");
    serve.still_serves();
}

#[test]
fn requests_too_big_or_too_deep_to_read_are_answered_at_once() {
    let mut serve = RawStdio::start(&["--max-program-kb", "64"]);
    // 20 MB of program: over the request limit (and over rmcp's own line
    // limit, past which it used to drop the request without a word).
    let huge = json!({"jsonrpc": "2.0", "id": "big", "method": "tools/call",
        "params": {"name": "execute", "arguments": {"code": format!("return '{}';", "x".repeat(20 << 20))}}});
    serve.send(&huge);
    let response = serve.response();
    assert_eq!(response["id"], "big", "{response}");
    assert_eq!(response["error"]["code"], -32600, "{response}");
    let message = response["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the request is 20971")
            && message.contains("the largest program this server compiles")
            && !message.contains("--"),
        "{message}"
    );

    let deep = format!(
        r#"{{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{{"name":"execute","arguments":{{"code":"return 1","x":{}1{}}}}}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    serve.send_raw(deep.as_bytes());
    let response = serve.response();
    assert_eq!(response["id"], 77, "{response}");
    assert_eq!(
        response["error"]["message"],
        "the request nests 303 levels deep, more than the 127 codemode reads"
    );

    serve.still_serves();
    // The 20 MB were read through, never held.
    let peak = peak_mib(serve.pid());
    assert!(peak < 150, "codemode serve peaked at {peak} MiB");
}
