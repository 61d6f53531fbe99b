//! The constraints of a property that make a call fail, in the few tokens
//! the compact style can spend on them: `>=1 <=50`, `<=280 chars`,
//! `non-empty`. Compact drops every other note, so without these a model
//! could only guess a page size or a length limit.
//!
//! Bounds are JSON numbers printed here, never schema text. The one piece
//! of schema text shown, a `pattern`, is untrusted: it is printed only when
//! short, as a regex literal in printable ASCII whose every `/` is escaped,
//! so it can neither end the comment nor break the line.

use serde_json::{Map, Number, Value};

use crate::doc::says_nothing;
use crate::lower::resolve;

/// What a property's schema rejects, as one short phrase; `None` when it
/// bounds nothing a model could get wrong.
pub(crate) fn of_property(schema: &Value, root: &Value) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for obj in constraining(schema, root) {
        for phrase in phrases(obj) {
            if parts.len() < MAX_PHRASES && !parts.contains(&phrase) {
                parts.push(phrase);
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The most `allOf` members whose bounds are read: a schema is the
/// server's, and thousands of members would make typegen slow and the
/// signature long. Real schemas combine two or three.
const MAX_MEMBERS: usize = 8;

/// The most phrases a property's bounds are shown in, so that one comment
/// stays short however many members bound it.
const MAX_PHRASES: usize = 6;

/// The schemas whose bounds a property's value must meet: its own, its
/// `allOf` members, and the one non-null member of a `T | null` union,
/// each through references (into `root`). One level deep: a bound nested
/// further is left to the full style.
fn constraining<'v>(schema: &'v Value, root: &'v Value) -> Vec<&'v Map<String, Value>> {
    let Some(obj) = through_refs(schema, root).as_object() else {
        return Vec::new();
    };
    let mut found = vec![obj];
    if let Some(Value::Array(all)) = obj.get("allOf") {
        found.extend(
            all.iter()
                .take(MAX_MEMBERS)
                .filter_map(|m| through_refs(m, root).as_object()),
        );
    }
    for keyword in ["anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = obj.get(keyword) {
            let non_null: Vec<&Value> = members
                .iter()
                .filter(|m| m.get("type") != Some(&Value::from("null")))
                .collect();
            if let [only] = non_null.as_slice()
                && let Some(only) = through_refs(only, root).as_object()
            {
                found.push(only);
            }
        }
    }
    found
}

/// The schema a chain of `$ref`s ends at (a few hops at most: a longer or
/// broken chain bounds nothing).
fn through_refs<'v>(mut schema: &'v Value, root: &'v Value) -> &'v Value {
    for _ in 0..8 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(pointer) => match resolve(root, pointer) {
                Some(target) => schema = target,
                None => return &Value::Null,
            },
            None => return schema,
        }
    }
    &Value::Null
}

fn phrases(obj: &Map<String, Value>) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(range) = numeric_range(obj) {
        parts.push(range);
    }
    for (min, max, unit) in [
        ("minLength", "maxLength", "chars"),
        ("minItems", "maxItems", "items"),
    ] {
        let least = obj.get(min).and_then(count).filter(|&n| n > 0);
        let most = obj.get(max).and_then(count);
        let phrase = match (least, most) {
            (None, None) => continue,
            // The most common bound has a word for it.
            (Some(1), None) => "non-empty".to_owned(),
            (Some(least), None) => format!(">={least} {unit}"),
            (None, Some(most)) => format!("<={most} {unit}"),
            (Some(least), Some(most)) => format!(">={least} <={most} {unit}"),
        };
        if !parts.contains(&phrase) {
            parts.push(phrase);
        }
    }
    if let Some(Value::Number(step)) = obj.get("multipleOf")
        && step.as_f64().is_some_and(|f| f > 0.0 && f != 1.0)
    {
        parts.push(format!("multiple of {step}"));
    }
    if let Some(Value::String(pattern)) = obj.get("pattern")
        && let Some(literal) = regex_literal(pattern)
    {
        parts.push(literal);
    }
    parts
}

/// A length or a count: a non-negative integer, which JSON may write as `3.0`.
fn count(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let f = value.as_f64()?;
        // Beyond 2^53 a float is no exact count; such a bound says nothing anyway.
        (f >= 0.0 && f.fract() == 0.0 && f < 9_007_199_254_740_992.0).then_some(f as u64)
    })
}

/// A pattern longer than this (as printed) is left out: a model reads a
/// short one at a glance, and the full style still shows any pattern.
const MAX_PATTERN: usize = 64;

/// `pattern` as a JavaScript regex literal, `/^[a-z]+$/`, matching the same
/// strings: an unescaped `/` becomes `\/`, anything outside printable ASCII
/// a `\uXXXX` escape (UTF-16 units, as a regex without the `u` flag reads
/// them). Every `/` inside is then preceded by `\`, and a last `*` is
/// rewritten (`a*` → `a{0,}`), so no `*/` can occur.
fn regex_literal(pattern: &str) -> Option<String> {
    // An empty pattern matches everything; one that starts with `*` is no
    // regex, and its opening `/*` would read as a comment.
    if pattern.is_empty() || pattern.starts_with('*') {
        return None;
    }
    let mut out = String::from("/");
    let mut escaped = false;
    // Whether the last character was escaped by a backslash.
    let mut last_escaped = false;
    for c in pattern.chars() {
        last_escaped = escaped;
        match c {
            '/' if !escaped => out.push_str("\\/"),
            ' '..='~' => out.push(c),
            other => {
                // `\é` means `é`: drop the backslash rather than escape the escape.
                if escaped {
                    out.pop();
                }
                for unit in other.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
        escaped = c == '\\' && !escaped;
        if out.len() > MAX_PATTERN + 1 {
            return None;
        }
    }
    // A trailing lone `\` would escape the closing `/`.
    if escaped {
        return None;
    }
    // A last `*` would end the comment with the closing `/`: write the
    // same regex without it.
    if pattern.ends_with('*') {
        if last_escaped {
            out.truncate(out.len() - "\\*".len());
            out.push_str("\\x2A");
        } else {
            out.pop();
            out.push_str("{0,}");
        }
    }
    out.push('/');
    (out.len() <= MAX_PATTERN + "//".len()).then_some(out)
}

/// `>=1 <=50`, `>0`, `<1`: the tighter of the inclusive and exclusive bound
/// on each side. Draft-04's boolean `exclusiveMinimum` makes `minimum` strict.
fn numeric_range(obj: &Map<String, Value>) -> Option<String> {
    let lower = side(obj, "minimum", "exclusiveMinimum", Side::Lower);
    let upper = side(obj, "maximum", "exclusiveMaximum", Side::Upper);
    match (lower, upper) {
        (None, None) => None,
        (Some(lower), None) => Some(lower),
        (None, Some(upper)) => Some(upper),
        (Some(lower), Some(upper)) => Some(format!("{lower} {upper}")),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Lower,
    Upper,
}

fn side(obj: &Map<String, Value>, inclusive: &str, exclusive: &str, side: Side) -> Option<String> {
    let number = |keyword: &str| match obj.get(keyword) {
        Some(value @ Value::Number(n)) if !says_nothing(keyword, value) => Some(n.clone()),
        _ => None,
    };
    let strict_flag = obj.get(exclusive) == Some(&Value::Bool(true));
    let inclusive_bound = number(inclusive).map(|n| (n, strict_flag));
    let exclusive_bound = number(exclusive).map(|n| (n, true));
    let tighter = |(a, a_strict): (Number, bool), (b, b_strict): (Number, bool)| {
        let (x, y) = (a.as_f64()?, b.as_f64()?);
        let a_wins = match side {
            Side::Lower => x > y || (x == y && a_strict),
            Side::Upper => x < y || (x == y && a_strict),
        };
        Some(if a_wins { (a, a_strict) } else { (b, b_strict) })
    };
    let (bound, strict) = match (inclusive_bound, exclusive_bound) {
        (Some(a), Some(b)) => tighter(a.clone(), b).unwrap_or(a),
        (a, b) => a.or(b)?,
    };
    let op = match (side, strict) {
        (Side::Lower, false) => ">=",
        (Side::Lower, true) => ">",
        (Side::Upper, false) => "<=",
        (Side::Upper, true) => "<",
    };
    Some(format!("{op}{bound}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A server's schema with tens of thousands of `allOf` members, each
    /// bounding differently, costs a short comment and linear time (the
    /// check for repeated phrases was quadratic, and every phrase printed).
    #[test]
    fn an_allof_bomb_prints_a_few_bounds_quickly() {
        let members: Vec<Value> = (0..50_000)
            .map(|i| json!({"minimum": i, "maxLength": i + 1, "pattern": format!("^a{i}$")}))
            .collect();
        let schema = json!({"type": "string", "minLength": 2, "allOf": members});
        let started = std::time::Instant::now();
        let shown = of_property(&schema, &schema).expect("bounds");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(shown.split(", ").count(), MAX_PHRASES, "{shown}");
        // The property's own bound comes first and is kept.
        assert!(shown.starts_with(">=2 chars"), "{shown}");
    }

    proptest! {
        /// Whatever a schema's pattern holds, what is printed stays inside
        /// its comment, on its line: printable ASCII, no `*/`, bounded.
        #[test]
        fn any_pattern_prints_as_a_bounded_ascii_literal(pattern in "(.|[*/\\\\\n\u{2028}])*") {
            if let Some(literal) = regex_literal(&pattern) {
                prop_assert!(literal.chars().all(|c| matches!(c, ' '..='~')), "{literal}");
                prop_assert!(!literal.contains("*/") && !literal.starts_with("/*"), "{literal}");
                prop_assert!(literal.len() <= MAX_PATTERN + "//".len(), "{literal}");
                prop_assert!(literal.starts_with('/') && literal.ends_with('/') && literal.len() > 2);
            }
        }
    }
}
