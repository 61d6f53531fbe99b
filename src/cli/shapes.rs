//! `codemode shapes`: the learned result types, or forget them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::prompt::shapes::Shapes;

#[derive(Debug, Args)]
pub struct ShapesArgs {
    /// Forget every learned result type.
    #[arg(long)]
    pub clear: bool,
    /// The file of learned result types (default: shapes.json in codemode's cache folder).
    #[arg(long, value_name = "FILE")]
    pub shapes: Option<PathBuf>,
}

/// `codemode shapes`: the learned result types, or `--clear` to forget them.
/// Which learned result types `codemode shapes` shows, or forgets.
#[derive(Debug)]
pub(crate) struct ShapesSettings {
    /// The file of learned result types.
    pub file: PathBuf,
    /// Forget them instead.
    pub clear: bool,
}

impl TryFrom<ShapesArgs> for ShapesSettings {
    type Error = anyhow::Error;

    fn try_from(args: ShapesArgs) -> anyhow::Result<Self> {
        let file = args
            .shapes
            .or_else(Shapes::default_file)
            .context("no home folder, so no cache folder; pass --shapes FILE")?;
        Ok(ShapesSettings {
            file,
            clear: args.clear,
        })
    }
}

pub(crate) fn shapes(settings: ShapesSettings) -> anyhow::Result<()> {
    let file = settings.file;
    let shapes = Shapes::load(Some(file.clone()));
    if settings.clear {
        shapes
            .clear()
            .with_context(|| format!("cannot clear {}", file.display()))?;
        eprintln!(
            "codemode: forgot the learned result types in {}",
            file.display()
        );
        return Ok(());
    }
    let all = shapes.all();
    if all.is_empty() {
        eprintln!(
            "codemode: no result types learned yet (in {}); `codemode learn PROGRAM` learns some",
            file.display()
        );
    }
    for server in all.values() {
        for (tool, learned) in &server.tools {
            println!(
                "{}.{tool} ({} result{}): {}",
                server.name,
                learned.samples,
                if learned.samples == 1 { "" } else { "s" },
                learned.render()
            );
        }
    }
    Ok(())
}
