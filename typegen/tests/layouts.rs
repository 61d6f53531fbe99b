//! Learned text layouts in declarations: shown in both styles as
//! `Observed<T, "layout">`, with the alias that says how to read them, and
//! the declarations stay valid TypeScript.

mod common;

use codemode_typegen::layout::Layout;
use codemode_typegen::shape::Shape;
use codemode_typegen::{Api, Observed, Style};
use serde_json::json;

const GIT_LOG: &str = "Commit history:\nCommit: c9940dc765a87d786ce92f6a69b994b4082dcf16\nAuthor: Ann Example\nDate: 2026-12-05 15:06:12+00:00\nMessage: first\n\nCommit: 9be19437570f89070c508f16dca898eafdb090b8\nAuthor: Ann Example\nDate: 2026-12-05 15:06:12+00:00\nMessage: second\n";

fn api(observed: impl Fn(&str) -> Option<Observed>) -> Api {
    Api::new(vec![(
        "git".into(),
        vec![
            json!({"name": "git_log", "description": "Shows the commit logs"}),
            json!({"name": "git_status", "description": "Shows the status"}),
            json!({"name": "rows", "description": "Rows or an error"}),
        ],
    )])
    .observing(|_, function| observed(function.tool()))
}

fn observed(tool: &str) -> Option<Observed> {
    let (shape, text) = match tool {
        "git_log" => (Shape::String, GIT_LOG),
        "git_status" => (Shape::String, "On branch main\nnothing to commit"),
        "rows" => (
            Shape::of(&json!([{"id": 1}])).merge(Shape::String),
            "Database error: no such table",
        ),
        _ => return None,
    };
    Some(Observed {
        shape,
        samples: 2,
        layout: Some(Layout::of(text)),
    })
}

#[test]
fn a_learned_layout_is_shown_in_both_styles_and_parses() {
    let shown = r#"Promise<Observed<string, "Commit history:\n(Commit: <hex>\nAuthor: <text>\nDate: <date-time>\nMessage: <text>\n<lines>\n)*">>"#;
    for style in [Style::Full, Style::Compact] {
        let text = api(observed).render(style);
        assert!(text.contains(shown), "{text}");
        assert!(
            text.contains("type Observed<T, L = \"\"> = T;")
                && text.contains("L: its text's layout"),
            "{text}"
        );
        // A layout that says nothing more than "a string" is not shown.
        assert!(
            text.contains("git_status(args?: Record<string, unknown>): Promise<Observed<string>>"),
            "{text}"
        );
        // The layout of a union's text member.
        assert!(
            text.contains(
                r#"Promise<Observed<{ id: number }[] | string, "Database error: <text>">>"#
            ),
            "{text}"
        );
        common::parse_dts(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    }
}

#[test]
fn without_layouts_the_alias_is_as_before() {
    let text =
        api(|tool| observed(tool).map(|o| Observed { layout: None, ..o })).render(Style::Compact);
    assert!(text.contains("type Observed<T> = T;"), "{text}");
    assert!(!text.contains("laid out"), "{text}");
    // A layout of results that are no longer text is not shown either.
    let objects = api(|tool| {
        observed(tool).map(|o| Observed {
            shape: Shape::of(&json!({"a": 1})),
            ..o
        })
    })
    .render(Style::Compact);
    assert!(
        !objects.contains("laid out") && !objects.contains("Commit"),
        "{objects}"
    );
}
