//! `codemode types`: the TypeScript declarations the model will see.

use clap::{Args, ValueEnum};

use super::open::open;
use super::servers::{ServerArgs, ServerSettings};
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

/// What `codemode types` prints.
#[derive(Debug)]
pub(crate) struct TypesSettings {
    pub servers: ServerSettings,
    /// How much prose the declarations keep.
    pub style: codemode_typegen::Style,
}

impl From<TypesArgs> for TypesSettings {
    fn from(args: TypesArgs) -> Self {
        TypesSettings {
            servers: args.servers.into(),
            style: args.style.into(),
        }
    }
}

pub(crate) async fn types(settings: TypesSettings) -> anyhow::Result<()> {
    // `--server` prints only the servers it names (only they are started).
    let opened = open(
        &settings.servers,
        Hooks::unattended("nothing is called"),
        &[],
    )
    .await?;
    let (api, _, _) = opened.api();
    opened.upstreams.shutdown().await;
    print!("{}", api.render(settings.style));
    Ok(())
}
