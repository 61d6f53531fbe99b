//! Text from programs and servers made safe to put before a person: every
//! character that could hide, reorder or rewrite what is on screen (control
//! characters and ANSI escape sequences, `\r`, bidirectional and zero-width
//! marks, odd spaces, private-use and unassigned code points) is written as
//! a JSON escape (`\u202e`), so that what the person reads is what is there.
//! Right-to-left letters and Arabic digits are escaped too: a terminal or
//! client that lays text out bidirectionally would show the characters
//! around them in another order than they are sent (`"1 א 2"` reads as
//! `"1 2 א"`).

use indexmap::IndexSet;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Characters codemode writes around shown text (to mark what it cut), so
/// never shown as themselves inside it: a value cannot forge a marker.
pub(crate) const MARKERS: [char; 3] = ['…', '‹', '›'];

/// How much of Unicode is shown as itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    /// Printable ASCII only: for names (keys), where a look-alike letter
    /// would make two different names read the same.
    Ascii,
    /// Any visible letter, mark, number, punctuation or symbol: for text.
    Visible,
}

/// Combining marks stacked on one character beyond this are escaped: they
/// would pile up over neighbouring lines.
const MAX_MARKS_IN_A_ROW: usize = 4;

/// Characters in visible categories that show nothing, or only space.
fn blank(c: char) -> bool {
    matches!(c as u32,
        0x034F // combining grapheme joiner
        | 0x115F | 0x1160 | 0x3164 | 0xFFA0 // Hangul fillers
        | 0x17B4 | 0x17B5 // Khmer inherent vowels
        | 0x180B..=0x180F // Mongolian variation selectors
        | 0x2800 // braille blank
        | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF // variation selectors
    )
}

/// Characters that make a bidirectional layout reorder their neighbours:
/// right-to-left letters and Arabic digits.
fn reorders(c: char) -> bool {
    use unicode_bidi::BidiClass;
    matches!(
        unicode_bidi::bidi_class(c),
        BidiClass::R | BidiClass::AL | BidiClass::AN
    )
}

/// Writes `text` into `out` as the inside of a JSON string literal, with
/// every character that `charset` does not show as itself escaped.
pub(crate) fn escape_into(out: &mut String, text: &str, charset: Charset) {
    escape_chars(out, text.chars(), charset);
}

/// [`escape_into`] over characters.
pub(crate) fn escape_chars(out: &mut String, chars: impl Iterator<Item = char>, charset: Charset) {
    // Marks show only on a visible base character, and only a few.
    let mut marks: Option<usize> = None;
    for c in chars {
        let group = c.general_category_group();
        let shown = match c {
            '"' | '\\' => false,
            ' '..='~' => true,
            _ if c.is_ascii() || charset == Charset::Ascii => false,
            _ if MARKERS.contains(&c) || blank(c) || reorders(c) => false,
            _ => match group {
                GeneralCategoryGroup::Mark => marks.is_some_and(|n| n < MAX_MARKS_IN_A_ROW),
                GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Punctuation
                | GeneralCategoryGroup::Symbol => true,
                _ => false,
            },
        };
        marks = match (shown, group) {
            (true, GeneralCategoryGroup::Mark) => marks.map(|n| n + 1),
            (true, GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number) => Some(0),
            _ => None,
        };
        if shown {
            out.push(c);
        } else {
            escape_char(out, c);
        }
    }
}

/// `c` as a JSON escape.
fn escape_char(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
}

/// `text` as a JSON string literal (quoted), escaped for `charset`.
pub(crate) fn quoted(text: &str, charset: Charset) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text, charset);
    out.push('"');
    out
}

/// `text` escaped for [`Charset::Visible`], unquoted: for text on one line.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text, Charset::Visible);
    out
}

/// A name (of a server or tool) as itself when it is plain ASCII (letters,
/// digits, `_`, `-`, `.`), else quoted and escaped, so that a name cannot
/// pass for other words of a sentence.
pub(crate) fn name(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        text.to_owned()
    } else {
        quoted(text, Charset::Visible)
    }
}

/// Multi-line text (a server's message) for the terminal: each line escaped
/// for [`Charset::Visible`], the line breaks kept.
pub(crate) fn lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_into(&mut out, line, Charset::Visible);
    }
    out
}

/// The characters of `text` that are shown as themselves but are not
/// ASCII, as `U+043E`, each once, at most `max`, those in a word with ASCII
/// letters (the Cyrillic `о` in `cоrp.com`) first; and how many more.
pub(crate) fn non_ascii(text: &str, max: usize) -> (Vec<String>, usize) {
    // Sets in order of first sight: a text may hold many distinct characters.
    let mut mixed = IndexSet::<char>::new();
    let mut others = IndexSet::<char>::new();
    let mut escaped = String::new();
    for word in text.split(|c: char| c.is_ascii_whitespace()) {
        let among_ascii = word.contains(|c: char| c.is_ascii_alphanumeric());
        for c in word.chars().filter(|c| !c.is_ascii()) {
            escaped.clear();
            escape_chars(&mut escaped, std::iter::once(c), Charset::Visible);
            if escaped.starts_with('\\') {
                continue;
            }
            if among_ascii {
                mixed.insert(c);
            } else {
                others.insert(c);
            }
        }
    }
    let distinct: Vec<char> = mixed
        .iter()
        .chain(others.iter().filter(|c| !mixed.contains(*c)))
        .copied()
        .collect();
    let more = distinct.len().saturating_sub(max);
    let listed = distinct
        .iter()
        .take(max)
        .map(|c| format!("U+{:04X}", *c as u32))
        .collect();
    (listed, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn what_could_rewrite_the_screen_is_escaped() {
        for (text, shown) in [
            ("plain text", "plain text"),
            ("a\"b\\c", r#"a\"b\\c"#),
            ("line\nto: boss@corp", r"line\nto: boss@corp"),
            ("\r\u{1b}[2K\u{1b}[1Ato: x", r"\r\u001b[2K\u001b[1Ato: x"),
            ("\u{9b}2K", r"\u009b2K"),
            ("\u{7f}", r"\u007f"),
            ("evil\u{202e}fdp.exe", r"evil\u202efdp.exe"),
            ("to\u{200b}", r"to\u200b"),
            ("\u{2066}a\u{2069}", r"\u2066a\u2069"),
            ("a\u{2028}b", r"a\u2028b"),
            ("a\u{a0}b\u{3000}c", r"a\u00a0b\u3000c"),
            ("\u{e0041}\u{e0042}", r"\udb40\udc41\udb40\udc42"),
            ("\u{f8ff}", r"\uf8ff"),
            ("\u{3164}", r"\u3164"),
            ("x\u{fe0f}", r"x\ufe0f"),
            ("…‹3 cut›", r"\u2026\u20393 cut\u203a"),
            ("Müller 東京 café", "Müller 東京 café"),
            ("1 \u{5d0} 2", r"1 \u05d0 2"),
            ("\u{627}\u{661}", r"\u0627\u0661"),
            ("e\u{301}", "e\u{301}"),
            ("\u{301}x", r"\u0301x"),
            (
                "a\u{301}\u{301}\u{301}\u{301}\u{301}",
                "a\u{301}\u{301}\u{301}\u{301}\\u0301",
            ),
        ] {
            assert_eq!(
                quoted(text, Charset::Visible),
                format!("\"{shown}\""),
                "{text:?}"
            );
        }
        assert_eq!(quoted("tо", Charset::Ascii), r#""t\u043e""#);
        assert_eq!(lines("one\ntwo\u{1b}[A"), "one\ntwo\\u001b[A");
        assert_eq!(
            non_ascii("boss@cоrp.cоm \u{202e}é", 3),
            (vec!["U+043E".to_owned(), "U+00E9".to_owned()], 0)
        );
        assert_eq!(
            non_ascii("Пример 東京 boss@cоrp.com", 1),
            (vec!["U+043E".to_owned()], 7)
        );
    }

    proptest! {
        /// Whatever the text, what is shown is a JSON string of exactly that
        /// text, on one line, with nothing that moves the cursor or the
        /// reading order and no marker of codemode's own.
        #[test]
        fn shown_text_is_the_text_and_only_visible(text in any::<String>(), ascii in any::<bool>()) {
            let charset = if ascii { Charset::Ascii } else { Charset::Visible };
            let shown = quoted(&text, charset);
            prop_assert_eq!(serde_json::from_str::<String>(&shown).unwrap(), text);
            for c in shown.chars() {
                prop_assert!(!c.is_control() && !MARKERS.contains(&c), "{:?} in {}", c, shown);
                prop_assert!(c == ' ' || !c.is_whitespace(), "{:?} in {}", c, shown);
                let group = c.general_category_group();
                prop_assert!(!matches!(group, GeneralCategoryGroup::Other | GeneralCategoryGroup::Separator) || c == ' ');
                prop_assert!(!reorders(c), "{:?} in {}", c, shown);
                if ascii {
                    prop_assert!(c.is_ascii());
                }
            }
        }
    }
}
