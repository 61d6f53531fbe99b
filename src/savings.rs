//! How many prompt tokens Code Mode saves, measured with a real tokenizer.
//!
//! The baseline is what an MCP client hands a model without codemode: each
//! tool as `{"name", "description", "input_schema"}` (the Anthropic
//! tool-definition form), as compact JSON. codemode's side is exactly what
//! `codemode serve` lists, from the same code (`disclosure`).

use codemode_typegen::Api;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tiktoken_rs::CoreBPE;

use crate::prompt::disclosure::{Mode, tool_definitions};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Tokenizer {
    /// GPT-4o and later.
    #[default]
    O200k,
    /// GPT-4 and GPT-3.5.
    Cl100k,
}

impl Tokenizer {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tokenizer::O200k => "o200k_base",
            Tokenizer::Cl100k => "cl100k_base",
        }
    }

    pub(crate) fn load(self) -> CoreBPE {
        match self {
            Tokenizer::O200k => tiktoken_rs::o200k_base(),
            Tokenizer::Cl100k => tiktoken_rs::cl100k_base(),
        }
        .expect("tiktoken-rs embeds its tokenizers")
    }
}

/// Token counts for one server, or for all of them together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Row {
    pub name: String,
    pub tools: usize,
    pub baseline_tokens: usize,
    pub raw_list_tokens: usize,
    pub full_tokens: usize,
    pub compact_tokens: usize,
    pub search_tokens: usize,
    pub namespaces_tokens: usize,
}

/// Measures each server alone, and all together (where `execute`'s
/// instructions are counted once, as `serve` would list them).
pub(crate) fn measure(lists: &[(String, Vec<Value>)], tokenizer: Tokenizer) -> (Vec<Row>, Row) {
    let bpe = tokenizer.load();
    let count = |value: &Value| bpe.encode_with_special_tokens(&value.to_string()).len();
    let row = |name: String, lists: Vec<(String, Vec<Value>)>| {
        let tools: Vec<Value> = lists
            .iter()
            .flat_map(|(_, tools)| tools.iter().cloned())
            .collect();
        let api = Api::new(lists);
        let definitions = |mode| count(&Value::Array(tool_definitions(&api, mode)));
        Row {
            name,
            tools: tools.len(),
            baseline_tokens: count(&Value::Array(tools.iter().map(baseline_form).collect())),
            raw_list_tokens: count(&json!({"tools": tools})),
            full_tokens: definitions(Mode::Full),
            compact_tokens: definitions(Mode::Compact),
            search_tokens: definitions(Mode::Search),
            namespaces_tokens: definitions(Mode::Namespaces),
        }
    };
    let rows = lists
        .iter()
        .map(|(name, tools)| row(name.clone(), vec![(name.clone(), tools.clone())]))
        .collect();
    (rows, row("total".to_owned(), lists.to_vec()))
}

/// The baseline's tokens (o200k_base) for `api`'s tools.
pub(crate) fn baseline_tokens(api: &Api) -> usize {
    let tools: Vec<Value> = api
        .namespaces()
        .iter()
        .flat_map(|ns| ns.functions().iter().map(|f| baseline_form(f.raw())))
        .collect();
    crate::prompt::tokens::count(&Value::Array(tools).to_string())
}

/// A tool as a model API takes it: `{"name", "description", "input_schema"}`.
fn baseline_form(tool: &Value) -> Value {
    let mut out = Map::new();
    for (from, to) in [
        ("name", "name"),
        ("description", "description"),
        ("inputSchema", "input_schema"),
    ] {
        if let Some(value) = tool.get(from) {
            out.insert(to.to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

/// `{"tokenizer", "servers": [...], "total": {...}}`.
pub(crate) fn to_json(tokenizer: Tokenizer, rows: &[Row], total: &Row) -> Value {
    let mut total = json!(total);
    if let Some(object) = total.as_object_mut() {
        object.remove("name");
    }
    json!({"tokenizer": tokenizer.name(), "servers": rows, "total": total})
}

/// The table `codemode savings` prints.
pub(crate) fn table(tokenizer: Tokenizer, rows: &[Row], total: &Row) -> String {
    let less = |ours: usize, base: usize| {
        if base == 0 {
            "-".to_owned()
        } else {
            let saved = 100.0 * (base as f64 - ours as f64) / base as f64;
            format!("{saved:.0}%")
        }
    };
    let mut lines = vec![vec![
        "SERVER".to_owned(),
        "TOOLS".into(),
        "BASELINE".into(),
        "RAW LIST".into(),
        "FULL".into(),
        "LESS".into(),
        "COMPACT".into(),
        "LESS".into(),
        "SEARCH".into(),
        "LESS".into(),
        "NAMESPACES".into(),
        "LESS".into(),
    ]];
    for row in rows.iter().chain([total]) {
        lines.push(vec![
            row.name.clone(),
            row.tools.to_string(),
            row.baseline_tokens.to_string(),
            row.raw_list_tokens.to_string(),
            row.full_tokens.to_string(),
            less(row.full_tokens, row.baseline_tokens),
            row.compact_tokens.to_string(),
            less(row.compact_tokens, row.baseline_tokens),
            row.search_tokens.to_string(),
            less(row.search_tokens, row.baseline_tokens),
            row.namespaces_tokens.to_string(),
            less(row.namespaces_tokens, row.baseline_tokens),
        ]);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|c| lines.iter().map(|l| l[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "prompt tokens ({}); baseline: tools as {{name, description, input_schema}} JSON\n",
        tokenizer.name()
    );
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `run --trace`: the tokens tool calling would have put in the model's
/// context (every tool result) against what Code Mode returns (the result).
pub(crate) fn workflow(tokenizer: Tokenizer, report: &crate::engine::executor::Report) -> Value {
    let bpe = tokenizer.load();
    let count = |text: &str| bpe.encode_with_special_tokens(text).len();
    let calls: Vec<Value> = report
        .calls
        .iter()
        .map(|call| {
            json!({"server": call.server, "tool": call.tool, "result_tokens": call.result_json.as_deref().map_or(0, count)})
        })
        .collect();
    let tool_results: usize = calls
        .iter()
        .filter_map(|c| c["result_tokens"].as_u64())
        .sum::<u64>() as usize;
    let result = match &report.outcome {
        Some(Ok(value)) => count(&value.to_string()),
        _ => 0,
    };
    json!({
        "tokenizer": tokenizer.name(),
        "tool_results_tokens": tool_results,
        "result_tokens": result,
        "calls": calls,
    })
}
