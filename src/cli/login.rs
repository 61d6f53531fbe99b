//! `codemode login`: the OAuth flow for one HTTP server, its tokens kept.

use anyhow::{Context, bail};
use clap::Args;

use super::servers::{ServerArgs, ServerSettings};
use crate::files::config::{self, Transport};
use crate::upstream;
use crate::upstream::oauth::TokenFile;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server to log in to, by its name in the config (or the one `--url` and `--name` give).
    #[arg(value_name = "NAME")]
    pub server: Option<String>,
    /// Ask for this OAuth scope as well as the config's (repeatable), e.g. after a call was refused for lack of it.
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub servers: ServerArgs,
}

/// Which server `codemode login` logs in to, and how.
#[derive(Debug)]
pub(crate) struct LoginSettings {
    /// The server, by name; else the only one selected.
    pub server: Option<String>,
    /// Scopes asked for beside the config's.
    pub scopes: Vec<String>,
    /// Where the server comes from (narrowed to the named one).
    pub sources: config::Sources,
    /// What opens the authorization page (`$BROWSER`) [default: the system's opener].
    pub browser: Option<String>,
}

impl From<LoginArgs> for LoginSettings {
    fn from(args: LoginArgs) -> Self {
        let mut sources = ServerSettings::from(args.servers).sources;
        if let Some(server) = &args.server
            && sources.url.is_none()
        {
            sources.only = vec![server.clone()];
        }
        LoginSettings {
            server: args.server,
            scopes: args.scopes,
            sources,
            browser: std::env::var("BROWSER").ok(),
        }
    }
}

/// `codemode login`: the OAuth flow for one HTTP server; its tokens kept.
pub(crate) async fn login(settings: LoginSettings) -> anyhow::Result<()> {
    let selection = config::select(&settings.sources)?;
    let spec = match (&settings.server, selection.servers.as_slice()) {
        (Some(server), servers) => servers.iter().find(|s| &s.name == server).with_context(
            || {
                format!(
                    "no server named {server}; pass the config that has it (--config) or its --url"
                )
            },
        )?,
        (None, [one]) if !selection.demo => one,
        (None, _) => bail!("name the server to log in to: codemode login NAME --config FILE"),
    };
    let url = match &spec.transport {
        Transport::Http { url, .. } => url.clone(),
        Transport::Sse { url, .. } => url.clone(),
        _ => bail!(
            "{} is not an HTTP server; only HTTP servers log in with OAuth",
            spec.name
        ),
    };
    let file =
        TokenFile::default_location().context("no home folder to keep the tokens in; set HOME")?;
    let outcome = upstream::oauth::login(
        &spec.name,
        &url,
        &spec.oauth,
        &settings.scopes,
        &file,
        settings.browser.as_deref(),
    )
    .await?;
    eprintln!(
        "codemode: logged in to {}{}{}; tokens kept in {}",
        spec.name,
        outcome
            .issuer
            .map(|issuer| format!(" (issuer {issuer})"))
            .unwrap_or_default(),
        if outcome.scopes.is_empty() {
            String::new()
        } else {
            format!(" with scopes {}", outcome.scopes.join(" "))
        },
        file.path().display()
    );
    Ok(())
}
