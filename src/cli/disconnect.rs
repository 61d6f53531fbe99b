//! `codemode disconnect`: give a client its own config back.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct DisconnectArgs {
    /// The client to give its own config back.
    #[arg(value_enum)]
    pub client: crate::connect::Client,
    /// The client's config file, if not where the client keeps it by default.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `codemode disconnect`: the client's backed-up config put back.
pub fn disconnect(args: DisconnectArgs) -> anyhow::Result<()> {
    crate::connect::disconnect(args.client, args.file)
}
