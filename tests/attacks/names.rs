//! Servers and tools whose names would change what a program sees.

use super::*;

#[test]
fn a_server_named_after_any_sandbox_global_leaves_the_global_alone() {
    // Every global of the sandbox, as the engine itself lists them.
    let (report, _) = run_program("return Object.getOwnPropertyNames(globalThis);", &[]);
    let globals: Vec<String> = report["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap().to_owned())
        .filter(|g| g != "demo")
        .collect();
    assert!(globals.iter().any(|g| g == "performance"), "{globals:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for global in &globals {
        args.push("--tools-file".to_owned());
        args.push(tools_file(dir.path(), global, &["probe"]));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Each global is what it was, and each server has a namespace of its own.
    let check = format!(
        "return {}.map((g) => [g, typeof (globalThis as any)[g], typeof (globalThis as any)[g + '_']?.probe]);",
        serde_json::to_string(&globals).unwrap()
    );
    let (alone, ok) = run_program(&check, &[]);
    assert!(ok, "{alone}");
    let (beside, ok) = run_program(&check, &args);
    assert!(ok, "{beside}");
    for (before, after) in alone["result"]
        .as_array()
        .unwrap()
        .iter()
        .zip(beside["result"].as_array().unwrap())
    {
        assert_eq!(before[1], after[1], "{after} was replaced");
        assert_eq!(
            after[2], "function",
            "{after}: the server's namespace gets a _ suffix"
        );
    }
    let (report, _) = run_program(
        "return [typeof performance.now, typeof queueMicrotask];",
        &args,
    );
    assert_eq!(report["result"], json!(["function", "function"]));
}

#[test]
fn a_tool_named_then_cannot_make_its_namespace_a_promise() {
    let dir = tempfile::tempdir().unwrap();
    let file = tools_file(dir.path(), "tricky", &["then", "other"]);
    let types = codemode_ok(&["types", "--tools-file", &file]);
    assert!(types.contains("function then_("), "{types}");
    // `await tricky` used to call the tool, and hang.
    let (report, ok) = run_program(
        "const ns = await tricky;\nreturn [ns === tricky, typeof tricky.then, typeof tricky.then_];",
        &["--tools-file", &file, "--timeout-ms", "5000"],
    );
    assert!(ok, "{report}");
    assert_eq!(report["result"], json!([true, "undefined", "function"]));
}
