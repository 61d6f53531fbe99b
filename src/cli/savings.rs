//! `codemode savings`: the prompt tokens Code Mode saves.

use clap::Args;

use super::open::open;
use super::servers::ServerArgs;
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

pub async fn savings(args: SavingsArgs) -> anyhow::Result<()> {
    let opened = open(&args.servers, Hooks::unattended("nothing is called"), &[]).await?;
    let (lists, _) = opened.policy.apply(
        opened.upstreams.tool_lists(),
        &opened.upstreams.introductions(),
    );
    opened.upstreams.shutdown().await;
    let (rows, total) = savings::measure(&lists, args.tokenizer);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&savings::to_json(args.tokenizer, &rows, &total))?
        );
    } else {
        print!("{}", savings::table(args.tokenizer, &rows, &total));
    }
    Ok(())
}
