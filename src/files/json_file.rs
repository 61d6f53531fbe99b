//! Reading input files: bounded in size, and JSON with errors that say
//! where (`file:line:column: what`); and writing codemode's own JSON files
//! (caches, tokens) so that no reader sees half of one and processes that
//! update one at once lose nothing.

use std::io::Read;
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
    #[error(
        "{} is larger than {}, the most codemode reads from such a file; is it the right file?",
        path.display(),
        codemode_text::size(*max)
    )]
    TooLarge { path: PathBuf, max: usize },
    #[error("{}:{line}:{column}: {}", path.display(), without_values(message))]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The most read from a config or tools file: real ones are kilobytes (GitHub's
/// catalog of 117 tools is 150 KB), and `/dev/zero` must not eat the memory.
pub(crate) const MAX_FILE_BYTES: usize = 64 << 20;

/// Reads and deserializes `path` (at most [`MAX_FILE_BYTES`]).
pub(crate) fn read<T: DeserializeOwned>(path: &Path) -> Result<T, JsonFileError> {
    parse(&read_text(path, MAX_FILE_BYTES)?, path)
}

/// Reads `path` as text, refusing more than `max` bytes.
pub(crate) fn read_text(path: &Path, max: usize) -> Result<String, JsonFileError> {
    let failed = |source| JsonFileError::Read {
        path: path.into(),
        source,
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    read_bounded(file, max).map_err(|error| match error {
        Bounded::TooLarge => JsonFileError::TooLarge {
            path: path.into(),
            max,
        },
        Bounded::Io(source) => failed(source),
    })
}

pub(crate) enum Bounded {
    TooLarge,
    Io(std::io::Error),
}

/// Reads all of `input` as UTF-8 text, or stops after `max` bytes.
pub(crate) fn read_bounded(input: impl Read, max: usize) -> Result<String, Bounded> {
    let mut text = String::new();
    input
        .take(max as u64 + 1)
        .read_to_string(&mut text)
        .map_err(Bounded::Io)?;
    if text.len() > max {
        return Err(Bounded::TooLarge);
    }
    Ok(text)
}

/// Deserializes `text`, naming `path` in errors.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, JsonFileError> {
    serde_json::from_str(text).map_err(|e| JsonFileError::Parse {
        path: path.into(),
        line: e.line(),
        column: e.column(),
        message: without_position(&e.to_string()),
    })
}

/// A parser's message without the " at line L column C" that serde_json and
/// serde_yaml append: the `file:line:column:` prefix already says where.
pub(crate) fn without_position(message: &str) -> String {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
        .to_owned()
}

/// A parser's message without the strings it quotes (`invalid type: string
/// "--api-key V"`, an unknown variant): a config's values may be secrets,
/// and its place (`file:line:column`) already says which.
pub(crate) fn without_values(message: &str) -> String {
    static QUOTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\b(string|variant) (?:"(?:[^"\\]|\\.)*"|`[^`]*`)"#).expect("a regex")
    });
    QUOTED.replace_all(message, "$1").into_owned()
}

/// JSONC as VS Code reads it: JSON plus comments and trailing commas,
/// nothing looser (a missing comma is a typo to report).
pub(crate) fn jsonc_options() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Deserializes `text` as JSON with comments and trailing commas (as VS Code
/// and Zed write their settings), naming `path` in errors.
pub(crate) fn parse_jsonc<T: DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, JsonFileError> {
    let options = jsonc_options();
    jsonc_parser::parse_to_serde_value(without_bom(text), &options).map_err(|e| {
        JsonFileError::Parse {
            path: path.into(),
            line: e.line_display(),
            column: e.column_display(),
            message: e.kind().to_string(),
        }
    })
}

/// `text` without the byte order mark some editors (Notepad) write first,
/// which VS Code and Node read past.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Replaces `path` with `value` as JSON, through a temporary file in the
/// same folder (created if need be, the user's alone), never through a
/// link: see [`crate::files::private_file`]. The file is the user's alone, or
/// keeps the mode the user gave it unless `private`.
pub(crate) fn replace<T: serde::Serialize>(
    path: &Path,
    value: &T,
    private: bool,
) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(value)?;
    let mode = if private {
        crate::files::private_file::Access::Private
    } else {
        crate::files::private_file::Access::Kept
    };
    crate::files::private_file::replace(path, &text, mode)
}

/// Runs `change` holding an exclusive lock on `PATH.lock`, which every
/// codemode process updating `path` takes: a read-modify-write by one (a
/// `serve`) never drops what another (a `run`) wrote meanwhile.
pub(crate) fn locked<T>(
    path: &Path,
    change: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let _lock = crate::files::private_file::lock(&path.with_extension("json.lock"))?;
    change()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_name_no_value_of_the_file() {
        let err = parse::<Vec<String>>(r#""--api-key s3cr\"et""#, Path::new("f.json"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "f.json:1:20: invalid type: string, expected a sequence"
        );
        #[derive(Debug, serde::Deserialize)]
        enum Kind {
            Stdio,
        }
        let err = parse::<Kind>(r#""s3cret""#, Path::new("f.json"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret") && err.contains("`Stdio`"), "{err}");
    }

    #[test]
    fn files_past_the_limit_are_refused_without_reading_them_whole() {
        // An endless file: reading stops one byte past the limit.
        let err = read_text(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero is larger than 1.0 MiB, the most codemode reads from such a file; is it the right file?"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok.json");
        std::fs::write(&path, "[1]").unwrap();
        assert_eq!(read_text(&path, 3).unwrap(), "[1]");
        assert!(matches!(
            read_text(&path, 2),
            Err(JsonFileError::TooLarge { max: 2, .. })
        ));
    }

    #[test]
    fn jsonc_takes_comments_and_trailing_commas_and_says_where_it_fails() {
        let value: serde_json::Value = parse_jsonc(
            "// servers\n{\"a\": [1, 2,], /* note */ \"b\": {\"c\": true,},}",
            Path::new("c.json"),
        )
        .unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, 2], "b": {"c": true}}));
        let err = parse_jsonc::<serde_json::Value>("{\n  \"a\": [1 2 }\n", Path::new("c.json"))
            .unwrap_err();
        let JsonFileError::Parse { line, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*line, 2, "{err}");
        assert!(err.to_string().starts_with("c.json:2:"), "{err}");
    }
}
