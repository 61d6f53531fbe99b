//! `codemode connect`: put codemode in front of an MCP client.

use std::path::PathBuf;

use clap::Args;

use crate::connect::Request;

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The client whose servers move behind codemode.
    #[arg(value_enum)]
    pub client: crate::connect::Client,
    /// The client's config file, if not where the client keeps it by default.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// codemode's own config, which receives the servers (created if missing).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show what would change, as diffs, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl From<ConnectArgs> for Request {
    fn from(args: ConnectArgs) -> Self {
        Request {
            client: args.client,
            file: args.file,
            config: args.config,
            dry_run: args.dry_run,
        }
    }
}

/// `codemode connect`: the client's servers moved behind codemode.
pub fn connect(request: Request) -> anyhow::Result<()> {
    crate::connect::connect(request)
}
