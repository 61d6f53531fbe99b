//! Errors that say the fix: QuickJS's terse messages made into what a
//! model needs to mend its program, naming the expression as written
//! (`result.items is undefined, so it cannot be iterated (for…of)`), a
//! forgotten `await`, a misspelled namespace, or a global the sandbox does
//! not have.

use codemode_sandbox::Binding;
use codemode_text::suggest::{did_you_mean, function_meant, listed};
use codemode_transpile::Compiled;
use codemode_transpile::culprit::{Culprit, Failed, Site, culprit};

/// Programs larger than this are not parsed again to name a culprit: naming
/// runs on the caller's stack.
const MAX_JS_NAMED: usize = 16 << 10;

/// What a value was, in the engine's words after `of` (`undefined`, `null`,
/// `a promise`), and the rest of its message (a `; did you forget…` hint).
fn what_and_hint(rest: &str) -> Option<(&str, &str)> {
    for what in ["undefined", "null", "a promise"] {
        if let Some(hint) = rest.strip_prefix(what)
            && forgotten_await(hint)
        {
            return Some((what, hint));
        }
    }
    None
}

/// Whether `hint` is nothing or exactly the prelude's hint: `; did you
/// forget `await`?`, or `… before ns.name(…)?` with `ns["…"]` for a name
/// that is no identifier. Anything else came from the program's values (a
/// property named `x' of null; call…`), and rewording it would make them
/// read as codemode's words.
fn forgotten_await(hint: &str) -> bool {
    const FORGOT: &str = "; did you forget `await`";
    let Some(rest) = hint.strip_prefix(FORGOT) else {
        return hint.is_empty();
    };
    if rest == "?" {
        return true;
    }
    let Some(shown) = rest
        .strip_prefix(" before ")
        .and_then(|r| r.strip_suffix("(…)?"))
    else {
        return false;
    };
    let identifier = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    match shown.split_once(['.', '[']) {
        Some((ns, name)) if identifier(ns) && shown.as_bytes()[ns.len()] == b'.' => {
            identifier(name)
        }
        Some((ns, name)) if identifier(ns) => name
            .strip_suffix(']')
            .is_some_and(|quoted| serde_json::from_str::<String>(quoted).is_ok()),
        _ => false,
    }
}

/// `NAME' of WHAT HINT` (after `cannot read property '`) as its three
/// parts. The name may hold `' of ` itself: the split is where the rest is
/// what the engine says after a name.
fn property_read(rest: &str) -> Option<(&str, &str, &str)> {
    rest.match_indices("' of ").find_map(|(at, sep)| {
        let (what, hint) = what_and_hint(&rest[at + sep.len()..])?;
        Some((&rest[..at], what, hint))
    })
}

/// A property's name as an error shows it: `name` in backticks, or quoted
/// as JSON (and cut) when it is no plain name, so a key read from a tool's
/// answer reads as a value, never as the message's own words.
fn property_shown(property: &str) -> String {
    const MAX_SHOWN: usize = 64;
    let plain = property.len() <= MAX_SHOWN
        && !property.is_empty()
        && property
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-'));
    if plain {
        return format!("`{property}`");
    }
    quoted(property)
}

/// `text` as a JSON string, cut to 64 characters: a value in a message.
fn quoted(text: &str) -> String {
    const MAX_SHOWN: usize = 64;
    let mut shown: String = text.chars().take(MAX_SHOWN).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    serde_json::Value::String(shown).to_string()
}

/// The message naming the expression a `TypeError` is about, and that
/// expression (whose position is the error's).
pub(super) fn named(
    message: &str,
    compiled: &Compiled,
    line: u32,
    column: u32,
) -> Option<(String, Culprit)> {
    if compiled.js.len() > MAX_JS_NAMED {
        return None;
    }
    let find = |failed| culprit(&compiled.js, line, column, failed);
    let error = message.strip_prefix("TypeError: ")?;
    if let Some(kinds) = error.strip_prefix("not a function") {
        let callee = find(Failed::NotAFunction)?;
        let message = not_a_function(&callee, kinds);
        return Some((message, callee));
    }
    // Iterated: `for…of`, spread, array destructuring, `Array.from`.
    let iterated = error
        .strip_prefix("cannot read property 'Symbol.iterator' of ")
        .or_else(|| error.strip_prefix("cannot read property 'Symbol.asyncIterator' of "))
        .and_then(what_and_hint)
        .or_else(|| {
            let hint = error.strip_prefix("a promise cannot be iterated")?;
            forgotten_await(hint).then_some(("a promise", hint))
        });
    if let Some((what, hint)) = iterated {
        let value = find(Failed::Iterating)?;
        let how = site(&value);
        let message = match value.site {
            Some(Site::Parameter) => format!(
                "TypeError: the parameter `{}` was given {what}, so it cannot be destructured{hint}",
                value.text
            ),
            _ => format!(
                "TypeError: `{}` is {what}, so it cannot be iterated ({how}){hint}",
                value.text
            ),
        };
        return Some((message, value));
    }
    if error == "value is not iterable" {
        let value = find(Failed::Iterating)?;
        let text = &value.text;
        let message = format!(
            "TypeError: `{text}` is not iterable ({}); for an object's values or entries use Object.values({text}) or Object.entries({text})",
            site(&value)
        );
        return Some((message, value));
    }
    // Made an object: object destructuring, `Object.keys` and kin.
    if let Some(what) = error
        .strip_prefix("cannot convert ")
        .and_then(|rest| rest.strip_suffix(" to object"))
    {
        let value = find(Failed::ToObject)?;
        let text = &value.text;
        let message = match &value.site {
            Some(Site::Argument(callee)) => {
                format!("TypeError: `{text}` is {what}, so {callee}(…) cannot take it")
            }
            Some(Site::Parameter) => format!(
                "TypeError: the parameter `{text}` was given {what}, so it cannot be destructured"
            ),
            _ => format!("TypeError: `{text}` is {what}, so it cannot be destructured"),
        };
        return Some((message, value));
    }
    let (rest, setting) = match error.strip_prefix("cannot read property '") {
        Some(rest) => (rest, false),
        None => (error.strip_prefix("cannot set property '")?, true),
    };
    let (property, what, hint) = property_read(rest)?;
    let object = find(Failed::Reading(property))?;
    let shown = property_shown(property);
    let outcome = if setting {
        format!("its property {shown} cannot be set")
    } else {
        format!("it has no property {shown}")
    };
    let message = match object.site {
        Some(Site::Parameter) => format!(
            "TypeError: the parameter `{}` was given {what}, so {outcome}{hint}",
            object.text
        ),
        _ => format!("TypeError: `{}` is {what}, so {outcome}{hint}", object.text),
    };
    Some((message, object))
}

/// How a value was used, as a model wrote it.
fn site(value: &Culprit) -> String {
    match &value.site {
        Some(Site::ForOf) => "for…of".to_owned(),
        Some(Site::Spread) => "spread with ...".to_owned(),
        Some(Site::Argument(callee)) => format!("{callee}(…)"),
        Some(Site::Destructuring) | Some(Site::Parameter) => "array destructuring".to_owned(),
        None => "iteration".to_owned(),
    }
}

/// `TypeError: rows.map is not a function: rows is a string`, from the
/// named callee and what the engine said the callee and its object were
/// (`: it is undefined (a property of a string)`; nothing from engines
/// that do not say).
fn not_a_function(callee: &Culprit, kinds: &str) -> String {
    let name = &callee.text;
    let Some(kinds) = kinds.strip_prefix(": it is ") else {
        // The engine says what it called when the call itself failed; it
        // does not when a built-in refused a value given to it
        // (`rows.map(r.nope)`), or when the call spread its arguments.
        if callee.site == Some(Site::Spread) {
            return format!("TypeError: {name} is not a function");
        }
        return format!(
            "TypeError: {name}(…) was given a value that is not a function where it takes one (a callback?)"
        );
    };
    let (own, of) = match kinds
        .strip_suffix(')')
        .and_then(|k| k.split_once(" (a property of "))
    {
        Some((own, of)) => (own, Some(of)),
        None => (kinds, None),
    };
    let what = match (&callee.object, of) {
        // Not there at all: what it was read from says why.
        (Some(object), Some(of)) if own == "undefined" => format!("{object} is {of}"),
        _ => format!("it is {own}"),
    };
    let hint = if of == Some("a promise") {
        "; did you forget `await`?".to_owned()
    } else {
        // `globalThis.fetch(...)`: a global the sandbox lacks.
        let global = ["globalThis.", "self.", "window."]
            .iter()
            .find_map(|object| name.strip_prefix(object))
            .filter(|name| ABSENT.contains(name));
        global.map(|_| format!(": {NO_WORLD}")).unwrap_or_default()
    };
    format!("TypeError: {name} is not a function: {what}{hint}")
}

/// Globals programs written for Node, Deno or a browser reach for, which the
/// sandbox does not have by design.
const ABSENT: &[&str] = &[
    "fetch",
    "require",
    "process",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "Deno",
    "Bun",
    "module",
    "exports",
    "__dirname",
    "__filename",
    "Buffer",
    "window",
    "document",
    "navigator",
    "localStorage",
    "sessionStorage",
    "importScripts",
];

const NO_WORLD: &str = "the sandbox has no network, files, modules or process; reach the outside world through the tools of the namespaces";

/// A `ReferenceError` (or failed `import()`) with what the program likely
/// meant: a namespace or tool by another spelling, or a global the sandbox
/// does not have. `None` when there is nothing to add.
pub(super) fn not_defined(
    message: &str,
    compiled: &Compiled,
    bindings: &[Binding],
) -> Option<String> {
    let namespaces = || listed(bindings.iter().map(|b| b.ident.as_str()), 12);
    if let Some(module) = message.strip_prefix("ReferenceError: could not load module ") {
        // The engine quotes the name with `'`, which the name may hold.
        let module = module
            .strip_prefix('\'')
            .and_then(|m| m.strip_suffix('\''))
            .unwrap_or(module);
        return Some(format!(
            "ReferenceError: could not load module {}: programs cannot import modules; {NO_WORLD} ({})",
            quoted(module),
            namespaces()
        ));
    }
    let name = undefined_name(message)?;
    if ABSENT.contains(&name) {
        return Some(format!("{message}: {NO_WORLD} ({})", namespaces()));
    }
    // A namespace misspelled.
    if let Some(meant) = did_you_mean(name, bindings.iter().map(|b| b.ident.as_str())) {
        return Some(format!(
            "{message}; did you mean {meant}? The namespaces are {}",
            namespaces()
        ));
    }
    // A tool called bare (`git_log(...)`), or with its namespace glued on
    // (`demo_list_projects`).
    for binding in bindings {
        let ns = &binding.ident;
        let functions = binding.functions.iter().map(|(ident, _)| ident.as_str());
        let exact = functions.clone().find(|f| *f == name);
        let glued = name
            .strip_prefix(ns.as_str())
            .and_then(|rest| rest.strip_prefix(['_', '.']))
            .and_then(|rest| function_meant(rest, ns, functions.clone()));
        if let Some(function) = exact.or(glued) {
            return Some(format!("{message}; did you mean {ns}.{function}?"));
        }
    }
    // Used as a namespace (`mem.read_graph`) but none is called that.
    if used_as_object(&compiled.js, name) {
        return Some(format!(
            "{message}; it is not a namespace: the namespaces are {}",
            namespaces()
        ));
    }
    None
}

/// The global a `ReferenceError` says is not defined: QuickJS says it only
/// in words, so this is the one place that reads them.
pub(super) fn undefined_name(message: &str) -> Option<&str> {
    message
        .strip_prefix("ReferenceError: ")?
        .strip_suffix(" is not defined")
}

/// Whether `js` reads a member of `name` (`name.x`, `name[...]`).
fn used_as_object(js: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    js.match_indices(name).any(|(at, _)| {
        let before = js[..at].chars().next_back();
        let after = js[at + name.len()..].trim_start().chars().next();
        !before.is_some_and(|c| ident(c) || c == '.') && matches!(after, Some('.' | '['))
    })
}

/// The 1-based column (in UTF-16 units) at which `name` starts at the
/// engine's position, if it is there: QuickJS points exactly at a global it
/// could not find.
pub(super) fn name_at(js: &str, line: u32, column: u32, name: &str) -> Option<u32> {
    let text = js.lines().nth(line.checked_sub(1)? as usize)?;
    let at = column.checked_sub(1)? as usize;
    text.get(at..)?
        .starts_with(name)
        .then(|| {
            text.get(..at)
                .map(|before| before.encode_utf16().count() as u32 + 1)
        })
        .flatten()
}

/// A rewording of an unnamed iteration or conversion failure, which QuickJS
/// words as a property read (`cannot read property 'Symbol.iterator'`).
pub(super) fn unnamed(message: &str) -> Option<String> {
    let error = message.strip_prefix("TypeError: ")?;
    if let Some(rest) = error.strip_prefix("cannot read property 'Symbol.iterator' of ") {
        let (what, hint) = what_and_hint(rest)?;
        return Some(format!(
            "TypeError: a value that is {what} cannot be iterated (for…of, spread, array destructuring, Array.from){hint}"
        ));
    }
    if let Some(what) = error
        .strip_prefix("cannot convert ")
        .and_then(|rest| rest.strip_suffix(" to object"))
    {
        return Some(format!(
            "TypeError: a value that is {what} cannot be destructured or given to Object.keys, Object.values or Object.entries"
        ));
    }
    None
}

/// What a program that made calls and returned nothing is told.
pub(super) const RETURNED_UNDEFINED: &str =
    "the program returned undefined: `return` the value you want back";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_undefined_name_is_read_from_a_reference_error_only() {
        let name = undefined_name("ReferenceError: fetch is not defined");
        assert_eq!(name, Some("fetch"));
        assert_eq!(
            undefined_name("ReferenceError: could not load module 'fs'"),
            None
        );
        assert_eq!(undefined_name("Error: fetch is not defined"), None);
    }

    mod spelled {
        use super::*;
        use proptest::prelude::*;

        /// Text made of the pieces of the messages themselves.
        fn tricky() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("' of ".to_owned()),
                Just("undefined".to_owned()),
                Just("null".to_owned()),
                Just("a promise".to_owned()),
                Just("; did you forget `await`".to_owned()),
                Just(" before demo[\"".to_owned()),
                Just("\"](…)?".to_owned()),
                Just("?".to_owned()),
                "\\PC{0,6}",
            ];
            proptest::collection::vec(piece, 0..8).prop_map(|p| p.concat())
        }

        proptest! {
            /// Whatever a property is called, the engine's message is read
            /// back as that name and what the value was, never as a hint
            /// the name spelled out.
            #[test]
            fn a_property_read_is_split_where_the_engine_put_it(
                key in tricky(),
                what in prop_oneof![Just("undefined"), Just("null"), Just("a promise")],
                hint in prop_oneof![
                    Just(String::new()),
                    Just("; did you forget `await`?".to_owned()),
                    Just("; did you forget `await` before demo.list_projects(…)?".to_owned()),
                    tricky().prop_map(|name| format!(
                        "; did you forget `await` before demo[{}](…)?",
                        serde_json::Value::String(name)
                    )),
                ],
            ) {
                let message = format!("{key}' of {what}{hint}");
                prop_assert_eq!(property_read(&message), Some((key.as_str(), what, hint.as_str())));
                let shown = property_shown(&key);
                // 64 characters, each escaped at most to two, the cut and quotes.
                prop_assert!(shown.chars().count() <= 2 * 64 + 3, "{}", shown);
                prop_assert!(!shown.contains('\n'));
            }
        }
    }

    #[test]
    fn a_name_read_as_an_object_is_found() {
        assert!(used_as_object("const g = await mem.read_graph();", "mem"));
        assert!(used_as_object("x = mem ['a']", "mem"));
        assert!(!used_as_object("const g = memory.read_graph();", "mem"));
        assert!(!used_as_object("x.mem.y", "mem"));
        assert!(!used_as_object("mem(1)", "mem"));
    }

    #[test]
    fn a_name_is_found_where_the_engine_points() {
        let js = "(async ()=>{\n    const r = await fétch(1);\n})();";
        // QuickJS counts bytes: `fétch` starts at byte 21 of line 2.
        assert_eq!(name_at(js, 2, 21, "fétch"), Some(21));
        assert_eq!(name_at(js, 2, 20, "fétch"), None);
        assert_eq!(name_at(js, 9, 1, "fétch"), None);
    }
}
