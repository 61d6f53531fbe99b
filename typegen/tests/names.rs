//! Property tests: whatever servers and tools are called, each gets an
//! identifier of its own that the sandbox can bind as it is, and the
//! declarations parse.

mod common;

use std::collections::HashSet;

use codemode_typegen::{Api, Style};
use proptest::prelude::*;
use serde_json::json;

/// What the global object has or inherits: a namespace must not shadow it.
const GLOBAL_NAMES: &[&str] = &[
    "__proto__",
    "__defineGetter__",
    "__lookupGetter__",
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
    "eval",
    "arguments",
    "globalThis",
    "console",
    "Promise",
    "JSON",
    "Object",
    "Error",
    "undefined",
];

/// What the engine looks up on any object it awaits or turns into JSON or
/// text: no function of a namespace may be called that.
const IMPLICIT_MEMBERS: &[&str] = &["then", "toJSON", "toString", "valueOf"];

/// Names an attacker would try, and names that differ only by case or by
/// characters the mapping drops.
fn name() -> impl Strategy<Value = String> {
    let special: Vec<&str> = GLOBAL_NAMES
        .iter()
        .chain(IMPLICIT_MEMBERS)
        .chain(&[
            "delete",
            "then_",
            "toString_",
            "a-b",
            "a_b",
            "a.b",
            "A_b",
            "a_b_2",
            "",
        ])
        // Words TypeScript gives a meaning of its own in some places.
        .chain(&[
            "async",
            "global",
            "type",
            "declare",
            "module",
            "namespace",
            "keyof",
            "infer",
            "as",
            "satisfies",
            "of",
            "get",
            "set",
            "readonly",
            "abstract",
            "unique",
            "asserts",
            "is",
        ])
        .copied()
        .collect();
    prop_oneof![
        prop::sample::select(special).prop_map(str::to_owned),
        "[aAb_.$ -]{0,4}",
        "[a-zA-Z_$][a-zA-Z0-9_$]{0,3}",
    ]
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_name_gets_an_identifier_of_its_own(
        servers in prop::collection::btree_set(name(), 1..6),
        tools in prop::collection::vec(name(), 0..8),
    ) {
        let raw: Vec<_> = tools.iter().map(|t| json!({"name": t, "inputSchema": {"type": "object"}})).collect();
        let api = Api::new(servers.iter().map(|s| (s.clone(), raw.clone())).collect());
        let mut namespaces = HashSet::new();
        for ns in api.namespaces() {
            let ident = ns.ident();
            prop_assert!(is_identifier(ident), "{ident:?}");
            prop_assert!(!GLOBAL_NAMES.contains(&ident), "the namespace {ident} shadows a global");
            prop_assert!(namespaces.insert(ident.to_owned()), "two namespaces are {ident}");
            prop_assert_eq!(api.namespace(ident).map(|n| n.server()), Some(ns.server()));
            let mut functions = HashSet::new();
            for function in ns.functions() {
                let ident = function.ident();
                prop_assert!(is_identifier(ident), "{ident:?}");
                prop_assert!(!IMPLICIT_MEMBERS.contains(&ident), "a function is called {ident}");
                prop_assert!(functions.insert(ident.to_owned()), "two functions are {ident}");
                prop_assert_eq!(ns.function(ident).map(|f| f.tool()), Some(function.tool()));
                prop_assert_eq!(ns.function(function.tool()).map(|f| f.tool()), Some(function.tool()));
            }
        }
        let text = api.render(Style::Compact);
        if let Err(errors) = common::parse_dts(&text) {
            prop_assert!(false, "does not parse:\n{errors}\n---\n{text}");
        }
    }
}
