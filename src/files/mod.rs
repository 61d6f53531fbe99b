//! What codemode reads and writes on disk: MCP client configs (`config`),
//! putting codemode in front of a client (`connect`), bounded reads of JSON
//! and JSON-RPC lines, and private (0600) writes.

pub mod config;
pub(crate) mod connect;
pub(crate) mod filtered_read;
pub(crate) mod json_file;
pub(crate) mod private_file;
