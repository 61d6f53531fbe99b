//! Tool results a hostile upstream makes large in host memory, whatever
//! their shape (`tests/python/big_result_server.py`): a megabyte of `[]` is a
//! million values, `'\0'` grows when written again, a result may be many
//! blocks, structured content or metadata. Each is measured before a tree is
//! built from it and refused with an error the program can catch, within a
//! quarter of the execution's memory limit; the proxy keeps serving.

use super::*;

/// `codemode serve` with `big_result_server.py` named `big`, and a memory
/// limit of 16 MiB, so results may hold 4 MiB at once.
fn serve_big(dir: &Path) -> RawStdio {
    let server = repo().join("tests/python/big_result_server.py");
    let config = dir.join("mcp.json");
    let text = json!({"mcpServers": {"big": {"command": "python3", "args": [server]}}});
    std::fs::write(&config, text.to_string()).unwrap();
    RawStdio::start(&["--config", config.to_str().unwrap(), "--memory-mb", "16"])
}

#[test]
fn results_too_large_to_hold_are_refused_with_an_error_the_program_catches() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = serve_big(dir.path());
    let kinds = [
        ("empty_lists", 2.0),
        ("empty_tuples", 2.0),
        ("nul_escapes", 1.5),
        ("control_text", 5.0),
        ("plain_text", 5.0),
        ("blocks", 1.0),
        ("structured", 0.5),
        ("meta", 0.5),
        ("image", 5.0),
    ];
    for (kind, mb) in kinds {
        let program = format!(
            "try {{ await big.big({{ kind: '{kind}', mb: {mb} }}); return 'held'; }} catch (e) {{ return e.message; }}"
        );
        let report = client.execute(&program);
        let message = report["result"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("big.big returned ")
                && message.contains(
                    "more than the 4.0 MiB a program's results may hold at once (a quarter of its 16.0 MiB memory limit); ask the tool for less: a page, a filter, a narrower query"
                ),
            "{kind}: {report}"
        );
    }
    // Results that fit arrive, however many are in flight: each waits for
    // the program to take those before it.
    let report = client.execute(
        "const texts = await Promise.all(Array.from({ length: 12 }, () => big.big({ kind: 'plain_text', mb: 1 }))); return texts.map(t => t.length).reduce((a, b) => a + b);",
    );
    assert_eq!(report["result"], 12_000_000, "{report}");
    // The next execution is served, and results of ordinary size arrive as before.
    let report = client.execute(
        "const rows = await big.big({ kind: 'small' }); const text = await big.big({ kind: 'plain_text', mb: 1 }); return [rows.map(r => r.name), text.length];",
    );
    assert_eq!(
        report["result"],
        json!([["row 0", "row 1", "row 2"], 1_000_000]),
        "{report}"
    );
}

#[test]
fn a_message_of_too_many_values_is_cut_short_before_rmcp_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = serve_big(dir.path());
    for kind in ["structured", "meta", "blocks"] {
        let program = format!(
            "try {{ await big.big({{ kind: '{kind}', mb: 3 }}); return 'held'; }} catch (e) {{ return e.message; }}"
        );
        let report = client.execute(&program);
        assert_eq!(
            report["result"],
            "big.big failed: the response holds more than 524288 values, more than codemode reads from a server in one message; ask the tool for less: a page, a filter, a narrower query",
            "{kind}: {report}"
        );
    }
    let report = client.execute("return (await big.big({ kind: 'small' })).length;");
    assert_eq!(report["result"], 3, "{report}");
}
