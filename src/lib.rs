//! codemode: Code Mode for MCP.
//!
//! The library behind the `codemode` binary: connections to upstream MCP
//! servers (`upstream`), TypeScript compilation (`transpile`), the QuickJS
//! sandbox, a WebAssembly isolate per execution (`sandbox`), and executions
//! that tie them together (`executor`). JSON Schema → TypeScript lives in the
//! `codemode-typegen` crate.

pub mod approval;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod config;
pub mod connect;
pub mod demo;
pub mod diagnostics;
pub mod executor;
pub mod filtered_read;
pub mod hint;
pub mod json_file;
pub mod pins;
pub mod policy;
pub mod private_file;
pub mod prompt_text;
pub mod replay;
pub mod sandbox;
pub mod savings;
pub mod server;
pub mod shapes;
pub mod spelling;
pub mod suggest;
pub mod telemetry;
pub mod terminal;
pub mod tokens;
pub mod transpile;
pub mod upstream;
pub mod visible;
