//! `codemode disconnect`: give a client its own config back.

use std::path::PathBuf;

use clap::Args;

use super::connect::ClientArg;
use crate::files::connect::Client;

#[derive(Debug, Args)]
pub struct DisconnectArgs {
    /// The client to give its own config back.
    #[arg(value_enum)]
    pub client: ClientArg,
    /// The client's config file, if not where the client keeps it by default.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Which client `codemode disconnect` gives its config back.
#[derive(Debug)]
pub(crate) struct DisconnectSettings {
    pub client: Client,
    /// The client's config file [default: where the client keeps it].
    pub file: Option<PathBuf>,
}

impl From<DisconnectArgs> for DisconnectSettings {
    fn from(args: DisconnectArgs) -> Self {
        DisconnectSettings {
            client: args.client.into(),
            file: args.file,
        }
    }
}

/// `codemode disconnect`: the client's backed-up config put back.
pub(crate) fn disconnect(settings: DisconnectSettings) -> anyhow::Result<()> {
    crate::files::connect::disconnect(settings.client, settings.file)
}
