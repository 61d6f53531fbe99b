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

/// Whose tokens `codemode logout` forgets.
#[derive(Debug)]
pub(crate) struct LogoutSettings {
    /// The server, by name.
    pub server: String,
}

impl From<LogoutArgs> for LogoutSettings {
    fn from(args: LogoutArgs) -> Self {
        LogoutSettings {
            server: args.server,
        }
    }
}

/// `codemode logout`: forgets a server's kept tokens.
pub(crate) fn logout(settings: LogoutSettings) -> anyhow::Result<()> {
    let file = TokenFile::default_location()
        .context("no home folder, so no tokens are kept; nothing to do")?;
    if file
        .remove(&settings.server)
        .with_context(|| format!("cannot update {}", file.path().display()))?
    {
        eprintln!("codemode: logged out of {}", settings.server);
    } else {
        eprintln!(
            "codemode: no login is kept for {} (in {})",
            settings.server,
            file.path().display()
        );
    }
    Ok(())
}
