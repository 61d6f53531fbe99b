//! `codemode pin`: pin the tools' definitions, or check them against the pins.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::open::open;
use super::servers::{ServerArgs, ServerSettings};
use crate::governance::pins::{self, Pins, Standing};
use crate::upstream::Hooks;

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Show how the servers' tools differ from the pins, and exit 1 if they do; write nothing.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub servers: ServerArgs,
}

/// `codemode pin`: `Ok(false)` when `--check` finds the tools differ.
/// What `codemode pin` reads and writes.
#[derive(Debug)]
pub(crate) struct PinSettings {
    /// The servers, with no pins applied: they are what is pinned.
    pub servers: ServerSettings,
    /// The pins file.
    pub path: PathBuf,
    /// Show how the tools differ, and write nothing.
    pub check: bool,
}

impl From<PinArgs> for PinSettings {
    fn from(args: PinArgs) -> Self {
        let mut servers = ServerSettings::from(args.servers);
        let path = servers
            .pins
            .take()
            .unwrap_or_else(|| PathBuf::from("codemode.pins.json"));
        PinSettings {
            servers,
            path,
            check: args.check,
        }
    }
}

pub(crate) async fn pin(settings: PinSettings) -> anyhow::Result<bool> {
    let path = settings.path;
    let opened = open(
        &settings.servers,
        Hooks::unattended("nothing is called"),
        &[],
    )
    .await?;
    let introductions = opened.upstreams.introductions();
    let (lists, _) = opened
        .policy
        .apply(opened.upstreams.tool_lists(), &introductions);
    let learned = if opened.shapes.learns() {
        opened.shapes.learned_types(&lists)
    } else {
        pins::LearnedTypes::new()
    };
    opened.upstreams.shutdown().await;
    let old = match (path.exists(), settings.check) {
        (false, _) => Pins::default(),
        (true, true) => Pins::load(&path)?,
        (true, false) => Pins::load_to_replace(&path)?.unwrap_or_else(|| {
            eprintln!(
                "note: {} is of an older format, which pinned less; every tool is reviewed and pinned anew",
                path.display()
            );
            Pins::default()
        }),
    };
    let review = pins::review(&old, &lists, &introductions, &learned);
    print!("{review}");
    if settings.check {
        if review.is_empty() {
            println!("the tools are as pinned in {}", path.display());
        }
        return Ok(review.is_empty());
    }
    let mut pinned = Pins::of(&lists, &introductions).with_learned(&learned);
    // A tool pinned as it was keeps its pinned learned type when nothing is
    // learned of it here (a fresh cache, `--shapes none`).
    for (server, name, standing) in old.standings(&lists) {
        let kept = old.learned.get(server).and_then(|tools| tools.get(name));
        if let (Standing::Pinned, Some(kept)) = (standing, kept) {
            let tools = pinned.learned.entry(server.to_owned()).or_default();
            tools.entry(name.to_owned()).or_insert_with(|| kept.clone());
        }
    }
    // Servers that did not answer keep their pins.
    for (server, tools) in old.servers {
        pinned.servers.entry(server).or_insert(tools);
    }
    for (server, tools) in old.learned {
        if !lists.iter().any(|(s, _)| *s == server) {
            pinned.learned.entry(server).or_insert(tools);
        }
    }
    for (server, pin) in old.introductions {
        pinned.introductions.entry(server).or_insert(pin);
    }
    pinned
        .save(&path)
        .with_context(|| format!("cannot write the pins file {}", path.display()))?;
    let tools: usize = lists.iter().map(|(_, tools)| tools.len()).sum();
    println!(
        "pinned {tools} tools of {} server(s) in {}; use it with --pins {}",
        lists.len(),
        path.display(),
        path.display()
    );
    Ok(true)
}
