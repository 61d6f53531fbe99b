//! Reading JSON files with errors that say where: `file:line:column: what`.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonFileError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads and deserializes `path`.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<T, JsonFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| JsonFileError::Read {
        path: path.into(),
        source,
    })?;
    parse(&text, path)
}

/// Deserializes `text`, naming `path` in errors.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, JsonFileError> {
    serde_json::from_str(text).map_err(|e| {
        // serde_json appends " at line L column C"; the prefix already says where.
        let message = e.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |i| &message[..i])
            .to_owned();
        JsonFileError::Parse {
            path: path.into(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}
