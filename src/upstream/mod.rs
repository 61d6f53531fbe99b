//! Connections to upstream MCP servers, and their tool lists.

mod changes;
mod client;
mod connect;
mod connected;
mod era;
mod error;
mod http_client;
pub mod human;
pub mod oauth;
pub mod redact;
mod sse;
mod stdio;
mod tap;
mod tools_file;
pub(crate) mod unreadable;
mod whole_lists;

pub use changes::{ChangedServers, Changes};
pub use client::{Hooks, UpstreamClient};
pub use connect::{ServeInProcess, connect_all, connect_all_watched};
pub use connected::{Upstream, Upstreams};
pub use era::Era;
pub use error::{UnavailableServer, UpstreamError};
pub use human::{Human, InFlight, NoHuman, Serving};
pub use tools_file::ToolsFileError;
