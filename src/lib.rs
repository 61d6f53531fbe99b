//! codemode: Code Mode for MCP.
//!
//! The library behind the `codemode` binary: connections to upstream MCP
//! servers (`upstream`) and executions (`executor`) that tie together the
//! workspace's crates: TypeScript compilation (`codemode-transpile`), the
//! QuickJS sandbox, a WebAssembly isolate per execution (`codemode-sandbox`),
//! JSON Schema → TypeScript (`codemode-typegen`) and the text helpers they
//! share (`codemode-text`).

pub mod approval;
pub mod audit;
pub mod cli;
pub mod config;
pub mod connect;
pub mod demo;
pub mod diagnostics;
pub mod disclosure;
pub mod executor;
pub mod filtered_read;
pub mod hint;
pub mod json_file;
pub mod pins;
pub mod policy;
pub mod private_file;
pub mod prompt_text;
pub mod replay;
pub mod savings;
pub mod server;
pub mod shapes;
pub mod spelling;
pub mod telemetry;
pub mod terminal;
pub mod tokens;
pub mod upstream;
pub mod visible;
