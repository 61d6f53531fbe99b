//! `codemode logout`: forget a server's kept tokens.

use anyhow::Context;
use clap::Args;

use crate::upstream::oauth::TokenFile;

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The server whose kept tokens to forget.
    #[arg(value_name = "NAME")]
    pub server: String,
}

/// `codemode logout`: forgets a server's kept tokens.
pub fn logout(args: LogoutArgs) -> anyhow::Result<()> {
    let file = TokenFile::default_location()
        .context("no home folder, so no tokens are kept; nothing to do")?;
    if file
        .remove(&args.server)
        .with_context(|| format!("cannot update {}", file.path().display()))?
    {
        eprintln!("codemode: logged out of {}", args.server);
    } else {
        eprintln!(
            "codemode: no login is kept for {} (in {})",
            args.server,
            file.path().display()
        );
    }
    Ok(())
}
