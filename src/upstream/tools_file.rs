//! Saved `tools/list` results, for working offline.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::files::json_file::{self, JsonFileError};

#[derive(Debug, thiserror::Error)]
pub enum ToolsFileError {
    #[error(transparent)]
    File(#[from] JsonFileError),
    #[error("{}: {reason}; expected a saved tools/list result like {{\"tools\": [{{\"name\": ..., \"inputSchema\": ...}}]}}", path.display())]
    Shape { path: PathBuf, reason: String },
}

/// Reads `{"tools": [...]}`, a whole JSON-RPC response `{"result": {"tools": [...]}}`, or a bare array.
pub(super) fn load(path: &Path) -> Result<Vec<Value>, ToolsFileError> {
    let value: Value = json_file::read(path)?;
    let shape = |reason: String| ToolsFileError::Shape {
        path: path.into(),
        reason,
    };
    let tools = match value {
        Value::Array(tools) => tools,
        Value::Object(mut obj) => {
            let list = obj
                .get_mut("result")
                .map(Value::take)
                .unwrap_or(Value::Object(obj));
            match list.get("tools") {
                Some(Value::Array(tools)) => tools.clone(),
                _ => return Err(shape("no \"tools\" array".into())),
            }
        }
        _ => return Err(shape("the file is not a JSON object or array".into())),
    };
    for (i, tool) in tools.iter().enumerate() {
        if !tool.get("name").is_some_and(Value::is_string) {
            return Err(shape(format!("tool #{} has no string \"name\"", i + 1)));
        }
    }
    Ok(tools)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn load_text(text: &str) -> Result<Vec<Value>, ToolsFileError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        load(file.path())
    }

    #[test]
    fn accepts_the_three_shapes() {
        for text in [
            r#"{"tools": [{"name": "a"}]}"#,
            r#"{"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "a"}]}}"#,
            r#"[{"name": "a"}]"#,
        ] {
            assert_eq!(load_text(text).unwrap().len(), 1, "{text}");
        }
    }

    #[test]
    fn errors_name_the_position_or_the_problem() {
        let err = load_text("{\"tools\": [\n  {\"name\": \"a\"},,\n]}").unwrap_err();
        assert!(
            matches!(
                err,
                ToolsFileError::File(JsonFileError::Parse {
                    line: 2,
                    column: 17,
                    ..
                })
            ),
            "{err:?}"
        );
        let err = load_text(r#"{"tool": []}"#).unwrap_err();
        assert!(err.to_string().contains("no \"tools\" array"), "{err}");
        let err = load_text(r#"{"tools": [{"name": "a"}, {"description": "x"}]}"#).unwrap_err();
        assert!(err.to_string().contains("tool #2"), "{err}");
        assert!(matches!(
            load(Path::new("/nonexistent/x.json")),
            Err(ToolsFileError::File(JsonFileError::Read { .. }))
        ));
    }
}
