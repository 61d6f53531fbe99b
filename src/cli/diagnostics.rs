//! What the CLI says when something fails, as uv does: `error:` and what
//! went wrong, one `  caused by:` line per cause, then a `hint:` line for
//! each thing that would help, in the CLI's terms (its flags). Only the CLI
//! names flags: lower layers say which limit, and this maps it to a flag.

use std::process::ExitCode;

use crate::engine::executor::{ExecutionFailure, Limit, LimitHint, Report};
use crate::files::config::ConfigError;
use crate::governance::policy::{List, Origin, Reason, Rule, Unmatched};
use crate::hint::{Given, Hinted, WithHint};
use crate::upstream::{UnavailableServer, UpstreamError};

/// The flag that sets `limit`.
pub fn flag(limit: Limit) -> &'static str {
    match limit {
        Limit::Time(_) => "--timeout-ms",
        Limit::Memory(_) => "--memory-mb",
        Limit::ProgramSize(_) => "--max-program-kb",
    }
}

/// What would help, in the CLI's words.
pub fn hint(hint: LimitHint) -> String {
    match hint {
        LimitHint::RaiseLimit { limit } => format!("raise it with {}", flag(limit)),
    }
}

/// The arguments that picked the command's servers, which a command the
/// user is told to run repeats (see `servers::selection`).
static GIVEN_SERVERS: std::sync::RwLock<String> = std::sync::RwLock::new(String::new());

// Unit tests parse commands without running them, so they never set it.
#[cfg_attr(test, allow(dead_code))]
pub(super) fn given_servers(selection: String) {
    *GIVEN_SERVERS.write().expect("given servers") = selection;
}

/// What else would help, in the CLI's words.
pub fn words(hint: &crate::hint::Hint) -> String {
    use crate::hint::Hint;
    match hint {
        Hint::Check(given) => format!("check the values of {}", given_flag(*given)),
        Hint::Give(Given::ServerName) => {
            "give one another name with --name, or by its key in the config".to_owned()
        }
        Hint::Give(given) => format!("name {} with {}", given.what(), given_flag(*given)),
        Hint::RaiseStartTimeout => {
            "raise --init-timeout if the server is slow to start, e.g. npx downloading a package"
                .to_owned()
        }
        Hint::AnswerInput { id, var } => {
            format!("pass --input {id}=VALUE or set the environment variable {var}")
        }
        Hint::RecordResults => "record with `--trace-file FILE --trace-results`".to_owned(),
        Hint::Repin {
            introduction,
            again,
        } => {
            let (it, again) = crate::hint::repinned(*introduction, *again);
            format!(
                "review {it} with `codemode pin --check` and pin {it}{again} with `codemode pin`"
            )
        }
        Hint::Login {
            server,
            scopes,
            again,
        } => {
            use super::servers::quoted;
            let scopes: String = scopes
                .iter()
                .map(|s| format!(" --scope {}", quoted(s)))
                .collect();
            let again = if *again { " again" } else { "" };
            let picked = GIVEN_SERVERS.read().expect("given servers");
            let server = quoted(server);
            format!("run `codemode login {server}{picked}{scopes}`{again}")
        }
    }
}

/// The flag that gives `given`.
fn given_flag(given: Given) -> &'static str {
    match given {
        Given::Header => "--header",
        Given::Input => "--input",
        Given::ServerName => "--name",
        Given::ClientConfig => "--file",
        Given::OwnConfig => "--config",
    }
}

/// Why policy leaves a tool out or asks before its calls, as the CLI's user
/// gave it: by its flags (`denied by --deny gh.delete_*`) or config entries.
pub fn reason(reason: &Reason) -> String {
    match reason {
        Reason::Denied(Rule {
            pattern,
            origin: Origin::Global,
        }) => format!("denied by --deny {pattern}"),
        Reason::Denied(Rule {
            pattern,
            origin: Origin::ServerConfig { server },
        }) => format!("denied by the config's \"deny\" entry {pattern} for {server}"),
        Reason::NotAllowed(Origin::Global) => "not matched by any --allow pattern".to_owned(),
        Reason::NotAllowed(Origin::ServerConfig { server }) => {
            format!("not in the config's \"allow\" list for {server}")
        }
        Reason::ReadOnly(why) => format!("{}, and --read-only is set", why.words()),
        Reason::Unpinned(unpinned) => {
            format!("{}; {}", unpinned.words(), words(&unpinned.hint()))
        }
        Reason::Asked(Rule {
            pattern,
            origin: Origin::Global,
        }) => format!("matched by --ask {pattern}"),
        Reason::Asked(Rule {
            pattern,
            origin: Origin::ServerConfig { server },
        }) => format!("matched by the config's \"ask\" entry {pattern} for {server}"),
        Reason::AskDestructive(why) => format!("{}, and --ask-destructive is set", why.words()),
    }
}

/// A deny or ask pattern that matches no tool, as the CLI's user gave it.
pub fn unmatched(unmatched: &Unmatched) -> String {
    let list = match unmatched.list {
        List::Deny => "deny",
        List::Ask => "ask",
    };
    let pattern = &unmatched.rule.pattern;
    let mut out = match &unmatched.rule.origin {
        Origin::Global => format!("--{list} {pattern} matches no tool"),
        Origin::ServerConfig { server } => format!(
            "the config's \"{list}\" entry {pattern} for {server} matches none of its tools"
        ),
    };
    if !unmatched.closest.is_empty() {
        out.push_str(&format!(" (closest: {})", unmatched.closest.join(", ")));
    }
    out
}

/// What would help with a failed call, in the error a program gets when
/// the CLI's user reads it (`codemode run`): the user is told what to run.
pub fn for_the_program(hint: &crate::hint::Hint) -> String {
    format!("the user must {}", words(hint))
}

/// The hint a cause of an error carries, if any, in the CLI's words.
pub fn hint_of(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(failure) = cause.downcast_ref::<ExecutionFailure>() {
        return failure.hint.map(hint);
    }
    // The errors of lower layers that carry hints.
    let hinted: [Option<&dyn Hinted>; 3] = [
        cause.downcast_ref::<WithHint>().map(|e| e as _),
        cause.downcast_ref::<ConfigError>().map(|e| e as _),
        cause.downcast_ref::<UpstreamError>().map(|e| e as _),
    ];
    let hinted = hinted.into_iter().flatten().next()?;
    hinted.hint().as_ref().map(words)
}

/// The warning for a server that could not be used, and its hint.
pub fn unavailable(failure: &UnavailableServer) -> String {
    let mut out = format!(
        "warning: server \"{}\" is unavailable: {}\n",
        failure.server, failure.error
    );
    if let Some(said) = hint_of(&failure.error) {
        out.push_str(&format!("hint: {said}\n"));
    }
    out
}

/// Puts the hint of the report's failure, if any, into its message, as
/// `codemode run` and `codemode replay` print it: `(the time limit; raise
/// it with --timeout-ms)`.
pub fn word_for_the_cli(report: &mut Report) {
    if let Some(Err(failure)) = &mut report.outcome {
        failure.word_hint(|LimitHint::RaiseLimit { limit }, message| {
            let flag = flag(limit);
            match limit {
                Limit::Time(_) => format!("{message} (the time limit; raise it with {flag})"),
                Limit::Memory(_) => format!("{message} (the limit is set with {flag})"),
                Limit::ProgramSize(_) => format!("{message} (raise it with {flag})"),
            }
        });
    }
}

/// `error`, its causes and its hints, one per line, each ending in a newline.
pub fn render(error: &anyhow::Error) -> String {
    // Causes may be reqwest's, naming a URL with its credentials.
    let scrub = |text: String| crate::upstream::redact::scrub(&text);
    let mut out = format!("error: {}\n", scrub(error.to_string()));
    for cause in error.chain().skip(1) {
        out.push_str(&format!("  caused by: {}\n", scrub(cause.to_string())));
    }
    for said in error.chain().filter_map(hint_of) {
        out.push_str(&format!("hint: {said}\n"));
    }
    out
}

/// Prints [`render`] to stderr; the exit code of a failed command.
pub fn report(error: &anyhow::Error) -> ExitCode {
    eprint!("{}", render(error));
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::executor::FailureKind;

    fn timed_out() -> ExecutionFailure {
        ExecutionFailure::new(FailureKind::Timeout, "too slow", None, None).with_hint(
            LimitHint::RaiseLimit {
                limit: Limit::Time(Duration::from_millis(300)),
            },
        )
    }

    #[test]
    fn an_error_is_followed_by_its_causes_then_its_hints() {
        let error = anyhow::Error::new(timed_out()).context("cannot run the program");
        assert_eq!(
            render(&error),
            "error: cannot run the program\n  caused by: timeout error: too slow\nhint: raise it with --timeout-ms\n"
        );
    }

    #[test]
    fn a_report_names_the_flag_of_the_limit() {
        let mut report = Report {
            outcome: Some(Err(timed_out())),
            ..Report::default()
        };
        word_for_the_cli(&mut report);
        let Some(Err(failure)) = &report.outcome else {
            unreachable!()
        };
        assert_eq!(
            failure.message,
            "too slow (the time limit; raise it with --timeout-ms)"
        );
    }

    #[test]
    fn a_login_hint_names_the_command_and_its_scopes() {
        let login = crate::hint::Hint::Login {
            server: "notes".into(),
            scopes: vec!["notes:write".into()],
            again: false,
        };
        assert_eq!(
            words(&login),
            "run `codemode login notes --scope notes:write`"
        );
        // As a program's error says it under `codemode run`, as before hints were data.
        assert_eq!(
            for_the_program(&login),
            "the user must run `codemode login notes --scope notes:write`"
        );
        let again = crate::hint::Hint::Login {
            server: "notes".into(),
            scopes: Vec::new(),
            again: true,
        };
        assert_eq!(words(&again), "run `codemode login notes` again");
    }

    #[test]
    fn hints_of_lower_layers_follow_the_causes() {
        let error = anyhow::Error::new(crate::hint::WithHint::new(
            "cannot tell where codemode's config goes (HOME is not set)",
            crate::hint::Hint::Give(crate::hint::Given::OwnConfig),
        ))
        .context("cannot connect");
        assert_eq!(
            render(&error),
            "error: cannot connect\n  caused by: cannot tell where codemode's config goes (HOME is not set)\nhint: name codemode's config file with --config\n"
        );
    }

    #[test]
    fn an_unavailable_server_is_followed_by_its_hint() {
        let failure = UnavailableServer {
            server: "notes".into(),
            error: UpstreamError::LoginNeeded {
                server: "notes".into(),
                expired: true,
                scope: None,
            },
        };
        assert_eq!(
            unavailable(&failure),
            "warning: server \"notes\" is unavailable: it refused the kept login, which could not be refreshed\nhint: run `codemode login notes` again\n"
        );
    }

    #[test]
    fn policy_reasons_name_the_flags_and_config_entries_that_gave_them() {
        use crate::governance::pins::Unpinned;
        use crate::governance::policy::MayWrite;
        let rule = |pattern: &str, origin: Origin| Rule {
            pattern: pattern.into(),
            origin,
        };
        let gh = || Origin::ServerConfig {
            server: "gh".into(),
        };
        let said = [
            (
                Reason::Denied(rule("gh.delete_*", Origin::Global)),
                "denied by --deny gh.delete_*",
            ),
            (
                Reason::Denied(rule("create_*", gh())),
                "denied by the config's \"deny\" entry create_* for gh",
            ),
            (
                Reason::NotAllowed(Origin::Global),
                "not matched by any --allow pattern",
            ),
            (
                Reason::NotAllowed(gh()),
                "not in the config's \"allow\" list for gh",
            ),
            (
                Reason::ReadOnly(MayWrite::NotReadOnly),
                "not annotated read-only, and --read-only is set",
            ),
            (
                Reason::Asked(rule("gh.create_*", Origin::Global)),
                "matched by --ask gh.create_*",
            ),
            (
                Reason::Asked(rule("write_*", gh())),
                "matched by the config's \"ask\" entry write_* for gh",
            ),
            (
                Reason::AskDestructive(MayWrite::Destructive),
                "annotated destructive, and --ask-destructive is set",
            ),
            (
                Reason::AskDestructive(MayWrite::AlsoDestructive),
                "annotated read-only but also destructive, and --ask-destructive is set",
            ),
            (
                Reason::Unpinned(Unpinned::NewTool),
                "it is not pinned (new since the pins were written); review it with `codemode pin --check` and pin it with `codemode pin`",
            ),
            (
                Reason::Unpinned(Unpinned::ChangedTool),
                "its definition changed since it was pinned; review it with `codemode pin --check` and pin it again with `codemode pin`",
            ),
            (
                Reason::Unpinned(Unpinned::NewServer),
                "its server's description and instructions are not pinned; review them with `codemode pin --check` and pin them with `codemode pin`",
            ),
            (
                Reason::Unpinned(Unpinned::ChangedServer),
                "its server's description or instructions changed since they were pinned; review them with `codemode pin --check` and pin them again with `codemode pin`",
            ),
        ];
        for (given, words) in said {
            assert_eq!(reason(&given), words);
        }
    }

    #[test]
    fn an_unmatched_pattern_names_its_flag_or_entry_and_the_closest_names() {
        let flagged = Unmatched {
            list: List::Ask,
            rule: Rule {
                pattern: "*.creat_issues".into(),
                origin: Origin::Global,
            },
            closest: vec!["gh.create_issue".into()],
        };
        assert_eq!(
            unmatched(&flagged),
            "--ask *.creat_issues matches no tool (closest: gh.create_issue)"
        );
        let configured = Unmatched {
            list: List::Deny,
            rule: Rule {
                pattern: "delete_isue".into(),
                origin: Origin::ServerConfig {
                    server: "gh".into(),
                },
            },
            closest: Vec::new(),
        };
        assert_eq!(
            unmatched(&configured),
            "the config's \"deny\" entry delete_isue for gh matches none of its tools"
        );
    }

    #[test]
    fn secrets_in_causes_are_scrubbed() {
        let error =
            anyhow::anyhow!("https://user:hunter2@example.com/ refused").context("cannot connect");
        assert!(!render(&error).contains("hunter2"), "{}", render(&error));
    }
}
