//! JSON Schema (draft-07 and 2020-12, as MCP servers emit it) → [`Ty`].
//!
//! Lowering never fails: whatever cannot be expressed becomes `unknown`, and
//! the keyword that was lost is kept as a JSDoc tag on the nearest documented
//! item, so the model still sees the constraint.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::bounds;
use crate::doc::{Doc, tag_value};
use crate::names::{Taken, alias_base};
use crate::ty::{Object, Prop, Ty};

/// Deeper nesting than this is rendered as `unknown` (hostile or broken schemas).
const MAX_DEPTH: usize = 40;

/// Keywords that constrain values in ways the type model cannot express.
const UNREPRESENTED: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "contains",
    "dependentSchemas",
    "dependencies",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Named type aliases shared by all tools of one namespace.
#[derive(Default)]
pub(crate) struct Aliases {
    /// In declaration order: name, body, doc.
    pub defs: Vec<(String, Ty, Doc)>,
    by_key: HashMap<String, String>,
    taken: Taken,
}

impl Aliases {
    /// Declares an alias for a type found repeated after lowering; `hint`
    /// (a property key) suggests the name.
    pub(crate) fn declare_shared(&mut self, hint: &str, ty: Ty) -> String {
        let name = self.taken.claim(alias_base(hint));
        self.defs.push((name.clone(), ty, Doc::default()));
        name
    }

    fn checkpoint(&self) -> usize {
        self.defs.len()
    }

    /// Forgets aliases declared after `mark` (a lowering attempt that is retried).
    fn rollback(&mut self, mark: usize) {
        for (name, _, _) in self.defs.drain(mark..) {
            self.taken.remove(&name);
            self.by_key.retain(|_, v| *v != name);
        }
    }
}

/// Lowers one root schema (a tool's `inputSchema` or `outputSchema`).
///
/// Root-level notes (lost keywords) go to `notes`. `root_name` names the alias
/// needed if the schema refers to itself (`"$ref": "#"`).
pub(crate) fn lower_root(
    root: &Value,
    root_name: &str,
    aliases: &mut Aliases,
    notes: &mut Doc,
) -> Ty {
    let shared = shared_refs(root);
    let mut recursive: HashSet<String> = HashSet::new();
    loop {
        let mark = aliases.checkpoint();
        let notes_mark = notes.tags.len();
        let mut cx = Lowering {
            root,
            root_name,
            defs_key: defs_key(root),
            alias_refs: &shared,
            recursive: &recursive,
            aliases,
            stack: Vec::new(),
            found_cycles: Vec::new(),
        };
        // A schema that refers to itself is named rather than printed twice.
        let ty = if shared.contains("#") || recursive.contains("#") {
            cx.alias_for("#", root, 0)
        } else {
            cx.lower(root, notes, 0)
        };
        if cx.found_cycles.is_empty() {
            return ty;
        }
        let found = std::mem::take(&mut cx.found_cycles);
        aliases.rollback(mark);
        notes.tags.truncate(notes_mark);
        // Each retry adds at least one pointer, so this ends.
        let before = recursive.len();
        recursive.extend(found);
        if recursive.len() == before {
            return Ty::Unknown;
        }
    }
}

struct Lowering<'a> {
    root: &'a Value,
    root_name: &'a str,
    defs_key: String,
    /// Pointers referenced more than once: named once instead of repeated.
    alias_refs: &'a HashSet<String>,
    /// Pointers known to be recursive: always named.
    recursive: &'a HashSet<String>,
    aliases: &'a mut Aliases,
    /// `$ref` pointers being inlined right now.
    stack: Vec<String>,
    /// Pointers found inside their own expansion during this attempt.
    found_cycles: Vec<String>,
}

impl Lowering<'_> {
    fn lower(&mut self, schema: &Value, notes: &mut Doc, depth: usize) -> Ty {
        if depth > MAX_DEPTH {
            notes.tag("schema", "nested too deeply to show".into());
            return Ty::Unknown;
        }
        let obj = match schema {
            Value::Bool(true) => return Ty::Unknown,
            Value::Bool(false) => return Ty::Never,
            Value::Object(obj) => obj,
            other => {
                notes.tag("schema", tag_value(other));
                return Ty::Unknown;
            }
        };
        for &keyword in UNREPRESENTED {
            // Object keys are strings in JSON anyway.
            let says_nothing = keyword == "propertyNames"
                && obj.get(keyword) == Some(&serde_json::json!({"type": "string"}));
            if let Some(value) = obj.get(keyword)
                && !says_nothing
            {
                notes.tag(keyword, tag_value(value));
            }
        }
        if let Some(reference) = obj.get("$ref") {
            return self.lower_ref(reference, notes, depth);
        }

        let base = self.lower_base(obj, notes, depth);
        let mut parts = vec![base];
        if let Some(Value::Array(all)) = obj.get("allOf") {
            parts.extend(all.iter().map(|s| self.lower(s, notes, depth + 1)));
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(any)) = obj.get(keyword) {
                let members = any
                    .iter()
                    .map(|s| self.lower(s, notes, depth + 1))
                    .collect();
                parts.push(Ty::union(members));
            }
        }
        let ty = Ty::intersection(parts);
        if obj.get("nullable") == Some(&Value::Bool(true)) {
            return Ty::union(vec![ty, Ty::Keyword("null")]);
        }
        ty
    }

    /// Everything but the combinators: `enum`/`const`, then `type`.
    fn lower_base(&mut self, obj: &Map<String, Value>, notes: &mut Doc, depth: usize) -> Ty {
        if let Some(value) = obj.get("const") {
            return literal(value).unwrap_or_else(|| {
                notes.tag("const", tag_value(value));
                Ty::Unknown
            });
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            let literals: Option<Vec<Ty>> = values.iter().map(literal).collect();
            if let Some(literals) = literals {
                return Ty::union(literals);
            }
            notes.tag("enum", tag_value(&Value::Array(values.clone())));
        }
        match obj.get("type") {
            Some(Value::String(t)) => self.lower_type(t, obj, notes, depth),
            Some(Value::Array(types)) => {
                let members = types
                    .iter()
                    .map(|t| match t.as_str() {
                        Some(t) => self.lower_type(t, obj, notes, depth),
                        None => {
                            notes.tag("type", tag_value(t));
                            Ty::Unknown
                        }
                    })
                    .collect();
                Ty::union(members)
            }
            Some(other) => {
                notes.tag("type", tag_value(other));
                Ty::Unknown
            }
            // `required` alone is a constraint (often an `anyOf` branch), not a type.
            None if ["properties", "additionalProperties", "patternProperties"]
                .iter()
                .any(|k| obj.contains_key(*k)) =>
            {
                self.lower_object(obj, notes, depth)
            }
            None if ["items", "prefixItems"]
                .iter()
                .any(|k| obj.contains_key(*k)) =>
            {
                self.lower_array(obj, notes, depth)
            }
            None => Ty::Unknown,
        }
    }

    fn lower_type(
        &mut self,
        t: &str,
        obj: &Map<String, Value>,
        notes: &mut Doc,
        depth: usize,
    ) -> Ty {
        match t {
            "string" => Ty::Keyword("string"),
            "number" | "integer" => Ty::Keyword("number"),
            "boolean" => Ty::Keyword("boolean"),
            "null" => Ty::Keyword("null"),
            "object" => self.lower_object(obj, notes, depth),
            "array" => self.lower_array(obj, notes, depth),
            other => {
                notes.tag("type", other.to_owned());
                Ty::Unknown
            }
        }
    }

    fn lower_object(&mut self, obj: &Map<String, Value>, notes: &mut Doc, depth: usize) -> Ty {
        let required: HashSet<&str> = match obj.get("required") {
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => HashSet::new(),
        };
        let mut props = Vec::new();
        if let Some(Value::Object(properties)) = obj.get("properties") {
            for (key, schema) in properties {
                let mut doc = prop_doc(schema);
                let ty = self.lower(schema, &mut doc, depth + 1);
                props.push(Prop {
                    key: key.clone(),
                    ty,
                    optional: !required.contains(key.as_str()),
                    doc,
                    bounds: bounds::of_property(schema, self.root),
                });
            }
        }

        let mut index_types = Vec::new();
        if let Some(Value::Object(patterns)) = obj.get("patternProperties") {
            for schema in patterns.values() {
                index_types.push(self.lower(schema, notes, depth + 1));
            }
        }
        match obj.get("additionalProperties") {
            None | Some(Value::Bool(false)) => {}
            Some(schema) => index_types.push(self.lower(schema, notes, depth + 1)),
        }
        let mut index = (!index_types.is_empty()).then(|| Ty::union(index_types));
        // TypeScript requires every property to fit the index signature;
        // rather than compute a union of all of them, widen to `unknown`.
        if !props.is_empty() && index.as_ref().is_some_and(|t| *t != Ty::Unknown) {
            index = Some(Ty::Unknown);
        }
        // `{"type": "object"}` alone says "any object".
        if props.is_empty()
            && index.is_none()
            && !obj.contains_key("properties")
            && obj.get("additionalProperties") != Some(&Value::Bool(false))
        {
            index = Some(Ty::Unknown);
        }
        Ty::Object(Object {
            props,
            index: index.map(Box::new),
        })
    }

    fn lower_array(&mut self, obj: &Map<String, Value>, notes: &mut Doc, depth: usize) -> Ty {
        let min_items = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        // 2020-12: `prefixItems` + `items` for the rest; draft-07: `items` array + `additionalItems`.
        let (prefix, rest) = match (obj.get("prefixItems"), obj.get("items")) {
            (Some(Value::Array(prefix)), rest) => (Some(prefix), rest),
            (_, Some(Value::Array(prefix))) => (Some(prefix), obj.get("additionalItems")),
            (_, items) => (None, items),
        };
        let Some(prefix) = prefix else {
            let item = match rest {
                Some(schema) => self.lower(schema, notes, depth + 1),
                None => Ty::Unknown,
            };
            return Ty::Array(Box::new(item));
        };
        let items: Vec<Ty> = prefix
            .iter()
            .map(|s| self.lower(s, notes, depth + 1))
            .collect();
        let rest = match rest {
            None | Some(Value::Bool(false)) => None,
            Some(schema) => Some(Box::new(self.lower(schema, notes, depth + 1))),
        };
        Ty::Tuple {
            required: min_items.min(items.len()),
            items,
            rest,
        }
    }

    fn lower_ref(&mut self, reference: &Value, notes: &mut Doc, depth: usize) -> Ty {
        let Some(pointer) = reference.as_str() else {
            notes.tag("$ref", tag_value(reference));
            return Ty::Unknown;
        };
        let Some(target) = resolve(self.root, pointer) else {
            notes.tag("$ref", pointer.to_owned());
            return Ty::Unknown;
        };
        if self.alias_refs.contains(pointer) || self.recursive.contains(pointer) {
            return self.alias_for(pointer, target, depth);
        }
        if self.stack.iter().any(|p| p == pointer) {
            self.found_cycles.push(pointer.to_owned());
            return Ty::Unknown;
        }
        self.stack.push(pointer.to_owned());
        let ty = self.lower(target, notes, depth + 1);
        self.stack.pop();
        ty
    }

    /// The alias naming `target`, declaring it on first use.
    fn alias_for(&mut self, pointer: &str, target: &Value, depth: usize) -> Ty {
        // Same definition text under the same definitions → same alias, even
        // across tools.
        let key = format!("{target}\u{0}{}", self.defs_key);
        if let Some(name) = self.aliases.by_key.get(&key) {
            return Ty::Alias(name.clone());
        }
        let base = match pointer.rsplit('/').next() {
            Some(last) if pointer != "#" && !last.is_empty() => alias_base(&unescape(last)),
            _ => alias_base(self.root_name),
        };
        let name = self.aliases.taken.claim(base);
        self.aliases.by_key.insert(key, name.clone());
        let slot = self.aliases.defs.len();
        self.aliases
            .defs
            .push((name.clone(), Ty::Unknown, Doc::default()));
        let mut doc = prop_doc(target);
        let saved = std::mem::take(&mut self.stack);
        let ty = self.lower(target, &mut doc, depth + 1);
        self.stack = saved;
        self.aliases.defs[slot] = (name.clone(), ty, doc);
        Ty::Alias(name)
    }
}

/// The documentation of a property, looking through `T | null` wrappers so
/// the tags of the real type are not lost.
fn prop_doc(schema: &Value) -> Doc {
    let mut doc = Doc::of_schema(schema);
    for keyword in ["anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = schema.get(keyword) {
            let non_null: Vec<&Value> = members
                .iter()
                .filter(|m| m.get("type") != Some(&Value::from("null")))
                .collect();
            if let [only] = non_null.as_slice() {
                let inner = Doc::of_schema(only);
                if doc.text.is_none() {
                    doc.text = inner.text;
                }
                doc.tags.extend(inner.tags);
            }
        }
    }
    doc
}

/// A JSON scalar as a TypeScript literal type; `None` for objects and arrays.
fn literal(value: &Value) -> Option<Ty> {
    match value {
        Value::Null => Some(Ty::Keyword("null")),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            Some(Ty::Literal(value.to_string()))
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Resolves a same-document reference (`#`, `#/$defs/X`, any JSON pointer).
pub(crate) fn resolve<'v>(root: &'v Value, reference: &str) -> Option<&'v Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    let decoded = percent_decode(pointer)?;
    root.pointer(&decoded)
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// `%XX` escapes are legal in a URI fragment; `$ref` values sometimes use them.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What identifies the definitions a schema's references resolve against.
fn defs_key(root: &Value) -> String {
    let defs = |k: &str| root.get(k).map(Value::to_string).unwrap_or_default();
    format!("{}{}", defs("$defs"), defs("definitions"))
}

/// `$ref` pointers used more than once in a schema.
fn shared_refs(root: &Value) -> HashSet<String> {
    fn walk<'v>(value: &'v Value, counts: &mut HashMap<&'v str, usize>) {
        match value {
            Value::Object(obj) => {
                for (key, child) in obj {
                    match (key.as_str(), child) {
                        ("$ref", Value::String(r)) => *counts.entry(r.as_str()).or_default() += 1,
                        // Keyword values that are data, not schemas.
                        ("enum" | "const" | "default" | "examples", _) => {}
                        _ => walk(child, counts),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, counts)),
            _ => {}
        }
    }
    let mut counts = HashMap::new();
    walk(root, &mut counts);
    counts
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(r, _)| r.to_owned())
        .collect()
}
