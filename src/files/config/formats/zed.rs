//! Zed's `context_servers` (in its `settings.json`): a command as a string
//! beside `args` and `env`, or as an object holding them (the older shape),
//! or a remote server's `url`.

use indexmap::IndexMap;
use serde::Deserialize;

use super::Entry;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ZedEntry {
    command: Option<Command>,
    args: Vec<String>,
    env: IndexMap<String, String>,
    url: Option<String>,
    headers: IndexMap<String, String>,
    /// `custom` (a command or URL of the user's) or `extension`.
    source: Option<String>,
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Command {
    Line(String),
    Object {
        path: String,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: Option<IndexMap<String, String>>,
    },
}

impl ZedEntry {
    pub(super) fn into_entry(self) -> Entry {
        let mut entry = Entry {
            args: self.args,
            env: self.env,
            url: self.url,
            headers: self.headers,
            enabled: self.enabled,
            ..Entry::default()
        };
        match self.command {
            Some(Command::Line(command)) => entry.command = Some(command),
            Some(Command::Object { path, args, env }) => {
                entry.command = Some(path);
                entry.args = args;
                entry.env = env.unwrap_or_default();
            }
            None if entry.url.is_none() && self.source.as_deref() == Some("extension") => {
                entry.extra.unusable = Some(
                    "is provided by a Zed extension, which only Zed can start; give it a \"command\" to use it here".into(),
                );
            }
            None => {}
        }
        entry
    }
}
