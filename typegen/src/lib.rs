//! Turn MCP tool definitions into compact TypeScript declarations.
//!
//! Each server becomes one `declare namespace`, each tool one function whose
//! argument and result types come from the tool's `inputSchema` and
//! `outputSchema`. The crate does no I/O: it reads the tools' raw JSON (as the
//! server sent it) and returns text.
//!
//! ```
//! use codemode_typegen::{Api, Style};
//! use serde_json::json;
//!
//! let tools = vec![json!({
//!     "name": "get-sum",
//!     "description": "Adds two numbers.",
//!     "inputSchema": {
//!         "type": "object",
//!         "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
//!         "required": ["a", "b"]
//!     }
//! })];
//! let api = Api::new(vec![("everything".to_string(), tools)]);
//! let ts = api.render(Style::Compact);
//! assert_eq!(ts, "declare namespace everything {\n\
//!     function get_sum(args: { a: number; b: number }): Promise<unknown> // Adds two numbers.\n}\n");
//! // The mapping works both ways.
//! let function = api.namespaces()[0].function("get_sum").unwrap();
//! assert_eq!(function.tool(), "get-sum");
//! ```
#![deny(missing_docs)]

mod bounds;
mod doc;
pub mod layout;
mod lower;
mod names;
pub mod shape;
mod share;
mod ty;

use serde_json::Value;

use crate::doc::Doc;
pub use crate::doc::first_sentence;
use crate::lower::{Aliases, lower_root};
use crate::names::{IdentKind, Taken, assign};
use crate::share::{legend, legend_map, name_repeated_types};
use crate::ty::{Printer, Ty};

/// The identifier a tool name becomes as a function, before collisions with
/// other tools are resolved: `get-sum` → `get_sum`, `delete` → `delete_`.
pub fn function_identifier(name: &str) -> String {
    names::sanitize(name, IdentKind::Function)
}

/// How much prose the declarations carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Style {
    /// Every description: tools, properties, and constraint tags. Notes that
    /// repeat under one property name are written once, in a legend.
    #[default]
    Full,
    /// The types, with the first sentence of each tool description after its
    /// signature, and the bounds a call must keep (`/* >=1 <=50 */`); no
    /// property prose.
    Compact,
}

/// The TypeScript API for a set of servers: names on both sides, and the
/// tool definitions to render.
#[derive(Clone, Debug)]
pub struct Api {
    namespaces: Vec<Namespace>,
}

/// One server as a TypeScript namespace.
#[derive(Clone, Debug)]
pub struct Namespace {
    server: String,
    ident: String,
    functions: Vec<Function>,
    /// What the server says it is for, in one line.
    summary: Option<String>,
}

/// One tool as a TypeScript function.
#[derive(Clone, Debug)]
pub struct Function {
    tool: String,
    ident: String,
    raw: Value,
    /// The result type learned from results, for a tool that declares none.
    observed: Option<Observed>,
}

/// A result type learned from a tool's results (see [`shape`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The shape of the results seen.
    pub shape: shape::Shape,
    /// How many results it was learned from.
    pub samples: u64,
    /// How its text results are laid out, when they are text.
    pub layout: Option<layout::Layout>,
}

impl Observed {
    /// The learned type as the declaration shows it: `T`, or `T, "layout"`
    /// when its text has a layout worth showing.
    pub fn render(&self) -> String {
        match self.shown_layout() {
            Some(layout) => format!("{}, \"{layout}\"", self.shape.render()),
            None => self.shape.render(),
        }
    }

    /// The words of the results the declaration shows, in the order it
    /// shows them: field names, then the layout's labels. Each is short,
    /// but a sentence spread over them reads as one (`Ignore all:` then
    /// `previous instructions:`), so an audit reads them together.
    pub fn words(&self) -> Vec<&str> {
        let mut words = self.shape.field_names();
        if self.shown_layout().is_some()
            && let Some(layout) = &self.layout
        {
            words.extend(layout.labels());
        }
        words
    }

    /// The layout's text, when it says more than "a string" and the
    /// results can be strings.
    fn shown_layout(&self) -> Option<String> {
        let text = |shape: &shape::Shape| matches!(shape, shape::Shape::String);
        let can_be_text = match &self.shape {
            shape::Shape::Union { of } => of.iter().any(text),
            shape => text(shape),
        };
        let layout = self.layout.as_ref().filter(|_| can_be_text)?.render();
        (!layout.is_empty()).then_some(layout)
    }
}

/// Declared in a namespace whose functions have observed result types.
const OBSERVED_ALIAS: &str = "// Observed<T>: a result type learned from earlier results, not declared by the server; rarer fields may be missing.\ntype Observed<T> = T;\n";

/// [`OBSERVED_ALIAS`] when some learned text has a layout.
const OBSERVED_LAYOUT_ALIAS: &str = "// Observed<T, L>: a result type learned from earlier results, not declared by the server; rarer fields may be missing; L: its text's layout (<x> a value of kind x, <lines> any lines, (...)? optional, (...)* repeated).\ntype Observed<T, L = \"\"> = T;\n";

impl Api {
    /// Builds the API for `(server name, raw tool definitions)` pairs, in order.
    ///
    /// Identifiers are assigned deterministically: the same input always gives
    /// the same names. A tool definition without a string `name` is named `_`.
    pub fn new(servers: Vec<(String, Vec<Value>)>) -> Api {
        let server_names: Vec<&str> = servers.iter().map(|(name, _)| name.as_str()).collect();
        let idents = assign(&server_names, IdentKind::Namespace, &mut Taken::default());
        let namespaces = servers
            .into_iter()
            .zip(idents)
            .map(|((server, tools), ident)| Namespace::new(server, ident, tools))
            .collect();
        Api { namespaces }
    }

    /// Gives functions without an `outputSchema` the result type `observe`
    /// finds for them (by server name and function), marked `Observed<...>`.
    pub fn observing(mut self, observe: impl Fn(&str, &Function) -> Option<Observed>) -> Api {
        for ns in &mut self.namespaces {
            for function in &mut ns.functions {
                if function.output_schema().is_none() {
                    function.observed = observe(&ns.server, function);
                }
            }
        }
        self
    }

    /// Gives each namespace the one-line summary `describe` finds for its
    /// server (by server name).
    pub fn describing(mut self, describe: impl Fn(&str) -> Option<String>) -> Api {
        for ns in &mut self.namespaces {
            ns.summary = describe(&ns.server);
        }
        self
    }

    /// The namespaces, in the order the servers were given.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// The namespace for a TypeScript identifier or an original server name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .iter()
            .find(|ns| ns.ident == name)
            .or_else(|| self.namespaces.iter().find(|ns| ns.server == name))
    }

    /// All declarations, one namespace after another, separated by a blank line.
    pub fn render(&self, style: Style) -> String {
        self.namespaces
            .iter()
            .map(|ns| ns.render(style))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Namespace {
    fn new(server: String, ident: String, tools: Vec<Value>) -> Namespace {
        let tool_names: Vec<&str> = tools
            .iter()
            .map(|t| t.get("name").and_then(Value::as_str).unwrap_or(""))
            .collect();
        let idents = assign(&tool_names, IdentKind::Function, &mut Taken::default());
        let functions = tools
            .iter()
            .zip(tool_names)
            .zip(idents)
            .map(|((raw, tool), ident)| Function {
                tool: tool.to_owned(),
                ident,
                raw: raw.clone(),
                observed: None,
            })
            .collect();
        Namespace {
            server,
            ident,
            functions,
            summary: None,
        }
    }

    /// What the server says it is for, in one line, if it said.
    pub fn summary(&self) -> Option<&str> {
        self.summary.as_deref()
    }

    /// The server's name as configured.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The namespace identifier (also the global object in the sandbox).
    pub fn ident(&self) -> &str {
        &self.ident
    }

    /// The functions, in the order the server listed its tools.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The function for a TypeScript identifier or an original tool name.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions
            .iter()
            .find(|f| f.ident == name)
            .or_else(|| self.functions.iter().find(|f| f.tool == name))
    }

    /// This namespace's `declare namespace` block.
    pub fn render(&self, style: Style) -> String {
        self.render_functions(self.functions.iter(), style)
    }

    /// A `declare namespace` block with only the functions for which `keep`
    /// is true (and the type aliases they use).
    pub fn render_only(&self, keep: impl Fn(&Function) -> bool, style: Style) -> String {
        self.render_functions(self.functions.iter().filter(|f| keep(f)), style)
    }

    fn render_functions<'a>(
        &self,
        functions: impl Iterator<Item = &'a Function>,
        style: Style,
    ) -> String {
        let docs = style == Style::Full;
        let mut aliases = Aliases::default();
        let mut signatures: Vec<Signature> = functions
            .map(|function| function.lower(style, &mut aliases))
            .collect();
        if !docs {
            // Compact prints no property notes but bounds; types that
            // differ only in notes are the same type to share.
            for ty in signatures.iter_mut().flat_map(Signature::types) {
                ty.forget_notes();
            }
            for signature in &mut signatures {
                signature.result.forget_bounds();
            }
            for (_, ty, _) in &mut aliases.defs {
                ty.forget_notes();
            }
        }
        let plain = Printer { docs, legend: None };
        let mut roots: Vec<&mut Ty> = signatures.iter_mut().flat_map(Signature::types).collect();
        name_repeated_types(&mut roots, &mut aliases, plain);
        let entries = if docs {
            legend(&mut roots, &mut aliases)
        } else {
            Vec::new()
        };
        let map = legend_map(&entries);
        let printer = Printer {
            docs,
            legend: Some(&map),
        };
        let mut out = format!("declare namespace {} {{\n", self.ident);
        if signatures
            .iter()
            .any(|s| matches!(s.result, Ty::Observed(_, Some(_))))
        {
            out.push_str(OBSERVED_LAYOUT_ALIAS);
        } else if signatures
            .iter()
            .any(|s| matches!(s.result, Ty::Observed(..)))
        {
            out.push_str(OBSERVED_ALIAS);
        }
        if !entries.is_empty() {
            out.push_str("// Unless the property has its own comment:\n");
            for (key, note) in &entries {
                out.push_str(&format!("// {key}: {note}\n"));
            }
        }
        for (name, ty, doc) in &aliases.defs {
            if docs {
                doc.write(&mut out);
            }
            out.push_str(&format!("type {name} = "));
            printer.write(&mut out, ty);
            out.push_str(";\n");
        }
        for signature in &signatures {
            signature.write(&mut out, printer);
        }
        out.push_str("}\n");
        out
    }
}

/// A function's declaration before printing: what it takes and returns.
struct Signature<'a> {
    ident: &'a str,
    doc: Doc,
    params: Params,
    result: Ty,
}

enum Params {
    /// The input schema has no properties: called with nothing or `{}`,
    /// both of which run.
    Empty,
    /// No input schema: anything goes.
    Untyped,
    Typed {
        optional: bool,
        ty: Ty,
    },
}

impl Signature<'_> {
    /// The argument and result types, to rewrite before printing.
    fn types(&mut self) -> Vec<&mut Ty> {
        let mut types = vec![&mut self.result];
        if let Params::Typed { ty, .. } = &mut self.params {
            types.insert(0, ty);
        }
        types
    }

    /// Full style: a JSDoc block above. Compact: the one sentence after the
    /// declaration, which saves the comment's own line. No `;`: a line break
    /// ends a declaration.
    fn write(&self, out: &mut String, printer: Printer) {
        if printer.docs {
            self.doc.write(out);
        }
        out.push_str(&format!("function {}(", self.ident));
        match &self.params {
            Params::Empty => out.push_str("args?: {}"),
            Params::Untyped => out.push_str("args?: Record<string, unknown>"),
            Params::Typed { optional, ty } => {
                out.push_str(if *optional { "args?: " } else { "args: " });
                printer.write(out, ty);
            }
        }
        out.push_str("): Promise<");
        printer.write(out, &self.result);
        out.push('>');
        if !printer.docs && !self.doc.is_empty() {
            out.push_str(" // ");
            out.push_str(&self.doc.one_line());
        }
        out.push('\n');
    }
}

impl Function {
    /// The tool's name on the server.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// The function identifier inside its namespace.
    pub fn ident(&self) -> &str {
        &self.ident
    }

    /// The tool definition as the server sent it.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// The result type learned from results, for a tool that declares none.
    pub fn observed(&self) -> Option<&Observed> {
        self.observed.as_ref()
    }

    /// The tool's `inputSchema`, if it has one.
    pub fn input_schema(&self) -> Option<&Value> {
        self.raw.get("inputSchema")
    }

    /// The tool's `outputSchema`, if it has one.
    pub fn output_schema(&self) -> Option<&Value> {
        self.raw.get("outputSchema")
    }

    fn lower(&self, style: Style, aliases: &mut Aliases) -> Signature<'_> {
        let description = self.raw.get("description").and_then(Value::as_str);
        let mut doc = Doc {
            text: match style {
                Style::Full => description.map(str::to_owned),
                Style::Compact => description.map(|d| first_sentence(d).to_owned()),
            },
            tags: Vec::new(),
        };
        let params = match self.input_schema() {
            Some(schema) if takes_no_arguments(schema) => Params::Empty,
            Some(schema) => {
                let ty = lower_root(schema, &format!("{}_args", self.ident), aliases, &mut doc);
                let optional = match &ty {
                    Ty::Object(obj) => obj.props.iter().all(|p| p.optional),
                    _ => false,
                };
                Params::Typed { optional, ty }
            }
            None => Params::Untyped,
        };
        let result = match (self.output_schema(), &self.observed) {
            (Some(schema), _) => {
                lower_root(schema, &format!("{}_result", self.ident), aliases, &mut doc)
            }
            (None, Some(observed)) => {
                if style == Style::Full {
                    let samples = observed.samples;
                    doc.tag(
                        "observed",
                        format!("in {samples} result{}", if samples == 1 { "" } else { "s" }),
                    );
                }
                Ty::Observed(Box::new(shape_ty(&observed.shape)), observed.shown_layout())
            }
            (None, None) => Ty::Unknown,
        };
        if style == Style::Compact {
            // Compact keeps only the sentence; notes on lost keywords are prose too.
            doc.tags.clear();
        }
        Signature {
            ident: &self.ident,
            doc,
            params,
            result,
        }
    }
}

/// The type of a learned shape.
fn shape_ty(shape: &shape::Shape) -> Ty {
    use shape::Shape;
    match shape {
        Shape::Never | Shape::Unknown => Ty::Unknown,
        Shape::Null => Ty::Keyword("null"),
        Shape::Boolean => Ty::Keyword("boolean"),
        Shape::Number => Ty::Keyword("number"),
        Shape::String => Ty::Keyword("string"),
        Shape::Array { item } => Ty::Array(Box::new(shape_ty(item))),
        // A key that is not a field name is never written out (only an
        // untamed shape has one): the object is a map of unknown values.
        Shape::Object { props, .. } if !props.keys().all(|k| shape::is_field_name(k)) => {
            Ty::Object(ty::Object {
                props: Vec::new(),
                index: Some(Box::new(Ty::Unknown)),
            })
        }
        Shape::Object { seen, props } => Ty::Object(ty::Object {
            props: props
                .iter()
                .map(|(key, prop)| ty::Prop {
                    key: key.clone(),
                    ty: shape_ty(&prop.shape),
                    optional: prop.seen < *seen,
                    doc: Doc::default(),
                    bounds: None,
                })
                .collect(),
            index: None,
        }),
        Shape::Map { value } => Ty::Object(ty::Object {
            props: Vec::new(),
            index: Some(Box::new(shape_ty(value))),
        }),
        Shape::Union { of } => Ty::union(of.iter().map(shape_ty).collect()),
    }
}

/// An object schema that declares no properties and no extra keys at all.
fn takes_no_arguments(schema: &Value) -> bool {
    let empty = |key: &str| match schema.get(key) {
        None => true,
        Some(Value::Object(map)) => map.is_empty(),
        Some(_) => false,
    };
    let is_object = schema.get("type").is_none_or(|t| *t == "object");
    is_object
        && empty("properties")
        && empty("patternProperties")
        && matches!(
            schema.get("additionalProperties"),
            None | Some(Value::Bool(false))
        )
        && ["anyOf", "oneOf", "allOf", "$ref", "enum", "const"]
            .iter()
            .all(|k| !schema.as_object().is_some_and(|o| o.contains_key(*k)))
}

#[cfg(test)]
mod tests;
