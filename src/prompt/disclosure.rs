//! What `codemode serve` puts in the model's prompt: its own tool definitions
//! (with the API in `execute`'s description, or only an index of it).
//!
//! `codemode savings` measures exactly these definitions, so there is one
//! implementation of them.

use codemode_typegen::{Api, Style};
use serde_json::{Value, json};

use crate::prompt::tokens;

/// How much of the API `execute`'s description carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Disclosure {
    /// The richest of `full`, `compact`, `search` and `namespaces` whose tool
    /// definitions fit in `--prompt-budget` tokens.
    #[default]
    Auto,
    /// Every declaration with all its documentation.
    Full,
    /// Every declaration, with each tool's first sentence and no property prose.
    Compact,
    /// Only namespaces and function names; `search_api` and `get_api` give the declarations.
    Search,
    /// Only each namespace, with its size and first functions; `search_api` and `get_api` give the rest.
    Namespaces,
}

/// A disclosure mode once `auto` is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Full,
    Compact,
    Search,
    Namespaces,
    /// `namespaces` cut to fit `budget` tokens, for when even it does not
    /// (long or many names): names shortened, and the namespaces that do
    /// not fit counted rather than listed.
    Fitted {
        budget: usize,
    },
}

impl Mode {
    /// Whether `search_api` and `get_api` are offered beside `execute`.
    pub fn looks_up(self) -> bool {
        matches!(self, Mode::Search | Mode::Namespaces | Mode::Fitted { .. })
    }
}

/// `--prompt-budget`'s default: o200k tokens of tool definitions.
pub(crate) const DEFAULT_PROMPT_BUDGET: usize = 4000;

impl Disclosure {
    /// The mode to serve: `auto` takes the richest whose tool definitions
    /// (what the client puts in the prompt) fit in `budget` tokens, and
    /// when none does, namespaces cut to fit.
    pub(crate) fn resolve(self, api: &Api, budget: usize) -> Mode {
        match self {
            Disclosure::Full => Mode::Full,
            Disclosure::Compact => Mode::Compact,
            Disclosure::Search => Mode::Search,
            Disclosure::Namespaces => Mode::Namespaces,
            Disclosure::Auto => [Mode::Full, Mode::Compact, Mode::Search, Mode::Namespaces]
                .into_iter()
                .find(|&mode| prompt_tokens(api, mode) <= budget)
                .unwrap_or_else(|| {
                    let fitted = Mode::Fitted { budget };
                    let tokens = prompt_tokens(api, fitted);
                    if tokens > budget {
                        tracing::warn!(
                            "the prompt budget of {budget} tokens is below the {tokens} that codemode's own tool definitions take at the least; they are served at that size"
                        );
                    }
                    fitted
                }),
        }
    }
}

/// The tokens `mode`'s tool definitions put in a prompt.
pub(crate) fn prompt_tokens(api: &Api, mode: Mode) -> usize {
    let definitions = Value::Array(tool_definitions(api, mode));
    tokens::count(&definitions.to_string())
}

/// How many functions a namespace's line names before `…`.
const NAMESPACE_EXAMPLES: usize = 4;

/// The characters of a name [`Mode::Fitted`] shows; longer ones are cut, `…`.
const FITTED_NAME_CHARS: usize = 48;

const INSTRUCTIONS: &str = "Run a TypeScript program that calls the functions below; only what it returns comes back to you. \
Write the body of an async function: `await` each call (Promise.all runs calls in parallel), `return` a JSON value, \
`console.log` for notes. A failed call throws an Error you can catch. \
An `unknown` result is the tool's output: JSON or Python literals parsed, other text a string, several parts an array; \
non-text parts as in MCP (`.resource.text`), base64 replaced by its size `bytes`.";

/// `execute`'s description.
pub(crate) fn execute_description(api: &Api, mode: Mode) -> String {
    match mode {
        Mode::Full => format!("{INSTRUCTIONS}\n\n{}", api.render(Style::Full)),
        Mode::Compact => format!("{INSTRUCTIONS}\n\n{}", api.render(Style::Compact)),
        Mode::Search => {
            let index: Vec<String> = api
                .namespaces()
                .iter()
                .map(|ns| {
                    let names: Vec<&str> = ns.functions().iter().map(|f| f.ident()).collect();
                    format!("{}: {}", ns.ident(), names.join(", "))
                })
                .collect();
            format!(
                "{INSTRUCTIONS} Get a function's signature with search_api or get_api before calling it.\n\n{}",
                index.join("\n")
            )
        }
        Mode::Namespaces => format!(
            "{INSTRUCTIONS} {NAMESPACES_LEAD}\n\n{}",
            namespace_lines(api, usize::MAX).join("\n")
        ),
        Mode::Fitted { budget } => fitted_description(api, budget),
    }
}

const NAMESPACES_LEAD: &str = "Find the functions for a task with search_api (or get_api with a namespace) before calling them.";

/// One line per namespace: its size, and its summary or first functions;
/// names longer than `name_chars` are cut.
fn namespace_lines(api: &Api, name_chars: usize) -> Vec<String> {
    let short = |name: &str| match name.char_indices().nth(name_chars) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_owned(),
    };
    api.namespaces()
        .iter()
        .map(|ns| {
            let functions = ns.functions();
            let count = format!(
                "{}: {} function{}",
                short(ns.ident()),
                functions.len(),
                if functions.len() == 1 { "" } else { "s" },
            );
            // The server's own summary; else its first functions say what it is.
            if let Some(summary) = ns.summary() {
                return format!("{count}. {summary}");
            }
            let mut names: Vec<String> = functions
                .iter()
                .take(NAMESPACE_EXAMPLES)
                .map(|f| short(f.ident()))
                .collect();
            if functions.len() > NAMESPACE_EXAMPLES {
                names.push("…".to_owned());
            }
            format!("{count} ({})", names.join(", "))
        })
        .collect()
}

/// [`Mode::Fitted`]'s description: as many namespace lines (names cut) as
/// keep the tool definitions within `budget` tokens, measured with the
/// tokenizer, and a count of the rest. When not even none fit (a budget
/// below codemode's own instructions), the count alone.
fn fitted_description(api: &Api, budget: usize) -> String {
    let lines = namespace_lines(api, FITTED_NAME_CHARS);
    let with = |shown: usize| {
        let mut text = format!("{INSTRUCTIONS} {NAMESPACES_LEAD}\n\n");
        text.push_str(&lines[..shown].join("\n"));
        let rest = &api.namespaces()[shown..];
        if !rest.is_empty() {
            let functions: usize = rest.iter().map(|ns| ns.functions().len()).sum();
            text.push_str(&format!(
                "{}{} {}namespace{} ({functions} function{}) not listed here: search_api finds their functions",
                if shown > 0 { "\n" } else { "" },
                rest.len(),
                if shown > 0 { "more " } else { "" },
                if rest.len() == 1 { "" } else { "s" },
                if functions == 1 { "" } else { "s" },
            ));
        }
        text
    };
    let fits = |shown: usize| {
        let definitions = Value::Array(definitions_with(with(shown), true));
        tokens::count(&definitions.to_string()) <= budget
    };
    // The most lines that fit: fewer lines never take more tokens.
    let (mut low, mut high) = (0, lines.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(mid) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    with(low)
}

/// codemode's tools as `tools/list` shows them, in a stable order.
pub(crate) fn tool_definitions(api: &Api, mode: Mode) -> Vec<Value> {
    definitions_with(execute_description(api, mode), mode.looks_up())
}

/// codemode's tools with `execute`'s description, and with `search_api`
/// and `get_api` when `looks_up`.
fn definitions_with(description: String, looks_up: bool) -> Vec<Value> {
    let mut tools = vec![json!({
        "name": "execute",
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "TypeScript: the body of an async function"},
                "timeout_ms": {"type": "integer", "minimum": 1, "description": "Time limit; at most the server's"}
            },
            "required": ["code"]
        }
    })];
    if looks_up {
        tools.push(json!({
            "name": "search_api",
            "description": "Find functions for a task: returns the TypeScript declarations of the best matches.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "Words describing the task"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}
                },
                "required": ["query"]
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        }));
        tools.push(json!({
            "name": "get_api",
            "description": "TypeScript declarations of the named functions (`ns.fn`) or whole namespaces (`ns`).",
            "inputSchema": {
                "type": "object",
                "properties": {"names": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
                "required": ["names"]
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        }));
    }
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(tools: usize) -> Api {
        let tools = (0..tools)
            .map(|i| json!({"name": format!("tool_{i}"), "description": format!("Does a thing. {}", "Then a fairly long description that costs tokens in full. ".repeat(4)),
                "inputSchema": {"type": "object", "properties": {"value": {"type": "string", "description": "The value to use."}}}}))
            .collect();
        Api::new(vec![("srv".into(), tools)])
    }

    #[test]
    fn auto_takes_the_richest_form_that_fits_the_budget() {
        let budget = DEFAULT_PROMPT_BUDGET;
        assert_eq!(Disclosure::Auto.resolve(&api(3), budget), Mode::Full);
        // An API whose full declarations no longer fit, and its compact ones do.
        let mid = (10..400)
            .step_by(10)
            .map(api)
            .find(|api| prompt_tokens(api, Mode::Full) > budget)
            .unwrap();
        assert!(prompt_tokens(&mid, Mode::Compact) <= budget);
        assert_eq!(Disclosure::Auto.resolve(&mid, budget), Mode::Compact);
        assert_eq!(Disclosure::Auto.resolve(&api(200), budget), Mode::Search);
        // Not even the names fit: namespaces only.
        assert_eq!(Disclosure::Auto.resolve(&api(200), 600), Mode::Namespaces);
        assert_eq!(
            Disclosure::Compact.resolve(&api(200), budget),
            Mode::Compact
        );
        for mode in [Mode::Full, Mode::Compact, Mode::Search, Mode::Namespaces] {
            let chosen = Disclosure::Auto.resolve(&api(30), prompt_tokens(&api(30), mode));
            assert_eq!(chosen, mode, "a budget of exactly {mode:?}'s size picks it");
        }
    }

    #[test]
    fn namespaces_mode_gives_each_namespace_its_size_and_summary() {
        let tools = tool_definitions(&api(6), Mode::Namespaces);
        let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["execute", "search_api", "get_api"]);
        let description = tools[0]["description"].as_str().unwrap();
        // A server that says nothing of itself is summed up by its first functions.
        assert!(
            description.ends_with("\n\nsrv: 6 functions (tool_0, tool_1, tool_2, tool_3, …)"),
            "{description}"
        );
        let described = api(6).describing(|server| Some(format!("What {server} is for.")));
        let tools = tool_definitions(&described, Mode::Namespaces);
        let description = tools[0]["description"].as_str().unwrap();
        assert!(
            description.ends_with("\n\nsrv: 6 functions. What srv is for."),
            "{description}"
        );
    }

    #[test]
    fn search_mode_lists_names_only_and_adds_the_lookup_tools() {
        let tools = tool_definitions(&api(3), Mode::Search);
        let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["execute", "search_api", "get_api"]);
        let description = tools[0]["description"].as_str().unwrap();
        assert!(
            description.ends_with("\n\nsrv: tool_0, tool_1, tool_2"),
            "{description}"
        );
        assert!(!description.contains("fairly long description"));
    }

    #[test]
    fn full_and_compact_carry_the_declarations() {
        let full = execute_description(&api(2), Mode::Full);
        assert!(
            full.contains("declare namespace srv {")
                && full.contains("value?: string // The value to use."),
            "{full}"
        );
        let compact = execute_description(&api(2), Mode::Compact);
        assert!(
            compact.contains(
                "function tool_1(args?: { value?: string }): Promise<unknown> // Does a thing"
            ),
            "{compact}"
        );
        assert_eq!(tool_definitions(&api(2), Mode::Full).len(), 1);
    }

    #[test]
    fn definitions_are_deterministic() {
        assert_eq!(
            tool_definitions(&api(5), Mode::Full),
            tool_definitions(&api(5), Mode::Full)
        );
    }

    /// `servers` servers named `prefix` and a number, each with `tools`
    /// tools whose names are `name_chars` long.
    fn catalog(servers: usize, prefix: &str, tools: usize, name_chars: usize) -> Api {
        let lists = (0..servers)
            .map(|s| {
                let tools = (0..tools)
                    .map(|t| {
                        let name = format!(
                            "t{t}_{}",
                            "very_long_tool_name_".repeat(name_chars / 20 + 1)
                        );
                        json!({"name": &name[..name_chars], "inputSchema": {"type": "object"}})
                    })
                    .collect();
                (format!("{prefix}{s}"), tools)
            })
            .collect();
        Api::new(lists)
    }

    #[test]
    fn auto_holds_the_budget_whatever_the_names() {
        let catalogs = [
            // Long tool names: every name of the index alone is over budget.
            catalog(3, "srv", 12, 4_000),
            // Long server names.
            catalog(20, &"a_server_with_a_very_long_name_".repeat(40), 2, 30),
            // Many servers.
            catalog(1_500, "s", 1, 10),
            // Both.
            catalog(100, &"namespace_".repeat(30), 2, 500),
        ];
        for (i, api) in catalogs.iter().enumerate() {
            for budget in [DEFAULT_PROMPT_BUDGET, 1_500, 800] {
                let mode = Disclosure::Auto.resolve(api, budget);
                let tokens = prompt_tokens(api, mode);
                assert!(
                    tokens <= budget,
                    "catalog {i}: {mode:?} takes {tokens} of {budget} tokens"
                );
                assert!(
                    mode.looks_up(),
                    "catalog {i}: search_api must find the rest"
                );
            }
        }
        // What fits is listed, names cut, and the rest counted.
        let api = &catalogs[0];
        let description =
            execute_description(api, Disclosure::Auto.resolve(api, DEFAULT_PROMPT_BUDGET));
        assert!(
            description
                .contains("srv0: 12 functions (t0_very_long_tool_name_very_long_tool_name_very_…"),
            "{description}"
        );
        let many = &catalogs[2];
        let description =
            execute_description(many, Disclosure::Auto.resolve(many, DEFAULT_PROMPT_BUDGET));
        assert!(
            description.contains("\ns0: 1 function (t0_very_lo)\n")
                && description.contains(" more namespaces (")
                && description.ends_with("not listed here: search_api finds their functions"),
            "{description}"
        );
        // A budget below codemode's own instructions gets the smallest form there is.
        let smallest = Disclosure::Auto.resolve(many, 10);
        assert!(execute_description(many, smallest).ends_with(
            "1500 namespaces (1500 functions) not listed here: search_api finds their functions"
        ));
    }
}
