//! One walk over a parsed program, before anything transforms it: how deeply
//! it nests, the calls it makes to functions the API does not have, and
//! whether it throws `null` itself.

use std::collections::HashSet;
use swc_common::{Span, Spanned};

use codemode_sandbox::Binding;
use codemode_text::suggest::{function_meant, listed};
use swc_ecma_ast::{
    BindingIdent, CallExpr, Callee, ClassDecl, ClassMember, Expr, FnDecl, Lit, MemberProp, Pat,
    Prop, Script, Stmt, ThrowStmt, TsType, TsTypeElement,
};
use swc_ecma_visit::{Visit, VisitWith};

use super::{Known, unparen};

/// What the walk found.
#[derive(Default)]
pub(crate) struct Survey {
    /// Where the tree first nests deeper than the limit.
    pub too_deep: Option<Span>,
    /// The first call to a function the API does not have, and what to say.
    pub unknown_call: Option<(Span, String)>,
    /// `throw null`, `reject(null)` or `Promise.reject(null)` appear.
    pub throws_null: bool,
}

/// Walks `script`, descending no deeper than `limit` levels of expressions,
/// statements, patterns, properties, class members and types, so the walk
/// itself stays within what the rest of the compiler may recurse.
pub(crate) fn survey(script: &Script, known: &Known, limit: u32) -> Survey {
    let mut walk = Walk {
        known,
        depth: 0,
        limit,
        found: Survey::default(),
        declared: HashSet::new(),
        namespace_calls: Vec::new(),
    };
    script.visit_with(&mut walk);
    // `fetch(url)` where `fetch` is a server's namespace, unless the program
    // declares a `fetch` of its own (anywhere: declarations are hoisted).
    if walk.found.unknown_call.is_none()
        && let Some((span, binding)) = walk
            .namespace_calls
            .iter()
            .find(|(_, b)| !walk.declared.contains(&b.ident))
    {
        walk.found.unknown_call = Some((*span, namespace_called(binding)));
    }
    walk.found
}

/// What to say when a namespace is called as a function.
fn namespace_called(binding: &Binding) -> String {
    let ns = &binding.ident;
    let same = binding.functions.iter().find(|(ident, _)| ident == ns);
    let examples: Vec<String> = match same {
        Some((ident, _)) => vec![format!("{ns}.{ident}({{ ... }})")],
        None => binding
            .functions
            .iter()
            .take(3)
            .map(|(ident, _)| format!("{ns}.{ident}({{ ... }})"))
            .collect(),
    };
    match examples.as_slice() {
        [] => format!(
            "{ns} is a namespace (the {} server's tools), not a function",
            binding.server
        ),
        [one] => format!("{ns} is a namespace, not a function; did you mean {one}?"),
        many => format!(
            "{ns} is a namespace (the {} server's tools), not a function; call one of its functions, such as {}",
            binding.server,
            many.join(", ")
        ),
    }
}

struct Walk<'a> {
    known: &'a Known<'a>,
    depth: u32,
    limit: u32,
    found: Survey,
    /// Names the program declares (variables, parameters, functions, classes).
    declared: HashSet<String>,
    /// Calls of the form `ns(...)` where `ns` is a namespace, in order.
    namespace_calls: Vec<(Span, &'a Binding)>,
}

impl Walk<'_> {
    fn enter(&mut self, span: Span, children: impl FnOnce(&mut Self)) {
        if self.found.too_deep.is_some() {
            return;
        }
        if self.depth == self.limit {
            self.found.too_deep = Some(span);
            return;
        }
        self.depth += 1;
        children(self);
        self.depth -= 1;
    }

    /// A call `ns.fn(...)` or `ns["fn"](...)` whose function `ns` lacks.
    fn check_call(&mut self, call: &CallExpr) {
        let Callee::Expr(callee) = &call.callee else {
            return;
        };
        if let Expr::Ident(called) = unparen(callee)
            && let Some(binding) = self.known.bindings.iter().find(|b| b.ident == *called.sym)
            && self.namespace_calls.len() < 8
        {
            self.namespace_calls.push((called.span, binding));
            return;
        }
        let Expr::Member(member) = unparen(callee) else {
            return;
        };
        let Expr::Ident(object) = unparen(&member.obj) else {
            return;
        };
        let Some(binding) = self.known.bindings.iter().find(|b| b.ident == *object.sym) else {
            return;
        };
        let name = match &member.prop {
            MemberProp::Ident(name) => name.sym.to_string(),
            MemberProp::Computed(computed) => match &*computed.expr {
                Expr::Lit(Lit::Str(s)) => match s.value.as_str() {
                    Some(name) => name.to_owned(),
                    None => return,
                },
                _ => return,
            },
            MemberProp::PrivateName(_) => return,
        };
        if binding.function(&name).is_some() {
            return;
        }
        let ns = &binding.ident;
        let message = match self.known.refusals.reason(&binding.server, &name) {
            Some(reason) => format!("{ns}.{name} is not available: {reason}"),
            None => {
                let candidates = binding.functions.iter().map(|(ident, _)| ident.as_str());
                let hint = function_meant(&name, ns, candidates.clone())
                    .map(|s| format!("; did you mean {ns}.{s}?"))
                    .unwrap_or_else(|| format!("; its functions are {}", listed(candidates, 12)));
                format!(
                    "{ns}.{name} is not a function of the {} API{hint}",
                    binding.server
                )
            }
        };
        self.found.unknown_call = Some((member.prop.span(), message));
    }
}

fn is_null(expr: &Expr) -> bool {
    matches!(unparen(expr), Expr::Lit(Lit::Null(_)))
}

impl Visit for Walk<'_> {
    fn visit_expr(&mut self, node: &Expr) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }
    fn visit_stmt(&mut self, node: &Stmt) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }
    fn visit_pat(&mut self, node: &Pat) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }
    fn visit_prop(&mut self, node: &Prop) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }
    fn visit_class_member(&mut self, node: &ClassMember) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }
    fn visit_ts_type(&mut self, node: &TsType) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }
    fn visit_ts_type_element(&mut self, node: &TsTypeElement) {
        self.enter(node.span(), |v| node.visit_children_with(v));
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        if self.found.unknown_call.is_none() {
            self.check_call(call);
        }
        if !self.found.throws_null
            && let Callee::Expr(callee) = &call.callee
        {
            let rejects = match unparen(callee) {
                Expr::Ident(ident) => &*ident.sym == "reject",
                Expr::Member(member) => {
                    matches!(&member.prop, MemberProp::Ident(name) if &*name.sym == "reject")
                }
                _ => false,
            };
            self.found.throws_null =
                rejects && call.args.first().is_some_and(|arg| is_null(&arg.expr));
        }
        call.visit_children_with(self);
    }

    fn visit_binding_ident(&mut self, node: &BindingIdent) {
        self.declared.insert(node.id.sym.to_string());
        node.visit_children_with(self);
    }
    fn visit_fn_decl(&mut self, node: &FnDecl) {
        self.declared.insert(node.ident.sym.to_string());
        node.visit_children_with(self);
    }
    fn visit_class_decl(&mut self, node: &ClassDecl) {
        self.declared.insert(node.ident.sym.to_string());
        node.visit_children_with(self);
    }

    fn visit_throw_stmt(&mut self, node: &ThrowStmt) {
        self.found.throws_null |= is_null(&node.arg);
        node.visit_children_with(self);
    }
}
