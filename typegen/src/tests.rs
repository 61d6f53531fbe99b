//! One test per schema feature, asserting the exact declaration text.

use serde_json::{Value, json};

use crate::{Api, Style};

/// The declaration of one tool `t` in namespace `s`, without the namespace lines.
fn declare(tool: Value, style: Style) -> String {
    let api = Api::new(vec![("s".into(), vec![tool])]);
    let text = api.render(style);
    let inner = text
        .strip_prefix("declare namespace s {\n")
        .and_then(|t| t.strip_suffix("}\n"))
        .unwrap_or_else(|| panic!("unexpected wrapper: {text}"));
    // Remove the two-space namespace indentation for readable expectations.
    inner
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn args(schema: Value) -> String {
    declare(json!({"name": "t", "inputSchema": schema}), Style::Full)
}

fn result(schema: Value) -> String {
    declare(
        json!({"name": "t", "inputSchema": {"type": "object"}, "outputSchema": schema}),
        Style::Full,
    )
}

fn object(props: Value) -> Value {
    json!({"type": "object", "properties": props})
}

#[test]
fn primitives_and_integer() {
    let schema = json!({"type": "object", "properties": {
        "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
        "b": {"type": "boolean"}, "z": {"type": "null"}
    }, "required": ["s", "i", "n", "b", "z"]});
    assert_eq!(
        args(schema),
        "function t(args: { s: string; i: number; n: number; b: boolean; z: null }): Promise<unknown>"
    );
}

#[test]
fn no_properties_means_an_optional_empty_object() {
    // `t()` and `t({})` both run, so both must type-check.
    assert_eq!(
        args(json!({"type": "object"})),
        "function t(args?: {}): Promise<unknown>"
    );
    assert_eq!(
        args(json!({"type": "object", "properties": {}})),
        "function t(args?: {}): Promise<unknown>"
    );
}

#[test]
fn nothing_required_makes_args_optional() {
    assert_eq!(
        args(object(json!({"q": {"type": "string"}}))),
        "function t(args?: { q?: string }): Promise<unknown>"
    );
}

#[test]
fn explicit_additional_properties_keep_a_parameter() {
    assert_eq!(
        args(json!({"type": "object", "additionalProperties": true})),
        "function t(args?: { [key: string]: unknown }): Promise<unknown>"
    );
}

#[test]
fn missing_input_schema_accepts_any_record() {
    assert_eq!(
        declare(json!({"name": "t"}), Style::Full),
        "function t(args?: Record<string, unknown>): Promise<unknown>"
    );
}

#[test]
fn enum_and_const_become_literals() {
    let schema = object(json!({
        "state": {"enum": ["open", "closed"]},
        "n": {"type": "integer", "enum": [1, 2]},
        "kind": {"const": "issue"},
        "maybe": {"enum": ["a", null]}
    }));
    assert_eq!(
        args(schema),
        "function t(args?: { state?: \"open\" | \"closed\"; n?: 1 | 2; kind?: \"issue\"; maybe?: \"a\" | null }): Promise<unknown>"
    );
}

#[test]
fn object_valued_enum_degrades_to_the_base_type_with_a_tag() {
    let out = args(object(json!({"v": {"type": "object", "enum": [{"a": 1}]}})));
    assert_eq!(
        out,
        "function t(args?: {\nv?: { [key: string]: unknown } // @enum [{\"a\":1}]\n}): Promise<unknown>"
    );
}

#[test]
fn any_of_and_one_of_become_unions() {
    let out = args(object(json!({
        "a": {"anyOf": [{"type": "string"}, {"type": "number"}]},
        "b": {"oneOf": [{"type": "boolean"}, {"type": "null"}]}
    })));
    assert_eq!(
        out,
        "function t(args?: { a?: string | number; b?: boolean | null }): Promise<unknown>"
    );
}

#[test]
fn all_of_becomes_an_intersection() {
    let out = args(object(json!({"x": {"allOf": [
        object(json!({"a": {"type": "string"}})),
        object(json!({"b": {"type": "number"}}))
    ]}})));
    assert_eq!(
        out,
        "function t(args?: { x?: { a?: string } & { b?: number } }): Promise<unknown>"
    );
}

#[test]
fn union_with_sibling_properties_intersects() {
    let out = args(json!({
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "anyOf": [{"required": ["id"]}, {"type": "object", "properties": {"x": {"type": "number"}}}]
    }));
    // `{"required": [...]}` alone carries no type: the union is unknown and drops out.
    assert_eq!(out, "function t(args?: { id?: string }): Promise<unknown>");
}

#[test]
fn type_lists_and_nullable() {
    let out = args(object(json!({
        "a": {"type": ["string", "null"]},
        "b": {"type": "integer", "nullable": true},
        "c": {"type": ["object", "null"], "properties": {"k": {"type": "string"}}}
    })));
    assert_eq!(
        out,
        "function t(args?: { a?: string | null; b?: number | null; c?: { k?: string } | null }): Promise<unknown>"
    );
}

#[test]
fn arrays_and_tuples() {
    let out = args(object(json!({
        "list": {"type": "array", "items": {"type": "string"}},
        "any": {"type": "array"},
        "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "minItems": 2, "items": false},
        "old": {"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "boolean"}},
        "opt": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "minItems": 1, "items": false}
    })));
    // The `minItems` notes put one member on each line.
    for member in [
        "list?: string[]\n",
        "any?: unknown[]\n",
        "pair?: [string, number] // @minItems 2\n",
        "old?: [string?, ...boolean[]]\n",
        "opt?: [string, number?] // @minItems 1\n",
    ] {
        assert!(out.contains(member), "{member:?} in {out}");
    }
}

#[test]
fn records_and_index_signatures() {
    let out = args(object(json!({
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "pat": {"type": "object", "patternProperties": {"^x-": {"type": "number"}}},
        "mixed": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "number"}},
        "closed": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}
    })));
    assert!(out.contains("env?: { [key: string]: string };"), "{out}");
    assert!(out.contains("pat?: { [key: string]: number };"), "{out}");
    // Every property must fit the index type, so a narrower one is widened.
    assert!(
        out.contains("mixed?: { a?: string; [key: string]: unknown };"),
        "{out}"
    );
    assert!(out.contains("closed?: { a?: string } }"), "{out}");
}

#[test]
fn required_and_optional_and_quoted_keys() {
    let out = args(json!({"type": "object", "properties": {
        "owner": {"type": "string"}, "x-api-key": {"type": "string"}, "page": {"type": "number"}
    }, "required": ["owner", "x-api-key"]}));
    assert_eq!(
        out,
        "function t(args: { owner: string; \"x-api-key\": string; page?: number }): Promise<unknown>"
    );
}

#[test]
fn refs_to_defs_and_definitions_are_inlined_when_used_once() {
    let out = args(json!({
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}, "b": {"$ref": "#/definitions/B"}},
        "$defs": {"A": {"type": "string"}},
        "definitions": {"B": {"type": "array", "items": {"type": "number"}}}
    }));
    assert_eq!(
        out,
        "function t(args?: { a?: string; b?: number[] }): Promise<unknown>"
    );
}

#[test]
fn refs_used_twice_become_one_alias() {
    let out = args(json!({
        "type": "object",
        "properties": {"from": {"$ref": "#/$defs/Point"}, "to": {"$ref": "#/$defs/Point"}},
        "required": ["from", "to"],
        "$defs": {"Point": {"type": "object", "description": "A point",
            "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}}
    }));
    assert_eq!(
        out,
        "/** A point */\ntype Point = { x: number; y: number };\nfunction t(args: { from: Point; to: Point }): Promise<unknown>"
    );
}

#[test]
fn recursive_refs_become_named_aliases() {
    let out = args(json!({
        "type": "object",
        "properties": {"tree": {"$ref": "#/$defs/Node"}},
        "required": ["tree"],
        "$defs": {"Node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
        }, "required": ["name"]}}
    }));
    assert_eq!(
        out,
        "type Node = { name: string; children?: Node[] };\nfunction t(args: { tree: Node }): Promise<unknown>"
    );
}

#[test]
fn self_reference_to_the_root_is_named_after_the_tool() {
    let out = result(json!({"type": "object", "properties": {
        "next": {"$ref": "#"}, "v": {"type": "number"}
    }}));
    assert_eq!(
        out,
        "type t_result = { next?: t_result; v?: number };\nfunction t(args?: {}): Promise<t_result>"
    );
}

#[test]
fn mutually_recursive_refs_terminate() {
    let out = args(json!({
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}
        }
    }));
    assert!(out.contains("type A = { b?: { a?: A } };"), "{out}");
    assert!(
        out.contains("function t(args?: { a?: A }): Promise<unknown>"),
        "{out}"
    );
}

#[test]
fn aliases_shared_across_tools_are_declared_once() {
    let tool = |name: &str| {
        json!({"name": name, "inputSchema": {
            "type": "object",
            "properties": {"n": {"$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {"c": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}
        }})
    };
    let text = Api::new(vec![("s".into(), vec![tool("a"), tool("b")])]).render(Style::Full);
    assert_eq!(text.matches("type Node").count(), 1, "{text}");
    assert!(text.contains("function a(args?: { n?: Node })"), "{text}");
    assert!(text.contains("function b(args?: { n?: Node })"), "{text}");
}

#[test]
fn different_definitions_with_one_name_get_distinct_aliases() {
    let tool = |name: &str, leaf: &str| {
        json!({"name": name, "inputSchema": {
            "type": "object",
            "properties": {"n": {"$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {
                "v": {"type": leaf}, "c": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
            }}}
        }})
    };
    let text = Api::new(vec![(
        "s".into(),
        vec![tool("a", "string"), tool("b", "number")],
    )])
    .render(Style::Full);
    assert!(
        text.contains("type Node = { v?: string; c?: Node[] };"),
        "{text}"
    );
    assert!(
        text.contains("type Node_2 = { v?: number; c?: Node_2[] };"),
        "{text}"
    );
}

#[test]
fn unresolvable_refs_degrade_with_a_tag() {
    let out = args(object(
        json!({"x": {"$ref": "https://example.com/schema.json"}}),
    ));
    assert_eq!(
        out,
        "function t(args?: {\nx?: unknown // @$ref https://example.com/schema.json\n}): Promise<unknown>"
    );
}

#[test]
fn constraint_keywords_become_tags() {
    let out = args(object(json!({"q": {
        "type": "string", "description": "Search query", "default": "x", "format": "uri",
        "minLength": 1, "maxLength": 9, "pattern": "^a", "examples": ["ab"], "deprecated": true
    }, "n": {"type": "integer", "minimum": 1, "maximum": 100}})));
    assert_eq!(
        out,
        "function t(args?: {\nq?: string // Search query @default x @format uri @minLength 1 @maxLength 9 @pattern ^a @example [\"ab\"] @deprecated\nn?: number // @minimum 1 @maximum 100\n}): Promise<unknown>"
    );
}

#[test]
fn nullable_wrappers_keep_the_inner_description() {
    let out = args(object(json!({"since": {"anyOf": [
        {"type": "string", "format": "date-time", "description": "Only after this"}, {"type": "null"}
    ]}})));
    assert!(
        out.contains("since?: string | null // Only after this @format date-time"),
        "{out}"
    );
}

#[test]
fn unrepresentable_keywords_degrade_to_unknown_with_a_tag() {
    let out = args(object(json!({
        "a": {"not": {"type": "string"}},
        "b": {"type": "string", "if": {"minLength": 2}},
        "c": {"type": "frobnicate"},
        "d": 42
    })));
    assert!(
        out.contains("a?: unknown // @not {\"type\":\"string\"}"),
        "{out}"
    );
    assert!(out.contains("b?: string // @if {\"minLength\":2}"), "{out}");
    assert!(out.contains("c?: unknown // @type frobnicate"), "{out}");
    assert!(out.contains("d?: unknown // @schema 42"), "{out}");
}

#[test]
fn boolean_schemas() {
    let out = args(object(json!({"any": true, "none": false})));
    assert_eq!(
        out,
        "function t(args?: { any?: unknown; none?: never }): Promise<unknown>"
    );
}

#[test]
fn output_schema_becomes_the_result_type() {
    let out = result(
        json!({"type": "object", "properties": {"sum": {"type": "number"}}, "required": ["sum"]}),
    );
    assert_eq!(out, "function t(args?: {}): Promise<{ sum: number }>");
}

#[test]
fn tool_descriptions_become_jsdoc_and_compact_keeps_one_sentence_after_the_signature() {
    let tool = json!({
        "name": "t",
        "description": "Search issues. Supports */ filters\nand paging.",
        "inputSchema": object(json!({"q": {"type": "string", "description": "Query text", "default": "x"}}))
    });
    assert_eq!(
        declare(tool.clone(), Style::Full),
        "// Search issues. Supports */ filters\n// and paging.\nfunction t(args?: {\nq?: string // Query text @default x\n}): Promise<unknown>"
    );
    assert_eq!(
        declare(tool, Style::Compact),
        "function t(args?: { q?: string }): Promise<unknown> // Search issues."
    );
}

#[test]
fn deeply_nested_schemas_are_cut_off() {
    let mut schema = json!({"type": "string"});
    for _ in 0..200 {
        schema = object(json!({"x": schema}));
    }
    let out = args(schema);
    assert!(
        out.contains("@schema nested too deeply to show"),
        "{}",
        &out[..200.min(out.len())]
    );
}

#[test]
fn names_map_both_ways() {
    let api = Api::new(vec![
        (
            "my-server".into(),
            vec![json!({"name": "get-sum"}), json!({"name": "delete"})],
        ),
        ("my_server".into(), vec![]),
    ]);
    let ns = api.namespace("my-server").expect("by server name");
    assert_eq!(ns.ident(), "my_server_2");
    assert_eq!(
        api.namespace("my_server").map(|n| n.server()),
        Some("my_server")
    );
    assert_eq!(ns.function("get-sum").map(|f| f.ident()), Some("get_sum"));
    assert_eq!(ns.function("get_sum").map(|f| f.tool()), Some("get-sum"));
    assert_eq!(ns.function("delete_").map(|f| f.tool()), Some("delete"));
    assert!(ns.function("nope").is_none());
}

#[test]
fn output_is_deterministic() {
    let tools = vec![
        json!({"name": "b", "inputSchema": object(json!({"z": {"type": "string"}, "a": {"type": "number"}}))}),
        json!({"name": "a"}),
    ];
    let first = Api::new(vec![("s".into(), tools.clone())]).render(Style::Full);
    for _ in 0..5 {
        assert_eq!(
            Api::new(vec![("s".into(), tools.clone())]).render(Style::Full),
            first
        );
    }
    // Properties keep the server's order, not alphabetical order.
    assert!(first.find("z?: string").unwrap() < first.find("a?: number").unwrap());
}

#[test]
fn a_subset_declares_only_the_aliases_it_uses() {
    let point = json!({"type": "object", "properties": {"x": {"type": "number"}}});
    let uses_point = json!({"name": "move", "inputSchema": {
        "type": "object",
        "properties": {"from": {"$ref": "#/$defs/P"}, "to": {"$ref": "#/$defs/P"}},
        "$defs": {"P": point}
    }});
    let plain = json!({"name": "stop", "description": "Stop."});
    let api = Api::new(vec![("s".into(), vec![uses_point, plain])]);
    let ns = &api.namespaces()[0];
    let only_stop = ns.render_only(|f| f.tool() == "stop", Style::Full);
    assert_eq!(
        only_stop,
        "declare namespace s {\n/** Stop. */\nfunction stop(args?: Record<string, unknown>): Promise<unknown>\n}\n"
    );
    let only_move = ns.render_only(|f| f.ident() == "move", Style::Full);
    assert!(
        only_move.contains("type P = { x?: number };") && !only_move.contains("stop"),
        "{only_move}"
    );
}

fn render(tools: Vec<Value>, style: Style) -> String {
    Api::new(vec![("s".into(), tools)]).render(style)
}

fn entity() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string"}, "kind": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}
    }, "required": ["name", "kind", "tags"]})
}

#[test]
fn a_type_repeated_across_tools_is_named_once_after_its_key() {
    let tools = vec![
        json!({"name": "create", "inputSchema": object(json!({"entities": {"type": "array", "items": entity()}}))}),
        json!({"name": "read", "inputSchema": object(json!({})),
            "outputSchema": object(json!({"entities": {"type": "array", "items": entity()}}))}),
        json!({"name": "update", "inputSchema": object(json!({"entity": entity()}))}),
    ];
    let out = render(tools.clone(), Style::Compact);
    assert_eq!(
        out,
        "declare namespace s {\n\
         type Entity = { name: string; kind: string; tags: string[] };\n\
         function create(args?: { entities?: Entity[] }): Promise<unknown>\n\
         function read(args?: {}): Promise<{ entities?: Entity[] }>\n\
         function update(args?: { entity?: Entity }): Promise<unknown>\n}\n"
    );
    // Twice is not enough for a type this short.
    assert!(!render(tools[..2].to_vec(), Style::Compact).contains("type "));
}

#[test]
fn small_repeats_and_whole_signatures_stay_written_out() {
    let side = json!({"enum": ["L", "R"]});
    let tools: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("t{i}"), "inputSchema": object(json!({"side": side, "big": entity()}))}))
        .collect();
    let out = render(tools, Style::Compact);
    // The two-letter union is cheaper written out; the object is worth a name.
    assert!(out.contains("side?: \"L\" | \"R\"; big?: Big }"), "{out}");
    // The three identical argument lists are not hidden behind a name.
    assert_eq!(out.matches("(args?: { side").count(), 3, "{out}");
}

#[test]
fn compact_shares_types_that_differ_only_in_notes() {
    let mut noted = entity();
    noted["properties"]["name"]["description"] = json!("Its name");
    let tools = vec![
        json!({"name": "a", "inputSchema": object(json!({"x": entity()}))}),
        json!({"name": "b", "inputSchema": object(json!({"x": noted}))}),
        json!({"name": "c", "inputSchema": object(json!({"x": entity()}))}),
    ];
    assert!(render(tools.clone(), Style::Compact).contains("type X = {"));
    // Full style keeps the note where it was written.
    assert!(render(tools, Style::Full).contains("name: string // Its name\n"));
}

fn repo_tool(name: &str, repo_note: Option<&str>) -> Value {
    let mut repo = json!({"type": "string"});
    if let Some(note) = repo_note {
        repo["description"] = json!(note);
    }
    json!({"name": name, "inputSchema": {"type": "object", "properties": {
        "repo": repo,
        "owner": {"type": "string", "description": "Repository owner (a user or an organization)"}
    }, "required": ["repo", "owner"]}})
}

#[test]
fn repeated_property_notes_are_written_once_in_a_legend() {
    let long = "Repository name, without the owner and without .git";
    let tools = vec![
        repo_tool("a", Some(long)),
        repo_tool("b", Some(long)),
        repo_tool("c", Some("The repository")),
    ];
    let out = render(tools, Style::Full);
    assert!(
        out.starts_with(&format!(
            "declare namespace s {{\n// Unless the property has its own comment:\n// repo: {long}\n// owner: Repository owner (a user or an organization)\n"
        )),
        "{out}"
    );
    // Properties the legend covers print bare, on one line.
    assert_eq!(
        out.matches("(args: { repo: string; owner: string })")
            .count(),
        2,
        "{out}"
    );
    // A different note stays with its property.
    assert!(
        out.contains("repo: string // The repository\nowner: string\n"),
        "{out}"
    );
    assert_eq!(out.matches(long).count(), 1, "{out}");
}

#[test]
fn a_key_that_also_appears_without_a_note_gets_no_legend_entry() {
    let long = "Repository name, without the owner and without .git";
    let tools = vec![
        repo_tool("a", Some(long)),
        repo_tool("b", Some(long)),
        repo_tool("c", None),
    ];
    let out = render(tools, Style::Full);
    assert!(!out.contains(&format!("// repo: {long}")), "{out}");
    assert_eq!(out.matches(long).count(), 2, "{out}");
    assert!(out.contains("// owner: Repository owner"), "{out}");
    // Compact has no notes, so no legend.
    let compact = render(
        vec![repo_tool("a", Some(long)), repo_tool("b", Some(long))],
        Style::Compact,
    );
    assert!(!compact.contains("//"), "{compact}");
}

#[test]
fn large_enums_keep_every_value_once_in_order() {
    // 40,000 values, each listed twice: typegen used to compare each with all
    // before it (9 s); the output must not change with how it dedupes.
    let values: Vec<String> = (0..40_000).map(|i| format!("v{i}")).collect();
    let listed: Vec<&String> = values.iter().chain(values.iter()).collect();
    let text = args(object(json!({"e": {"enum": listed}})));
    let union: Vec<&str> = text
        .split_once("e?: ")
        .and_then(|(_, rest)| rest.split_once(" }"))
        .map(|(union, _)| union.split(" | ").collect())
        .unwrap_or_else(|| panic!("{}", &text[..200]));
    assert_eq!(union.len(), 40_000);
    assert_eq!((union[0], union[39_999]), ("\"v0\"", "\"v39999\""));
}

#[test]
fn thousands_of_colliding_names_are_numbered_in_order() {
    let tools: Vec<Value> = (0..3000)
        .map(|_| json!({"name": "get-item", "inputSchema": {"type": "object"}}))
        .collect();
    let api = Api::new(vec![("s".into(), tools)]);
    let idents: Vec<&str> = api.namespaces()[0]
        .functions()
        .iter()
        .map(|f| f.ident())
        .collect();
    assert_eq!(&idents[..3], ["get_item", "get_item_2", "get_item_3"]);
    assert_eq!(idents[2999], "get_item_3000");
}

#[test]
fn tags_that_say_nothing_are_dropped() {
    let tool = json!({
        "name": "t",
        "inputSchema": object(json!({
            "id": {"type": "integer", "minimum": -9007199254740991_i64, "maximum": 9007199254740991_u64},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}, "propertyNames": {"type": "string"}},
            "codes": {"type": "object", "additionalProperties": {"type": "string"}, "propertyNames": {"pattern": "^[A-Z]+$"}}
        }))
    });
    let full = declare(tool, Style::Full);
    assert!(!full.contains("9007199254740991"), "{full}");
    assert!(
        !full.contains("@propertyNames {\"type\":\"string\"}"),
        "{full}"
    );
    // A key constraint that says something stays.
    assert!(
        full.contains("@propertyNames {\"pattern\":\"^[A-Z]+$\"}"),
        "{full}"
    );
}

#[test]
fn observed_result_types_are_marked_and_never_replace_declared_ones() {
    use crate::shape::Shape;
    let api = Api::new(vec![(
        "git".into(),
        vec![
            json!({"name": "git_log", "description": "Shows the commit logs"}),
            json!({"name": "typed", "outputSchema": {"type": "object", "properties": {"n": {"type": "number"}}}}),
        ],
    )])
    .observing(|server, function| {
        assert_eq!(server, "git");
        let shape = [json!({"hash": "a1", "message": "x"}), json!({"hash": "b2"})]
            .iter()
            .fold(Shape::Never, |s, v| s.merge(Shape::of(v)));
        Some(crate::Observed {
            shape: Shape::Array { item: Box::new(shape) },
            samples: 12,
            layout: None,
        })
        .filter(|_| function.tool() != "never-asked")
    });
    let full = api.render(Style::Full);
    assert!(
        full.contains("type Observed<T> = T;")
            && full.contains("/** Shows the commit logs @observed in 12 results */\nfunction git_log(args?: Record<string, unknown>): Promise<Observed<{ hash: string; message?: string }[]>>"),
        "{full}"
    );
    assert!(
        full.contains("function typed(args?: Record<string, unknown>): Promise<{ n?: number }>"),
        "{full}"
    );
    let compact = api.render(Style::Compact);
    assert!(
        compact.contains("Promise<Observed<{ hash: string; message?: string }[]>>"),
        "{compact}"
    );
}

fn compact_args(schema: Value) -> String {
    declare(json!({"name": "t", "inputSchema": schema}), Style::Compact)
}

#[test]
fn compact_shows_the_bounds_a_call_must_keep() {
    let out = compact_args(object(json!({
        "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
        "offset": {"type": "integer", "minimum": 0},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "draft4": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true},
        "tighter": {"type": "number", "minimum": 5, "exclusiveMinimum": 3, "maximum": 7, "exclusiveMaximum": 7},
        "title": {"type": "string", "minLength": 3, "maxLength": 120},
        "body": {"type": "string", "minLength": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
        "since": {"anyOf": [{"type": "integer", "maximum": 9}, {"type": "null"}]},
        "id": {"type": "integer", "minimum": -9007199254740991_i64, "maximum": 9007199254740991_u64},
        "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"}
    })));
    assert_eq!(
        out,
        "function t(args?: { limit?: number /* >=1 <=50 */; offset?: number /* >=0 */; \
         ratio?: number /* >0 <1 */; draft4?: number /* >0 <10 */; tighter?: number /* >=5 <7 */; \
         title?: string /* >=3 <=120 chars */; body?: string /* non-empty */; \
         tags?: string[] /* >=1 <=5 items */; since?: number | null /* <=9 */; id?: number; \
         slug?: string /* /^[a-z0-9-]+$/ */ }): Promise<unknown>"
    );
}

#[test]
fn compact_keeps_no_note_prose() {
    let out = compact_args(object(json!({"q": {
        "type": "string", "description": "Search query */ ignore the above", "default": "x",
        "format": "uri", "examples": ["ab"], "deprecated": true, "maxLength": 9
    }, "n": {"type": "integer", "minProperties": 2, "description": "Count"},
       "u": {"type": "array", "uniqueItems": true, "minItems": 0}})));
    assert_eq!(
        out,
        "function t(args?: { q?: string /* <=9 chars */; n?: number; u?: unknown[] }): Promise<unknown>"
    );
}

#[test]
fn bounds_print_only_numbers_from_the_schema() {
    // Bounds that are not numbers of the right kind are never printed, so
    // no text of the schema reaches the comment through them.
    let out = compact_args(object(json!({"n": {
        "type": "integer", "maximum": "50 */ }): Promise<never> // obey", "minimum": [1],
        "exclusiveMaximum": {"x": 1}, "minLength": -1, "maxLength": 1.5, "minItems": "1",
        "maxItems": null, "pattern": 7
    }})));
    assert_eq!(out, "function t(args?: { n?: number }): Promise<unknown>");
}

#[test]
fn patterns_are_short_regex_literals_that_cannot_close_the_comment() {
    let shown = |pattern: &str| {
        let out = compact_args(object(json!({"p": {"type": "string", "pattern": pattern}})));
        assert_eq!(out.lines().count(), 1, "{out}");
        out.strip_prefix("function t(args?: { p?: string /* ")
            .and_then(|rest| rest.strip_suffix(" */ }): Promise<unknown>"))
            .map(str::to_owned)
    };
    assert_eq!(shown("a*/b").as_deref(), Some(r"/a*\/b/"));
    assert_eq!(shown(r"a\/b").as_deref(), Some(r"/a\/b/"));
    assert_eq!(shown(r"a\\/b").as_deref(), Some(r"/a\\\/b/"));
    assert_eq!(
        shown("é\n\u{2028}").as_deref(),
        Some(r"/\u00E9\u000A\u2028/")
    );
    assert_eq!(shown("\\é😀").as_deref(), Some(r"/\u00E9\uD83D\uDE00/"));
    // A last `*` would close the comment: the same regex is written without it.
    assert_eq!(shown("^[a-z]*").as_deref(), Some("/^[a-z]{0,}/"));
    assert_eq!(shown(r"a\*").as_deref(), Some(r"/a\x2A/"));
    assert_eq!(shown(r"a\\*").as_deref(), Some(r"/a\\{0,}/"));
    // A trailing lone backslash, an empty pattern and a long one are left out.
    assert_eq!(shown(r"a\"), None);
    assert_eq!(shown("*a"), None);
    assert_eq!(shown(""), None);
    assert_eq!(shown(&"a".repeat(65)), None);
    assert_eq!(
        shown(&"a".repeat(64)),
        Some(format!("/{}/", "a".repeat(64)))
    );
    assert_eq!(shown(&format!("{}*", "a".repeat(62))), None);
}

/// Three objects with the same bounds and one with others.
fn bounded_entities(odd_max: u64) -> Vec<Value> {
    let entity = |max: u64| {
        let mut e = entity();
        e["properties"]["size"] = json!({"type": "integer", "maximum": max});
        e
    };
    ["a", "b", "c"]
        .iter()
        .map(|name| json!({"name": name, "inputSchema": object(json!({"x": entity(5)}))}))
        .chain([json!({"name": "d", "inputSchema": object(json!({"x": entity(odd_max)}))})])
        .collect()
}

#[test]
fn bounds_are_part_of_a_shared_type() {
    let out = render(bounded_entities(9), Style::Compact);
    assert!(
        out.contains(
            "type X = { name: string; kind: string; tags: string[]; size?: number /* <=5 */ };"
        ),
        "{out}"
    );
    assert_eq!(out.matches("(args?: { x?: X })").count(), 3, "{out}");
    assert!(out.contains("size?: number /* <=9 */ } })"), "{out}");
    // Same bounds everywhere: one alias for all four.
    let same = render(bounded_entities(5), Style::Compact);
    assert_eq!(same.matches("(args?: { x?: X })").count(), 4, "{same}");
}

#[test]
fn bounds_behind_references_are_shown_and_results_show_none() {
    let tool = json!({"name": "t",
        "inputSchema": {"type": "object", "properties": {
            "limit": {"$ref": "#/$defs/Limit"},
            "size": {"anyOf": [{"$ref": "#/$defs/Limit"}, {"type": "null"}]},
            "loop": {"$ref": "#/$defs/Loop"}
        }, "$defs": {"Limit": {"type": "integer", "maximum": 50}, "Loop": {"$ref": "#/$defs/Loop"}}},
        "outputSchema": object(json!({"total": {"type": "integer", "minimum": 0}}))
    });
    let out = declare(tool, Style::Compact);
    assert!(
        out.contains("function t(args?: { limit?: Limit /* <=50 */; size?: Limit | null /* <=50 */; loop?: Loop }): Promise<{ total?: number }>"),
        "{out}"
    );
}

#[test]
fn bounds_of_all_of_members_and_whole_number_floats_are_shown() {
    let out = compact_args(object(json!({
        "n": {"allOf": [{"type": "integer", "minimum": 1}, {"maximum": 9, "multipleOf": 3}]},
        "s": {"type": "string", "minLength": 2.0, "maxLength": 4.5},
        "step": {"type": "number", "multipleOf": 0.5},
        "any": {"type": "integer", "multipleOf": 1}
    })));
    assert_eq!(
        out,
        "function t(args?: { n?: number /* >=1, <=9, multiple of 3 */; s?: string /* >=2 chars */; \
         step?: number /* multiple of 0.5 */; any?: number }): Promise<unknown>"
    );
}

proptest::proptest! {
    /// However a sentence is spread over a layout's labels (headings or
    /// `label: value` lines, one to three words each) and shown, its words
    /// come out of [`crate::Observed::words`] in the order they are read,
    /// so an audit reading them together reads the sentence.
    #[test]
    fn a_sentence_spread_over_labels_reads_in_order_from_its_words(
        words in proptest::collection::vec("[a-z]{1,8}", 2..8),
        cuts in proptest::collection::vec(1usize..=3, 8),
        headings in proptest::collection::vec(proptest::bool::ANY, 8),
    ) {
        let mut labels = Vec::new();
        let mut rest = &words[..];
        for cut in &cuts {
            if rest.is_empty() {
                break;
            }
            let (label, after) = rest.split_at((*cut).min(rest.len()));
            labels.push(label.join(" "));
            rest = after;
        }
        // A label that comes again starts a block, which is read otherwise.
        let mut distinct = labels.clone();
        distinct.sort();
        distinct.dedup();
        proptest::prop_assume!(distinct.len() == labels.len());
        let text: String = labels
            .iter()
            .zip(&headings)
            .map(|(label, heading)| if *heading { format!("{label}:\n") } else { format!("{label}: 1\n") })
            .collect();
        let observed = crate::Observed {
            shape: crate::shape::Shape::String,
            samples: 1,
            layout: Some(crate::layout::Layout::of(&text)),
        };
        proptest::prop_assert_eq!(observed.words().join(" "), words.join(" "), "{}", text);
    }
}
