//! What a person is shown of a call's arguments before approving it.
//!
//! Every value is on its own line under its whole path (`to`,
//! `message.headers.cc[0]`, `["a.b"]`), in the order it is sent, so a
//! padded early value cannot push a later one out of sight. Text is escaped
//! ([`crate::prompt::visible`]): a value cannot forge a line, rewrite the terminal or
//! hide characters. Long texts, and more of them when everything does not
//! fit, are shortened to their head and tail around a marker saying how
//! much is cut (`…‹4,812 characters cut›…`, in characters no value shows as
//! themselves); only if even that does not fit are the last values left
//! out, saying how many.

use std::fmt::Write;

use serde_json::Value;

use crate::prompt::visible::{self, Charset};

/// How much of the arguments a question shows (bytes of text).
const BUDGET: usize = 32 << 10;
/// Characters a shortened text keeps, at least.
const MIN_CAP: usize = 16;
/// Characters a text keeps, at most: a longer one is for the full view.
const MAX_CAP: usize = 2 << 10;
/// Characters of a key shown; a longer key is shortened like a text.
const KEY_CAP: usize = 48;
/// A text is shortened only when that saves more than its marker takes,
/// so a short one (an address) is always whole.
const CUT_SLACK: usize = 32;
/// Non-ASCII characters named on a value's line.
const NON_ASCII_NAMED: usize = 3;

/// The arguments as shown.
pub(super) struct Shown {
    /// One line per value, each ending with a newline.
    pub lines: String,
    /// Values in all (scalars and empty objects or arrays).
    pub values: usize,
    /// Whether every value is shown whole.
    pub whole: bool,
}

/// One value to show and where it sits.
struct Leaf<'a> {
    /// Its path as shown (`message.to`, `cc[0]`, `["a.b"]`).
    path: String,
    value: &'a Value,
    /// The characters of a string value.
    chars: usize,
    /// Whether a key on its path was shortened.
    key_cut: bool,
    /// What the line says after the value (the non-ASCII characters it shows).
    note: String,
}

/// The arguments `args`, one value a line, within the budget.
pub(super) fn show(args: &Value) -> Shown {
    let mut leaves = Vec::new();
    let mut values = 0;
    let mut room = BUDGET;
    collect(
        args,
        (&mut String::new(), false),
        &mut leaves,
        &mut values,
        &mut room,
    );

    let fits = |cap| lines_len(&leaves, cap) <= BUDGET;
    let cap = if fits(MAX_CAP) {
        MAX_CAP
    } else if fits(MIN_CAP) {
        let (mut fitting, mut too_long) = (MIN_CAP, MAX_CAP);
        while too_long - fitting > 1 {
            let middle = fitting + (too_long - fitting) / 2;
            if fits(middle) {
                fitting = middle;
            } else {
                too_long = middle;
            }
        }
        fitting
    } else {
        MIN_CAP
    };

    let mut lines = String::new();
    let mut line = String::new();
    let mut any_cut = false;
    let mut shown = 0;
    // Room is kept for the line that says how many values are left out.
    let room = if leaves.len() < values {
        BUDGET - 64
    } else {
        BUDGET
    };
    for leaf in &leaves {
        line.clear();
        let cut = push_line(&mut line, leaf, cap);
        if lines.len() + line.len() > room {
            break;
        }
        any_cut |= cut || leaf.key_cut;
        lines.push_str(&line);
        shown += 1;
    }
    if shown < values {
        let _ = writeln!(
            lines,
            "  …‹{} more {} not shown›",
            thousands(values - shown),
            plural(values - shown, "value")
        );
    }
    Shown {
        lines,
        values,
        whole: !any_cut && shown == values,
    }
}

/// The arguments whole, as indented JSON with every string escaped (keys
/// to ASCII), so that it parses back to exactly the arguments.
pub(super) fn full(args: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, args, 0);
    out
}

fn write_json(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.extend(std::iter::repeat_n("  ", depth));
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (key, value)) in map.iter().enumerate() {
                indent(out, depth + 1);
                out.push_str(&visible::quoted(key, Charset::Ascii));
                out.push_str(": ");
                write_json(out, value, depth + 1);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                write_json(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push(']');
        }
        Value::String(text) => out.push_str(&visible::quoted(text, Charset::Visible)),
        other => out.push_str(&other.to_string()),
    }
}

/// Walks `value` in order, counting every leaf in `values` and keeping
/// those whose paths fit in `room` (after the first that does not, none);
/// `key_cut` says whether a key on `path` was shortened.
fn collect<'a>(
    value: &'a Value,
    (path, key_cut): (&mut String, bool),
    leaves: &mut Vec<Leaf<'a>>,
    values: &mut usize,
    room: &mut usize,
) {
    let at = path.len();
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                let cut = push_key(path, key);
                collect(value, (path, key_cut || cut), leaves, values, room);
                path.truncate(at);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let _ = write!(path, "[{i}]");
                collect(item, (path, key_cut), leaves, values, room);
                path.truncate(at);
            }
        }
        _ => {
            *values += 1;
            // A line holds at least its path, its indent, ": " and a value.
            let least = path.len() + 8;
            if least > *room {
                *room = 0;
                return;
            }
            *room -= least;
            let (chars, note) = match value {
                Value::String(text) => (text.chars().count(), non_ascii_note(text)),
                _ => (0, String::new()),
            };
            leaves.push(Leaf {
                path: path.clone(),
                value,
                chars,
                key_cut,
                note,
            });
        }
    }
}

/// Appends `key` to the path: `.key` when it reads plainly as a name,
/// else `["key"]`, escaped to ASCII and shortened; whether it was.
fn push_key(path: &mut String, key: &str) -> bool {
    let plain = key.len() <= KEY_CAP
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        false
    } else {
        path.push('[');
        let cut = push_text(path, key, key.chars().count(), KEY_CAP, Charset::Ascii);
        path.push(']');
        cut
    }
}

/// Appends `text` (of `chars` characters) quoted and escaped, shortened to
/// its head and tail around a marker if it is well over `cap`; whether it
/// was shortened.
fn push_text(out: &mut String, text: &str, chars: usize, cap: usize, charset: Charset) -> bool {
    out.push('"');
    let cut = chars > cap.saturating_add(CUT_SLACK);
    if cut {
        let tail = cap / 3;
        let head = cap - tail;
        visible::escape_chars(out, text.chars().take(head), charset);
        let _ = write!(out, "…‹{} characters cut›…", thousands(chars - cap));
        let tail_at = text
            .char_indices()
            .rev()
            .nth(tail.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i);
        visible::escape_into(out, if tail == 0 { "" } else { &text[tail_at..] }, charset);
    } else {
        visible::escape_into(out, text, charset);
    }
    out.push('"');
    cut
}

/// Appends the line of `leaf` with its texts shortened to `cap`; whether
/// any was.
fn push_line(out: &mut String, leaf: &Leaf, cap: usize) -> bool {
    out.push_str("  ");
    if !leaf.path.is_empty() {
        out.push_str(&leaf.path);
        out.push_str(": ");
    }
    let cut = match leaf.value {
        Value::String(text) => push_text(out, text, leaf.chars, cap, Charset::Visible),
        Value::Object(_) => {
            out.push_str("{}");
            false
        }
        Value::Array(_) => {
            out.push_str("[]");
            false
        }
        other => {
            out.push_str(&other.to_string());
            false
        }
    };
    out.push_str(&leaf.note);
    out.push('\n');
    cut
}

/// The length of every line with texts shortened to `cap`.
fn lines_len(leaves: &[Leaf], cap: usize) -> usize {
    let mut line = String::new();
    leaves
        .iter()
        .map(|leaf| {
            line.clear();
            push_line(&mut line, leaf, cap);
            line.len()
        })
        .sum()
}

/// ` ‹non-ASCII: U+043E›` for a text that shows characters that are not
/// ASCII (one could pass for an ASCII letter), else nothing.
fn non_ascii_note(text: &str) -> String {
    if text.is_ascii() {
        return String::new();
    }
    let (named, more) = visible::non_ascii(text, NON_ASCII_NAMED);
    if named.is_empty() {
        return String::new();
    }
    let more = if more > 0 {
        format!(" and {} more", thousands(more))
    } else {
        String::new()
    };
    format!(" ‹non-ASCII: {}{more}›", named.join(" "))
}

/// `n` with a comma every three digits.
pub(super) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `word` for one, `words` for other counts.
pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
