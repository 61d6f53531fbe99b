//! The README's examples, run: its programs are the files they name, its
//! output is what they print, and its commands work as written.

use std::fs;
use std::process::Command;

use serde_json::Value;

use crate::common::*;

fn readme() -> String {
    fs::read_to_string(repo().join("README.md")).unwrap()
}

/// The fenced blocks of `lang`, each as its text.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    text.split(&fence)
        .skip(1)
        .map(|rest| rest[..rest.find("```").expect("every block is closed")].to_owned())
        .collect()
}

/// `codemode ARGS`, a command as the README writes it, with `codemode`
/// wherever it starts a command meaning this build.
fn run_as_written(command: &str) -> std::process::Output {
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "codemode", "{command}");
    let args: Vec<&str> = words[1..]
        .iter()
        .map(|w| if *w == "codemode" { codemode_path() } else { w })
        .collect();
    Command::new(codemode_path())
        .args(args)
        .current_dir(repo())
        .env_remove("CODEMODE_LOG")
        .output()
        .unwrap()
}

/// Whether `shown` (the README's abridged JSON, where `...` stands for the
/// rest of an array) is `actual` cut short: objects with fewer keys,
/// arrays with their first items, every `ms` any number.
fn shows(shown: &Value, actual: &Value) -> bool {
    match (shown, actual) {
        (Value::Object(shown), Value::Object(actual)) => shown.iter().all(|(key, value)| {
            actual
                .get(key)
                .is_some_and(|a| (key == "ms" && a.is_number()) || shows(value, a))
        }),
        (Value::Array(shown), Value::Array(actual)) => {
            shown.len() <= actual.len() && shown.iter().zip(actual).all(|(s, a)| shows(s, a))
        }
        _ => shown == actual,
    }
}

#[test]
fn the_programs_shown_are_the_example_files() {
    let text = readme();
    let mut checked = 0;
    for block in blocks(&text, "ts") {
        let Some(name) = block.lines().next().and_then(|l| l.strip_prefix("// ")) else {
            continue;
        };
        if !name.starts_with("examples/") {
            continue;
        }
        let file = fs::read_to_string(repo().join(name)).unwrap();
        let shown = &block[block.find('\n').unwrap() + 1..];
        assert!(
            file.ends_with(shown),
            "the README shows {name} other than it is; copy it again:\n{shown}"
        );
        checked += 1;
    }
    assert!(checked > 0, "the README names no example file");
}

#[test]
fn the_triage_output_shown_is_what_it_prints() {
    let text = readme();
    let command = "codemode run examples/triage.ts";
    assert!(
        text.contains(command),
        "the README no longer runs {command}"
    );
    let output = run_as_written(command);
    assert!(output.status.success(), "{}", stderr(&output));
    let actual: Value = serde_json::from_slice(&output.stdout).unwrap();
    let shown = blocks(&text, "json")
        .into_iter()
        .find(|b| b.contains("\"hot\""))
        .expect("the README shows triage's output");
    let shown: Value = serde_json::from_str(&shown.replace(", ...]", "]"))
        .unwrap_or_else(|e| panic!("the README's triage output is no JSON but for `...`: {e}"));
    assert!(
        shows(&shown, &actual),
        "the README shows\n{shown:#}\nbut the program prints\n{actual:#}"
    );
}

#[test]
fn the_demo_as_a_stdio_child_is_the_namespace_the_examples_use() {
    let command = "codemode types -- codemode demo-server";
    assert!(
        readme().contains(command),
        "the README no longer shows {command}"
    );
    let output = run_as_written(command);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("declare namespace demo {"),
        "{}",
        stdout(&output)
    );
    let triage = Command::new(codemode_path())
        .args([
            "run",
            "examples/triage.ts",
            "--",
            codemode_path(),
            "demo-server",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(triage.status.success(), "{}", stdout(&triage));
}
