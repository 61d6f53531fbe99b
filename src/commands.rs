//! The `types` and `tools` commands.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use codemode_typegen::Api;
use serde_json::{Value, json};

use crate::cli::{ServerArgs, ToolsArgs, TypesArgs};
use crate::config;
use crate::upstream::{self, Upstreams};

/// Connects to the selected servers, warning about each one that fails;
/// an error only when none can be used.
async fn open(args: &ServerArgs) -> anyhow::Result<Upstreams> {
    let (specs, demo) = config::select(args)?;
    if demo {
        eprintln!(
            "note: no servers given (--config, --url, --tools-file or -- CMD); using the built-in demo issue tracker"
        );
    }
    if specs.is_empty() {
        bail!("the config file enables no servers; remove \"disabled\": true from one, or add one");
    }
    let total = specs.len();
    let upstreams = upstream::connect_all(specs, args.init_timeout).await;
    for failure in &upstreams.failures {
        eprintln!(
            "warning: server \"{}\" is unavailable: {}",
            failure.server, failure.error
        );
    }
    if upstreams.connected.is_empty() {
        bail!("none of the {total} server(s) could be used; see the warnings above");
    }
    Ok(upstreams)
}

pub async fn types(args: TypesArgs) -> anyhow::Result<()> {
    let upstreams = open(&args.servers).await?;
    // Names are assigned over all servers, so they match what the model sees
    // even when only one namespace is printed.
    let api = Api::new(upstreams.tool_lists());
    upstreams.shutdown().await;
    let text = match &args.server {
        None => api.render(args.style.into()),
        Some(name) => {
            let namespace = api
                .namespace(name)
                .with_context(|| unknown_server(&api, name))?;
            namespace.render(args.style.into())
        }
    };
    print!("{text}");
    Ok(())
}

fn unknown_server(api: &Api, name: &str) -> String {
    format!(
        "no server named \"{name}\"; the servers are: {}",
        server_names(api)
    )
}

fn server_names(api: &Api) -> String {
    api.namespaces()
        .iter()
        .map(|n| n.server())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The four behaviour hints MCP defines, in the order they are shown.
const HINTS: [(&str, &str); 4] = [
    ("readOnlyHint", "read-only"),
    ("destructiveHint", "destructive"),
    ("idempotentHint", "idempotent"),
    ("openWorldHint", "open-world"),
];

pub async fn tools(args: ToolsArgs) -> anyhow::Result<()> {
    let upstreams = open(&args.servers).await?;
    let api = Api::new(upstreams.tool_lists());
    let failures: Vec<Value> = upstreams
        .failures
        .iter()
        .map(|f| json!({"server": f.server, "error": f.error.to_string()}))
        .collect();
    upstreams.shutdown().await;
    if args.raw {
        let namespace = match (&args.server, api.namespaces()) {
            (Some(name), _) => api
                .namespace(name)
                .with_context(|| unknown_server(&api, name))?,
            (None, [only]) => only,
            (None, _) => bail!(
                "--raw prints one server; choose it with --server ({})",
                server_names(&api)
            ),
        };
        let tools: Vec<&Value> = namespace.functions().iter().map(|f| f.raw()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"tools": tools}))?
        );
    } else if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&tools_json(&api, failures))?
        );
    } else {
        print!("{}", tools_table(&api));
    }
    Ok(())
}

fn tools_json(api: &Api, failures: Vec<Value>) -> Value {
    let servers: Vec<Value> = api
        .namespaces()
        .iter()
        .map(|ns| {
            let tools: Vec<Value> = ns
                .functions()
                .iter()
                .map(|f| {
                    let raw = f.raw();
                    let annotations: serde_json::Map<String, Value> = HINTS
                        .iter()
                        .filter_map(|(key, _)| {
                            Some((key.to_string(), raw.get("annotations")?.get(*key)?.clone()))
                        })
                        .collect();
                    json!({
                        "name": f.tool(),
                        "typescript": format!("{}.{}", ns.ident(), f.ident()),
                        "title": raw.get("title").or_else(|| raw.get("annotations")?.get("title")),
                        "annotations": annotations,
                        "has_output_schema": f.output_schema().is_some(),
                    })
                })
                .collect();
            json!({"name": ns.server(), "namespace": ns.ident(), "tools": tools})
        })
        .collect();
    json!({"servers": servers, "failures": failures})
}

fn tools_table(api: &Api) -> String {
    let mut rows = vec![[
        "SERVER".to_owned(),
        "TOOL".into(),
        "TYPESCRIPT".into(),
        "HINTS".into(),
        "OUTPUT".into(),
    ]];
    for ns in api.namespaces() {
        for f in ns.functions() {
            let annotations = f.raw().get("annotations");
            let hints: Vec<&str> = HINTS
                .iter()
                .filter(|(key, _)| {
                    annotations.and_then(|a| a.get(*key)) == Some(&Value::Bool(true))
                })
                .map(|(_, label)| *label)
                .collect();
            rows.push([
                ns.server().to_owned(),
                f.tool().to_owned(),
                format!("{}.{}", ns.ident(), f.ident()),
                if hints.is_empty() {
                    "-".into()
                } else {
                    hints.join(",")
                },
                if f.output_schema().is_some() {
                    "typed".into()
                } else {
                    "-".into()
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}
