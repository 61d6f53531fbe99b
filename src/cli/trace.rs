//! Flags for the execution record, shared by `run` and `serve`.

use clap::Args;

/// The execution record, for auditing and `codemode replay`.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Trace")]
pub struct TraceArgs {
    /// Append one JSON line per execution (id, code, outcome, duration, each call and its
    /// policy and approval verdicts) to this file.
    #[arg(long, value_name = "FILE")]
    pub trace_file: Option<std::path::PathBuf>,
    /// Keep each call's arguments and answer and the program's result in the trace (each cut
    /// at 64 KiB, with a note), so that `codemode replay` can run the execution again.
    #[arg(long, requires = "trace_file")]
    pub trace_results: bool,
    /// Export OpenTelemetry traces (a span per execution and per tool call, OTLP over HTTP as
    /// JSON) to this collector, e.g. http://localhost:4318 [default: $OTEL_EXPORTER_OTLP_ENDPOINT,
    /// else none]. The W3C trace context in a request's `_meta` is the parent, and each upstream
    /// call carries its own on.
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
}

/// Where executions are recorded.
#[derive(Debug, Default)]
pub(crate) struct TraceSettings {
    /// The file that receives one JSON line per execution.
    pub trace_file: Option<std::path::PathBuf>,
    /// Whether each call's arguments and answer are kept, for replay.
    pub trace_results: bool,
    /// The OpenTelemetry collector [default: `$OTEL_EXPORTER_OTLP_ENDPOINT`].
    pub otlp_endpoint: Option<String>,
}

impl From<TraceArgs> for TraceSettings {
    fn from(args: TraceArgs) -> Self {
        TraceSettings {
            trace_file: args.trace_file,
            trace_results: args.trace_results,
            otlp_endpoint: args.otlp_endpoint,
        }
    }
}
