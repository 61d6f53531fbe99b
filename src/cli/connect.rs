//! `codemode connect`: put codemode in front of an MCP client.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::files::connect::{Client, ConnectRequest};

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The client whose servers move behind codemode.
    #[arg(value_enum)]
    pub client: ClientArg,
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

/// The clients as the command line names them (`Client::cli_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ClientArg {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
    Windsurf,
    Gemini,
    Codex,
    Zed,
}

impl From<ClientArg> for Client {
    fn from(client: ClientArg) -> Self {
        match client {
            ClientArg::ClaudeDesktop => Client::ClaudeDesktop,
            ClientArg::ClaudeCode => Client::ClaudeCode,
            ClientArg::Cursor => Client::Cursor,
            ClientArg::Vscode => Client::Vscode,
            ClientArg::Windsurf => Client::Windsurf,
            ClientArg::Gemini => Client::Gemini,
            ClientArg::Codex => Client::Codex,
            ClientArg::Zed => Client::Zed,
        }
    }
}

impl From<ConnectArgs> for ConnectRequest {
    fn from(args: ConnectArgs) -> Self {
        ConnectRequest {
            client: args.client.into(),
            file: args.file,
            config: args.config,
            dry_run: args.dry_run,
        }
    }
}

/// `codemode connect`: the client's servers moved behind codemode.
pub(crate) fn connect(request: ConnectRequest) -> anyhow::Result<()> {
    crate::files::connect::connect(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages tell people to run `codemode disconnect NAME`: each name
    /// must be the one the command line takes, for every client.
    #[test]
    fn each_client_is_named_as_the_command_line_takes_it() {
        let mut named = Vec::new();
        for arg in ClientArg::value_variants() {
            let value = arg.to_possible_value().expect("no client is hidden");
            let client = Client::from(*arg);
            assert_eq!(client.cli_name(), value.get_name(), "{client:?}");
            named.push(client);
        }
        for (i, client) in named.iter().enumerate() {
            assert!(!named[..i].contains(client), "{client:?} named twice");
        }
    }
}
