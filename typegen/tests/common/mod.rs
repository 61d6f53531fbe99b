//! Helpers shared by typegen's integration tests.

use std::path::PathBuf;

use swc_common::BytePos;
use swc_ecma_parser::{Parser, StringInput, Syntax, TsSyntax};

/// Parses `source` as a TypeScript declaration file; `Err` lists every syntax error.
pub(crate) fn parse_dts(source: &str) -> Result<(), String> {
    let syntax = Syntax::Typescript(TsSyntax {
        dts: true,
        ..Default::default()
    });
    let input = StringInput::new(source, BytePos(1), BytePos(1 + source.len() as u32));
    let mut parser = Parser::new(syntax, input, None);
    let result = parser.parse_module();
    let mut errors: Vec<String> = parser
        .take_errors()
        .into_iter()
        .map(|e| {
            format!(
                "{:?}: {}",
                swc_common::Spanned::span(&e).lo.0,
                e.kind().msg()
            )
        })
        .collect();
    if let Err(e) = result {
        errors.push(format!(
            "{:?}: {}",
            swc_common::Spanned::span(&e).lo.0,
            e.kind().msg()
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// The repository's `fixtures/` directory.
#[allow(dead_code)] // not every test binary uses it
pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}
