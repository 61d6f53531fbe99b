//! codemode: Code Mode for MCP.
//!
//! The library behind the `codemode` binary. It ties together the
//! workspace's crates (TypeScript compilation in `codemode-transpile`, the
//! QuickJS sandbox in `codemode-sandbox`, JSON Schema → TypeScript in
//! `codemode-typegen`, and the text helpers they share in `codemode-text`)
//! in modules grouped by concern: `files` (configs and files on disk), `mcp`
//! (upstream clients, the server, the demo), `prompt` (what a model reads),
//! `governance` (policy, approval, pins, audit), `engine` (one execution end
//! to end) and `cli` (one file per command). See ARCHITECTURE.md.

pub mod cli;
pub mod engine;
pub mod files;
pub mod governance;
pub mod hint;
pub mod mcp;
pub mod prompt;
