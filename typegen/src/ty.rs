//! A small TypeScript type model and its printer.
//!
//! Lowering builds these from JSON Schema; printing handles precedence,
//! line layout and key quoting in one place.

use std::collections::HashMap;

use crate::doc::Doc;
use crate::names::is_identifier;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    Unknown,
    Never,
    /// `string`, `number`, `boolean`, `null`.
    Keyword(&'static str),
    /// A literal type, already written as TypeScript (`"open"`, `3`, `true`).
    Literal(String),
    Array(Box<Ty>),
    Tuple {
        items: Vec<Ty>,
        /// Elements from this index on are optional.
        required: usize,
        rest: Option<Box<Ty>>,
    },
    Object(Object),
    Union(Vec<Ty>),
    Intersection(Vec<Ty>),
    /// A named alias declared in the same namespace.
    Alias(String),
    /// A result type learned from results, not declared: `Observed<T>`,
    /// or `Observed<T, "layout">` with how its text is laid out (see
    /// [`crate::layout::Layout::render`]).
    Observed(Box<Ty>, Option<String>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Object {
    pub props: Vec<Prop>,
    /// Index signature value type (`[key: string]: T`).
    pub index: Option<Box<Ty>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Prop {
    pub key: String,
    pub ty: Ty,
    pub optional: bool,
    pub doc: Doc,
    /// What the schema rejects (`>=1 <=50`), the one note compact keeps:
    /// part of the type, so types with different bounds are never shared.
    pub bounds: Option<String>,
}

impl Ty {
    /// A union with nested unions flattened and duplicates removed; any
    /// `unknown` member makes the whole union `unknown`.
    pub(crate) fn union(members: Vec<Ty>) -> Ty {
        let mut flat = Unique::default();
        for member in members {
            match member {
                Ty::Union(inner) => inner.into_iter().for_each(|ty| flat.push(ty)),
                Ty::Never => {}
                other => flat.push(other),
            }
        }
        let mut flat = flat.items;
        if flat.contains(&Ty::Unknown) {
            return Ty::Unknown;
        }
        match flat.len() {
            0 => Ty::Never,
            1 => flat.pop().expect("one element"),
            _ => Ty::Union(flat),
        }
    }

    /// An intersection that drops `unknown` members (they add nothing).
    pub(crate) fn intersection(members: Vec<Ty>) -> Ty {
        let mut flat = Unique::default();
        for member in members {
            match member {
                Ty::Intersection(inner) => inner.into_iter().for_each(|ty| flat.push(ty)),
                Ty::Unknown => {}
                other => flat.push(other),
            }
        }
        let mut flat = flat.items;
        match flat.len() {
            0 => Ty::Unknown,
            1 => flat.pop().expect("one element"),
            _ => Ty::Intersection(flat),
        }
    }

    /// The types directly inside this one, with the property key each sits
    /// under (`None` for union members, tuple items and the like).
    pub(crate) fn children_mut(&mut self) -> Vec<(Option<&str>, &mut Ty)> {
        match self {
            Ty::Array(inner) => vec![(None, &mut **inner)],
            Ty::Tuple { items, rest, .. } => items
                .iter_mut()
                .chain(rest.as_deref_mut())
                .map(|t| (None, t))
                .collect(),
            Ty::Object(obj) => obj
                .props
                .iter_mut()
                .map(|p| (Some(p.key.as_str()), &mut p.ty))
                .chain(obj.index.as_deref_mut().map(|t| (None, t)))
                .collect(),
            Ty::Union(members) | Ty::Intersection(members) => {
                members.iter_mut().map(|t| (None, t)).collect()
            }
            Ty::Observed(inner, _) => vec![(None, inner)],
            Ty::Unknown | Ty::Never | Ty::Keyword(_) | Ty::Literal(_) | Ty::Alias(_) => Vec::new(),
        }
    }

    /// Drops every property note inside (for printing without them); the
    /// bounds stay.
    pub(crate) fn forget_notes(&mut self) {
        if let Ty::Object(obj) = self {
            for prop in &mut obj.props {
                prop.doc = Doc::default();
            }
        }
        for (_, child) in self.children_mut() {
            child.forget_notes();
        }
    }

    /// Drops every property's bounds inside (a result's bounds reject no call).
    pub(crate) fn forget_bounds(&mut self) {
        if let Ty::Object(obj) = self {
            for prop in &mut obj.props {
                prop.bounds = None;
            }
        }
        for (_, child) in self.children_mut() {
            child.forget_bounds();
        }
    }
}

/// Types in order of first appearance, each once. Hashing keeps this linear:
/// an enum of 40,000 values took 9 s when each was compared with all before it.
/// Short lists, by far the most common, are compared directly: cheaper than hashing.
#[derive(Default)]
struct Unique {
    items: Vec<Ty>,
    /// Hash of a type → indices into `items` with that hash; filled once
    /// `items` outgrows [`Unique::SHORT`].
    seen: HashMap<u64, Vec<usize>>,
}

impl Unique {
    const SHORT: usize = 16;

    fn push(&mut self, ty: Ty) {
        if self.items.len() < Self::SHORT {
            if !self.items.contains(&ty) {
                self.items.push(ty);
            }
            return;
        }
        if self.seen.is_empty() {
            for (i, item) in self.items.iter().enumerate() {
                self.seen.entry(Self::hash(item)).or_default().push(i);
            }
        }
        let slots = self.seen.entry(Self::hash(&ty)).or_default();
        if slots.iter().all(|&i| self.items[i] != ty) {
            slots.push(self.items.len());
            self.items.push(ty);
        }
    }

    fn hash(ty: &Ty) -> u64 {
        use std::hash::{BuildHasher, RandomState};
        // One fixed state per process is enough: only equality within this list matters.
        static STATE: std::sync::LazyLock<RandomState> = std::sync::LazyLock::new(RandomState::new);
        STATE.hash_one(ty)
    }
}

/// Prints types; `docs` decides whether property notes are written.
#[derive(Clone, Copy)]
pub(crate) struct Printer<'a> {
    pub docs: bool,
    /// Notes printed once for the whole namespace, by property key: a
    /// property whose note is its key's legend note is printed without it.
    pub legend: Option<&'a Legend>,
}

/// Property key → its note in the namespace's legend.
pub(crate) type Legend = HashMap<String, String>;

/// Binding strength, to decide where parentheses are needed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Union,
    Intersection,
    Postfix,
}

impl Printer<'_> {
    /// Whether printing `ty` needs more than one line: some property in it
    /// shows a note.
    pub(crate) fn is_multiline(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Object(obj) => self.object_is_multiline(obj),
            Ty::Array(inner) => self.is_multiline(inner),
            Ty::Tuple { items, rest, .. } => items
                .iter()
                .chain(rest.as_deref())
                .any(|t| self.is_multiline(t)),
            Ty::Union(members) | Ty::Intersection(members) => {
                members.iter().any(|t| self.is_multiline(t))
            }
            Ty::Observed(inner, _) => self.is_multiline(inner),
            Ty::Unknown | Ty::Never | Ty::Keyword(_) | Ty::Literal(_) | Ty::Alias(_) => false,
        }
    }

    fn object_is_multiline(&self, obj: &Object) -> bool {
        obj.props
            .iter()
            .any(|p| self.own_note(p).is_some() || self.is_multiline(&p.ty))
            || obj.index.as_deref().is_some_and(|t| self.is_multiline(t))
    }

    /// The note to print with `prop`: none without docs, or when the legend
    /// already says it.
    fn own_note(&self, prop: &Prop) -> Option<String> {
        if !self.docs || prop.doc.is_empty() {
            return None;
        }
        let note = prop.doc.one_line();
        (self.legend.and_then(|l| l.get(&prop.key)) != Some(&note)).then_some(note)
    }

    /// Writes `ty`. Multi-line objects are not indented: in a prompt,
    /// indentation costs tokens and the braces already say the structure.
    pub(crate) fn write(&self, out: &mut String, ty: &Ty) {
        self.write_prec(out, ty, Prec::Union);
    }

    fn write_prec(&self, out: &mut String, ty: &Ty, min: Prec) {
        let own = match ty {
            Ty::Union(_) => Prec::Union,
            Ty::Intersection(_) => Prec::Intersection,
            _ => Prec::Postfix,
        };
        let parens = own < min;
        if parens {
            out.push('(');
        }
        match ty {
            Ty::Unknown => out.push_str("unknown"),
            Ty::Never => out.push_str("never"),
            Ty::Keyword(k) => out.push_str(k),
            Ty::Literal(lit) => out.push_str(lit),
            Ty::Alias(name) => out.push_str(name),
            Ty::Observed(inner, layout) => {
                out.push_str("Observed<");
                self.write_prec(out, inner, Prec::Union);
                if let Some(layout) = layout {
                    // A rendered layout holds no `"`, and `\` only in its `\n`s.
                    out.push_str(", \"");
                    out.push_str(layout);
                    out.push('"');
                }
                out.push('>');
            }
            Ty::Array(inner) => {
                self.write_prec(out, inner, Prec::Postfix);
                out.push_str("[]");
            }
            Ty::Tuple {
                items,
                required,
                rest,
            } => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    // An optional element's type needs the postfix precedence
                    // of `?`-less context; parenthesize unions to stay clear.
                    let min = if i >= *required {
                        Prec::Postfix
                    } else {
                        Prec::Union
                    };
                    self.write_prec(out, item, min);
                    if i >= *required {
                        out.push('?');
                    }
                }
                if let Some(rest) = rest {
                    if !items.is_empty() {
                        out.push_str(", ");
                    }
                    out.push_str("...");
                    self.write_prec(out, rest, Prec::Postfix);
                    out.push_str("[]");
                }
                out.push(']');
            }
            Ty::Union(members) => self.write_list(out, members, " | ", Prec::Intersection),
            Ty::Intersection(members) => self.write_list(out, members, " & ", Prec::Postfix),
            Ty::Object(obj) => self.write_object(out, obj),
        }
        if parens {
            out.push(')');
        }
    }

    fn write_list(&self, out: &mut String, members: &[Ty], sep: &str, min: Prec) {
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            self.write_prec(out, member, min);
        }
    }

    fn write_object(&self, out: &mut String, obj: &Object) {
        if obj.props.is_empty() && obj.index.is_none() {
            out.push_str("{}");
            return;
        }
        if !self.object_is_multiline(obj) {
            out.push_str("{ ");
            for (i, prop) in obj.props.iter().enumerate() {
                if i > 0 {
                    out.push_str("; ");
                }
                self.write_member(out, prop);
            }
            if let Some(index) = &obj.index {
                if !obj.props.is_empty() {
                    out.push_str("; ");
                }
                out.push_str("[key: string]: ");
                self.write(out, index);
            }
            out.push_str(" }");
            return;
        }
        out.push_str("{\n");
        for prop in &obj.props {
            let mut member = String::new();
            self.write_member(&mut member, prop);
            if member.contains('\n') {
                // A note after a multi-line type would sit far from its name,
                // so it goes above, in full.
                if self.docs {
                    prop.doc.write(out);
                }
                out.push_str(&member);
            } else {
                // One member per line needs no `;`: TypeScript ends a member at the line break.
                out.push_str(&member);
                if let Some(note) = self.own_note(prop) {
                    out.push_str(" // ");
                    out.push_str(&note);
                }
            }
            out.push('\n');
        }
        if let Some(index) = &obj.index {
            out.push_str("[key: string]: ");
            self.write(out, index);
            out.push('\n');
        }
        out.push('}');
    }

    fn write_member(&self, out: &mut String, prop: &Prop) {
        write_key(out, &prop.key);
        if prop.optional {
            out.push('?');
        }
        out.push_str(": ");
        self.write(out, &prop.ty);
        // With notes, the bounds are among the note's tags.
        if !self.docs
            && let Some(bounds) = &prop.bounds
        {
            out.push_str(" /* ");
            out.push_str(bounds);
            out.push_str(" */");
        }
    }
}

/// A property key, bare when it is an identifier, otherwise a JSON string.
fn write_key(out: &mut String, key: &str) {
    if is_identifier(key) {
        out.push_str(key);
    } else {
        out.push_str(&serde_json::Value::String(key.to_owned()).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(ty: &Ty) -> String {
        let mut out = String::new();
        Printer {
            docs: true,
            legend: None,
        }
        .write(&mut out, ty);
        out
    }

    fn prop(key: &str, ty: Ty, optional: bool) -> Prop {
        Prop {
            key: key.into(),
            ty,
            optional,
            doc: Doc::default(),
            bounds: None,
        }
    }

    const STRING: Ty = Ty::Keyword("string");
    const NUMBER: Ty = Ty::Keyword("number");

    #[test]
    fn arrays_of_unions_are_parenthesized() {
        let ty = Ty::Array(Box::new(Ty::union(vec![STRING, NUMBER])));
        assert_eq!(print(&ty), "(string | number)[]");
    }

    #[test]
    fn unions_inside_intersections_are_parenthesized() {
        let a = Ty::Object(Object {
            props: vec![prop("a", STRING, false)],
            index: None,
        });
        let ty = Ty::intersection(vec![a, Ty::union(vec![STRING, NUMBER])]);
        assert_eq!(print(&ty), "{ a: string } & (string | number)");
    }

    #[test]
    fn union_flattens_dedupes_and_absorbs_unknown() {
        let nested = Ty::union(vec![STRING, Ty::union(vec![NUMBER, STRING])]);
        assert_eq!(nested, Ty::Union(vec![STRING, NUMBER]));
        assert_eq!(Ty::union(vec![STRING, Ty::Unknown]), Ty::Unknown);
        assert_eq!(Ty::union(vec![STRING]), STRING);
        assert_eq!(Ty::union(vec![]), Ty::Never);
    }

    #[test]
    fn long_unions_dedupe_across_the_short_list_bound() {
        let literal = |i: usize| Ty::Literal(i.to_string());
        // 0..40 then every value again, in reverse: duplicates of members
        // first seen both before and after the list stops being short.
        let members: Vec<Ty> = (0..40).chain((0..40).rev()).map(literal).collect();
        assert_eq!(
            Ty::union(members),
            Ty::Union((0..40).map(literal).collect())
        );
    }

    #[test]
    fn intersection_drops_unknown() {
        assert_eq!(Ty::intersection(vec![Ty::Unknown, STRING]), STRING);
        assert_eq!(Ty::intersection(vec![Ty::Unknown]), Ty::Unknown);
    }

    #[test]
    fn tuples_with_optional_elements_and_rest() {
        let ty = Ty::Tuple {
            items: vec![STRING, Ty::union(vec![STRING, NUMBER])],
            required: 1,
            rest: Some(Box::new(Ty::Keyword("boolean"))),
        };
        assert_eq!(print(&ty), "[string, (string | number)?, ...boolean[]]");
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let obj = Ty::Object(Object {
            props: vec![
                prop("ok_1", STRING, false),
                prop("x-y", NUMBER, true),
                prop("\"q\"", STRING, false),
            ],
            index: Some(Box::new(Ty::Unknown)),
        });
        assert_eq!(
            print(&obj),
            r#"{ ok_1: string; "x-y"?: number; "\"q\"": string; [key: string]: unknown }"#
        );
    }

    #[test]
    fn documented_objects_print_one_member_per_line() {
        let mut documented = prop("b", NUMBER, true);
        documented.doc.text = Some("B value".into());
        let inner = Ty::Object(Object {
            props: vec![documented],
            index: None,
        });
        let outer = Ty::Object(Object {
            props: vec![prop("a", inner, false)],
            index: None,
        });
        assert_eq!(print(&outer), "{\na: {\nb?: number // B value\n}\n}");
        let mut out = String::new();
        Printer {
            docs: false,
            legend: None,
        }
        .write(&mut out, &outer);
        assert_eq!(out, "{ a: { b?: number } }");
    }
}
