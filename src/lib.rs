//! codemode: Code Mode for MCP.
//!
//! The library behind the `codemode` binary. It ties together the
//! workspace's crates (TypeScript compilation in `codemode-transpile`, the
//! QuickJS sandbox in `codemode-sandbox`, JSON Schema → TypeScript in
//! `codemode-typegen`, and the text helpers they share in `codemode-text`)
//! in modules grouped by concern. They form layers, and a module uses only
//! the layers before its own (`tests/layers.rs` checks it):
//!
//! Layers: hint, files, upstream, prompt, governance, engine, savings, demo, server, cli.
//!
//! See ARCHITECTURE.md.

/// The command line: one file per command.
pub mod cli;
/// The built-in demo upstream.
pub mod demo;
/// One execution end to end.
pub mod engine;
/// Configs and files on disk.
pub mod files;
/// Policy, approval, pins, audit.
pub mod governance;
/// Hints: what would help, as data each surface words its own way.
pub mod hint;
/// What reaches a model or a person.
pub mod prompt;
/// Prompt tokens measured: what Code Mode saves.
pub(crate) mod savings;
/// `codemode serve`: the MCP server.
pub mod server;
/// MCP clients of the upstream servers.
pub mod upstream;
