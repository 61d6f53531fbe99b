//! Text that is wholly a Python literal container, as Python's `str()` of a
//! list, tuple or dict prints it (mcp-server-sqlite answers its rows so:
//! `[{'id': 1, 'name': 'Ann'}]`), read as the JSON value it stands for, so
//! a program gets rows, not a string to take apart.
//!
//! Conservative: only a list, tuple or dict at the top, of strings, ints,
//! floats, `True`, `False`, `None` and such containers, is read; anything
//! else (prose, a bare word or number, bytes, sets, calls such as
//! `datetime(...)`, a key that is not a string, an int a program cannot
//! hold exactly, `inf`/`nan`, a raw NUL, nesting past [`MAX_DEPTH`]) keeps
//! the text as it is. Tuples become arrays. Bounded: one pass, depth-limited recursion.

use serde_json::{Map, Number, Value};

/// Deeper than this, the text stays text (and the stack stays shallow).
const MAX_DEPTH: usize = 64;

/// The largest int a program's numbers hold exactly (`Number.MAX_SAFE_INTEGER`):
/// a larger one (a 64-bit row id) would reach it rounded, a different
/// value than the text says, so such text stays text.
const MAX_SAFE_INT: u64 = (1 << 53) - 1;

/// The value `text` stands for, when it is wholly a Python literal list,
/// tuple or dict that JSON can hold.
pub(super) fn parse(text: &str) -> Option<Value> {
    let mut reader = Reader {
        text: text.as_bytes(),
        at: 0,
    };
    reader.blank();
    if !matches!(reader.peek(), Some(b'[' | b'(' | b'{')) {
        return None;
    }
    let value = reader.value(0)?;
    reader.blank();
    (reader.at == reader.text.len()).then_some(value)
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// Skips spaces and line breaks (pretty-printed reprs span lines).
    fn blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.blank();
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.blank();
        match self.peek()? {
            b'[' => self.sequence(b']', depth),
            b'(' => self.sequence(b')', depth),
            b'{' => self.dict(depth),
            b'\'' | b'"' => self.string().map(Value::String),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.number(),
            _ => self.word(),
        }
    }

    /// `[a, b,]` or `(a, b)`: an array. `(a)` is no tuple (a tuple of one
    /// is `(a,)`), and text such as `(5)` is likelier prose: it stays text.
    fn sequence(&mut self, close: u8, depth: usize) -> Option<Value> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            if !self.eat(b',') {
                let tuple_of_one = close == b')' && items.len() == 1;
                return (self.eat(close) && !tuple_of_one).then_some(Value::Array(items));
            }
        }
    }

    /// `{'k': v, ...}` with string keys; `{}` is an empty dict. A set
    /// (`{1, 2}`) or another key kind keeps the text.
    fn dict(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        let mut map = Map::new();
        loop {
            if self.eat(b'}') {
                return Some(Value::Object(map));
            }
            self.blank();
            if !matches!(self.peek(), Some(b'\'' | b'"')) {
                return None;
            }
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            let value = self.value(depth + 1)?;
            map.insert(key, value);
            if !self.eat(b',') {
                return self.eat(b'}').then_some(Value::Object(map));
            }
        }
    }

    /// A quoted string as `repr` writes it, with Python's escapes. A prefix
    /// (`b'...'`, `r'...'`) never reaches here: it reads as a word.
    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or line break at
            // once. A raw NUL is no Python source (`literal_eval` refuses it).
            let rest = &self.text[self.at..];
            let run = rest.iter().position(|&b| {
                b == quote || b == b'\\' || b == b'\n' || b == b'\r' || b == b'\0'
            })?;
            out.push_str(std::str::from_utf8(&rest[..run]).ok()?);
            self.at += run;
            match self.peek()? {
                b'\\' => {
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                b if b == quote => {
                    self.at += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Option<()> {
        let byte = self.peek()?;
        self.at += 1;
        let simple = match byte {
            b'\\' => '\\',
            b'\'' => '\'',
            b'"' => '"',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'v' => '\u{b}',
            b'0' if !matches!(self.peek(), Some(b'0'..=b'7')) => '\0',
            b'x' => return self.code(2, out),
            b'u' => return self.code(4, out),
            b'U' => return self.code(8, out),
            _ => return None,
        };
        out.push(simple);
        Some(())
    }

    /// `digits` hex digits naming a code point.
    fn code(&mut self, digits: usize, out: &mut String) -> Option<()> {
        let hex = self.text.get(self.at..self.at + digits)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        out.push(char::from_u32(code)?);
        self.at += digits;
        Some(())
    }

    /// An int of at most [`MAX_SAFE_INT`], or a finite float; `1j`,
    /// `1_000`, `0x1f` and larger ints keep the text.
    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.text[start..self.at]).ok()?;
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return None;
        }
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            // Python prints no leading zeros; `007` is not a Python int.
            if digits.len() > 1 && digits.starts_with('0') {
                return None;
            }
            let magnitude = digits.parse::<u64>().ok().filter(|&n| n <= MAX_SAFE_INT)?;
            let n = i64::try_from(magnitude).ok()?;
            return Some(Value::from(if text.starts_with('-') { -n } else { n }));
        }
        let float: f64 = text.parse().ok()?;
        Number::from_f64(float).map(Value::Number)
    }

    /// `True`, `False`, `None`; any other word (`inf`, `nan`, `b'..'`,
    /// `datetime(...)`, `set()`) keeps the text.
    fn word(&mut self) -> Option<Value> {
        let rest = &self.text[self.at..];
        let len = rest
            .iter()
            .position(|b| !b.is_ascii_alphanumeric() && *b != b'_')
            .unwrap_or(rest.len());
        let value = match &rest[..len] {
            b"True" => Value::Bool(true),
            b"False" => Value::Bool(false),
            b"None" => Value::Null,
            _ => return None,
        };
        self.at += len;
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn rows_as_python_prints_them_are_read() {
        assert_eq!(
            parse("[{'id': 1, 'name': 'Ann', 'score': 2.5, 'note': None, 'ok': True}]"),
            Some(json!([{"id": 1, "name": "Ann", "score": 2.5, "note": null, "ok": true}]))
        );
        assert_eq!(
            parse("[(1, 'a'), (2, \"it's\")]"),
            Some(json!([[1, "a"], [2, "it's"]]))
        );
        assert_eq!(parse("[]"), Some(json!([])));
        assert_eq!(parse("{}"), Some(json!({})));
        assert_eq!(parse("(1,)"), Some(json!([1])));
        assert_eq!(parse("()"), Some(json!([])));
        assert_eq!(
            parse("{'a': [1, -2, 3e+20, -0.5],\n 'b': {'c': ()}}"),
            Some(json!({"a": [1, -2, 3e20, -0.5], "b": {"c": []}}))
        );
        assert_eq!(
            parse(r"['a\'b', 'tab\there', '\x00\u00e9\U0001f600', 'back\\slash', '\n']"),
            Some(json!([
                "a'b",
                "tab\there",
                "\u{0}\u{e9}\u{1f600}",
                "back\\slash",
                "\n"
            ]))
        );
        assert_eq!(parse("['caf\u{e9}']"), Some(json!(["caf\u{e9}"])));
        assert_eq!(
            parse("[9007199254740991, -9007199254740991, -0]"),
            Some(json!([9007199254740991i64, -9007199254740991i64, 0]))
        );
    }

    #[test]
    fn what_json_cannot_hold_or_is_not_a_literal_keeps_the_text() {
        for text in [
            "",
            "hello",
            "None",
            "'just a string'",
            "42",
            "Results: [1, 2]",
            "[1, 2] and more",
            "[1, 2",
            "[1 2]",
            "[b'\\x00']",
            "{1: 'a'}",
            "{(1, 2): 'a'}",
            "{1, 2}",
            "set()",
            "[inf]",
            "[nan]",
            "[1e999]",
            "[1j]",
            "[1_000]",
            "[0x1f]",
            "[007]",
            "[123456789012345678901234567890]",
            "[9007199254740992]",
            "[-9007199254740993]",
            "[18446744073709551615]",
            "['a\0b']",
            "[datetime.date(2024, 1, 1)]",
            "[Decimal('1.5')]",
            "['unterminated]",
            "['line\nbreak']",
            "['\\N{DASH}']",
            "['\\q']",
            "['\\ud800']",
            "[,]",
            "[1,,2]",
            "{'a' 1}",
            "{'a': 1,, }",
            "[...]",
            "[-]",
            "[.]",
            "(1 for x in y)",
            "(5)",
            "('a')",
            "[(1)]",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_tool_answering_a_python_literal_gives_the_program_its_value() {
        let answer = |text: &str| {
            super::super::unwrap::unwrap(&json!({"content": [{"type": "text", "text": text}]}))
        };
        assert_eq!(
            answer("[{'name': 'users'}]"),
            Ok(json!([{"name": "users"}]))
        );
        assert_eq!(answer("[1, 2]"), Ok(json!([1, 2])));
        assert_eq!(
            answer("Table created successfully"),
            Ok(json!("Table created successfully"))
        );
        assert_eq!(answer("[b'\\x00']"), Ok(json!("[b'\\x00']")));
    }

    #[test]
    fn nesting_past_the_limit_keeps_the_text() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&nested(MAX_DEPTH)).is_some());
        assert_eq!(parse(&nested(MAX_DEPTH + 2)), None);
        // Far deeper than any stack allows recursion for: refused, not crashed.
        assert_eq!(parse(&nested(1_000_000)), None);
        assert_eq!(parse(&"(".repeat(1_000_000)), None);
    }

    /// A Python literal as `repr` prints it, of any value.
    fn python(value: &Value) -> String {
        match value {
            Value::Null => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => {
                let mut out = String::from("'");
                for c in s.chars() {
                    match c {
                        '\'' => out.push_str("\\'"),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                            out.push_str(&format!("\\x{:02x}", c as u32))
                        }
                        c => out.push(c),
                    }
                }
                out.push('\'');
                out
            }
            Value::Array(items) => format!(
                "[{}]",
                items.iter().map(python).collect::<Vec<_>>().join(", ")
            ),
            Value::Object(map) => format!(
                "{{{}}}",
                map.iter()
                    .map(|(k, v)| format!("{}: {}", python(&Value::String(k.clone())), python(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(MAX_SAFE_INT as i64)..=MAX_SAFE_INT as i64).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// No text makes the reader panic, and what it reads is bounded in depth.
        #[test]
        fn any_text_is_read_or_kept(text in "[\\[\\](){}'\",: a-zA-Z0-9.\\\\+-]{0,64}") {
            if let Some(value) = parse(&text) {
                prop_assert!(codemode_sandbox::bounds::value_depth(&value) <= MAX_DEPTH + 2);
            }
        }

        /// Arbitrary Unicode never panics either.
        #[test]
        fn any_unicode_is_read_or_kept(text in "\\PC*") {
            let _ = parse(&text);
            let _ = parse(&format!("[{text}]"));
            let _ = parse(&format!("['{text}']"));
        }

        /// An int reaches a program as exactly the int the text says, or the
        /// text stays text: never a rounded number.
        #[test]
        fn an_int_is_read_exactly_or_not_at_all(n in any::<i128>(), spaces in " {0,2}") {
            match parse(&format!("[{spaces}{n}{spaces}]")) {
                Some(value) => {
                    let read = value[0].as_i64().expect("an int");
                    prop_assert_eq!(i128::from(read), n);
                    prop_assert!(read.unsigned_abs() <= MAX_SAFE_INT);
                    // A program's numbers are doubles.
                    prop_assert_eq!(read as f64 as i64, read);
                }
                None => prop_assert!(n.unsigned_abs() > u128::from(MAX_SAFE_INT)),
            }
        }

        /// Containers Python prints are read back as the values they print.
        #[test]
        fn what_python_prints_reads_back(items in prop::collection::vec(value(), 0..4)) {
            let list = Value::Array(items);
            prop_assert_eq!(parse(&python(&list)), Some(list));
        }
    }
}
