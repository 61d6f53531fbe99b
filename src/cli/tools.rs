//! `codemode tools`: every server and tool, as a table, JSON, raw or audited.

use std::fmt::Write as _;

use anyhow::bail;
use clap::Args;
use codemode_typegen::Api;
use serde_json::{Value, json};

use super::open::open;
use super::servers::{ServerArgs, ServerSettings};
use crate::upstream::Hooks;

#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "raw")]
    pub json: bool,
    /// Flag what in the tool definitions could steer the model: text that
    /// instructs it, `<IMPORTANT>`-style tags, talk of credentials, mentions of
    /// another server's tools, invisible or bidirectional Unicode, and names
    /// that shadow another server's tools. Flags to read, not verdicts.
    #[arg(long, conflicts_with = "raw")]
    pub audit: bool,
    /// Print one server's `tools/list` result exactly as the server sent it
    /// (save it to use with `--tools-file`).
    /// Choose the server with `--server` when there are several.
    #[arg(long)]
    pub raw: bool,
}

/// What `codemode tools` lists, and how.
#[derive(Debug)]
pub(crate) struct ToolsSettings {
    pub servers: ServerSettings,
    /// JSON instead of a table.
    pub json: bool,
    /// What in the definitions could steer the model, instead of the tools.
    pub audit: bool,
    /// One server's `tools/list` result as it sent it.
    pub raw: bool,
}

impl From<ToolsArgs> for ToolsSettings {
    fn from(args: ToolsArgs) -> Self {
        ToolsSettings {
            servers: args.servers.into(),
            json: args.json,
            audit: args.audit,
            raw: args.raw,
        }
    }
}

fn server_names(api: &Api) -> String {
    api.namespaces()
        .iter()
        .map(|n| n.server())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the audit reads of a function: its definition, and the result type
/// learned for it, which reaches the prompt too (its field names come from
/// the server's results).
fn audited_definition(function: &codemode_typegen::Function) -> Value {
    let mut definition = function.raw().clone();
    if let (Some(observed), Some(fields)) = (function.observed(), definition.as_object_mut()) {
        fields.insert(
            LEARNED_RESULT_TYPE.to_owned(),
            Value::String(observed.render()),
        );
        let words = observed.words();
        if !words.is_empty() {
            fields.insert(
                LEARNED_RESULT_WORDS.to_owned(),
                Value::String(words.join(" ")),
            );
        }
    }
    definition
}

/// Where the audit names a learned result type.
const LEARNED_RESULT_TYPE: &str = "learnedResultType";

/// Where the audit names a learned result type's words read as one text.
const LEARNED_RESULT_WORDS: &str = "learnedResultWords";

/// The four behaviour hints MCP defines, in the order they are shown.
const HINTS: [(&str, &str); 4] = [
    ("readOnlyHint", "read-only"),
    ("destructiveHint", "destructive"),
    ("idempotentHint", "idempotent"),
    ("openWorldHint", "open-world"),
];

pub(crate) async fn tools(settings: ToolsSettings) -> anyhow::Result<()> {
    let opened = open(
        &settings.servers,
        Hooks::unattended("nothing is called"),
        &[],
    )
    .await?;
    let (api, _, _) = opened.api();
    let upstreams = opened.upstreams;
    let introductions = upstreams.introductions();
    let failures: Vec<Value> = upstreams
        .failures
        .iter()
        .map(|f| {
            let mut failure = json!({"server": f.server, "error": f.error.to_string()});
            if let Some(hint) = crate::cli::diagnostics::hint_of(&f.error) {
                failure["hint"] = hint.into();
            }
            failure
        })
        .collect();
    upstreams.shutdown().await;
    if settings.audit {
        let lists: Vec<(String, Vec<Value>)> = api
            .namespaces()
            .iter()
            .map(|ns| {
                let tools = ns.functions().iter().map(audited_definition).collect();
                (ns.server().to_owned(), tools)
            })
            .collect();
        let flags = crate::governance::audit::audit(&lists, &introductions);
        if settings.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"flags": flags}))?
            );
        } else {
            print!("{}", crate::governance::audit::table(&flags));
        }
    } else if settings.raw {
        let namespace = match api.namespaces() {
            [only] => only,
            _ => bail!(
                "--raw prints one server; choose it with --server ({})",
                server_names(&api)
            ),
        };
        let tools: Vec<&Value> = namespace.functions().iter().map(|f| f.raw()).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"tools": tools}))?
        );
    } else if settings.json {
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
