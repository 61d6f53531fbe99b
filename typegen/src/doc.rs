//! JSDoc comments: descriptions plus compact tags taken from schema keywords.

use serde_json::Value;

/// Prose and tags for one documented item (a tool, a property, an alias).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Doc {
    pub text: Option<String>,
    /// `(tag, value)`; an empty value prints the bare tag (`@deprecated`).
    pub tags: Vec<(String, String)>,
}

/// Keywords copied verbatim into `@keyword value` tags, in this order.
const VALUE_TAGS: &[&str] = &[
    "default",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// Bounds that only restate JavaScript's safe integers (what code
/// generators emit for `int64`): a tag for them tells the model nothing.
pub(crate) fn says_nothing(keyword: &str, value: &Value) -> bool {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    let Some(number) = value.as_f64() else {
        return false;
    };
    match keyword {
        "maximum" | "exclusiveMaximum" => number >= SAFE,
        "minimum" | "exclusiveMinimum" => number <= -SAFE,
        _ => false,
    }
}

/// A tag value longer than this is cut, so one huge `default` cannot flood the prompt.
const MAX_TAG_VALUE: usize = 200;

impl Doc {
    /// The description and constraint tags of a property schema.
    pub(crate) fn of_schema(schema: &Value) -> Doc {
        let mut doc = Doc {
            text: schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            tags: Vec::new(),
        };
        for &keyword in VALUE_TAGS {
            if let Some(value) = schema.get(keyword)
                && !says_nothing(keyword, value)
            {
                doc.tag(keyword, tag_value(value));
            }
        }
        if let Some(examples) = schema.get("examples") {
            doc.tag("example", tag_value(examples));
        }
        if schema.get("deprecated") == Some(&Value::Bool(true)) {
            doc.tag("deprecated", String::new());
        }
        doc
    }

    pub(crate) fn tag(&mut self, tag: &str, value: String) {
        self.tags.push((tag.to_owned(), value));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.as_deref().is_none_or(|t| t.trim().is_empty()) && self.tags.is_empty()
    }

    /// The tags as one string: `@default 10 @maximum 50`.
    fn tag_text(&self) -> String {
        self.tags
            .iter()
            .map(|(tag, value)| {
                if value.is_empty() {
                    format!("@{tag}")
                } else {
                    format!("@{tag} {value}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Prose and tags on one line (line breaks in the prose become spaces),
    /// for a `// …` note after a property.
    pub(crate) fn one_line(&self) -> String {
        let prose = self
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let tags = self.tag_text();
        match (prose.is_empty(), tags.is_empty()) {
            (_, true) => prose,
            (true, false) => tags,
            (false, false) => format!("{prose} {tags}"),
        }
    }

    /// Writes the comment, followed by a newline; nothing when empty.
    ///
    /// One line when the prose has no line breaks, the usual `/** … */` block
    /// otherwise. Text holding `*/` (a glob such as `**/*.rs`) would end a
    /// block, and an escape (`*\/`) is what a model would copy into its
    /// call, so such a comment is written as `//` lines instead.
    pub(crate) fn write(&self, out: &mut String) {
        if self.is_empty() {
            return;
        }
        let mut lines: Vec<String> = self
            .text
            .as_deref()
            .map(|t| t.trim().lines().map(|l| l.trim_end().to_owned()).collect())
            .unwrap_or_default();
        let tags = self.tag_text();
        if tags.contains("*/") || lines.iter().any(|l| l.contains("*/")) {
            if !tags.is_empty() {
                lines.push(tags);
            }
            for line in lines {
                let sep = if line.is_empty() { "" } else { " " };
                out.push_str(&format!("//{sep}{line}\n"));
            }
            return;
        }
        if lines.len() <= 1 {
            let mut line = lines.pop().unwrap_or_default();
            if !tags.is_empty() {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&tags);
            }
            out.push_str(&format!("/** {line} */\n"));
            return;
        }
        if !tags.is_empty() {
            lines.push(tags);
        }
        out.push_str("/**\n");
        for line in lines {
            let sep = if line.is_empty() { "" } else { " " };
            out.push_str(&format!(" *{sep}{line}\n"));
        }
        out.push_str(" */\n");
    }
}

/// A scalar as its plain text, anything else as compact JSON, cut to a bound.
pub(crate) fn tag_value(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = text.replace(['\n', '\r'], " ");
    if text.chars().count() <= MAX_TAG_VALUE {
        return text;
    }
    let cut: String = text.chars().take(MAX_TAG_VALUE).collect();
    format!("{cut}…")
}

/// Keeps text from closing the comment early.
/// The first sentence of a description, for the compact style.
pub fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    let line = text.lines().next().unwrap_or("");
    let end = line
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '.' | '!' | '?')
                && line[i + c.len_utf8()..].starts_with(|n: char| n.is_whitespace())
        })
        .map_or(line.len(), |(i, c)| i + c.len_utf8());
    line[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(doc: &Doc) -> String {
        let mut out = String::new();
        doc.write(&mut out);
        out
    }

    #[test]
    fn single_line_with_tags() {
        let doc = Doc::of_schema(&json!({
            "description": "Max results", "default": 10, "minimum": 1, "maximum": 100,
            "format": "int32", "deprecated": true
        }));
        assert_eq!(
            render(&doc),
            "/** Max results @default 10 @format int32 @minimum 1 @maximum 100 @deprecated */\n"
        );
    }

    #[test]
    fn multi_line_prose_gets_a_block() {
        let doc = Doc {
            text: Some("First.\n\nSecond line".into()),
            tags: vec![],
        };
        assert_eq!(render(&doc), "/**\n * First.\n *\n * Second line\n */\n");
        assert_eq!(doc.one_line(), "First. Second line");
    }

    #[test]
    fn text_that_would_end_a_block_is_written_as_line_comments_unescaped() {
        let doc = Doc::of_schema(
            &json!({"description": "glob like src/**/*.rs */ end", "pattern": "a*/"}),
        );
        assert_eq!(
            render(&doc),
            "// glob like src/**/*.rs */ end\n// @pattern a*/\n"
        );
        let safe_ints = Doc::of_schema(
            &json!({"maximum": 9007199254740991_u64, "minimum": -9007199254740991_i64}),
        );
        assert!(safe_ints.is_empty(), "{safe_ints:?}");
        let real = Doc::of_schema(&json!({"maximum": 100, "minimum": 0}));
        assert_eq!(real.one_line(), "@minimum 0 @maximum 100");
    }

    #[test]
    fn empty_doc_writes_nothing() {
        assert_eq!(render(&Doc::of_schema(&json!({"type": "string"}))), "");
        assert_eq!(
            render(&Doc {
                text: Some("  ".into()),
                tags: vec![]
            }),
            ""
        );
    }

    #[test]
    fn long_tag_values_are_cut() {
        let long = "x".repeat(500);
        let doc = Doc::of_schema(&json!({"default": long}));
        assert!(render(&doc).contains(&format!("@default {}…", "x".repeat(200))));
    }

    #[test]
    fn first_sentence_stops_at_sentence_end_or_line_end() {
        assert_eq!(
            first_sentence("Get a file. Reads the whole file."),
            "Get a file."
        );
        assert_eq!(
            first_sentence("Version 1.2 of the api\nMore"),
            "Version 1.2 of the api"
        );
        assert_eq!(first_sentence("  Done!  Then"), "Done!");
        assert_eq!(first_sentence(""), "");
    }
}
