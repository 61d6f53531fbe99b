//! Model-written TypeScript → JavaScript for the sandbox, with swc.
//!
//! Two program shapes are accepted: a function body using top-level `await`
//! and `return`, or a single `async () => { ... }` expression (which is
//! called). Both become `(async () => { ... })()`, whose promise is the result.
//! Before anything runs, calls to functions the API does not have are
//! reported, so a typo costs no partial side effects.

use codemode_typegen::Api;
use swc_common::comments::SingleThreadedComments;
use swc_common::sync::Lrc;
use swc_common::{BytePos, FileName, GLOBALS, Globals, LineCol, Mark, SourceMap, Span, Spanned};
use swc_ecma_ast::{
    ArrowExpr, ArrowFunctionBody, AwaitExpr, CallExpr, Callee, EsVersion, Expr, ExprStmt,
    MemberProp, Program, ReturnStmt, Script, Stmt,
};
use swc_ecma_codegen::text_writer::JsWriter;
use swc_ecma_codegen::{Config, Emitter};
use swc_ecma_parser::{Parser, StringInput, Syntax, TsSyntax};
use swc_ecma_transforms_base::fixer::fixer;
use swc_ecma_transforms_base::hygiene::hygiene;
use swc_ecma_transforms_base::resolver;
use swc_ecma_visit::{Visit, VisitWith};

use crate::policy::Refusals;
use crate::suggest::did_you_mean;

/// What goes around the user's code: one line before it, so user line N is
/// wrapped line N + 1.
const PREFIX: &str = "(async () => {\n";
const SUFFIX: &str = "\n})()";

/// JavaScript ready for the sandbox, and how to find the TypeScript line of
/// a JavaScript line.
#[derive(Debug)]
pub struct Compiled {
    pub js: String,
    /// For each generated line (0-based), the user's TypeScript line (1-based).
    line_map: Vec<Option<u32>>,
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
}

/// A program that cannot run: a syntax error, or a call to a function that
/// does not exist. Lines and columns are 1-based, in the user's TypeScript.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct CompileError {
    pub kind: CompileErrorKind,
    pub message: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompileErrorKind {
    Syntax,
    UnknownFunction,
}

impl CompileErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CompileErrorKind::Syntax => "syntax",
            CompileErrorKind::UnknownFunction => "unknown_function",
        }
    }
}

/// Strips types, checks calls against `api`, and wraps the program.
pub fn compile(code: &str, api: &Api, refusals: &Refusals) -> Result<Compiled, CompileError> {
    GLOBALS.set(&Globals::new(), || compile_inner(code, api, refusals))
}

fn compile_inner(code: &str, api: &Api, refusals: &Refusals) -> Result<Compiled, CompileError> {
    let cm: Lrc<SourceMap> = Default::default();
    let wrapped = format!("{PREFIX}{code}{SUFFIX}");
    let file = cm.new_source_file(Lrc::new(FileName::Anon), wrapped);
    let user_lines = code.lines().count().max(1) as u32;
    let position = |pos: BytePos| {
        let loc = cm.lookup_char_pos(pos);
        // Errors found at the closing wrapper (an unclosed brace) belong to the last user line.
        let line = (loc.line as u32).saturating_sub(1).clamp(1, user_lines);
        (line, loc.col_display as u32 + 1)
    };
    let syntax_error = |span: Span, message: String| {
        let (line, column) = position(span.lo);
        CompileError {
            kind: CompileErrorKind::Syntax,
            message,
            line,
            column,
        }
    };

    let comments = SingleThreadedComments::default();
    let syntax = Syntax::Typescript(TsSyntax {
        ..Default::default()
    });
    let mut parser = Parser::new(syntax, StringInput::from(&*file), Some(&comments));
    let script = parser
        .parse_script()
        .map_err(|e| syntax_error(e.span(), e.kind().msg().into_owned()))?;
    if let Some(e) = parser.take_errors().into_iter().next() {
        return Err(syntax_error(e.span(), e.kind().msg().into_owned()));
    }

    check_calls(&script, api, refusals, &position)?;
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
            line: 1,
            column: 1,
        })?;
    }
    let js = String::from_utf8(buf).expect("swc emits UTF-8");

    let generated_lines = js.lines().count().max(1);
    let mut line_map: Vec<Option<u32>> = vec![None; generated_lines];
    for (pos, at) in mappings {
        if pos.is_dummy() {
            continue;
        }
        let (line, _) = position(pos);
        if let Some(slot) = line_map.get_mut(at.line as usize) {
            *slot = Some(slot.map_or(line, |l| l.min(line)));
        }
    }
    Ok(Compiled { js, line_map })
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

fn unparen(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

/// Finds `ns.fn(...)` and `ns["fn"](...)` calls whose function is not in the API.
fn check_calls(
    script: &Script,
    api: &Api,
    refusals: &Refusals,
    position: &dyn Fn(BytePos) -> (u32, u32),
) -> Result<(), CompileError> {
    struct Calls<'a> {
        api: &'a Api,
        refusals: &'a Refusals,
        problem: Option<(Span, String)>,
    }
    impl Visit for Calls<'_> {
        fn visit_call_expr(&mut self, call: &CallExpr) {
            if self.problem.is_none()
                && let Callee::Expr(callee) = &call.callee
                && let Expr::Member(member) = unparen(callee)
                && let Expr::Ident(object) = unparen(&member.obj)
                && let Some(namespace) = self
                    .api
                    .namespaces()
                    .iter()
                    .find(|ns| ns.ident() == &*object.sym)
            {
                let name = match &member.prop {
                    MemberProp::Ident(name) => Some(name.sym.to_string()),
                    MemberProp::Computed(computed) => match &*computed.expr {
                        Expr::Lit(swc_ecma_ast::Lit::Str(s)) => s.value.as_str().map(str::to_owned),
                        _ => None,
                    },
                    MemberProp::PrivateName(_) => None,
                };
                if let Some(name) = name
                    && namespace.function(&name).is_none()
                {
                    let candidates = namespace.functions().iter().map(|f| f.ident());
                    let hint = did_you_mean(&name, candidates)
                        .map(|s| format!("; did you mean {}.{s}?", namespace.ident()))
                        .unwrap_or_else(|| {
                            format!(
                                "; `codemode types --server {}` lists them",
                                namespace.server()
                            )
                        });
                    let message = match self.refusals.reason(namespace.server(), &name) {
                        Some(reason) => {
                            format!("{}.{name} is not available: {reason}", namespace.ident())
                        }
                        None => format!(
                            "{}.{name} is not a function of the {} API{hint}",
                            namespace.ident(),
                            namespace.server()
                        ),
                    };
                    self.problem = Some((member.prop.span(), message));
                }
            }
            call.visit_children_with(self);
        }
    }
    let mut calls = Calls {
        api,
        refusals,
        problem: None,
    };
    script.visit_with(&mut calls);
    match calls.problem {
        None => Ok(()),
        Some((span, message)) => {
            let (line, column) = position(span.lo);
            Err(CompileError {
                kind: CompileErrorKind::UnknownFunction,
                message,
                line,
                column,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Without policy refusals.
    fn compile(code: &str, api: &Api) -> Result<Compiled, CompileError> {
        super::compile(code, api, &Refusals::default())
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
        assert_eq!((err.line, err.column), (2, 11), "{err}");
        let err = compile("if (x) {\n  return 1;\n", &api()).unwrap_err();
        assert_eq!(
            err.line, 2,
            "an unclosed brace is reported on the last line: {err}"
        );
        let err = compile("import fs from 'fs';\nreturn 1;", &api()).unwrap_err();
        assert_eq!(err.line, 1, "{err}");
    }

    #[test]
    fn unknown_functions_are_reported_before_running() {
        let err = compile("const x = 1;\nawait demo.list_issue({});", &api()).unwrap_err();
        assert_eq!(err.kind, CompileErrorKind::UnknownFunction);
        assert_eq!(
            err.message,
            "demo.list_issue is not a function of the demo API; did you mean demo.list_issues?"
        );
        assert_eq!((err.line, err.column), (2, 12));
        let err = compile("await demo['nothing_like_it']();", &api()).unwrap_err();
        assert!(
            err.message.contains("codemode types --server demo"),
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
}
