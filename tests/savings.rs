//! `codemode savings`, checked against figures measured independently of
//! codemode (the o200k_base yardstick in the team's notes, same baseline).

use serde_json::Value;

use crate::common::*;

fn all_catalogs() -> Vec<String> {
    let mut args = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixture("catalogs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for path in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        args.push("--tools-file".to_owned());
        args.push(path.to_string_lossy().into_owned());
    }
    args
}

fn savings(extra: &[&str]) -> Value {
    let catalogs = all_catalogs();
    let mut args: Vec<&str> = vec!["savings", "--json"];
    args.extend(catalogs.iter().map(String::as_str));
    args.extend_from_slice(extra);
    codemode_json(&args)
}

#[test]
fn baseline_matches_an_independent_count() {
    let report = savings(&[]);
    assert_eq!(report["tokenizer"], "o200k_base");
    let baseline: Vec<(&str, u64)> = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["baseline_tokens"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        baseline,
        [
            ("everything", 902),
            ("fetch", 228),
            ("filesystem", 1737),
            ("git", 1139),
            ("github", 25103),
            ("memory", 966),
            ("playwright", 3764),
            ("time", 270),
        ]
    );
}

#[test]
fn every_column_is_reported_and_consistent() {
    let report = savings(&[]);
    let servers = report["servers"].as_array().unwrap();
    let total = &report["total"];
    assert!(total.get("name").is_none());
    let sum = |key: &str| {
        servers
            .iter()
            .map(|s| s[key].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(total["tools"].as_u64(), Some(sum("tools")));
    // The total is one tool list, as a client would send it: the separate
    // lists' brackets are not counted eight times.
    let (total_baseline, summed) = (
        total["baseline_tokens"].as_u64().unwrap(),
        sum("baseline_tokens"),
    );
    assert!(
        total_baseline <= summed && summed - total_baseline <= 2 * servers.len() as u64,
        "{total_baseline} vs {summed}"
    );
    for server in servers {
        let get = |key: &str| server[key].as_u64().unwrap();
        assert!(get("raw_list_tokens") > get("baseline_tokens"), "{server}");
        assert!(get("compact_tokens") < get("full_tokens"), "{server}");
    }
    // Search mode lists names only: nearly constant, however large the catalog.
    assert!(
        total["search_tokens"].as_u64().unwrap() * 20 < total["baseline_tokens"].as_u64().unwrap(),
        "{total}"
    );
}

#[test]
fn the_tokenizer_can_be_chosen() {
    let cl100k = savings(&["--tokenizer", "cl100k_base"]);
    assert_eq!(cl100k["tokenizer"], "cl100k_base");
    let o200k = savings(&[]);
    assert_ne!(
        cl100k["total"]["baseline_tokens"],
        o200k["total"]["baseline_tokens"]
    );
}

#[test]
fn the_table_has_a_row_per_server_and_a_total() {
    let table = codemode_ok(&["savings"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("prompt tokens (o200k_base)"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("SERVER")
            && lines[1].contains("BASELINE")
            && lines[1].contains("SEARCH"),
        "{table}"
    );
    assert!(lines[2].starts_with("demo "), "{table}");
    assert!(lines[3].starts_with("total "), "{table}");
}

#[test]
fn run_trace_counts_what_stayed_in_the_sandbox() {
    let (report, ok) = run_program(
        "for (let i = 0; i < 3; i++) await demo.list_projects();\nreturn 1;",
        &["--trace"],
    );
    assert!(ok, "{report:#}");
    let trace = &report["trace"];
    assert_eq!(trace["tokenizer"], "o200k_base");
    let calls = trace["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3);
    let each = calls[0]["result_tokens"].as_u64().unwrap();
    assert!(
        each > 20,
        "a project list is more than a few tokens: {each}"
    );
    assert!(
        calls
            .iter()
            .all(|c| c["result_tokens"].as_u64() == Some(each)),
        "the same result three times"
    );
    assert_eq!(trace["tool_results_tokens"].as_u64(), Some(3 * each));
    assert_eq!(trace["result_tokens"], 1, "`1` is one token");
    // Without --trace the report has no trace.
    let (plain, _) = run_program("return 1;", &[]);
    assert!(plain.get("trace").is_none());
}
