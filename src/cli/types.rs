//! `codemode types`: the TypeScript declarations the model will see.

use clap::{Args, ValueEnum};

use super::open::open;
use super::servers::ServerArgs;
use crate::upstream::Hooks;

#[derive(Debug, Args)]
pub struct TypesArgs {
    #[command(flatten)]
    pub servers: ServerArgs,
    /// How much prose to keep: `full` keeps every description and constraint,
    /// `compact` keeps each tool's first sentence and the types.
    #[arg(long, value_enum, default_value_t = StyleArg::Full)]
    pub style: StyleArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    Full,
    Compact,
}

impl From<StyleArg> for codemode_typegen::Style {
    fn from(style: StyleArg) -> Self {
        match style {
            StyleArg::Full => codemode_typegen::Style::Full,
            StyleArg::Compact => codemode_typegen::Style::Compact,
        }
    }
}

pub async fn types(args: TypesArgs) -> anyhow::Result<()> {
    // `--server` prints only the servers it names (only they are started).
    let opened = open(&args.servers, Hooks::unattended("nothing is called"), &[]).await?;
    let (api, _, _) = opened.api();
    opened.upstreams.shutdown().await;
    print!("{}", api.render(args.style.into()));
    Ok(())
}
