//! Naming the expression behind QuickJS's terse runtime errors: it says
//! `TypeError: not a function` and `cannot read property 'x' of undefined`
//! with only a position in the generated JavaScript. The expression at that
//! position (`rows.map`, `r.items`) is what a model needs to fix its program.
//!
//! codemode's QuickJS (see `guest/quickjs.patch`) puts an iteration's or a
//! conversion's position exactly where the value starts: the iterable of a
//! `for…of`, what is spread, a destructuring pattern, a call's first
//! argument. Those are matched exactly; the others by what they read.

use swc_common::sync::Lrc;
use swc_common::{FileName, SourceMap, Span, Spanned};
use swc_ecma_ast::{
    AssignExpr, AssignTarget, AssignTargetPat, CallExpr, Callee, Expr, ExprOrSpread, ForHead,
    ForOfStmt, Lit, MemberExpr, MemberProp, NewExpr, ObjectPatProp, Pat, PropName, VarDeclarator,
};
use swc_ecma_parser::{Parser, StringInput, Syntax};
use swc_ecma_visit::{Visit, VisitWith};

/// What went wrong, as far as naming the culprit goes.
pub enum Failed<'a> {
    /// `TypeError: not a function`.
    NotAFunction,
    /// `cannot read property 'NAME' of undefined|null` (or of a promise).
    Reading(&'a str),
    /// A value that cannot be iterated (`Symbol.iterator` of undefined).
    Iterating,
    /// A value that cannot be made an object (`cannot convert undefined`).
    ToObject,
}

/// Where a value that failed was used, for iterations and conversions.
#[derive(Debug, PartialEq)]
pub enum Site {
    ForOf,
    Spread,
    Destructuring,
    /// A destructured parameter: `text` is its pattern.
    Parameter,
    /// The first argument of a call: the callee's text (`Object.entries`).
    Argument(String),
}

/// The expression an error is about.
#[derive(Debug, PartialEq)]
pub struct Culprit {
    /// Its source text: the callee that is not a function, or the object a
    /// property was read from (`rows.map`, `r.items`).
    pub text: String,
    /// For a callee read from an object, that object's text (`rows`).
    pub object: Option<String>,
    /// Where the value was used, for an iteration or a conversion.
    pub site: Option<Site>,
    /// Where it starts in the generated JavaScript: 1-based line, and
    /// 1-based column in UTF-16 units as source maps count them.
    pub line: u32,
    pub column: u32,
}

/// The expression that failed at `line`:`column` (1-based, of the generated
/// JavaScript `js`). `None` when it cannot be told.
pub fn culprit(js: &str, line: u32, column: u32, failed: Failed) -> Option<Culprit> {
    let cm: Lrc<SourceMap> = Default::default();
    let file = cm.new_source_file(Lrc::new(FileName::Anon), js.to_owned());
    let mut parser = Parser::new(
        Syntax::Es(Default::default()),
        StringInput::from(&*file),
        None,
    );
    let script = parser.parse_script().ok()?;
    let start = file.start_pos.0;
    // The byte offset of the position, and of its line.
    let line_start: usize = js
        .split_inclusive('\n')
        .take(line.checked_sub(1)? as usize)
        .map(str::len)
        .sum();
    let line_text = js[line_start..].lines().next()?;
    // QuickJS counts columns in bytes.
    let mut in_line = (column.checked_sub(1)? as usize).min(line_text.len());
    while !line_text.is_char_boundary(in_line) {
        in_line -= 1;
    }
    let offset = line_start + in_line;
    let text = |span: swc_common::Span| -> Option<String> {
        let lo = (span.lo.0 - start) as usize;
        let hi = (span.hi.0 - start) as usize;
        js.get(lo..hi).map(str::to_owned)
    };
    let mut finder = Finder {
        start,
        offset,
        line: (line_start, line_start + line_text.len()),
        failed,
        best: None,
        site: None,
        texts: &text,
        nested_text: None,
    };
    script.visit_with(&mut finder);
    let (span, object, _) = finder.best?;
    let site = finder.site.take();
    let nested = finder.nested_text.take();
    // A long expression is no help in a one-line error.
    // On one line: the generated code spreads array and object literals
    // over several.
    let short = |found: String| {
        let found = found.split_whitespace().collect::<Vec<_>>().join(" ");
        (found.len() <= 80).then_some(found)
    };
    let found = short(nested.or_else(|| text(span))?)?;
    let object = object.and_then(text).and_then(short);
    // The callee of an argument is shown too.
    let site = match site {
        Some(Site::Argument(callee)) => Some(Site::Argument(short(callee)?)),
        other => other,
    };
    let lo = (span.lo.0 - start) as usize;
    let line_start = js[..lo].rfind('\n').map_or(0, |i| i + 1);
    Some(Culprit {
        text: found,
        object,
        site,
        line: js[..lo].matches('\n').count() as u32 + 1,
        column: js[line_start..lo].encode_utf16().count() as u32 + 1,
    })
}

type Texts<'t> = dyn Fn(Span) -> Option<String> + 't;

struct Finder<'a, 't> {
    start: u32,
    offset: usize,
    /// The failing line's bytes.
    line: (usize, usize),
    failed: Failed<'a>,
    /// The best candidate so far, the object it was read from, and its
    /// rank (smaller is better).
    best: Option<(swc_common::Span, Option<swc_common::Span>, usize)>,
    /// Where the value of an iteration or conversion was used.
    site: Option<Site>,
    /// The source text of a span.
    texts: &'t Texts<'t>,
    /// The culprit's text when it is no expression as written (`x.a` of
    /// `const {a: {b}} = x`).
    nested_text: Option<String>,
}

impl Finder<'_, '_> {
    /// Whether the failure is about a value used whole (iterated, made an
    /// object), whose position QuickJS gives exactly.
    fn exact(&self) -> bool {
        matches!(self.failed, Failed::Iterating | Failed::ToObject)
    }

    fn starts_here(&self, span: Span) -> bool {
        self.range(span).0 == self.offset
    }

    /// The value `span` at the failing position, used at `site`.
    fn found(&mut self, span: Span, site: Site) {
        if self.best.is_none() {
            self.best = Some((span, None, 0));
            self.site = Some(site);
        }
    }

    /// A pattern that destructures `value` (its span when it is an
    /// expression as written, else its text), nested patterns with the
    /// paths into it (`x.a`, `x[0]`).
    fn pattern(&mut self, pat: &Pat, value: Option<Result<Span, String>>, site: &dyn Fn() -> Site) {
        let reading = matches!(self.failed, Failed::Reading(_));
        if (self.exact() || reading) && self.best.is_none() && self.starts_here(pat.span()) {
            let array = matches!(pat, Pat::Array(_));
            let fits = match self.failed {
                Failed::Iterating => array,
                Failed::ToObject => matches!(pat, Pat::Object(_)),
                // A promise destructured: reading its first property failed.
                _ => !array,
            };
            if fits {
                match value {
                    Some(Ok(span)) => self.found(span, site()),
                    Some(Err(text)) => {
                        self.best = Some((pat.span(), None, 0));
                        self.site = Some(site());
                        self.nested_text = Some(text);
                    }
                    // A path into the value that cannot be written.
                    None => {}
                }
                return;
            }
        }
        let path = |suffix: String| -> Option<Result<Span, String>> {
            let base = match &value {
                Some(Ok(span)) => (self.texts)(*span)?,
                Some(Err(text)) => text.clone(),
                None => return None,
            };
            Some(Err(format!("{base}{suffix}")))
        };
        match pat {
            Pat::Array(array) => {
                for (i, element) in array.elems.iter().enumerate() {
                    if let Some(element) = element {
                        let inner = path(format!("[{i}]"));
                        self.pattern(element, inner, &|| Site::Destructuring);
                    }
                }
            }
            Pat::Object(object) => {
                for prop in &object.props {
                    if let ObjectPatProp::KeyValue(kv) = prop {
                        let key = match &kv.key {
                            PropName::Ident(ident) => Some(format!(".{}", ident.sym)),
                            PropName::Str(s) => s.value.as_str().map(|k| format!("[{k:?}]")),
                            _ => None,
                        };
                        let inner = key.and_then(path);
                        self.pattern(&kv.value, inner, &|| Site::Destructuring);
                    }
                }
            }
            Pat::Assign(assign) => self.pattern(&assign.left, value, site),
            _ => {}
        }
    }

    /// The callee of a call (or `new`) that may not be a function.
    fn callee(&mut self, callee: &Expr, args: &[ExprOrSpread], call: Span) {
        // A function written in place is one: the program's own wrapper,
        // whose span holds every position, most of all.
        if !matches!(self.failed, Failed::NotAFunction)
            || matches!(super::unparen(callee), Expr::Arrow(_) | Expr::Fn(_))
        {
            return;
        }
        let object = match callee {
            Expr::Member(member) => Some(member.obj.span()),
            _ => None,
        };
        // QuickJS places a call where its arguments start (at the `)` of
        // an empty list): that call exactly.
        let arguments = match args.first() {
            Some(first) => first.span().lo,
            None => call.hi - swc_common::BytePos(1),
        };
        if self.range(Span::new(arguments, arguments)).0 == self.offset {
            self.best = Some((callee.span(), object, 0));
        } else {
            self.consider(callee.span(), callee.span(), object, false);
        }
        // A call that spreads its arguments fails as a built-in given a
        // value that is no function does (the engine does not say what it
        // called): that tells the two apart.
        if self.best.is_some_and(|(span, ..)| span == callee.span()) {
            self.site = args
                .iter()
                .any(|arg| arg.spread.is_some())
                .then_some(Site::Spread);
        }
    }

    /// A function's destructured parameters, when the failure is in one:
    /// QuickJS points at the pattern (or, unpatched, at the function
    /// itself: then the first that fits).
    fn parameters<'p>(&mut self, function: Span, params: impl Iterator<Item = &'p Pat> + Clone) {
        if self.best.is_some() {
            return;
        }
        let at_function = self.starts_here(function);
        for param in params {
            if !at_function && !self.starts_here(param.span()) {
                continue;
            }
            let param = match param {
                Pat::Assign(assign) => &*assign.left,
                other => other,
            };
            let fits = match self.failed {
                Failed::Iterating => matches!(param, Pat::Array(_)),
                Failed::ToObject | Failed::Reading(_) => matches!(param, Pat::Object(_)),
                Failed::NotAFunction => false,
            };
            if fits {
                self.best = Some((param.span(), None, 0));
                self.site = Some(Site::Parameter);
                return;
            }
        }
    }

    fn range(&self, span: swc_common::Span) -> (usize, usize) {
        (
            (span.lo.0 - self.start) as usize,
            (span.hi.0 - self.start) as usize,
        )
    }

    /// Keeps `culprit` if `around` holds the position, or sits on the
    /// failing line when nothing closer was found; the innermost wins.
    /// A `guess` (a computed read, `rows[i]`, which may read any name)
    /// loses to a read of the very name (`rows[i].name`) holding the
    /// position too, or `rows[i]` would be blamed for what `rows[i]` is.
    fn consider(
        &mut self,
        around: swc_common::Span,
        culprit: swc_common::Span,
        object: Option<swc_common::Span>,
        guess: bool,
    ) {
        let (lo, hi) = self.range(around);
        let holds = lo <= self.offset && self.offset <= hi;
        let on_line = lo >= self.line.0 && lo <= self.line.1;
        if !holds && !on_line {
            return;
        }
        // Holding the position counts before merely sharing the line, and
        // the name read before a guess. Spans are shorter than 1 << 20.
        let rank = (hi - lo) + if holds { 0 } else { 1 << 22 } + if guess { 1 << 21 } else { 0 };
        if self.best.is_none_or(|(_, _, best)| rank < best) {
            self.best = Some((culprit, object, rank));
        }
    }
}

impl Finder<'_, '_> {
    /// A call's first argument, where a built-in that iterates it or makes
    /// it an object (`Array.from`, `Object.entries`) failed.
    fn argument(&mut self, callee: Option<Span>, args: &[ExprOrSpread]) {
        if let (true, Some(callee), Some(first)) = (self.exact(), callee, args.first())
            && first.spread.is_none()
            && self.starts_here(first.expr.span())
            && let Some(called) = (self.texts)(callee)
        {
            self.found(first.expr.span(), Site::Argument(called));
        }
    }
}

impl Visit for Finder<'_, '_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee {
            self.callee(callee, &call.args, call.span);
            self.argument(Some(callee.span()), &call.args);
        }
        call.visit_children_with(self);
    }

    fn visit_new_expr(&mut self, new: &NewExpr) {
        let args = new.args.as_deref().unwrap_or_default();
        self.callee(&new.callee, args, new.span);
        self.argument(Some(new.callee.span()), args);
        new.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, for_of: &ForOfStmt) {
        let right = for_of.right.span();
        if matches!(self.failed, Failed::Iterating) && self.starts_here(right) {
            self.found(right, Site::ForOf);
        }
        let left = match &for_of.left {
            ForHead::VarDecl(decl) => decl.decls.first().map(|d| &d.name),
            ForHead::Pat(pat) => Some(&**pat),
            ForHead::UsingDecl(_) => None,
        };
        if let Some(left) = left
            && let Some(each) = (self.texts)(right)
        {
            self.pattern(left, Some(Err(format!("{each}[…]"))), &|| {
                Site::Destructuring
            });
        }
        for_of.visit_children_with(self);
    }

    fn visit_expr_or_spread(&mut self, arg: &ExprOrSpread) {
        if arg.spread.is_some()
            && matches!(self.failed, Failed::Iterating)
            && self.starts_here(arg.expr.span())
        {
            self.found(arg.expr.span(), Site::Spread);
        }
        arg.visit_children_with(self);
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let Some(init) = &declarator.init {
            self.pattern(&declarator.name, Some(Ok(init.span())), &|| {
                Site::Destructuring
            });
        }
        declarator.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        let pat = match &assign.left {
            AssignTarget::Pat(AssignTargetPat::Array(array)) => Some(Pat::Array(array.clone())),
            AssignTarget::Pat(AssignTargetPat::Object(object)) => Some(Pat::Object(object.clone())),
            _ => None,
        };
        if let Some(pat) = pat {
            self.pattern(&pat, Some(Ok(assign.right.span())), &|| Site::Destructuring);
        }
        assign.visit_children_with(self);
    }

    fn visit_function(&mut self, function: &swc_ecma_ast::Function) {
        self.parameters(function.span, function.params.iter().map(|p| &p.pat));
        function.visit_children_with(self);
    }

    fn visit_arrow_expr(&mut self, arrow: &swc_ecma_ast::ArrowExpr) {
        self.parameters(arrow.span, arrow.params.iter());
        arrow.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        if let Failed::Reading(name) = self.failed {
            // Whether it reads the name, and whether only perhaps.
            let reads = match &member.prop {
                MemberProp::Ident(prop) => (&*prop.sym == name).then_some(false),
                // `rows[0]`, `rows[i]`: the engine names the key's value.
                MemberProp::Computed(computed) => match &*computed.expr {
                    Expr::Lit(Lit::Str(key)) => (key.value.as_str() == Some(name)).then_some(false),
                    Expr::Lit(Lit::Num(key)) => (key.value.to_string() == name).then_some(false),
                    Expr::Lit(_) => None,
                    _ => Some(true),
                },
                MemberProp::PrivateName(_) => None,
            };
            if let Some(guess) = reads {
                self.consider(member.span(), member.obj.span(), None, guess);
            }
        }
        member.visit_children_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JS: &str =
        "(async ()=>{\n    const rows = \"a,b\";\n    return rows.map((x)=>x.trim());\n})();";

    #[test]
    fn the_callee_at_the_position_is_named_with_its_object() {
        // QuickJS points into `map` (line 3, column 17).
        assert_eq!(
            culprit(JS, 3, 17, Failed::NotAFunction),
            Some(Culprit {
                text: "rows.map".into(),
                object: Some("rows".into()),
                site: None,
                line: 3,
                column: 12,
            })
        );
        let js = "(async ()=>{\n    const f = 1;\n    return f(2);\n})();";
        let plain = culprit(js, 3, 12, Failed::NotAFunction).unwrap();
        assert_eq!((plain.text.as_str(), plain.object), ("f", None));
    }

    #[test]
    fn a_call_placed_where_its_arguments_start_is_that_call() {
        let js = "(async ()=>{\n    return f(g(x), h());\n})();";
        let callee = |needle: &str| at(js, needle, Failed::NotAFunction).map(|f| f.0);
        assert_eq!(callee("g(x)"), Some("f".into()));
        assert_eq!(callee("x)"), Some("g".into()));
        assert_eq!(callee("));"), Some("h".into()));
        // `new`, inside the program's own wrapper, which is never the callee.
        let js = "(async ()=>{\n    const x = new o.Thing(1);\n})();";
        assert_eq!(
            at(js, "1)", Failed::NotAFunction).map(|f| f.0),
            Some("o.Thing".into())
        );
        assert_eq!(at(js, "(async", Failed::NotAFunction).map(|f| f.0), None);
    }

    #[test]
    fn the_object_a_property_was_read_from_is_named() {
        let js = "(async ()=>{\n    const r = {};\n    return r.items.length;\n})();";
        assert_eq!(
            culprit(js, 3, 16, Failed::Reading("length")).map(|c| c.text),
            Some("r.items".to_owned())
        );
        assert_eq!(culprit(js, 3, 16, Failed::Reading("nothing_like_it")), None);
    }

    /// The culprit where QuickJS points: at `at` (a needle that starts at
    /// the position) on the first line holding it.
    fn at(js: &str, at: &str, failed: Failed) -> Option<(String, Option<Site>, u32, u32)> {
        let (line, text) = js.lines().enumerate().find(|(_, l)| l.contains(at))?;
        let column = text.find(at)? as u32 + 1;
        let found = culprit(js, line as u32 + 1, column, failed)?;
        Some((found.text, found.site, found.line, found.column))
    }

    #[test]
    fn iterated_and_destructured_values_are_named_with_where_they_were_used() {
        let js = "(async ()=>{\n    for (const x of r.items){}\n    const a = [\n        ...r.more\n    ];\n    const [p, q] = r.pair;\n    f(...r.args);\n    Array.from(r.list);\n})();";
        let cases = [
            ("r.items", "r.items", Site::ForOf, (2, 21)),
            ("r.more", "r.more", Site::Spread, (4, 12)),
            ("[p, q]", "r.pair", Site::Destructuring, (6, 20)),
            ("r.args", "r.args", Site::Spread, (7, 10)),
            (
                "r.list",
                "r.list",
                Site::Argument("Array.from".into()),
                (8, 16),
            ),
        ];
        for (needle, text, site, (line, column)) in cases {
            assert_eq!(
                at(js, needle, Failed::Iterating),
                Some((text.to_owned(), Some(site), line, column)),
                "{needle}"
            );
        }
        // Only an exact position names a value.
        assert_eq!(at(js, "items", Failed::Iterating), None);
        // A callee spread over many lines is on one, and a long one is
        // never named.
        let js = "(async ()=>{\n    Array\n        .from(r.list);\n})();";
        assert_eq!(
            at(js, "r.list", Failed::Iterating).map(|f| f.1),
            Some(Some(Site::Argument("Array .from".into())))
        );
        let long = vec!["Array"; 100].join(",\n        ");
        let js = format!("(async ()=>{{\n    [\n        {long}\n    ][0].from(r.list);\n}})();");
        assert_eq!(at(&js, "r.list", Failed::Iterating), None);
    }

    #[test]
    fn values_made_objects_are_named_nested_parameters_and_all() {
        let js = "(async ()=>{\n    const { a } = r.one;\n    const { b: { c } } = r;\n    for (const { d } of list){}\n    Object.keys(r.two);\n    ({ e } = r.three);\n    const f = ({ g })=>g;\n})();";
        let cases = [
            ("{ a }", "r.one", Site::Destructuring),
            ("{ c }", "r.b", Site::Destructuring),
            ("{ d }", "list[…]", Site::Destructuring),
            ("r.two", "r.two", Site::Argument("Object.keys".into())),
            ("{ e }", "r.three", Site::Destructuring),
        ];
        for (needle, text, site) in cases {
            let found = at(js, needle, Failed::ToObject);
            assert_eq!(
                found.map(|f| (f.0, f.1)),
                Some((text.to_owned(), Some(site))),
                "{needle}"
            );
        }
        // A parameter's failure points at its function.
        assert_eq!(
            at(js, "({ g })=>", Failed::ToObject).map(|f| (f.0, f.1)),
            Some(("{ g }".to_owned(), Some(Site::Parameter)))
        );
        // A promise destructured fails reading its first property.
        assert_eq!(
            at(js, "{ a }", Failed::Reading("a")).map(|f| f.0),
            Some("r.one".to_owned())
        );
    }

    #[test]
    fn a_computed_read_is_blamed_only_when_no_read_of_the_name_holds_the_position() {
        // Wherever on the read the engine points.
        let js = "(async ()=>{\n    return r.projects[i].name + r[key].length + r.a[i][0];\n})();";
        for (needle, name, object) in [
            ("r.projects", "name", "r.projects[i]"),
            ("i].name", "name", "r.projects[i]"),
            ("].name", "name", "r.projects[i]"),
            (".name", "name", "r.projects[i]"),
            ("key]", "length", "r[key]"),
            ("].length", "length", "r[key]"),
            ("[0]", "0", "r.a[i]"),
            ("i][0]", "0", "r.a[i]"),
        ] {
            assert_eq!(
                at(js, needle, Failed::Reading(name)).map(|f| f.0),
                Some(object.to_owned()),
                "{needle}"
            );
        }
    }

    #[test]
    fn computed_reads_are_named() {
        let js = "(async ()=>{\n    return rows[0].name + rows[i].id;\n})();";
        assert_eq!(
            at(js, "rows[0]", Failed::Reading("0")).map(|f| f.0),
            Some("rows".into())
        );
        assert_eq!(
            at(js, "rows[0]", Failed::Reading("name")).map(|f| f.0),
            Some("rows[0]".into())
        );
    }

    #[test]
    fn nonsense_positions_name_nothing() {
        assert_eq!(culprit(JS, 0, 1, Failed::NotAFunction), None);
        assert_eq!(culprit(JS, 99, 1, Failed::NotAFunction), None);
        assert_eq!(
            culprit("this is not ( javascript", 1, 1, Failed::NotAFunction),
            None
        );
    }
}
