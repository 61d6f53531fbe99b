//! One API generation: the API, its tool definitions, search index and
//! executor, replaced as a whole when upstream tools change.

use codemode_typegen::Api;
use rmcp::model::Tool;

use super::Exposed;
use super::search::Index;
use crate::engine::executor::Executor;
use crate::prompt::disclosure::{Mode, tool_definitions};

/// Everything one API generation needs; replaced as a whole when upstream tools change.
pub struct Snapshot {
    pub(super) api: Api,
    pub(super) mode: Mode,
    /// codemode's own tools, then any exposed ones.
    pub(super) tools: Vec<Tool>,
    pub(super) index: Index,
    pub(super) executor: Executor,
    pub(super) exposed: Option<Exposed>,
    /// The tool definitions' tokens as served and as the baseline, counted
    /// at the first scrape of metrics.
    pub(super) prompt_tokens: std::sync::OnceLock<(usize, usize)>,
}

/// codemode's own tool names, which exposed upstream tools may not take.
pub const OWN_TOOLS: [&str; 3] = ["execute", "search_api", "get_api"];

impl Snapshot {
    pub fn new(api: Api, mode: Mode, executor: Executor) -> Snapshot {
        let tools = tool_definitions(&api, mode)
            .into_iter()
            .map(|t| {
                serde_json::from_value(t).expect("codemode's tool definitions are valid MCP tools")
            })
            .collect();
        Snapshot {
            index: Index::new(&api),
            api,
            mode,
            tools,
            executor,
            exposed: None,
            prompt_tokens: std::sync::OnceLock::new(),
        }
    }

    /// The tokens of the tool definitions as served, and of the same tools
    /// as the baseline of `codemode savings`.
    pub fn prompt_tokens(&self) -> (usize, usize) {
        *self.prompt_tokens.get_or_init(|| {
            let served = crate::prompt::tokens::count(
                &serde_json::to_string(&self.tools).unwrap_or_default(),
            );
            (served, crate::savings::baseline_tokens(&self.api))
        })
    }

    /// Lists `exposed`'s upstream tools beside codemode's (`--expose-tools`).
    pub fn exposing(mut self, exposed: Option<Exposed>) -> Snapshot {
        if let Some(exposed) = &exposed {
            self.tools.extend(exposed.tools().iter().cloned());
        }
        self.exposed = exposed;
        self
    }
}
