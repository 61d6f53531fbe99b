//! What the CLI says when something fails, as uv does: `error:` and what
//! went wrong, one `  caused by:` line per cause, then a `hint:` line for
//! each thing that would help, in the CLI's terms (its flags). Only the CLI
//! names flags: lower layers say which limit, and this maps it to a flag.

use std::process::ExitCode;

use crate::executor::{ExecutionFailure, Hint, Limit, Report};

/// The flag that sets `limit`.
pub fn flag(limit: Limit) -> &'static str {
    match limit {
        Limit::Time(_) => "--timeout-ms",
        Limit::Memory(_) => "--memory-mb",
        Limit::ProgramSize(_) => "--max-program-kb",
    }
}

/// What would help, in the CLI's words.
pub fn hint(hint: Hint) -> String {
    match hint {
        Hint::RaiseLimit { limit } => format!("raise it with {}", flag(limit)),
    }
}

/// Puts the hint of the report's failure, if any, into its message, as
/// `codemode run` and `codemode replay` print it: `(the time limit; raise
/// it with --timeout-ms)`.
pub fn word_for_the_cli(report: &mut Report) {
    if let Some(Err(failure)) = &mut report.outcome {
        failure.word_hint(|Hint::RaiseLimit { limit }, message| {
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
    let hints = error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<ExecutionFailure>()?.hint);
    for said in hints {
        out.push_str(&format!("hint: {}\n", hint(said)));
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
    use crate::executor::FailureKind;

    fn timed_out() -> ExecutionFailure {
        ExecutionFailure::new(FailureKind::Timeout, "too slow", None, None).with_hint(
            Hint::RaiseLimit {
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
    fn secrets_in_causes_are_scrubbed() {
        let error =
            anyhow::anyhow!("https://user:hunter2@example.com/ refused").context("cannot connect");
        assert!(!render(&error).contains("hunter2"), "{}", render(&error));
    }
}
