//! OpenTelemetry traces, opt-in (`--otlp-endpoint`, or the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT`): a span per execution and one per tool
//! call, named and attributed as OpenTelemetry's MCP conventions say
//! (`tools/call execute`, `mcp.method.name`, `gen_ai.tool.name`,
//! `error.type`, ...), exported as OTLP over HTTP (JSON). The W3C trace
//! context comes in a request's `params._meta` (`traceparent`,
//! `tracestate`) and goes on in each upstream call's `params._meta`.
//! Without an endpoint nothing is built and every function here is a no-op.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::context::FutureExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde_json::{Map, Value};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// The keys of the W3C trace context in `_meta`.
const CONTEXT_KEYS: [&str; 2] = ["traceparent", "tracestate"];

/// Exports spans until dropped (which flushes them).
pub(crate) struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!("could not flush the last trace spans: {error}");
        }
    }
}

/// Starts exporting to `endpoint` (the collector's base URL; `/v1/traces`
/// is added), or to `OTEL_EXPORTER_OTLP_ENDPOINT`; `None` when neither is set.
pub(crate) fn init(endpoint: Option<&str>) -> anyhow::Result<Option<Telemetry>> {
    let from_env = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok();
    let Some(base) = endpoint.map(str::to_owned).or(from_env) else {
        return Ok(None);
    };
    let url = format!("{}/v1/traces", base.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(&url)
        .build()
        .map_err(|error| anyhow::anyhow!("cannot export traces to {url}: {error}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("codemode")
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    global::set_tracer_provider(provider.clone());
    ENABLED.store(true, Ordering::Relaxed);
    Ok(Some(Telemetry { provider }))
}

pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The trace context a request's `_meta` carries.
fn extract(meta: Option<&Map<String, Value>>) -> Context {
    let carrier: HashMap<String, String> = CONTEXT_KEYS
        .iter()
        .filter_map(|key| {
            let value = meta?.get(*key)?.as_str()?;
            Some(((*key).to_owned(), value.to_owned()))
        })
        .collect();
    TraceContextPropagator::new().extract(&carrier)
}

/// `cx`'s trace context as `_meta` entries.
fn inject(cx: &Context) -> Map<String, Value> {
    let mut carrier: HashMap<String, String> = HashMap::new();
    TraceContextPropagator::new().inject_context(cx, &mut carrier);
    carrier
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect()
}

/// An execution's span (`tools/call execute`, kind server), child of the
/// context in `meta` when there is one; the context to run it under.
pub(crate) fn execution(
    meta: Option<&Map<String, Value>>,
    session: Option<&str>,
) -> Option<Context> {
    if !enabled() {
        return None;
    }
    let parent = extract(meta);
    let tracer = global::tracer("codemode");
    let mut attributes = vec![
        KeyValue::new("mcp.method.name", "tools/call"),
        KeyValue::new("gen_ai.tool.name", "execute"),
        KeyValue::new("gen_ai.operation.name", "execute_tool"),
    ];
    if let Some(session) = session {
        attributes.push(KeyValue::new("mcp.session.id", session.to_owned()));
    }
    let span = tracer
        .span_builder("tools/call execute")
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&tracer, &parent);
    Some(parent.with_span(span))
}

/// Runs `work` under `cx` (so that the calls it makes are its spans' children).
pub(crate) async fn within<F: Future>(cx: &Option<Context>, work: F) -> F::Output {
    match cx {
        Some(cx) => work.with_context(cx.clone()).await,
        None => work.await,
    }
}

/// Ends a span with its outcome: `error.type` and an error status when it failed.
pub(crate) fn end(cx: Option<Context>, error_type: Option<&str>, message: Option<&str>) {
    let Some(cx) = cx else { return };
    let span = cx.span();
    if let Some(kind) = error_type {
        span.set_attribute(KeyValue::new("error.type", kind.to_owned()));
        // Exported to a collector: no secret an error may hold goes with it.
        let message = crate::upstream::redact::scrub(message.unwrap_or(kind));
        span.set_status(Status::error(message));
    }
    span.end();
}

/// A tool call's span (`tools/call TOOL`, kind client), child of the
/// current context; the trace context to put in the call's `_meta`.
pub(crate) fn call(server: &str, tool: &str) -> Option<(Context, Map<String, Value>)> {
    if !enabled() {
        return None;
    }
    let tracer = global::tracer("codemode");
    let parent = Context::current();
    let span = tracer
        .span_builder(format!("tools/call {tool}"))
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new("mcp.method.name", "tools/call"),
            KeyValue::new("gen_ai.tool.name", tool.to_owned()),
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("codemode.server", server.to_owned()),
        ])
        .start_with_context(&tracer, &parent);
    let cx = parent.with_span(span);
    let meta = inject(&cx);
    Some((cx, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn trace_context_round_trips_through_meta() {
        let meta = json!({"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "progressToken": 3});
        let cx = extract(meta.as_object());
        let span = cx.span();
        let context = span.span_context();
        assert_eq!(
            context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert!(context.is_remote());
        let injected = inject(&cx);
        assert_eq!(injected["traceparent"], meta["traceparent"]);
        // Nothing to extract: no parent.
        assert!(!extract(None).span().span_context().is_valid());
    }
}
