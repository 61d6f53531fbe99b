//! MCP on both sides: the clients of the upstream servers (`upstream`), the
//! server codemode is to its own client (`server`), and the built-in demo
//! upstream (`demo`).

pub mod demo;
pub mod server;
pub mod upstream;
