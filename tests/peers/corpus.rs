//! The corpus of programs (`tests/corpus/`): tasks an agent is given over
//! real servers (git, SQLite, filesystem, memory, time, everything and the
//! demo tracker), each with the answer its program must return; a reference
//! program per task, written knowing the servers, and programs a model wrote
//! from the prompt alone (`tests/corpus/prompt.sh`). Each set runs through
//! one `codemode serve` over stdio, as a client would call it, warm: after
//! the warm-up that prompt.sh also runs, so the declarations the model saw
//! are the ones its programs run under. A set's programs share one
//! environment and run in the order of `tasks.json`, where the tasks that
//! write come after those whose answers they would change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common::*;

const RATCHET: &str = "corpus-ratchet.json";

struct Task {
    id: String,
    expected: Value,
}

fn corpus() -> PathBuf {
    repo().join("tests/corpus")
}

fn tasks() -> Vec<Task> {
    let text = std::fs::read_to_string(corpus().join("tasks.json")).unwrap();
    let tasks: Vec<Value> = serde_json::from_str(&text).unwrap();
    tasks
        .into_iter()
        .map(|t| {
            assert!(
                t["task"].as_str().is_some_and(|s| !s.is_empty()),
                "a task without text: {t}"
            );
            Task {
                id: t["id"].as_str().expect("a task id").to_owned(),
                expected: t["expected"].clone(),
            }
        })
        .collect()
}

/// The programs of a set (`reference`, `model`), by task id.
fn programs(set: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(corpus().join(set))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ts"))
        .map(|p| {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            (id, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The environment in `root`, built afresh (learned types kept).
fn build_env(root: &Path) {
    let output = Command::new("bash")
        .arg(corpus().join("build-env.sh"))
        .arg(root)
        .arg(codemode_path())
        .env("CODEMODE_TEST_DEPS", test_deps())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "build-env.sh failed:\n{}",
        stderr(&output)
    );
}

/// What each program returned (`Ok`) or the error `execute` gave (`Err`),
/// all run by one `codemode serve` over a fresh environment in `root`, with
/// the types the warm-up taught (`warm`, copied: each set starts alike).
fn run_set(root: &Path, warm: &Path, programs: &[&str]) -> Vec<Result<Value, String>> {
    build_env(root);
    let shapes = root.join("shapes-run.json");
    std::fs::copy(warm, &shapes).unwrap();
    let calls: Vec<Value> = programs
        .iter()
        .map(|code| json!({"name": "execute", "arguments": {"code": code}}))
        .collect();
    let out = crate::serve::python_client(
        &[
            "stdio",
            codemode_path(),
            "serve",
            "--config",
            root.join("mcp.json").to_str().unwrap(),
            "--shapes",
            shapes.to_str().unwrap(),
        ],
        Value::Array(calls),
    );
    // The prompt the model was given is the same wherever the corpus runs.
    let description = out["tools"][0]["description"].as_str().unwrap();
    assert!(
        !description.contains(root.to_str().unwrap()),
        "execute's description names the environment's folder:\n{description}"
    );
    out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r["isError"].as_bool() {
            Some(false) => Ok(r["structuredContent"]["result"].clone()),
            _ => Err(r["text"].as_str().unwrap_or_default().to_owned()),
        })
        .collect()
}

/// JSON equality where numbers compare by value (`158` is `158.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// A program's length: its bytes, without surrounding blank space.
fn length(program: &str) -> usize {
    program.trim().len()
}

fn median(mut values: Vec<usize>) -> Option<usize> {
    values.sort_unstable();
    let n = values.len();
    (n > 0).then(|| (values[(n - 1) / 2] + values[n / 2]) / 2)
}

/// One set's outcome per task (`None`: no program for it) and a summary line.
struct Scored {
    passed: Vec<Option<bool>>,
    failures: Vec<String>,
    summary: String,
}

fn score(
    set: &str,
    tasks: &[Task],
    programs: &BTreeMap<String, String>,
    results: Vec<Result<Value, String>>,
) -> Scored {
    let mut results = results.into_iter();
    let mut passed = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        let Some(_) = programs.get(&task.id) else {
            passed.push(None);
            continue;
        };
        let ok = match results.next().expect("a result per program") {
            Ok(value) if same(&value, &task.expected) => true,
            Ok(value) => {
                failures.push(format!(
                    "{set} {}: returned {value}, expected {}",
                    task.id, task.expected
                ));
                false
            }
            Err(error) => {
                failures.push(format!("{set} {}: {error}", task.id));
                false
            }
        };
        passed.push(Some(ok));
    }
    let count = passed.iter().flatten().filter(|ok| **ok).count();
    let lengths: Vec<usize> = programs.values().map(|p| length(p)).collect();
    let summary = format!(
        "{set}: {count} of {} tasks passed ({} programs), median length {}, {} bytes in all",
        tasks.len(),
        programs.len(),
        median(lengths.clone()).map_or("-".to_owned(), |m| format!("{m} bytes")),
        lengths.iter().sum::<usize>(),
    );
    Scored {
        passed,
        failures,
        summary,
    }
}

fn table(tasks: &[Task], sets: &[(&BTreeMap<String, String>, &Scored)]) -> String {
    let mut out = format!(
        "{:<26} {:>14} {:>14} {:>14}\n",
        "TASK", "REFERENCE", "MODEL", "MODEL-CAREFUL"
    );
    for (i, task) in tasks.iter().enumerate() {
        out.push_str(&format!("{:<26}", task.id));
        for (programs, scored) in sets {
            let cell = match (programs.get(&task.id), scored.passed[i]) {
                (Some(program), Some(ok)) => {
                    format!(
                        "{} {:>5} B",
                        if ok { "ok  " } else { "FAIL" },
                        length(program)
                    )
                }
                _ => "-".to_owned(),
            };
            out.push_str(&format!(" {cell:>14}"));
        }
        out.push('\n');
    }
    for (_, scored) in sets {
        out.push_str(&scored.summary);
        out.push('\n');
    }
    out
}

/// The sets of programs a model wrote from the prompt alone, and the key of
/// each one's count in the ratchet: `model` written concisely, trusting the
/// prompt; `model-careful` written to be right on the first try however the
/// model usually makes sure.
const MODEL_SETS: &[(&str, &str)] = &[
    ("model", "model_passed"),
    ("model-careful", "model_careful_passed"),
];

/// Every reference program returns its task's answer, and the model's
/// programs pass at least as many tasks as `fixtures/corpus-ratchet.json`
/// records (`UPDATE_CORPUS=1` records the count). The table, with each
/// program's length, is printed (`-- --nocapture`).
#[test]
fn reference_programs_pass_and_model_programs_hold_their_count() {
    let tasks = tasks();
    let reference = programs("reference");
    // Each set a model wrote, with the key of its count in the ratchet.
    let models: Vec<(&str, BTreeMap<String, String>)> = MODEL_SETS
        .iter()
        .map(|(set, _)| (*set, programs(set)))
        .collect();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "two tasks have the same id");
    for (set, programs) in std::iter::once(("reference", &reference))
        .chain(models.iter().map(|(set, programs)| (*set, programs)))
    {
        for id in programs.keys() {
            assert!(
                ids.contains(&id.as_str()),
                "tests/corpus/{set}/{id}.ts names no task of tasks.json"
            );
        }
    }
    for id in &ids {
        assert!(
            reference.contains_key(*id),
            "task {id} has no reference program"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("env");
    build_env(&root);
    let warm = dir.path().join("shapes-warm.json");
    let warmup = corpus().join("warmup.ts");
    codemode_ok(&[
        "learn",
        warmup.to_str().unwrap(),
        "--config",
        root.join("mcp.json").to_str().unwrap(),
        "--shapes",
        warm.to_str().unwrap(),
    ]);

    let in_order = |programs: &BTreeMap<String, String>| -> Vec<String> {
        ids.iter()
            .filter_map(|id| programs.get(*id).cloned())
            .collect()
    };
    let run = |programs: &BTreeMap<String, String>| {
        let sources = in_order(programs);
        if sources.is_empty() {
            return Vec::new();
        }
        run_set(
            &root,
            &warm,
            &sources.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let reference_scored = score("reference", &tasks, &reference, run(&reference));
    let models_scored: Vec<Scored> = models
        .iter()
        .map(|(set, programs)| score(set, &tasks, programs, run(programs)))
        .collect();
    let mut sets = vec![(&reference, &reference_scored)];
    sets.extend(models.iter().map(|(_, p)| p).zip(&models_scored));
    eprintln!("{}", table(&tasks, &sets));
    for failure in models_scored.iter().flat_map(|s| &s.failures) {
        eprintln!("{failure}");
    }
    assert!(
        reference_scored.failures.is_empty(),
        "reference programs failed:\n{}",
        reference_scored.failures.join("\n")
    );

    let passed: Vec<usize> = models_scored
        .iter()
        .map(|scored| scored.passed.iter().flatten().filter(|ok| **ok).count())
        .collect();
    if std::env::var_os("UPDATE_CORPUS").is_some() {
        let counts: serde_json::Map<String, Value> = MODEL_SETS
            .iter()
            .zip(&passed)
            .map(|((_, key), n)| ((*key).to_owned(), json!(n)))
            .collect();
        let text = serde_json::to_string_pretty(&counts).unwrap();
        std::fs::write(fixture(RATCHET), text + "\n").unwrap();
        return;
    }
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(RATCHET)).unwrap()).unwrap();
    for (((set, key), passed), scored) in MODEL_SETS.iter().zip(&passed).zip(&models_scored) {
        let recorded = recorded[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {RATCHET}")) as usize;
        assert!(
            *passed >= recorded,
            "the programs of {set} passed {passed} of {} tasks, fewer than the {recorded} recorded:\n{}",
            tasks.len(),
            scored.failures.join("\n")
        );
        if *passed > recorded {
            eprintln!(
                "the programs of {set} passed {passed} of {} tasks, more than the {recorded} recorded: record it with UPDATE_CORPUS=1 cargo test --features peer-tests --test peers corpus::",
                tasks.len()
            );
        }
    }
}

#[test]
fn json_answers_compare_numbers_by_value_and_everything_else_exactly() {
    assert!(same(&json!({"a": [158, 1.5]}), &json!({"a": [158.0, 1.5]})));
    assert!(!same(&json!([1, 2]), &json!([2, 1])));
    assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": null})));
    assert!(!same(&json!("1"), &json!(1)));
    assert_eq!(median(vec![3, 1, 2]), Some(2));
    assert_eq!(median(vec![4, 1, 2, 3]), Some(2));
    assert_eq!(median(vec![]), None);
}
