//! Model-written TypeScript → JavaScript for the sandbox, with swc.
//!
//! Two program shapes are accepted: a function body using top-level `await`
//! and `return`, or a single `async () => { ... }` expression (which is
//! called). Both become `(async () => { ... })()`, whose promise is the result.
//! Before anything runs, calls to functions the API does not have are
//! reported, so a typo costs no partial side effects.
//!
//! A program is untrusted input to a compiler that recurses on nesting and
//! has super-linear corners, so compiling is bounded: the text's size, its
//! nesting before parsing (`nesting`), and the syntax tree's depth before any
//! transform are checked, and [`compile_bounded`] runs the compiler on a
//! thread of its own, off the async runtime and under the caller's deadline.

pub mod culprit;
mod nesting;
mod refusals;
mod survey;
mod threads;

/// A stack on which programs up to [`COMPILE_HERE_BYTES`] compile without a
/// hand-off: give the async runtime's threads this much.
pub const THREAD_STACK: usize = 2 * COMPILE_STACK_NEEDED;

use std::sync::Arc;

use codemode_sandbox::Binding;
use swc_common::comments::SingleThreadedComments;
use swc_common::sync::Lrc;
use swc_common::{BytePos, FileName, GLOBALS, Globals, LineCol, Mark, SourceMap, Span, Spanned};
use swc_ecma_ast::{
    ArrowExpr, ArrowFunctionBody, AwaitExpr, CallExpr, Callee, EsVersion, Expr, ExprStmt, Program,
    ReturnStmt, Script, Stmt,
};
use swc_ecma_codegen::text_writer::JsWriter;
use swc_ecma_codegen::{Config, Emitter};
use swc_ecma_parser::error::SyntaxError;
use swc_ecma_parser::{Parser, StringInput, Syntax, TsSyntax};
use swc_ecma_transforms_base::fixer::fixer;
use swc_ecma_transforms_base::hygiene::hygiene;
use swc_ecma_transforms_base::resolver;

pub use refusals::Refusals;

/// What goes around the user's code: one line before it, so user line N is
/// wrapped line N + 1.
const PREFIX: &str = "(async () => {\n";
const SUFFIX: &str = "\n})()";

/// How deeply expressions, statements, patterns and types may nest in the
/// syntax tree. Real programs stay under 50; every pass of the compiler
/// recurses once per level, and one (TypeScript's constant folding) is
/// quadratic in a chain's length, so the bound also bounds their cost: a
/// `+` chain of 127 template literals compiles in under 2 ms.
pub const MAX_NESTING: u32 = 128;

/// Programs up to this size compile on the calling thread: within the
/// nesting bounds, even one crafted to be slow compiles in about 2 ms, less
/// than handing it to another thread and back costs on a busy machine.
/// Larger ones go to a compiler thread, off the async runtime.
const COMPILE_HERE_BYTES: usize = 4 << 10;

/// The stack compiling needs within the nesting bounds, unoptimized frames
/// included; a thread with less hands the program to a compiler thread.
const COMPILE_STACK_NEEDED: usize = 8 << 20;

/// The bound on the text scan's estimate, which counts every operator and
/// keyword on a level and so runs higher than the tree's depth.
const MAX_ESTIMATED_NESTING: u32 = 2 * MAX_NESTING;

/// JavaScript ready for the sandbox, and how to find the TypeScript
/// position of a JavaScript one.
#[derive(Debug)]
pub struct Compiled {
    pub js: String,
    /// The program throws or rejects with `null` itself somewhere. QuickJS
    /// throws `null` when it runs out of memory while making an error, so
    /// without this an uncaught `null` means the memory limit was hit.
    pub throws_null: bool,
    /// For each generated line (0-based), the user's TypeScript line (1-based).
    line_map: Vec<Option<u32>>,
    /// Where generated tokens start (0-based line and column) and the
    /// TypeScript line and column (1-based) they came from, in order.
    token_map: Vec<((u32, u32), (u32, u32))>,
}

impl Compiled {
    /// The TypeScript line for a 1-based line of the generated JavaScript.
    pub fn ts_line(&self, js_line: u32) -> Option<u32> {
        let index = js_line.checked_sub(1)? as usize;
        // Synthesized code has no position; use the nearest line before it.
        self.line_map
            .get(..=index.min(self.line_map.len().saturating_sub(1)))?
            .iter()
            .rev()
            .find_map(|l| *l)
    }

    /// The TypeScript line and column for a 1-based position in the
    /// generated JavaScript: those of the token that starts there, or of
    /// the nearest one before it on its line.
    pub fn ts_position(&self, js_line: u32, js_column: u32) -> Option<(u32, u32)> {
        let at = (js_line.checked_sub(1)?, js_column.checked_sub(1)?);
        let after = self
            .token_map
            .partition_point(|(generated, _)| *generated <= at);
        let (generated, ts) = self.token_map.get(after.checked_sub(1)?)?;
        (generated.0 == at.0).then_some(*ts)
    }
}

/// A program that cannot run: a syntax error, a call to a function that
/// does not exist, or a program too big or too deep to compile. Lines and
/// columns are 1-based, in the user's TypeScript.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}{}", at(*line, *column))]
pub struct CompileError {
    pub kind: CompileErrorKind,
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The size limit in bytes the program is over, when that is why it
    /// cannot run: the one limit here its host can raise.
    pub size_limit: Option<usize>,
}

fn at(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompileErrorKind {
    Syntax,
    UnknownFunction,
    /// Too big or too deeply nested to compile.
    Limit,
}

impl CompileErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CompileErrorKind::Syntax => "syntax",
            CompileErrorKind::UnknownFunction => "unknown_function",
            CompileErrorKind::Limit => "limit",
        }
    }
}

impl CompileError {
    fn limit(message: String, (line, column): (u32, u32)) -> CompileError {
        CompileError {
            kind: CompileErrorKind::Limit,
            message,
            line: Some(line),
            column: Some(column),
            size_limit: None,
        }
    }
}

/// What a program may call, for the check before it runs.
pub struct Known<'a> {
    pub bindings: &'a [Binding],
    pub refusals: &'a Refusals,
}

/// Compiles within the bounds, on a stack big enough for any program they let
/// through: small programs on the calling thread when its stack allows
/// (codemode's runtime threads have [`THREAD_STACK`]), others on a compiler
/// thread, off the async runtime. `None` when the compiler could not run (no
/// thread could be started) or failed (a panic).
pub async fn compile_bounded(
    code: Arc<str>,
    bindings: Arc<[Binding]>,
    refusals: Arc<Refusals>,
    max_bytes: usize,
) -> Option<Result<Compiled, CompileError>> {
    // Refused before a thread is spent on it.
    if let Err(error) = check_size(&code, max_bytes) {
        return Some(Err(error));
    }
    let known = Known {
        bindings: &bindings,
        refusals: &refusals,
    };
    if code.len() <= COMPILE_HERE_BYTES
        && stacker::remaining_stack().is_some_and(|room| room >= COMPILE_STACK_NEEDED)
    {
        return Some(compile(&code, &known, max_bytes));
    }
    let (done, result) = tokio::sync::oneshot::channel();
    let queued = threads::run(move || {
        let known = Known {
            bindings: &bindings,
            refusals: &refusals,
        };
        let _ = done.send(compile(&code, &known, max_bytes));
    });
    if !queued {
        return None;
    }
    result.await.ok()
}

fn check_size(code: &str, max_bytes: usize) -> Result<(), CompileError> {
    if code.len() <= max_bytes {
        return Ok(());
    }
    Err(CompileError {
        kind: CompileErrorKind::Limit,
        message: format!(
            "the program is {} bytes; at most {max_bytes} bytes are compiled",
            code.len()
        ),
        line: None,
        column: None,
        size_limit: Some(max_bytes),
    })
}

/// Strips types, checks calls against what is known, and wraps the program.
///
/// Runs on the calling thread, which needs a large stack (see
/// [`compile_bounded`]).
pub fn compile(code: &str, known: &Known, max_bytes: usize) -> Result<Compiled, CompileError> {
    check_size(code, max_bytes)?;
    let code = &*lone_returns_as_newlines(code);
    if let Err(refused) = nesting::check(code, MAX_ESTIMATED_NESTING) {
        return Err(match refused {
            nesting::Refused::TooDeep { at } => CompileError::limit(
                format!(
                    "the program nests too deeply here: brackets, operators and keywords reach more than {MAX_ESTIMATED_NESTING} levels; split long expressions and deeply nested code into smaller pieces"
                ),
                line_column(code, at),
            ),
            nesting::Refused::TooAmbiguous { at } => CompileError::limit(
                "the program has too many places here that read two ways (a `/` that may divide or start a regular expression); add parentheses or semicolons".to_owned(),
                line_column(code, at),
            ),
        });
    }
    GLOBALS.set(&Globals::new(), || compile_inner(code, known))
}

/// `code` with each `\r` not before a `\n` made a `\n`: JavaScript and
/// editors end a line at either, swc's positions count only `\n`, and the
/// two are the same to a program (a template literal reads both as `\n`).
/// Both are one byte, so every byte offset stays where it was.
fn lone_returns_as_newlines(code: &str) -> std::borrow::Cow<'_, str> {
    if !code.contains('\r') {
        return code.into();
    }
    let bytes = code.as_bytes();
    code.char_indices()
        .map(|(at, c)| match c {
            '\r' if bytes.get(at + 1) != Some(&b'\n') => '\n',
            c => c,
        })
        .collect::<String>()
        .into()
}

/// The 1-based line and column (in UTF-16 units, as every position given
/// to a program) of byte `at` of `code`.
fn line_column(code: &str, at: usize) -> (u32, u32) {
    let before = &code[..at.min(code.len())];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .encode_utf16()
        .count()
        + 1;
    (line as u32, column as u32)
}

fn compile_inner(code: &str, known: &Known) -> Result<Compiled, CompileError> {
    let cm: Lrc<SourceMap> = Default::default();
    let wrapped = format!("{PREFIX}{code}{SUFFIX}");
    let file = cm.new_source_file(Lrc::new(FileName::Anon), wrapped);
    let user_lines = code.lines().count().max(1) as u32;
    let position = |pos: BytePos| {
        let loc = cm.lookup_char_pos(pos);
        // Errors found at the closing wrapper (an unclosed brace) belong to the last user line.
        let line = (loc.line as u32).saturating_sub(1).clamp(1, user_lines);
        // In UTF-16 units (swc's `CharPos`), as the culprit finder and
        // editors count: `col_display` is a width on screen (a tab is 4, a
        // wide character 2), not a place in the text.
        (line, loc.col.0 as u32 + 1)
    };
    let syntax_error = |span: Span, message: String| {
        let (line, column) = position(span.lo);
        CompileError {
            kind: CompileErrorKind::Syntax,
            message,
            line: Some(line),
            column: Some(column),
            size_limit: None,
        }
    };
    let parse_error = |error: swc_ecma_parser::error::Error| {
        let message = match error.kind() {
            SyntaxError::ImportExportInScript => "a program cannot import modules (nor export): the servers' tools are already in scope as the namespaces' functions, and the sandbox has no network or files".into(),
            kind => kind.msg().into_owned(),
        };
        syntax_error(error.span(), message)
    };

    let comments = SingleThreadedComments::default();
    let syntax = Syntax::Typescript(TsSyntax {
        ..Default::default()
    });
    let mut parser = Parser::new(syntax, StringInput::from(&*file), Some(&comments));
    let script = parser.parse_script().map_err(parse_error)?;
    if let Some(e) = parser.take_errors().into_iter().next() {
        return Err(parse_error(e));
    }
    if let Some(end) = outside_the_wrapper(&script) {
        return Err(syntax_error(
            Span::new(end, end),
            "a `}` here closes the function the program runs in, and code goes on after it; remove the extra `}` (a program is the body of an async function)".into(),
        ));
    }
    let survey = survey::survey(&script, known, MAX_NESTING);
    if let Some(span) = survey.too_deep {
        return Err(CompileError::limit(
            format!(
                "the program nests too deeply here: expressions, statements and types reach more than {MAX_NESTING} levels; split long expressions (such as a long chain of +) and deeply nested code into smaller pieces"
            ),
            position(span.lo),
        ));
    }
    if let Some((span, message)) = survey.unknown_call {
        let (line, column) = position(span.lo);
        return Err(CompileError {
            kind: CompileErrorKind::UnknownFunction,
            message,
            line: Some(line),
            column: Some(column),
            size_limit: None,
        });
    }
    let throws_null = survey.throws_null;
    let script = call_single_function(script);

    let unresolved_mark = Mark::new();
    let top_level_mark = Mark::new();
    let program = Program::Script(script)
        .apply(resolver(unresolved_mark, top_level_mark, true))
        .apply(swc_ecma_transforms_typescript::strip(
            unresolved_mark,
            top_level_mark,
        ))
        .apply(hygiene())
        .apply(fixer(Some(&comments)));

    let mut buf = Vec::new();
    let mut mappings: Vec<(BytePos, LineCol)> = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: Config::default().with_target(EsVersion::Es2022),
            cm: cm.clone(),
            comments: None,
            wr: JsWriter::new(cm.clone(), "\n", &mut buf, Some(&mut mappings)),
        };
        emitter.emit_program(&program).map_err(|e| CompileError {
            kind: CompileErrorKind::Syntax,
            message: format!("cannot generate JavaScript: {e}"),
            line: None,
            column: None,
            size_limit: None,
        })?;
    }
    let js = String::from_utf8(buf).expect("swc emits UTF-8");

    let generated_lines = js.lines().count().max(1);
    let mut line_map: Vec<Option<u32>> = vec![None; generated_lines];
    let mut token_map = Vec::with_capacity(mappings.len());
    for (pos, at) in mappings {
        if pos.is_dummy() {
            continue;
        }
        let (line, column) = position(pos);
        if let Some(slot) = line_map.get_mut(at.line as usize) {
            *slot = Some(slot.map_or(line, |l| l.min(line)));
        }
        token_map.push(((at.line, at.col), (line, column)));
    }
    // Tokens are emitted in order; a stable sort keeps the first of a position.
    token_map.sort_by_key(|(generated, _)| *generated);
    token_map.dedup_by_key(|(generated, _)| *generated);
    Ok(Compiled {
        js,
        throws_null,
        line_map,
        token_map,
    })
}

/// `async () => { ... }` alone (Cloudflare's form) is called, and its
/// result returned.
fn call_single_function(mut script: Script) -> Script {
    let Some(body) = wrapper_body(&mut script) else {
        return script;
    };
    if let [Stmt::Expr(ExprStmt { expr, span })] = body.as_mut_slice() {
        let function = unparen(expr);
        if matches!(function, Expr::Arrow(_) | Expr::Fn(_)) {
            let call = Expr::Call(CallExpr {
                callee: Callee::Expr(Box::new(Expr::Paren(swc_ecma_ast::ParenExpr {
                    span: *span,
                    expr: Box::new(function.clone()),
                }))),
                span: *span,
                ..Default::default()
            });
            let ret = Stmt::Return(ReturnStmt {
                span: *span,
                arg: Some(Box::new(Expr::Await(AwaitExpr {
                    span: *span,
                    arg: Box::new(call),
                }))),
            });
            *body = vec![ret];
        }
    }
    script
}

/// Where the program closed the function it is wrapped in and went on
/// outside it (`}); more(); (() => {`), if it did: its value would then be
/// whatever came last, not the wrapper's promise.
fn outside_the_wrapper(script: &Script) -> Option<BytePos> {
    let first = match script.body.first() {
        Some(Stmt::Expr(ExprStmt { expr, .. })) => &**expr,
        other => return Some(other.map_or(script.span, Spanned::span).lo),
    };
    let whole = script.body.len() == 1
        && matches!(first, Expr::Call(CallExpr { callee: Callee::Expr(callee), .. })
            if matches!(&**callee, Expr::Paren(paren) if matches!(&*paren.expr, Expr::Arrow(arrow) if arrow.is_async)));
    if whole {
        return None;
    }
    // The wrapper's own arrow is the leftmost expression: the `}` that ends
    // its body is the program's.
    let mut leftmost = first;
    loop {
        leftmost = match leftmost {
            Expr::Call(CallExpr {
                callee: Callee::Expr(callee),
                ..
            }) => callee,
            Expr::Paren(paren) => &paren.expr,
            Expr::Seq(seq) => &seq.exprs[0],
            Expr::Bin(bin) => &bin.left,
            Expr::Member(member) => &member.obj,
            Expr::Cond(cond) => &cond.test,
            Expr::Arrow(arrow) => return Some(arrow.body.span().hi - BytePos(1)),
            _ => return Some(first.span().lo),
        };
    }
}

/// The statements inside `(async () => { ... })()`.
fn wrapper_body(script: &mut Script) -> Option<&mut Vec<Stmt>> {
    let [Stmt::Expr(ExprStmt { expr, .. })] = script.body.as_mut_slice() else {
        return None;
    };
    let Expr::Call(CallExpr {
        callee: Callee::Expr(callee),
        ..
    }) = &mut **expr
    else {
        return None;
    };
    let Expr::Paren(paren) = &mut **callee else {
        return None;
    };
    let Expr::Arrow(ArrowExpr { body, .. }) = &mut *paren.expr else {
        return None;
    };
    match &mut **body {
        ArrowFunctionBody::FunctionBody(block) => Some(&mut block.stmts),
        ArrowFunctionBody::Expr(_) => None,
    }
}

pub(crate) fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codemode_typegen::Api;
    use serde_json::json;

    /// Without policy refusals, within the default size limit.
    fn compile(code: &str, api: &Api) -> Result<Compiled, CompileError> {
        let bindings = Binding::all(api);
        let known = Known {
            bindings: &bindings,
            refusals: &Refusals::default(),
        };
        // Tests run on threads with small stacks; so does nothing in codemode.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(threads::STACK)
                .spawn_scoped(scope, || super::compile(code, &known, 256 << 10))
                .unwrap()
                .join()
                .unwrap()
        })
    }

    fn api() -> Api {
        Api::new(vec![(
            "demo".into(),
            vec![
                json!({"name": "list_issues"}),
                json!({"name": "get-issue"}),
                json!({"name": "create_issue"}),
            ],
        )])
    }

    fn js(code: &str) -> String {
        compile(code, &api()).unwrap_or_else(|e| panic!("{e}")).js
    }

    #[test]
    fn a_program_that_closes_the_function_it_runs_in_is_refused() {
        // Its value would have been the last expression's, not a promise:
        // the sandbox took that for its own failure.
        for (code, line, column) in [
            ("})(); (() => {", 1, 1),
            ("return 1; })(), (() => {", 1, 11),
            ("const a = 1;\n  }) && (() => {", 2, 3),
            ("})(); 5; (async () => {", 1, 1),
        ] {
            let error = compile(code, &api()).unwrap_err();
            assert_eq!(error.kind, CompileErrorKind::Syntax, "{code}");
            assert!(
                error
                    .message
                    .contains("closes the function the program runs in"),
                "{code}: {error}"
            );
            assert_eq!(
                (error.line, error.column),
                (Some(line), Some(column)),
                "{code}"
            );
        }
        // Its own functions and blocks are its business.
        assert!(js("const f = () => { return 1; };\n{ }\nreturn f();").contains("return f()"));
    }

    #[test]
    fn strips_typescript_constructs() {
        let out = js(r#"
interface Issue { id: string; points?: number }
type Id = string;
enum Level { Low = 1, High }
const ids: Id[] = ["a"] as string[];
function total<T extends Issue>(items: T[]): number { return items.reduce((s, i) => s + (i.points ?? 0), 0); }
const first = ids[0]!;
const cfg = { a: 1 } satisfies Record<string, number>;
const { a, ...rest } = cfg;
let maybe: Issue | undefined;
const p = maybe?.points;
return `${first}:${total([{ id: "x", points: 2 }])}:${Level.High}:${a}:${p}`;
"#);
        for gone in [
            "interface",
            "type Id",
            ": number",
            "as string[]",
            "satisfies",
            "<T extends",
            "!;",
        ] {
            assert!(!out.contains(gone), "{gone} left in:\n{out}");
        }
        assert!(out.starts_with("(async ()=>{"), "{out}");
        assert!(out.contains("Level"), "enums become objects:\n{out}");
        assert!(out.contains("?.points"), "{out}");
    }

    #[test]
    fn single_async_arrow_is_called() {
        let out = js("async () => {\n  return 42;\n}");
        assert!(out.contains("return await (async ()=>{"), "{out}");
        let out = js("(async function main() { return 1 })");
        assert!(out.contains("return await async function main()"), "{out}");
        // Two statements: a body, not a function to call.
        let out = js("const f = async () => 1;\nreturn f();");
        assert!(!out.contains("return await"), "{out}");
    }

    #[test]
    fn syntax_errors_point_into_the_typescript() {
        let err = compile("const a = 1;\nconst b = ;\n", &api()).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::Syntax);
        assert_eq!((err.line, err.column), (Some(2), Some(11)), "{err}");
        let err = compile("if (x) {\n  return 1;\n", &api()).unwrap_err();
        assert_eq!(
            err.line,
            Some(2),
            "an unclosed brace is reported on the last line: {err}"
        );
        let err = compile("import fs from 'fs';\nreturn 1;", &api()).unwrap_err();
        assert_eq!(err.line, Some(1), "{err}");
        assert!(
            err.message.starts_with("a program cannot import modules"),
            "{err}"
        );
    }

    #[test]
    fn unknown_functions_are_reported_before_running() {
        let err = compile("const x = 1;\nawait demo.list_issue({});", &api()).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::UnknownFunction);
        assert_eq!(
            err.message,
            "demo.list_issue is not a function of the demo API; did you mean demo.list_issues?"
        );
        assert_eq!((err.line, err.column), (Some(2), Some(12)));
        let err = compile("await demo['nothing_like_it']();", &api()).unwrap_err();
        assert_eq!(
            err.message,
            "demo.nothing_like_it is not a function of the demo API; its functions are list_issues, get_issue, create_issue"
        );
        let err = compile("await demo.issues();", &api()).unwrap_err();
        assert!(
            err.message.ends_with("did you mean demo.list_issues?"),
            "{}",
            err.message
        );
        // Original names and identifiers both exist.
        assert!(
            compile(
                "await demo['get-issue']({}); await demo.get_issue({});",
                &api()
            )
            .is_ok()
        );
        // Other objects are not checked.
        assert!(compile("const o = { f() {} }; o.g?.(); JSON.parse('1');", &api()).is_ok());
    }

    #[test]
    fn a_namespace_called_as_a_function_is_caught_unless_the_program_declares_it() {
        let err = compile("const r = await demo({ project: 'WEB' });", &api()).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::UnknownFunction);
        assert!(
            err.message.starts_with("demo is a namespace (the demo server's tools), not a function; call one of its functions, such as demo."),
            "{}",
            err.message
        );
        assert_eq!((err.line, err.column), (Some(1), Some(17)));
        // The program's own `demo` (hoisted or not) is its business.
        assert!(compile("const demo = (x: number) => x; return demo(1);", &api()).is_ok());
        assert!(
            compile(
                "return demo(1);
function demo(x: number) { return x; }",
                &api()
            )
            .is_ok()
        );
        assert!(compile("return [1].map((demo) => demo(2));", &api()).is_ok());
    }

    #[test]
    fn generated_lines_map_back_to_typescript_lines() {
        let code =
            "type T = { a: number };\n\nconst x: T = { a: 1 };\nthrow new Error('boom ' + x.a);";
        let compiled = compile(code, &api()).unwrap();
        let js_line = |needle: &str| {
            compiled
                .js
                .lines()
                .position(|l| l.contains(needle))
                .unwrap() as u32
                + 1
        };
        assert_eq!(
            compiled.ts_line(js_line("throw")),
            Some(4),
            "{}",
            compiled.js
        );
        assert_eq!(compiled.ts_line(js_line("const x")), Some(3));
    }

    #[test]
    fn generated_positions_map_back_to_typescript_columns() {
        let code = "const n: number = 1;\n  const s: string = `${n}`; return s.trim();";
        let compiled = compile(code, &api()).unwrap();
        let (line, text) = compiled
            .js
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains("s.trim"))
            .unwrap();
        let column = text.find("s.trim").unwrap() as u32 + 1;
        // `s` of `s.trim` is at column 36 of the TypeScript's second line.
        assert_eq!(
            compiled.ts_position(line as u32 + 1, column),
            Some((2, 36)),
            "{}",
            compiled.js
        );
        // A position within a token is the token's.
        assert_eq!(
            compiled.ts_position(line as u32 + 1, column + 1),
            Some((2, 36))
        );
        assert_eq!(compiled.ts_position(0, 1), None);
        assert_eq!(compiled.ts_position(999, 1), None);
    }

    #[test]
    fn throwing_null_is_noticed() {
        for code in [
            "throw null;",
            "return Promise.reject(null);",
            "await new Promise((_, reject) => reject((null)));",
        ] {
            assert!(compile(code, &api()).unwrap().throws_null, "{code}");
        }
        for code in [
            "throw new Error('x');",
            "return Promise.reject(new Error('x'));",
            "const a = null; return a;",
        ] {
            assert!(!compile(code, &api()).unwrap().throws_null, "{code}");
        }
    }

    /// Nesting constructs: `prefix`, then `open` n times, `inner`, `close` n times.
    const NESTINGS: &[(&str, &str, &str, &str)] = &[
        ("return ", "(", "1", ")"),
        ("return ", "[", "1", "]"),
        ("return ", "{a:", "1", "}"),
        ("return ", "!", "1", ""),
        ("return ", "-", "1", ""),
        ("return ", "typeof ", "1", ""),
        ("return ", "await ", "1", ""),
        ("return ", "<T>", "1", ""),
        ("let a; ", "a=", "1", ""),
        ("return ", "a?1:", "1", ""),
        ("return ", "(()=>", "1", ")"),
        ("return ", "<T,>() => ", "1", ""),
        ("return ", "`${", "1", "}`"),
        ("let a: ", "Array<", "number", ">"),
        ("let a: ", "{a:", "number", "}"),
        ("let a: ", "keyof ", "T", ""),
        ("", "{", "", "}"),
        ("", "if(a)", "1", ""),
        ("", "while(a)\n", "1", ""),
        ("", "for(;;)\n", "1", ""),
        ("", "do\n", "1", "\nwhile(a)"),
        ("", "a:\n", "1", ""),
        ("if(a)1;", "else if(a)\n", "1", ""),
        ("", "with(a)\n", "1", ""),
        ("return 1", "+1", "", ""),
        ("return a", ".b", "", ""),
        ("return a", "()", "", ""),
        ("return 1", "**1", "", ""),
    ];

    fn nested(&(prefix, open, inner, close): &(&str, &str, &str, &str), n: usize) -> String {
        format!("{prefix}{}{inner}{};", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn deep_programs_are_refused_as_limits_not_crashes() {
        for construct in NESTINGS {
            // Far past any stack: refused before the parser recurses.
            let code = nested(construct, 20_000);
            let err = compile(&code, &api()).expect_err(&code[..40]);
            assert_eq!(err.kind, CompileErrorKind::Limit, "{}: {err}", &code[..40]);
            assert!(err.message.contains("nests too deeply"), "{err}");
            assert!(err.line.is_some(), "{err}");
        }
        // Just under what the scan lets through, every construct compiles or
        // is refused; none overflows the compiler thread's stack.
        for construct in NESTINGS {
            let code = nested(construct, MAX_ESTIMATED_NESTING as usize - 4);
            if let Err(err) = compile(&code, &api()) {
                assert_ne!(err.kind, CompileErrorKind::UnknownFunction, "{err}");
            }
        }
    }

    #[test]
    fn nesting_within_the_limit_compiles() {
        let code = nested(&NESTINGS[0], 100);
        assert!(compile(&code, &api()).is_ok());
        let sum = format!("return 1{};", "+1".repeat(100));
        assert!(compile(&sum, &api()).is_ok());
        // A long chain is refused by the depth of its tree, naming the line.
        let long = format!("const a = 1;\nconst s = `x`{};", " + `x`".repeat(150));
        let err = compile(&long, &api()).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::Limit);
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("more than 128 levels"), "{err}");
    }

    #[test]
    fn the_size_limit_is_checked_first() {
        let bindings = Binding::all(&api());
        let known = Known {
            bindings: &bindings,
            refusals: &Refusals::default(),
        };
        let err = super::compile(&"x;".repeat(600), &known, 1000).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::Limit);
        assert_eq!(
            err.message,
            "the program is 1200 bytes; at most 1000 bytes are compiled"
        );
        assert_eq!(err.size_limit, Some(1000));
        assert_eq!(err.line, None);
    }

    #[test]
    fn the_examples_are_far_from_the_limits() {
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")).unwrap()
        {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ts") {
                let code = std::fs::read_to_string(&path).unwrap();
                assert!(nesting::check(&code, 32).is_ok(), "{}", path.display());
            }
        }
    }

    #[tokio::test]
    async fn compile_bounded_runs_off_the_callers_thread() {
        // A tokio test thread has a small stack; 400 parentheses would overflow it.
        let code: Arc<str> = nested(&NESTINGS[0], 400).into();
        let bindings: Arc<[Binding]> = Binding::all(&api()).into();
        let compiled = compile_bounded(code, bindings.clone(), Arc::default(), 1 << 20)
            .await
            .expect("a compiler thread");
        assert_eq!(compiled.unwrap_err().kind, CompileErrorKind::Limit);
        let compiled = compile_bounded("return 1;".into(), bindings, Arc::default(), 1 << 20)
            .await
            .expect("a compiler thread")
            .unwrap();
        assert!(compiled.js.contains("return 1"));
    }

    mod soundness {
        use super::*;
        use proptest::prelude::*;

        /// Fragments that make the text read two ways: a `/` after a closer
        /// (division or a regular expression), quotes and backticks that one
        /// reading takes for literals, escapes, comments and line breaks.
        const AMBIGUOUS: &[&str] = &[
            "(a) / ",
            "(a) / '",
            "if (a) /",
            "if (a) /'/;",
            "} /",
            "x! / ",
            "x! /",
            "a++ / ",
            "a++ /",
            "f<T>(x) / ",
            "x = /'/; ",
            "x = '/'; ",
            "`${",
            "a / `",
            "/* ",
            "*/ ",
            "// \n",
            "'a\\\n",
            "return /",
            "typeof /",
            "\n",
            "a\n",
            "; ",
            "x = y\n",
            "while (a)\n",
            "a:\n",
            "/[/]/ ",
        ];

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

            /// Whatever the text, when the scan accepts it at a low limit, the
            /// parser's recursion fits a stack sized for that limit (with room
            /// for unoptimized frames): an estimate too low would overflow and
            /// abort the test.
            #[test]
            fn accepted_programs_fit_the_stack_the_estimate_allows(
                before in proptest::collection::vec(proptest::sample::select(AMBIGUOUS), 0..6),
                deep in proptest::sample::select(&["(", "[", "{", "!", "typeof ", "a=", "`${"][..]),
                times in 0usize..400,
                after in proptest::collection::vec(proptest::sample::select(AMBIGUOUS), 0..6),
            ) {
                // Random pieces around a deep run: a wrong reading of the
                // pieces before it could hide the run from the scan.
                let code = format!("{}{}{}", before.concat(), deep.repeat(times), after.concat());
                if nesting::check(&code, 40).is_ok() {
                    let api = api();
                    let bindings = Binding::all(&api);
                    let known = Known { bindings: &bindings, refusals: &Refusals::default() };
                    std::thread::scope(|scope| {
                        std::thread::Builder::new()
                            .stack_size(4 << 20)
                            .spawn_scoped(scope, || {
                                let _ = GLOBALS.set(&Globals::new(), || compile_inner(&code, &known));
                            })
                            .unwrap()
                            .join()
                            .unwrap()
                    });
                }
            }

            /// Whatever closes what, a program that compiles is one call of
            /// the async wrapper: the sandbox runs it for its promise.
            #[test]
            fn compiled_programs_are_the_wrapper_alone(
                before in proptest::sample::select(&["", "x;", "return 1;", "const a = 1;\n"][..]),
                close in proptest::sample::select(&["})", "})()", "}).x", "}))", "}", "})(); ", "}) &&", "})() ||"][..]),
                // No operator before an arrow's parameter after a `,` (`, && x =>`):
                // swc's parser fails a debug assertion on it (not in release).
                between in proptest::collection::vec(proptest::sample::select(&[
                    "()", "(5)", ";", ",", "?", ":", ".x", "5", "\n", "(", ")",
                ][..]), 0..4),
                open in proptest::sample::select(&[
                    "(() => {", "(async () => {", "((x) => {", "(function () {", "{", "x => {", "",
                ][..]),
            ) {
                let pieces = [before, close, &between.join(" "), open];
                let code = pieces.join(" ");
                if let Ok(compiled) = compile(&code, &api()) {
                    let cm: Lrc<SourceMap> = Default::default();
                    let file = cm.new_source_file(Lrc::new(FileName::Anon), compiled.js.clone());
                    let script = Parser::new(Syntax::Es(Default::default()), StringInput::from(&*file), None)
                        .parse_script();
                    let script = script.map_err(|e| format!("{e:?}")).unwrap();
                    prop_assert_eq!(outside_the_wrapper(&script), None, "{} compiled to {}", code, compiled.js);
                }
            }
        }
    }
}
