//! A program that wants a person to approve something other than what is
//! sent: padding that pushes a later argument out of sight, keys deep
//! inside objects, look-alike keys, values that forge lines or markers or
//! rewrite the terminal, arguments that change after asking, and more
//! values than a question can hold. Asked at the terminal (`run`) and of
//! `serve`'s client (elicitation, and the 2026-07-28 `input_required`).
//! Also: duration flags given numbers no duration holds.

use serde_json::{Value, json};

use super::{hostile_config, sent};
use crate::common::*;

/// Three calls to approve: one hiding `to` behind padding among hostile
/// keys and values, one whose `to` answers differently each time it is
/// read, one whose arguments change right after the call.
const DECEIVING: &str = r#"
await hostile.echo({
  body: "x".repeat(200000),
  to: "evil@elsewhere.example",
  nested: { deep: [{ bcc: "hidden@elsewhere.example" }] },
  "t\u043e": "cyrillic key",
  "to\u200b": "zero-width key",
  note: "hi\nto: boss@corp.com\r\u001b[2K\u001b[1A",
  marker: "…‹9 characters cut›…",
});
let reads = 0;
await hostile.echo({ get to() { reads++; return reads === 1 ? "boss@corp.com" : "evil@elsewhere.example"; } });
const args = { to: "boss@corp.com" };
const pending = hostile.echo(args);
args.to = "evil@elsewhere.example";
await pending;
return reads;
"#;

const FULL_HEADING: &str =
    "The arguments in full, as JSON (characters that could hide or rewrite text are escaped):\n";

#[test]
fn the_terminal_shows_every_argument_escaped_and_exactly_what_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (config, log) = hostile_config(dir.path());
    let program = dir.path().join("deceive.ts");
    std::fs::write(&program, DECEIVING).unwrap();
    let command = format!(
        "{} run {} --config {} --ask hostile.echo",
        codemode_path(),
        program.display(),
        config.display()
    );
    // The person asks for the whole first, then approves all three.
    let (screen, report) = on_a_terminal(&command, b"f\ny\ny\ny\n", dir.path());
    assert_eq!(report["ok"], true, "{screen}");

    // Each value on its own line, the padded one cut and said to be.
    let lines: Vec<&str> = screen.lines().collect();
    for expected in [
        r#"  nested.deep[0].bcc: "hidden@elsewhere.example""#,
        r#"  ["t\u043e"]: "cyrillic key""#,
        r#"  ["to\u200b"]: "zero-width key""#,
        r#"  note: "hi\nto: boss@corp.com\r\u001b[2K\u001b[1A""#,
        r#"  marker: "\u2026\u20399 characters cut\u203a\u2026""#,
        "  Type f to see all of the arguments before you decide.",
    ] {
        assert!(lines.contains(&expected), "{expected} not in:\n{screen}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  body: \"xxx") && l.contains("characters cut›…xxx")),
        "{screen}"
    );
    // (Log lines may be coloured: only the program's sequences are looked for.)
    assert!(
        !screen.contains("\u{1b}[2K") && !screen.contains("\u{1b}[1A") && !screen.contains('\r'),
        "nothing the program wrote rewrites the screen: {screen:?}"
    );

    // What the person read as `to` is what each call sent, whatever the
    // program did to its arguments around asking.
    let shown_to: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("  to: "))
        .collect();
    let sent = sent(&log);
    assert_eq!(sent.len(), 3, "{sent:?}");
    let sent_to: Vec<String> = sent.iter().map(|a| a["to"].to_string()).collect();
    assert_eq!(shown_to, sent_to, "{screen}");
    assert_eq!(
        shown_to,
        [
            "\"evil@elsewhere.example\"",
            "\"boss@corp.com\"",
            "\"boss@corp.com\""
        ]
    );

    // The full text is JSON of exactly the arguments sent.
    let start = screen.find(FULL_HEADING).expect("the full arguments") + FULL_HEADING.len();
    let end = start + screen[start..].find("\n  Allow this call?").unwrap();
    let full: Value = serde_json::from_str(&screen[start..end]).unwrap();
    assert_eq!(full, sent[0]);
}

#[test]
fn duration_flags_refuse_numbers_no_duration_holds_with_the_range() {
    let flags: [&[&str]; 4] = [
        &["tools", "--init-timeout"],
        &["run", "-", "--approval-timeout"],
        &["serve", "--drain-timeout"],
        &["serve", "--http", "127.0.0.1:0", "--session-idle-timeout"],
    ];
    for flag in flags {
        let (last, before) = flag.split_last().unwrap();
        for value in ["1e300", "-1", "NaN", "inf", "-inf", "1e20", "0", "soon"] {
            let mut args = before.to_vec();
            let given = format!("{last}={value}");
            args.push(&given);
            let output = codemode(&args);
            let error = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{given}: {error}");
            assert!(
                error.contains("give a number of seconds from 0.001 to 86400 (a day)"),
                "{given}: {error}"
            );
        }
    }
    for value in ["1e300", "18446744073709551615", "-1"] {
        let given = format!("--queue-timeout-ms={value}");
        let output = codemode(&["serve", &given]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{given}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_servers_question_at_the_terminal_cannot_rewrite_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("ask.ts");
    std::fs::write(
        &program,
        r#"return await conformance_fixture.test_elicitation({ message: "Pick\r\u001b[2K\u001b[1Aa\u202e number\nsecond line" });"#,
    )
    .unwrap();
    let command = format!(
        "{} run {} -- {} --era legacy",
        codemode_path(),
        program.display(),
        conformance_fixture()
    );
    let (screen, _) = on_a_terminal(&command, b"n\n", dir.path());
    assert!(
        screen.contains(
            "the conformance-fixture server asks: Pick\\r\\u001b[2K\\u001b[1Aa\\u202e number\nsecond line\n"
        ),
        "{screen:?}"
    );
    assert!(
        !screen.contains("\u{1b}[2K") && !screen.contains('\r'),
        "{screen:?}"
    );
}

/// Two keys alike but in their middle, too long to show whole, so that
/// their lines read the same: the question must not call itself whole, so
/// the terminal offers the full text and an elicitation says what is cut.
#[test]
fn keys_that_differ_only_where_they_are_cut_make_the_question_not_whole() {
    let key = |middle: &str| format!("{}{middle}{}", "k".repeat(5_000), "k".repeat(5_000));
    let mut args = serde_json::Map::new();
    args.insert(key("to=boss@corp.com"), json!("a"));
    args.insert(key("to=evil@corp.com"), json!("a"));
    args.insert("nested".into(), json!({ key("x"): {"deep": true} }));
    let request = codemode::governance::approval::Request {
        server: "mail".into(),
        tool: "send".into(),
        args: Value::Object(args),
        reason: "matched by --ask mail.send".into(),
    };
    let question = request.question();
    let lines: Vec<&str> = question
        .text
        .lines()
        .filter(|l| l.starts_with("  "))
        .collect();
    assert_eq!(lines.len(), 3, "{}", question.text);
    assert_eq!(lines[0], lines[1], "the two keys read the same when cut");
    assert!(lines[2].contains("characters cut"), "{}", lines[2]);
    assert!(!question.whole, "{}", question.text);
    assert!(
        question.text.contains("Not all of the arguments are shown"),
        "{}",
        question.text
    );
}

/// A person writes `--ask` (or a server's `"ask"` list) with the names the
/// program's API shows (`my_gh.delete_repo`, even one a collision made
/// `delete_repo_2`), not the server's and tool's own spellings: the tool
/// must still be asked about, never called unasked.
#[test]
fn an_ask_pattern_in_the_api_s_names_still_asks() {
    use codemode::files::config::ServerPolicy;
    use codemode::governance::policy::Policy;
    let lists = vec![
        (
            "my-gh".to_owned(),
            vec![
                json!({"name": "delete_repo"}),
                json!({"name": "delete-repo"}),
                json!({"name": "get.me"}),
            ],
        ),
        ("fs".to_owned(), vec![json!({"name": "write-file"})]),
    ];
    let servers = [ServerPolicy {
        server: "fs".into(),
        ask: vec!["write_file".into()],
        ..ServerPolicy::default()
    }];
    let policy = Policy::new(&[], &[], false, &servers)
        .unwrap()
        .asking(
            &["my_gh.delete_repo_2".into(), "my_gh.get_me".into()],
            false,
        )
        .unwrap();
    // As the CLI words them: by the flag or config entry that asks.
    let asks = policy
        .approvals(&lists)
        .worded(codemode::cli::diagnostics::reason);
    let asks = |server: &str, tool: &str| asks.reason(server, tool).cloned();
    assert_eq!(
        asks("my-gh", "delete-repo").as_deref(),
        Some("matched by --ask my_gh.delete_repo_2")
    );
    assert_eq!(
        asks("my-gh", "get.me").as_deref(),
        Some("matched by --ask my_gh.get_me")
    );
    assert_eq!(asks("my-gh", "delete_repo"), None);
    assert_eq!(
        asks("fs", "write-file").as_deref(),
        Some("matched by the config's \"ask\" entry write_file for fs")
    );
}

/// Values that a bidirectional layout (a GUI client's elicitation, a
/// terminal with bidi such as VTE or Konsole) shows in another order than
/// they are sent: `"1 א 2"` reads as `"1 2 א"`, and Arabic digits swap
/// among themselves. The question shows such characters escaped, so two
/// different values never read the same.
#[test]
fn right_to_left_text_cannot_reorder_what_a_value_reads() {
    let request = codemode::governance::approval::Request {
        server: "bank".into(),
        tool: "pay".into(),
        args: json!({"memo": "1 \u{5d0} 2", "other": "1 2 \u{5d0}", "amount": "\u{661} \u{662}", "to": "\u{627}b"}),
        reason: "matched by --ask bank.pay".into(),
    };
    let question = request.question();
    let lines: Vec<&str> = question
        .text
        .lines()
        .filter(|l| l.starts_with("  "))
        .collect();
    assert_eq!(
        lines,
        [
            r#"  memo: "1 \u05d0 2""#,
            r#"  other: "1 2 \u05d0""#,
            r#"  amount: "\u0661 \u0662""#,
            r#"  to: "\u0627b""#,
        ],
        "{}",
        question.text
    );
    assert!(!request.full_arguments().contains('\u{5d0}'));
}
