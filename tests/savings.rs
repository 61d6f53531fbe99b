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

/// The baseline rebuilt here, by hand, from the catalog files: each tool as
/// `{"name", "description", "input_schema"}` in one compact JSON array.
#[test]
fn baseline_is_the_tools_as_a_model_api_takes_them() {
    let report = savings(&[]);
    let bpe = tiktoken_rs::o200k_base().unwrap();
    for server in report["servers"].as_array().unwrap() {
        let name = server["name"].as_str().unwrap();
        let text = std::fs::read_to_string(fixture(&format!("catalogs/{name}.json"))).unwrap();
        let catalog: Value = serde_json::from_str(&text).unwrap();
        let mut array = String::from("[");
        for (i, tool) in catalog["tools"].as_array().unwrap().iter().enumerate() {
            if i > 0 {
                array.push(',');
            }
            array.push_str(&format!(
                "{{\"name\":{},\"description\":{},\"input_schema\":{}}}",
                tool["name"], tool["description"], tool["inputSchema"]
            ));
        }
        array.push(']');
        let tokens = bpe.encode_with_special_tokens(&array).len() as u64;
        assert_eq!(server["baseline_tokens"].as_u64(), Some(tokens), "{name}");
    }
}

const RATCHET: &str = "savings-ratchet.json";

/// The token counts of every disclosure form recorded in
/// `fixtures/savings-ratchet.json` may only go down. Run with `UPDATE_RATCHET=1` to record an improvement.
#[test]
fn reductions_never_fall_below_the_recorded_ones() {
    let report = savings(&[]);
    let mut current = serde_json::Map::new();
    for row in report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&report["total"]])
    {
        let name = row["name"].as_str().unwrap_or("total");
        let tokens = |key: &str| row[key].as_u64().unwrap();
        let less = |key: &str| {
            let saved = 1.0 - tokens(key) as f64 / tokens("baseline_tokens") as f64;
            (saved * 1000.0).round() / 10.0
        };
        current.insert(
            name.to_owned(),
            serde_json::json!({
                "baseline_tokens": tokens("baseline_tokens"),
                "full_tokens": tokens("full_tokens"),
                "full_less_percent": less("full_tokens"),
                "compact_tokens": tokens("compact_tokens"),
                "compact_less_percent": less("compact_tokens"),
                "search_tokens": tokens("search_tokens"),
                "search_less_percent": less("search_tokens"),
                "namespaces_tokens": tokens("namespaces_tokens"),
                "namespaces_less_percent": less("namespaces_tokens"),
            }),
        );
    }
    let current = serde_json::json!({"tokenizer": report["tokenizer"], "catalogs": current});
    if std::env::var_os("UPDATE_RATCHET").is_some() {
        let text = serde_json::to_string_pretty(&current).unwrap() + "\n";
        std::fs::write(fixture(RATCHET), text).unwrap();
        return;
    }
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(RATCHET)).unwrap()).unwrap();
    let mut problems = Vec::new();
    for (name, now) in current["catalogs"].as_object().unwrap() {
        let Some(then) = recorded["catalogs"].get(name) else {
            problems.push(format!("{name}: not recorded"));
            continue;
        };
        if now["baseline_tokens"] != then["baseline_tokens"] {
            problems.push(format!(
                "{name}: the catalog changed (baseline {} → {})",
                then["baseline_tokens"], now["baseline_tokens"]
            ));
            continue;
        }
        for key in [
            "full_tokens",
            "compact_tokens",
            "search_tokens",
            "namespaces_tokens",
        ] {
            let Some(was) = then[key].as_u64() else {
                problems.push(format!("{name}: {key} not recorded"));
                continue;
            };
            let is = now[key].as_u64().unwrap();
            if is > was {
                problems.push(format!(
                    "{name}: {key} rose from {was} to {is}: the declarations got bigger"
                ));
            } else if is < was {
                problems.push(format!(
                    "{name}: {key} fell from {was} to {is}: record the improvement"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(after an improvement, run UPDATE_RATCHET=1 cargo test --test integration savings:: and commit fixtures/{RATCHET})",
        problems.join("\n")
    );
}

/// The table in the README is the command's output, not typed by hand.
#[test]
fn readme_shows_the_table_the_command_prints() {
    let catalogs = all_catalogs();
    let mut args = vec!["savings"];
    args.extend(catalogs.iter().map(String::as_str));
    let table = codemode_ok(&args);
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let command =
        "$ codemode savings $(for f in fixtures/catalogs/*.json; do echo --tools-file $f; done)\n";
    let start = readme
        .find(command)
        .expect("the README shows the savings command")
        + command.len();
    let shown = &readme[start..start + readme[start..].find("```").unwrap()];
    assert_eq!(shown, table, "update the README's savings table");
}
