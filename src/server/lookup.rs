//! The discovery tools of search disclosure, `search_api` and `get_api`:
//! declarations found by words or by name.

use codemode_typegen::{Api, Style};
use rmcp::ErrorData;
use rmcp::model::CallToolResult;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{CodeModeServer, Snapshot, parse, text_result};
use codemode_text::suggest::did_you_mean;

impl CodeModeServer {
    /// A discovery tool (`search_api`, `get_api`): admitted like `execute`
    /// and run off the async runtime, since a search costs CPU.
    pub(super) async fn discover(
        &self,
        args: Map<String, Value>,
        run: fn(&Snapshot, Map<String, Value>) -> Result<CallToolResult, ErrorData>,
    ) -> Result<CallToolResult, ErrorData> {
        let _slot = match self.admission.enter().await {
            Ok(slot) => slot,
            Err(refusal) => {
                self.metrics.rejected();
                return Ok(text_result(refusal, true));
            }
        };
        let snapshot = self.live.current();
        tokio::task::spawn_blocking(move || run(&snapshot, args))
            .await
            .unwrap_or_else(|error| {
                Err(ErrorData::internal_error(
                    format!("the search failed: {error}"),
                    None,
                ))
            })
    }
}

/// The longest `search_api` query, in characters.
const MAX_QUERY_CHARS: usize = 1_000;
/// The most names `get_api` takes at once, and the longest name.
const MAX_NAMES: usize = 200;
const MAX_NAME_CHARS: usize = 300;

pub(super) fn search_api(
    snapshot: &Snapshot,
    args: Map<String, Value>,
) -> Result<CallToolResult, ErrorData> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Args {
        query: String,
        limit: Option<usize>,
    }
    let args: Args = parse("search_api", args)?;
    let chars = args.query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(ErrorData::invalid_params(
            format!(
                "search_api: the query is {chars} characters; at most {MAX_QUERY_CHARS} are searched, so use a few words"
            ),
            None,
        ));
    }
    let hits = snapshot
        .index
        .search(&args.query, args.limit.unwrap_or(5).clamp(1, 20));
    if hits.is_empty() {
        return Ok(text_result(
            format!(
                "No function matches \"{}\". Try other words, or get_api with a namespace name.",
                args.query
            ),
            false,
        ));
    }
    let api = &snapshot.api;
    let ranked: Vec<String> = hits
        .iter()
        .map(|&(n, f)| {
            format!(
                "{}.{}",
                api.namespaces()[n].ident(),
                api.namespaces()[n].functions()[f].ident()
            )
        })
        .collect();
    let declarations = render_selected(api, |n, f| hits.contains(&(n, f)));
    Ok(text_result(
        format!("Best matches: {}\n\n{declarations}", ranked.join(", ")),
        false,
    ))
}

pub(super) fn get_api(
    snapshot: &Snapshot,
    args: Map<String, Value>,
) -> Result<CallToolResult, ErrorData> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Args {
        names: Vec<String>,
    }
    let args: Args = parse("get_api", args)?;
    if args.names.len() > MAX_NAMES
        || args
            .names
            .iter()
            .any(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        return Err(ErrorData::invalid_params(
            format!(
                "get_api takes at most {MAX_NAMES} names of at most {MAX_NAME_CHARS} characters each (namespaces or ns.fn)"
            ),
            None,
        ));
    }
    let api = &snapshot.api;
    let mut wanted: Vec<(usize, Option<usize>)> = Vec::new();
    let mut unknown = Vec::new();
    for name in &args.names {
        let (ns_name, fn_name) = match name.split_once('.') {
            Some((ns, f)) => (ns, Some(f)),
            None => (name.as_str(), None),
        };
        let Some(n) = api
            .namespaces()
            .iter()
            .position(|ns| ns.ident() == ns_name || ns.server() == ns_name)
        else {
            let hint = did_you_mean(ns_name, api.namespaces().iter().map(|ns| ns.ident()))
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            unknown.push(format!("{name}: no namespace {ns_name}{hint}"));
            continue;
        };
        let namespace = &api.namespaces()[n];
        match fn_name {
            None => wanted.push((n, None)),
            Some(f) => match namespace
                .functions()
                .iter()
                .position(|x| x.ident() == f || x.tool() == f)
            {
                Some(index) => wanted.push((n, Some(index))),
                None => {
                    let hint = did_you_mean(f, namespace.functions().iter().map(|x| x.ident()))
                        .map(|s| format!(" (did you mean {}.{s}?)", namespace.ident()))
                        .unwrap_or_default();
                    unknown.push(format!(
                        "{name}: no function {f} in {}{hint}",
                        namespace.ident()
                    ));
                }
            },
        }
    }
    if wanted.is_empty() {
        return Ok(text_result(unknown.join("\n"), true));
    }
    let mut text = render_selected(api, |n, f| {
        wanted
            .iter()
            .any(|&(wn, wf)| wn == n && wf.is_none_or(|wf| wf == f))
    });
    if !unknown.is_empty() {
        text.push_str(&format!("\nNot found:\n{}", unknown.join("\n")));
    }
    Ok(text_result(text, false))
}

/// Full declarations of the functions `keep(namespace index, function index)` selects.
fn render_selected(api: &Api, keep: impl Fn(usize, usize) -> bool) -> String {
    api.namespaces()
        .iter()
        .enumerate()
        .filter_map(|(n, ns)| {
            let chosen: Vec<&str> = ns
                .functions()
                .iter()
                .enumerate()
                .filter(|&(f, _)| keep(n, f))
                .map(|(_, x)| x.ident())
                .collect();
            (!chosen.is_empty())
                .then(|| ns.render_only(|function| chosen.contains(&function.ident()), Style::Full))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
