//! Turning MCP server and tool names into TypeScript identifiers.
//!
//! The mapping must be deterministic and reversible (the executor resolves
//! `ns.fn` back to `server`/`tool`), so it is computed once per name list and
//! kept as a table rather than recomputed ad hoc.

use std::collections::{HashMap, HashSet};

/// What an identifier will name; each kind has its own reserved words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdentKind {
    /// A `declare namespace` that is also a global object in the sandbox.
    Namespace,
    /// A function inside a namespace.
    Function,
    /// A type alias inside a namespace.
    TypeAlias,
}

/// ECMAScript reserved words, strict-mode reserved words, and names that
/// cannot be bound in strict code.
const JS_RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// TypeScript's built-in type names: an alias or namespace with one of these
/// names would shadow it inside the declarations.
const TS_TYPE_NAMES: &[&str] = &[
    "any",
    "bigint",
    "boolean",
    "never",
    "number",
    "object",
    "string",
    "symbol",
    "undefined",
    "unknown",
    "Array",
    "Promise",
    "Record",
    "Partial",
    "Required",
    "Readonly",
    "Pick",
    "Omit",
];

/// Globals of the sandbox (every property of QuickJS's `globalThis`, checked
/// by a test against the engine) and of ECMAScript: a server namespace must
/// not replace them.
const JS_GLOBALS: &[&str] = &[
    "AbortController",
    "AbortSignal",
    "AggregateError",
    "Array",
    "ArrayBuffer",
    "AsyncDisposableStack",
    "Atomics",
    "BigInt",
    "BigInt64Array",
    "BigUint64Array",
    "Boolean",
    "DOMException",
    "DataView",
    "Date",
    "DisposableStack",
    "Error",
    "EvalError",
    "FinalizationRegistry",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "Function",
    "Infinity",
    "Int16Array",
    "Int32Array",
    "Int8Array",
    "InternalError",
    "Intl",
    "Iterator",
    "JSON",
    "Map",
    "Math",
    "NaN",
    "Number",
    "Object",
    "Promise",
    "Proxy",
    "RangeError",
    "ReferenceError",
    "Reflect",
    "RegExp",
    "Set",
    "SharedArrayBuffer",
    "String",
    "SuppressedError",
    "Symbol",
    "SyntaxError",
    "TextDecoder",
    "TextEncoder",
    "TypeError",
    "URIError",
    "URL",
    "URLSearchParams",
    "Uint16Array",
    "Uint32Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "WeakMap",
    "WeakRef",
    "WeakSet",
    "WebAssembly",
    "atob",
    "btoa",
    "clearInterval",
    "clearTimeout",
    "console",
    "crypto",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "eval",
    "globalThis",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "performance",
    "queueMicrotask",
    "setInterval",
    "setTimeout",
    "structuredClone",
    "undefined",
    "unescape",
];

/// What the global object inherits from `Object.prototype`: globals too, a
/// namespace must not shadow them (`toString()` alone means
/// `globalThis.toString()`).
const OBJECT_PROTOTYPE: &[&str] = &[
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "__proto__",
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// Function names that would change what a namespace is: the engine looks
/// them up on any object it awaits or turns into JSON or text. With a
/// `then`, `await ns` would call the tool; with a `toJSON`, `toString` or
/// `valueOf`, logging the namespace would. The sandbox's namespaces have no
/// such members, whatever their tools are called.
const NAMESPACE_MEMBERS: &[&str] = &["then", "toJSON", "toString", "valueOf"];

fn is_reserved(name: &str, kind: IdentKind) -> bool {
    JS_RESERVED.contains(&name)
        || match kind {
            IdentKind::Namespace => {
                TS_TYPE_NAMES.contains(&name)
                    || JS_GLOBALS.contains(&name)
                    || OBJECT_PROTOTYPE.contains(&name)
            }
            IdentKind::TypeAlias => TS_TYPE_NAMES.contains(&name),
            IdentKind::Function => NAMESPACE_MEMBERS.contains(&name),
        }
}

/// Whether `s` is an ASCII identifier (`[A-Za-z_$][A-Za-z0-9_$]*`).
///
/// Reserved words pass: they are fine as property keys.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The identifier a name becomes before collisions are resolved.
pub(crate) fn sanitize(name: &str, kind: IdentKind) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if is_reserved(&out, kind) {
        out.push('_');
    }
    out
}

/// Assigns a unique identifier to each name, in order.
///
/// Names that are already valid identifiers keep themselves, whatever their
/// position; the others are sanitized and get `_2`, `_3`… on collision. `taken`
/// holds identifiers that are unavailable from the start.
pub(crate) fn assign(names: &[&str], kind: IdentKind, taken: &mut Taken) -> Vec<String> {
    let mut out: Vec<Option<String>> = vec![None; names.len()];
    for (slot, name) in out.iter_mut().zip(names) {
        if is_identifier(name) && !is_reserved(name, kind) && taken.insert(name.to_string()) {
            *slot = Some(name.to_string());
        }
    }
    for (slot, name) in out.iter_mut().zip(names) {
        if slot.is_none() {
            *slot = Some(taken.claim(sanitize(name, kind)));
        }
    }
    out.into_iter().flatten().collect()
}

/// Identifiers in use, and for each base the next number to try, so that
/// thousands of colliding names are numbered in linear time.
#[derive(Default)]
pub(crate) struct Taken {
    names: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Taken {
    /// Takes `name`; `false` if it was taken already.
    pub(crate) fn insert(&mut self, name: String) -> bool {
        self.names.insert(name)
    }

    /// Gives `name` back.
    pub(crate) fn remove(&mut self, name: &str) {
        self.names.remove(name);
    }

    /// Claims `base`, or the first free `base_N` (N ≥ 2) not tried before.
    pub(crate) fn claim(&mut self, base: String) -> String {
        if self.names.insert(base.clone()) {
            return base;
        }
        let next = self.next.entry(base.clone()).or_insert(2);
        loop {
            let candidate = format!("{base}_{next}");
            *next += 1;
            if self.names.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// An identifier for a type alias derived from an arbitrary name.
pub(crate) fn alias_base(name: &str) -> String {
    sanitize(name, IdentKind::TypeAlias)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign_fresh(names: &[&str], kind: IdentKind) -> Vec<String> {
        assign(names, kind, &mut Taken::default())
    }

    #[test]
    fn invalid_characters_become_underscores() {
        assert_eq!(
            assign_fresh(&["get-sum", "a.b/c", "ünï"], IdentKind::Function),
            ["get_sum", "a_b_c", "_n_"]
        );
    }

    #[test]
    fn leading_digit_and_empty_names_get_a_prefix() {
        assert_eq!(
            assign_fresh(&["2fa", ""], IdentKind::Function),
            ["_2fa", "_"]
        );
    }

    #[test]
    fn reserved_words_get_a_suffix() {
        assert_eq!(
            assign_fresh(&["delete", "new", "list"], IdentKind::Function),
            ["delete_", "new_", "list"]
        );
        assert_eq!(
            assign_fresh(&["console", "string", "github"], IdentKind::Namespace),
            ["console_", "string_", "github"]
        );
        assert_eq!(
            assign_fresh(&["Promise", "Node"], IdentKind::TypeAlias),
            ["Promise_", "Node"]
        );
        assert_eq!(
            assign_fresh(
                &["performance", "Atomics", "queueMicrotask"],
                IdentKind::Namespace
            ),
            ["performance_", "Atomics_", "queueMicrotask_"]
        );
        assert_eq!(
            assign_fresh(&["then", "then_x"], IdentKind::Function),
            ["then_", "then_x"]
        );
        assert_eq!(
            assign_fresh(
                &["toJSON", "toString", "valueOf", "constructor", "__proto__"],
                IdentKind::Function
            ),
            [
                "toJSON_",
                "toString_",
                "valueOf_",
                "constructor",
                "__proto__"
            ]
        );
        assert_eq!(
            assign_fresh(
                &["toString", "constructor", "__proto__", "hasOwnProperty"],
                IdentKind::Namespace
            ),
            ["toString_", "constructor_", "__proto___", "hasOwnProperty_"]
        );
    }

    #[test]
    fn collisions_are_numbered_and_valid_names_keep_priority() {
        // `get_sum` is already an identifier, so it keeps its name even though
        // `get-sum` comes first.
        assert_eq!(
            assign_fresh(&["get-sum", "get_sum", "get.sum"], IdentKind::Function),
            ["get_sum_2", "get_sum", "get_sum_3"]
        );
    }

    #[test]
    fn numbering_skips_names_taken_by_real_tools() {
        assert_eq!(
            assign_fresh(&["a-b", "a_b", "a_b_2"], IdentKind::Function),
            ["a_b_3", "a_b", "a_b_2"]
        );
    }

    #[test]
    fn identifier_check() {
        assert!(is_identifier("$x_1"));
        assert!(is_identifier("delete"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
    }
}
