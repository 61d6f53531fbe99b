//! What the runtime promises a program: parts in MCP's own shape, logs that
//! are never lost, timers and the globals programs written for Workers or
//! Node reach for.

use serde_json::json;

use super::*;

/// Programs that log and then end every way a program ends, with the lines
/// each must report and how it ends (`None`: it returns).
const LOGGING: &[(&str, &[&str], Option<&str>)] = &[
    ("console.log('no call'); return 1;", &["no call"], None),
    (
        "await demo.list_projects(); console.log('after the last call'); return 1;",
        &["after the last call"],
        None,
    ),
    (
        "console.log('before'); await demo.list_projects(); console.warn('after');\nthrow new Error('boom');",
        &["before", "after"],
        Some("runtime"),
    ),
    (
        "console.log('before a rejection'); await Promise.reject(new TypeError('no'));",
        &["before a rejection"],
        Some("runtime"),
    ),
    (
        "console.log('before a timer throws'); setTimeout(() => { console.log('in the timer'); throw new Error('t'); }, 1);\nawait new Promise(() => {});",
        &["before a timer throws", "in the timer"],
        Some("runtime"),
    ),
    (
        "console.log('before the deadline'); for (;;) {}",
        &["before the deadline"],
        Some("timeout"),
    ),
    (
        "console.log('before memory runs out'); const a = []; for (;;) a.push('x'.repeat(1 << 16) + a.length);",
        &["before memory runs out"],
        Some("memory"),
    ),
];

fn check_logged(report: &Value, lines: &[&str], ends: Option<&str>, program: &str, round: usize) {
    match ends {
        None => assert_eq!(report["ok"], true, "{program}: {report}"),
        Some(kind) => assert_eq!(report["error"]["kind"], kind, "{program}: {report}"),
    }
    let logged: Vec<&str> = report["logs"]
        .as_array()
        .unwrap_or_else(|| panic!("{program}: {report}"))
        .iter()
        .map(|line| line["message"].as_str().unwrap())
        .collect();
    assert_eq!(logged, lines, "round {round} of {program}: {report}");
}

#[test]
fn logs_are_kept_however_a_run_ends() {
    // They were usually lost after the last call or before a throw (0 of
    // 20 kept for a program with no calls); twenty rounds each, since the
    // loss depended on timing.
    let dir = tempfile::tempdir().unwrap();
    for (i, (program, lines, ends)) in LOGGING.iter().enumerate() {
        let file = dir.path().join(format!("p{i}.ts"));
        std::fs::write(&file, program).unwrap();
        // Only the program that ends at the deadline has a short one: under
        // load, the others would meet it before they end their own way.
        let timeout = if *ends == Some("timeout") {
            "1000"
        } else {
            "60000"
        };
        for round in 0..20 {
            let output = codemode(&[
                "run",
                "--timeout-ms",
                timeout,
                "--memory-mb",
                "16",
                file.to_str().unwrap(),
            ]);
            let report: Value = serde_json::from_str(&stdout(&output))
                .unwrap_or_else(|_| panic!("{program}: {}", stderr(&output)));
            check_logged(&report, lines, *ends, program, round);
        }
    }
}

#[test]
fn logs_are_kept_however_an_execute_ends_over_stdio_and_http() {
    let limits = ["--timeout-ms", "60000", "--memory-mb", "16"];
    let mut stdio = RawStdio::start(&limits);
    let mut http = serve_http(&limits, &[]);
    let port = http.port("serving MCP at");
    for (program, lines, ends) in LOGGING {
        // Only the program that ends at the deadline asks for a short one:
        // under load, the others would meet it before they end their own way.
        let arguments = if *ends == Some("timeout") {
            json!({"code": program, "timeout_ms": 1000})
        } else {
            json!({"code": program})
        };
        for round in 0..20 {
            let response = stdio.request(
                "tools/call",
                json!({"name": "execute", "arguments": arguments}),
            );
            let report = &response["result"]["structuredContent"];
            check_logged(report, lines, *ends, program, round);
        }
        for round in 0..5 {
            let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "execute", "arguments": arguments}});
            let (status, _, body) = stateless_post(port, &call);
            assert_eq!(status, 200, "{body}");
            let report = &first_message(&body)["result"]["structuredContent"];
            check_logged(report, lines, *ends, program, round);
        }
    }
}

#[test]
fn many_logs_are_cut_saying_so_and_leave_the_result_whole() {
    // A flood of lines used to take the whole output limit, and the result
    // came back as nothing but the truncation note.
    let (report, ok) = run_program(
        "for (let i = 0; i < 100000; i++) console.log('line ' + i);\nreturn { answer: 42 };",
        &["--max-output-kb", "4"],
    );
    assert!(ok, "{report}");
    assert_eq!(report["result"], json!({"answer": 42}), "{report}");
    let logs = report["logs"].as_array().unwrap();
    assert_eq!(logs[0]["message"], "line 0");
    let last = logs.last().unwrap()["message"].as_str().unwrap();
    assert!(last.contains("logs cut"), "{report}");
    assert!(report.to_string().len() < 6 << 10, "bounded: {report}");
}
