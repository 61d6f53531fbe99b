//! Result types learned from real calls, for tools that declare no
//! `outputSchema`: every result a program receives is folded into its tool's
//! [`Shape`] (the shape only, never a value), kept per server and tool in
//! `shapes.json` in codemode's cache folder (or `--shapes FILE`), keyed by a
//! hash of the tool's definition so a changed tool starts over.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use codemode_typegen::Observed;
use codemode_typegen::shape::Shape;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One tool's learned type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// [`definition_hash`] of the tool it was learned for.
    pub definition: String,
    pub samples: u64,
    pub shape: Shape,
}

/// `--shapes none`: no learned types at all, the types as declared.
pub const NONE: &str = "none";

/// server → tool → learned type.
type Table = BTreeMap<String, BTreeMap<String, Learned>>;

/// The learned types, loaded from and saved to a file.
pub struct Shapes {
    /// `--shapes none`: nothing is read, learned or shown.
    off: bool,
    file: Option<PathBuf>,
    table: Mutex<Table>,
    /// What this process learned, merged into the file on [`Shapes::save`].
    learned: Mutex<Table>,
}

/// A tool definition's fingerprint (FNV-1a over its JSON): a tool whose
/// name, description or schemas change is learned afresh.
pub fn definition_hash(tool: &Value) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in tool.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

impl Shapes {
    /// `shapes.json` in codemode's cache folder.
    pub fn default_file() -> Option<PathBuf> {
        crate::config::dirs::codemode_dir(crate::config::dirs::user_cache_dir)
            .map(|dir| dir.join("shapes.json"))
    }

    /// Reads `file`; a missing or damaged file is an empty table (it is
    /// only learned knowledge: more calls rebuild it).
    pub fn load(file: Option<PathBuf>) -> Shapes {
        if file.as_deref() == Some(Path::new(NONE)) {
            return Shapes {
                off: true,
                file: None,
                table: Mutex::default(),
                learned: Mutex::default(),
            };
        }
        let table = file.as_deref().map(read).unwrap_or_default();
        Shapes {
            off: false,
            file,
            table: Mutex::new(table),
            learned: Mutex::default(),
        }
    }

    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Folds one result of `server`'s `tool` (defined as `definition`) in.
    pub fn observe(&self, server: &str, tool: &str, definition: &str, result: &Value) {
        if self.off {
            return;
        }
        let shape = Shape::of(result);
        for table in [&self.table, &self.learned] {
            let mut table = table.lock().expect("shapes");
            fold(&mut table, server, tool, definition, shape.clone(), 1);
        }
    }

    /// The learned type of `server`'s `tool`, if it was learned for this
    /// definition.
    pub fn get(&self, server: &str, tool: &str, definition: &str) -> Option<Observed> {
        let table = self.table.lock().expect("shapes");
        let learned = table.get(server)?.get(tool)?;
        (learned.definition == definition).then(|| Observed {
            shape: learned.shape.clone(),
            samples: learned.samples,
        })
    }

    /// Everything known, by server and tool.
    pub fn all(&self) -> Table {
        self.table.lock().expect("shapes").clone()
    }

    /// Merges what this process learned into the file, under a lock so that
    /// processes learning at once (a `serve` and a `run`) keep both.
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let learned = std::mem::take(&mut *self.learned.lock().expect("shapes"));
        if learned.is_empty() {
            return Ok(());
        }
        update(path, |table| {
            for (server, tools) in learned {
                for (tool, new) in tools {
                    fold(
                        table,
                        &server,
                        &tool,
                        &new.definition,
                        new.shape,
                        new.samples,
                    );
                }
            }
        })
    }

    /// Forgets everything learned (`codemode shapes --clear`).
    pub fn clear(&self) -> std::io::Result<()> {
        self.table.lock().expect("shapes").clear();
        self.learned.lock().expect("shapes").clear();
        match &self.file {
            Some(path) => update(path, BTreeMap::clear),
            None => Ok(()),
        }
    }
}

fn fold(table: &mut Table, server: &str, tool: &str, definition: &str, shape: Shape, samples: u64) {
    let tools = table.entry(server.to_owned()).or_default();
    match tools.get_mut(tool) {
        Some(known) if known.definition == definition => {
            known.shape = std::mem::replace(&mut known.shape, Shape::Never).merge(shape);
            known.samples += samples;
        }
        _ => {
            tools.insert(
                tool.to_owned(),
                Learned {
                    definition: definition.to_owned(),
                    samples,
                    shape,
                },
            );
        }
    }
}

fn read(path: &Path) -> Table {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::debug!(path = %path.display(), "ignoring the unreadable shapes file: {error}");
            Table::new()
        }),
        Err(_) => Table::new(),
    }
}

/// Read, change and write `path` under its lock.
fn update(path: &Path, change: impl FnOnce(&mut Table)) -> std::io::Result<()> {
    crate::json_file::locked(path, || {
        let mut table = read(path);
        change(&mut table);
        crate::json_file::replace(path, &table, false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_are_learned_kept_and_forgotten_when_the_tool_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cache/shapes.json");
        let tool = json!({"name": "git_log", "description": "Shows the commit logs"});
        let definition = definition_hash(&tool);
        let shapes = Shapes::load(Some(file.clone()));
        shapes.observe("git", "git_log", &definition, &json!([{"hash": "a"}]));
        shapes.observe(
            "git",
            "git_log",
            &definition,
            &json!([{"hash": "b", "body": "x"}]),
        );
        shapes.save().unwrap();

        // Another process learned meanwhile; saving keeps both.
        let other = Shapes::load(Some(file.clone()));
        other.observe("time", "get_current_time", "h", &json!("12:00"));
        other.save().unwrap();

        let again = Shapes::load(Some(file.clone()));
        let observed = again.get("git", "git_log", &definition).unwrap();
        assert_eq!(observed.samples, 2);
        assert_eq!(observed.shape.render(), "{ body?: string; hash: string }[]");
        assert!(again.get("time", "get_current_time", "h").is_some());
        // A changed definition is not given the old type, and starts over.
        let changed = definition_hash(&json!({"name": "git_log", "description": "Shows logs"}));
        assert_ne!(changed, definition);
        assert!(again.get("git", "git_log", &changed).is_none());
        // Values are never kept, only shapes.
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("12:00") && !text.contains("\"a\""), "{text}");

        again.clear().unwrap();
        assert!(Shapes::load(Some(file)).all().is_empty());
    }
}
