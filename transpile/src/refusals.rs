//! What policy left out, as the compiler reads it to say why a program
//! may not call a tool.

use std::collections::{HashMap, HashSet};

/// Tools left out by policy: server → tool → reason; and the servers
/// withheld whole. Policy gives each reason as a value (`R`); the compiler
/// reads them worded, as the surface that serves the program words them.
#[derive(Clone, Debug)]
pub struct Refusals<R = String> {
    /// Server → tool (as the server names it) → why it was left out.
    pub tools: HashMap<String, HashMap<String, R>>,
    /// Servers policy leaves nothing of (each listed tool refused), or whose
    /// description or instructions are not as pinned: what else they offer
    /// (prompts, resources) must not reach a client either.
    pub withheld: HashSet<String>,
}

impl<R> Default for Refusals<R> {
    fn default() -> Self {
        Refusals {
            tools: HashMap::new(),
            withheld: HashSet::new(),
        }
    }
}

impl<R> Refusals<R> {
    /// Whether nothing of `server` may be offered: not its tools, nor its
    /// prompts and resources.
    pub fn withholds(&self, server: &str) -> bool {
        self.withheld.contains(server)
    }

    /// The servers withheld whole (see [`Refusals::withholds`]).
    pub fn withheld(&self) -> impl Iterator<Item = &str> {
        self.withheld.iter().map(String::as_str)
    }

    /// Why `tool` of `server` was left out; `tool` may be the original name
    /// or its TypeScript identifier.
    pub fn reason(&self, server: &str, tool: &str) -> Option<&R> {
        let refused = self.tools.get(server)?;
        refused.get(tool).or_else(|| {
            refused
                .iter()
                .find(|(name, _)| codemode_typegen::function_identifier(name) == tool)
                .map(|(_, reason)| reason)
        })
    }

    /// The same refusals with each reason put in `words`.
    pub fn worded<S>(self, words: impl Fn(&R) -> S) -> Refusals<S> {
        let tools = self
            .tools
            .into_iter()
            .map(|(server, tools)| {
                let tools = tools
                    .into_iter()
                    .map(|(tool, reason)| {
                        let worded = words(&reason);
                        (tool, worded)
                    })
                    .collect();
                (server, tools)
            })
            .collect();
        Refusals {
            tools,
            withheld: self.withheld,
        }
    }
}
