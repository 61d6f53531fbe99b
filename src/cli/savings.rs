//! `codemode savings`: the prompt tokens Code Mode saves.

use clap::Args;

use super::open::open;
use super::servers::{ServerArgs, ServerSettings};
use crate::savings::{self, Tokenizer};
use crate::upstream::Hooks;

#[derive(Debug, Args)]
pub struct SavingsArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// The tokenizer to count with.
    #[arg(long, value_enum, default_value_t = Tokenizer::O200k)]
    pub tokenizer: Tokenizer,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What `codemode savings` measures, and how it prints it.
#[derive(Debug)]
pub struct SavingsSettings {
    pub servers: ServerSettings,
    pub tokenizer: Tokenizer,
    /// JSON instead of a table.
    pub json: bool,
}

impl From<SavingsArgs> for SavingsSettings {
    fn from(args: SavingsArgs) -> Self {
        SavingsSettings {
            servers: args.servers.into(),
            tokenizer: args.tokenizer,
            json: args.json,
        }
    }
}

pub async fn savings(settings: SavingsSettings) -> anyhow::Result<()> {
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
