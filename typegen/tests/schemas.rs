//! Property tests: arbitrary, often nonsensical schemas never make typegen
//! panic, and whatever it prints parses as TypeScript.

mod common;

use codemode_typegen::{Api, Style};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z*/\"\\\\ -]{0,8}".prop_map(Value::String),
    ]
}

fn type_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("string")),
        Just(json!("number")),
        Just(json!("integer")),
        Just(json!("boolean")),
        Just(json!("null")),
        Just(json!("object")),
        Just(json!("array")),
        Just(json!("bogus")),
        Just(json!(["string", "null"])),
        Just(json!(7)),
    ]
}

fn reference() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("#")),
        Just(json!("#/$defs/A")),
        Just(json!("#/$defs/B")),
        Just(json!("#/definitions/A")),
        Just(json!("#/properties/p0")),
        Just(json!("#/$defs/missing")),
        Just(json!("other.json#/x")),
        Just(json!("#/%24defs/A")),
        Just(json!("#/$defs/%zz")),
        Just(json!(3)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![Just("p0".to_string()), "[a-zA-Z0-9_$ \\-\"'*/]{0,6}"]
}

/// Bound keywords with values of every kind: numbers, junk, and text that
/// would end a comment or a line.
fn bounds() -> impl Strategy<Value = Map<String, Value>> {
    let keyword = prop_oneof![
        Just("minimum"),
        Just("maximum"),
        Just("exclusiveMinimum"),
        Just("exclusiveMaximum"),
        Just("minLength"),
        Just("maxLength"),
        Just("minItems"),
        Just("maxItems"),
        Just("pattern"),
        Just("multipleOf"),
        Just("allOf"),
    ];
    let value = prop_oneof![
        scalar(),
        any::<f64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "(.|[*/\\\n])*".prop_map(Value::String),
    ];
    prop::collection::vec((keyword, value), 0..4)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Schemas built from the keywords typegen understands, plus junk.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        type_name().prop_map(|t| json!({"type": t})),
        prop::collection::vec(scalar(), 0..4).prop_map(|e| json!({"enum": e})),
        scalar().prop_map(|c| json!({"const": c})),
        reference().prop_map(|r| json!({"$ref": r})),
        any::<bool>().prop_map(Value::Bool),
        scalar(),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            (
                prop::collection::vec((key(), inner.clone()), 0..5),
                prop::collection::vec(key(), 0..3)
            )
                .prop_map(|(props, required)| {
                    let props: Map<String, Value> = props.into_iter().collect();
                    json!({"type": "object", "properties": props, "required": required})
                }),
            inner
                .clone()
                .prop_map(|s| json!({"type": "array", "items": s})),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|s| json!({"prefixItems": s, "minItems": 1})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|s| json!({"anyOf": s})),
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|s| json!({"oneOf": s, "nullable": true})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|s| json!({"allOf": s})),
            inner
                .clone()
                .prop_map(|s| json!({"type": "object", "additionalProperties": s})),
            inner
                .clone()
                .prop_map(|s| json!({"patternProperties": {"^x": s}, "not": s})),
            (inner.clone(), bounds()).prop_map(|(s, bounds)| match s {
                Value::Object(mut map) => {
                    map.extend(bounds);
                    Value::Object(map)
                }
                other => other,
            }),
            (inner.clone(), inner.clone(), "[a-z */]{0,12}").prop_map(
                |(a, b, d)| json!({"description": d, "default": a, "$defs": {"A": a, "B": b}})
            ),
        ]
    })
}

fn tool() -> impl Strategy<Value = Value> {
    (
        "[a-zA-Z0-9_ .-]{0,8}",
        prop::option::of("[a-zA-Z .*/\n]{0,30}"),
        schema(),
        prop::option::of(schema()),
        (schema(), schema()),
    )
        .prop_map(|(name, description, input, output, (a, b))| {
            let mut input = input;
            if let Value::Object(map) = &mut input {
                map.insert("$defs".into(), json!({"A": a, "B": b}));
            }
            let mut tool = json!({"name": name, "inputSchema": input});
            if let Some(d) = description {
                tool["description"] = json!(d);
            }
            if let Some(o) = output {
                tool["outputSchema"] = o;
            }
            tool
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn output_always_parses(
        servers in prop::collection::vec(("[a-z0-9 -]{0,6}", prop::collection::vec(tool(), 0..4)), 1..3)
    ) {
        let api = Api::new(servers);
        for style in [Style::Full, Style::Compact] {
            let text = api.render(style);
            if let Err(errors) = common::parse_dts(&text) {
                prop_assert!(false, "does not parse:\n{errors}\n---\n{text}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Properties with arbitrary bounds: the compact declaration still
    /// parses, each comment closes where it should, and each function stays
    /// on its line.
    #[test]
    fn bounds_never_break_a_compact_signature(
        props in prop::collection::vec(("[a-z_]{1,6}", type_name(), bounds()), 1..5)
    ) {
        let properties: Map<String, Value> = props
            .into_iter()
            .map(|(key, ty, mut bounds)| {
                bounds.insert("type".into(), ty);
                (key, Value::Object(bounds))
            })
            .collect();
        let tool = json!({"name": "t", "inputSchema": {"type": "object", "properties": properties}});
        let text = Api::new(vec![("s".into(), vec![tool])]).render(Style::Compact);
        if let Err(errors) = common::parse_dts(&text) {
            prop_assert!(false, "does not parse:\n{errors}\n---\n{text}");
        }
        // The function on one line, beside the aliases of types it repeats.
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("declare") && *l != "}").collect();
        let functions = lines.iter().filter(|l| l.starts_with("function ")).count();
        prop_assert_eq!(functions, 1, "{}", text);
        prop_assert!(lines.iter().all(|l| l.starts_with("function ") || l.starts_with("type ")), "{}", text);
        // Every comment opens and closes as written here: no `*/` of a pattern.
        for line in lines {
            let opened = line.matches(" /* ").count();
            prop_assert_eq!(opened, line.matches(" */").count(), "{}", text);
            prop_assert_eq!(opened, line.matches("*/").count(), "{}", text);
        }
    }
}

/// Members end at line breaks, without `;`: a line that starts with `[` (an
/// index signature) or a quoted key must not continue the line above.
#[test]
fn members_without_semicolons_parse_as_separate_members() {
    let tool = json!({"name": "t", "inputSchema": {"type": "object", "properties": {
        "a": {"type": "string", "description": "A note"},
        "x-y": {"type": "array", "items": {"enum": ["p", "q"]}, "description": "Quoted key"},
        "b": {"type": "object", "properties": {"c": {"type": "number", "description": "C"}},
              "additionalProperties": {"type": "string"}}
    }, "additionalProperties": {"type": "boolean"}}});
    let text = Api::new(vec![("s".into(), vec![tool])]).render(Style::Full);
    assert!(
        text.contains("a?: string // A note\n\"x-y\"?: (\"p\" | \"q\")[] // Quoted key\n"),
        "{text}"
    );
    // With named properties beside them, index signatures widen to `unknown`.
    assert!(
        text.contains("c?: number // C\n[key: string]: unknown\n}\n[key: string]: unknown\n"),
        "{text}"
    );
    common::parse_dts(&text).unwrap_or_else(|errors| panic!("{errors}\n---\n{text}"));
}
