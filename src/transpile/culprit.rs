//! Naming the expression behind QuickJS's terse runtime errors: it says
//! `TypeError: not a function` and `cannot read property 'x' of undefined`
//! with only a position in the generated JavaScript. The expression at that
//! position (`rows.map`, `r.items`) is what a model needs to fix its program.

use swc_common::sync::Lrc;
use swc_common::{FileName, SourceMap, Spanned};
use swc_ecma_ast::{CallExpr, Callee, Expr, MemberExpr, MemberProp};
use swc_ecma_parser::{Parser, StringInput, Syntax};
use swc_ecma_visit::{Visit, VisitWith};

/// What went wrong, as far as naming the culprit goes.
pub enum Failed<'a> {
    /// `TypeError: not a function`.
    NotAFunction,
    /// `cannot read property 'NAME' of undefined|null`.
    Reading(&'a str),
}

/// The expression an error is about.
#[derive(Debug, PartialEq)]
pub struct Culprit {
    /// Its source text: the callee that is not a function, or the object a
    /// property was read from (`rows.map`, `r.items`).
    pub text: String,
    /// For a callee read from an object, that object's text (`rows`).
    pub object: Option<String>,
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
    let offset = line_start
        + line_text
            .char_indices()
            .nth(column.checked_sub(1)? as usize)
            .map_or(line_text.len(), |(i, _)| i);
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
    };
    script.visit_with(&mut finder);
    let (span, object, _) = finder.best?;
    // A long expression is no help in a one-line error.
    let short = |found: String| (found.len() <= 80 && !found.contains('\n')).then_some(found);
    let found = short(text(span)?)?;
    let object = object.and_then(text).and_then(short);
    let lo = (span.lo.0 - start) as usize;
    let line_start = js[..lo].rfind('\n').map_or(0, |i| i + 1);
    Some(Culprit {
        text: found,
        object,
        line: js[..lo].matches('\n').count() as u32 + 1,
        column: js[line_start..lo].encode_utf16().count() as u32 + 1,
    })
}

struct Finder<'a> {
    start: u32,
    offset: usize,
    /// The failing line's bytes.
    line: (usize, usize),
    failed: Failed<'a>,
    /// The best candidate so far, the object it was read from, and its
    /// rank (smaller is better).
    best: Option<(swc_common::Span, Option<swc_common::Span>, usize)>,
}

impl Finder<'_> {
    fn range(&self, span: swc_common::Span) -> (usize, usize) {
        (
            (span.lo.0 - self.start) as usize,
            (span.hi.0 - self.start) as usize,
        )
    }

    /// Keeps `culprit` if `around` holds the position, or sits on the
    /// failing line when nothing closer was found; the innermost wins.
    fn consider(
        &mut self,
        around: swc_common::Span,
        culprit: swc_common::Span,
        object: Option<swc_common::Span>,
    ) {
        let (lo, hi) = self.range(around);
        let holds = lo <= self.offset && self.offset <= hi;
        let on_line = lo >= self.line.0 && lo <= self.line.1;
        if !holds && !on_line {
            return;
        }
        // Holding the position counts before merely sharing the line.
        let rank = (hi - lo) + if holds { 0 } else { 1 << 20 };
        if self.best.is_none_or(|(_, _, best)| rank < best) {
            self.best = Some((culprit, object, rank));
        }
    }
}

impl Visit for Finder<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let (Failed::NotAFunction, Callee::Expr(callee)) = (&self.failed, &call.callee) {
            let object = match &**callee {
                Expr::Member(member) => Some(member.obj.span()),
                _ => None,
            };
            self.consider(callee.span(), callee.span(), object);
        }
        call.visit_children_with(self);
    }

    fn visit_member_expr(&mut self, member: &MemberExpr) {
        if let Failed::Reading(name) = self.failed
            && let MemberProp::Ident(prop) = &member.prop
            && &*prop.sym == name
        {
            self.consider(member.span(), member.obj.span(), None);
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
                line: 3,
                column: 12,
            })
        );
        let js = "(async ()=>{\n    const f = 1;\n    return f(2);\n})();";
        let plain = culprit(js, 3, 12, Failed::NotAFunction).unwrap();
        assert_eq!((plain.text.as_str(), plain.object), ("f", None));
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
