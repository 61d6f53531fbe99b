//! Result types learned from real calls: `run` and `learn` fold results into
//! shapes, `types` and `serve` show them as `Observed<...>`, `shapes` lists
//! and forgets them.

use crate::common::*;

#[test]
fn results_teach_types_that_types_and_serve_show_and_shapes_forgets() {
    let dir = tempfile::tempdir().unwrap();
    let shapes = dir.path().join("shapes.json");
    let shapes_arg = shapes.to_string_lossy().into_owned();
    let fixture = conformance_fixture();
    let upstream = ["--", fixture.as_str(), "--era", "legacy"];
    let with = |command: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(["--shapes".to_owned(), shapes_arg.clone()]);
        args.extend(upstream.iter().map(|s| s.to_string()));
        args
    };
    let cm = |args: Vec<String>| codemode_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let before = cm(with(&["types"]));
    assert!(
        before.contains("function test_simple_text(args?: {}): Promise<unknown>"),
        "{before}"
    );

    // `run` learns as it goes.
    let (report, ran) = run_program(
        "return await conformance_fixture.test_simple_text({});",
        &with(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(ran, "{report}");
    let program = dir.path().join("learn.ts");
    std::fs::write(
        &program,
        "await conformance_fixture.test_multiple_content_types({}); return 1;",
    )
    .unwrap();
    let learned = cm(with(&["learn", &program.to_string_lossy()]));
    assert!(
        learned.contains(
            "conformance-fixture.test_multiple_content_types (1 new result, 1 in all): (string | {"
        ),
        "{learned}"
    );

    let after = cm(with(&["types"]));
    assert!(
        after.contains("type Observed<T> = T;")
            && after.contains("function test_simple_text(args?: {}): Promise<Observed<string>>")
            && after.contains("@observed in 1 result"),
        "{after}"
    );
    // A tool with an outputSchema keeps its declared type; one never called stays unknown.
    assert!(
        after.contains("function test_image_content(args?: {}): Promise<unknown>"),
        "{after}"
    );

    // serve puts the same declarations in `execute`'s description.
    let mut serve = vec![
        "stdio".to_owned(),
        codemode_path().to_owned(),
        "serve".to_owned(),
    ];
    serve.extend(with(&["--disclosure", "full"]));
    let seen = crate::serve::python_client(
        &serve.iter().map(String::as_str).collect::<Vec<_>>(),
        serde_json::json!([]),
    );
    let description = seen["tools"][0]["description"].as_str().unwrap();
    assert!(
        description.contains("function test_simple_text(args?: {}): Promise<Observed<string>>"),
        "{description}"
    );

    let listed = codemode_ok(&["shapes", "--shapes", &shapes_arg]);
    assert!(
        listed.contains("conformance-fixture.test_simple_text (1 result): string"),
        "{listed}"
    );
    codemode_ok(&["shapes", "--clear", "--shapes", &shapes_arg]);
    let forgotten = cm(with(&["types"]));
    assert!(!forgotten.contains("Observed<"), "{forgotten}");
}

/// Learned from JSON text, structured content and plain text, the types let
/// `tsc --strict` accept a program that uses what was seen and reject one
/// that uses a field never seen; the shapes file keeps no value.
#[test]
fn learned_types_hold_programs_to_what_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    let shapes = dir.path().join("shapes.json");
    let shapes_arg = shapes.to_string_lossy().into_owned();
    let fixture = conformance_fixture();
    let upstream = [
        "--shapes",
        &shapes_arg,
        "--",
        fixture.as_str(),
        "--era",
        "legacy",
    ];
    let (report, ran) = run_program(
        "await conformance_fixture.test_json_text({});\n\
         await conformance_fixture.test_json_text({ full: true });\n\
         await conformance_fixture.test_structured_untyped({});\n\
         return await conformance_fixture.test_simple_text({});",
        &upstream,
    );
    assert!(ran, "{report}");

    let mut args = vec!["types"];
    args.extend(upstream);
    let types = codemode_ok(&args);
    for declared in [
        "Promise<Observed<{ id: number; owner?: { admin: boolean; login: string }; tags: string[] }>>",
        "Promise<Observed<{ count: number; items: { name: string; size?: number }[] }>>",
        "test_simple_text(args?: {}): Promise<Observed<string>>",
    ] {
        assert!(types.contains(declared), "{declared} in:\n{types}");
    }
    let declarations = dir.path().join("api.d.ts");
    std::fs::write(&declarations, &types).unwrap();

    let check = |name: &str, body: &str| {
        let program = dir.path().join(name);
        std::fs::write(
            &program,
            format!("export async function program() {{\n{body}\n}}\n"),
        )
        .unwrap();
        crate::tsc::tsc(&[declarations.clone(), program])
    };
    let seen = check(
        "seen.ts",
        "const r = await conformance_fixture.test_json_text({ full: true });\n\
         const login: string | undefined = r.owner?.login;\n\
         const s = await conformance_fixture.test_structured_untyped();\n\
         const names: string[] = s.items.map((i) => i.name);\n\
         const text: string = await conformance_fixture.test_simple_text();\n\
         return [r.id + s.count, r.tags.join(), login, names, s.items[0].size, text.length];",
    );
    assert!(
        seen.status.success(),
        "tsc rejects a program that uses what was seen:\n{}",
        stdout(&seen)
    );
    let unseen = check(
        "unseen.ts",
        "const r = await conformance_fixture.test_json_text({});\nreturn r.title;",
    );
    assert!(!unseen.status.success(), "tsc accepts a field never seen");
    assert!(
        stdout(&unseen).contains("Property 'title' does not exist"),
        "{}",
        stdout(&unseen)
    );

    let kept = std::fs::read_to_string(&shapes).unwrap();
    for value in [
        "sam-the-owner",
        "alpha",
        "first-item",
        "simple text response",
    ] {
        assert!(
            !kept.contains(value),
            "{value} is in the shapes file:\n{kept}"
        );
    }
}
