//! `codemode savings`: the prompt tokens Code Mode saves.

use clap::{Args, ValueEnum};

use super::open::open;
use super::servers::{ServerArgs, ServerSettings};
use crate::savings::{self, Tokenizer};
use crate::upstream::Hooks;

#[derive(Debug, Args)]
pub struct SavingsArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// The tokenizer to count with.
    #[arg(long, value_enum, default_value_t = TokenizerArg::O200k)]
    pub tokenizer: TokenizerArg,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `--tokenizer`'s values, as the help lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TokenizerArg {
    /// GPT-4o and later.
    #[value(name = "o200k_base")]
    O200k,
    /// GPT-4 and GPT-3.5.
    #[value(name = "cl100k_base")]
    Cl100k,
}

impl From<TokenizerArg> for Tokenizer {
    fn from(tokenizer: TokenizerArg) -> Self {
        match tokenizer {
            TokenizerArg::O200k => Tokenizer::O200k,
            TokenizerArg::Cl100k => Tokenizer::Cl100k,
        }
    }
}

/// What `codemode savings` measures, and how it prints it.
#[derive(Debug)]
pub(crate) struct SavingsSettings {
    pub servers: ServerSettings,
    pub tokenizer: Tokenizer,
    /// JSON instead of a table.
    pub json: bool,
}

impl From<SavingsArgs> for SavingsSettings {
    fn from(args: SavingsArgs) -> Self {
        SavingsSettings {
            servers: args.servers.into(),
            tokenizer: args.tokenizer.into(),
            json: args.json,
        }
    }
}

pub(crate) async fn savings(settings: SavingsSettings) -> anyhow::Result<()> {
    let opened = open(
        &settings.servers,
        Hooks::unattended("nothing is called"),
        &[],
    )
    .await?;
    let (lists, _) = opened.policy.apply(
        opened.upstreams.tool_lists(),
        &opened.upstreams.introductions(),
    );
    opened.upstreams.shutdown().await;
    let (rows, total) = savings::measure(&lists, settings.tokenizer);
    if settings.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&savings::to_json(settings.tokenizer, &rows, &total))?
        );
    } else {
        print!("{}", savings::table(settings.tokenizer, &rows, &total));
    }
    Ok(())
}
