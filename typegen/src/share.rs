//! Saying things once per namespace: a type written out in several places
//! becomes one named alias, and a property note repeated under the same key
//! goes into one legend at the top.
//!
//! Both only move text, never drop it: every property keeps its type and its
//! note, once in full.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::lower::Aliases;
use crate::ty::{Legend, Printer, Ty};

/// Naming a type must save at least this many characters (about ten tokens):
/// below that an alias costs the reader a look-up for nothing.
const MIN_ALIAS_SAVING: usize = 40;

/// A legend entry must save at least this many characters.
const MIN_LEGEND_SAVING: usize = 30;

/// Replaces types that are printed identically in several places (objects,
/// unions, intersections, tuples below the top level of a signature) by
/// aliases, largest saving first, until no repeat is worth a name.
///
/// `roots` are the functions' argument and result types; they stay written
/// out so a signature shows its parameters.
pub(crate) fn name_repeated_types(roots: &mut [&mut Ty], aliases: &mut Aliases, printer: Printer) {
    loop {
        let mut seen: HashMap<u64, Repeat> = HashMap::new();
        let mut order = 0;
        for root in all_roots(roots, aliases) {
            for (key, child) in root.children_mut() {
                count(child, key.map(pascal_case), &mut seen, &mut order, printer);
            }
        }
        let best = seen
            .iter()
            .filter_map(|(&hash, repeat)| {
                Some((repeat.saving()?, std::cmp::Reverse(repeat.first), hash))
            })
            .max();
        let Some((_, _, hash)) = best else {
            return;
        };
        let repeat = &seen[&hash];
        let hint = repeat.hint().to_owned();
        let Some(exemplar) = all_roots(roots, aliases).find_map(|root| find(root, hash)) else {
            return;
        };
        let alias = Ty::Alias(aliases.declare_shared(&hint, exemplar.clone()));
        // The new alias's own body is the exemplar at its top, which
        // `replace` never touches.
        for root in all_roots(roots, aliases) {
            replace(root, &exemplar, &alias);
        }
    }
}

/// One printed form seen in several places.
struct Repeat {
    count: usize,
    /// Where it was first seen, to break ties the same way every time.
    first: usize,
    /// Printed length, once it is seen twice.
    len: usize,
    /// Names suggested by the keys it sits under.
    hints: Vec<String>,
}

impl Repeat {
    /// Characters saved by naming it, if that is worth it.
    fn saving(&self) -> Option<usize> {
        if self.count < 2 {
            return None;
        }
        let name = self.hint().len();
        let written = self.len * self.count;
        let named = name * self.count + "type  = ;\n".len() + name + self.len;
        let saving = written.checked_sub(named)?;
        (saving >= MIN_ALIAS_SAVING).then_some(saving)
    }

    /// The most frequent suggested name (the first on a tie).
    fn hint(&self) -> &str {
        let mut best: Option<(&str, usize)> = None;
        for hint in &self.hints {
            let n = self.hints.iter().filter(|h| *h == hint).count();
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((hint, n));
            }
        }
        best.map_or("Shared", |(hint, _)| hint)
    }
}

fn all_roots<'a>(
    roots: &'a mut [&mut Ty],
    aliases: &'a mut Aliases,
) -> impl Iterator<Item = &'a mut Ty> {
    roots
        .iter_mut()
        .map(|root| &mut **root)
        .chain(aliases.defs.iter_mut().map(|(_, ty, _)| ty))
}

fn hash_of(ty: &Ty) -> u64 {
    let mut hasher = DefaultHasher::new();
    ty.hash(&mut hasher);
    hasher.finish()
}

fn count(
    ty: &mut Ty,
    hint: Option<String>,
    seen: &mut HashMap<u64, Repeat>,
    order: &mut usize,
    printer: Printer,
) {
    let candidate = match ty {
        Ty::Object(obj) => !obj.props.is_empty() || obj.index.is_some(),
        Ty::Union(_) | Ty::Intersection(_) | Ty::Tuple { .. } => true,
        _ => false,
    };
    if candidate {
        *order += 1;
        let repeat = seen.entry(hash_of(ty)).or_insert(Repeat {
            count: 0,
            first: *order,
            len: 0,
            hints: Vec::new(),
        });
        repeat.count += 1;
        if repeat.count == 2 {
            let mut printed = String::new();
            printer.write(&mut printed, ty);
            repeat.len = printed.len();
        }
        repeat.hints.extend(hint.clone());
    }
    let is_array = matches!(ty, Ty::Array(_));
    for (key, child) in ty.children_mut() {
        let hint = match key {
            Some(key) => Some(pascal_case(key)),
            // An array's items are one of what the array's key names.
            None if is_array => hint.as_deref().map(singular),
            None => hint.clone(),
        };
        count(child, hint, seen, order, printer);
    }
}

/// The first type below the top of `root` whose hash is `hash`.
fn find(root: &mut Ty, hash: u64) -> Option<Ty> {
    for (_, child) in root.children_mut() {
        if hash_of(child) == hash {
            return Some(child.clone());
        }
        if let Some(found) = find(child, hash) {
            return Some(found);
        }
    }
    None
}

/// Replaces every copy of `from` below the top of `root` by `to`.
fn replace(root: &mut Ty, from: &Ty, to: &Ty) {
    for (_, child) in root.children_mut() {
        if child == from {
            *child = to.clone();
        } else {
            replace(child, from, to);
        }
    }
}

/// `workflow_runs_filter` → `WorkflowRunsFilter`, `perPage` → `PerPage`.
fn pascal_case(key: &str) -> String {
    key.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// `Entities` → `Entity`, `Relations` → `Relation`; other words unchanged.
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if word.ends_with("ss") || word.ends_with("us") {
        word.to_owned()
    } else if let Some(stem) = word.strip_suffix('s') {
        stem.to_owned()
    } else {
        word.to_owned()
    }
}

/// The legend: for each property key whose note repeats, the note that
/// saves the most when printed once, if that saves enough. A key that also appears
/// without any note gets no entry, so a bare property never borrows a note
/// that was not written for it.
pub(crate) fn legend(roots: &mut [&mut Ty], aliases: &mut Aliases) -> Vec<(String, String)> {
    let mut notes = NotesByKey::default();
    for root in all_roots(roots, aliases) {
        notes.collect(root);
    }
    notes
        .keys
        .into_iter()
        .filter(|key| !key.undocumented)
        .filter_map(|key| {
            // The note whose single mention saves the most text.
            let mut best: Option<(String, usize, usize)> = None;
            for (note, count) in key.notes {
                let saving =
                    (note.len() * (count - 1)).saturating_sub(key.key.len() + "// : \n".len());
                if best.as_ref().is_none_or(|(_, _, s)| saving > *s) {
                    best = Some((note, count, saving));
                }
            }
            let (note, count, saving) = best?;
            (count >= 2 && saving >= MIN_LEGEND_SAVING).then_some((key.key, note))
        })
        .collect()
}

/// The legend as the printer looks it up.
pub(crate) fn legend_map(entries: &[(String, String)]) -> Legend {
    entries.iter().cloned().collect()
}

/// How notes are printed before the legend exists.
const WITH_NOTES: Printer<'static> = Printer {
    docs: true,
    legend: None,
};

/// Every note written after properties of one key, in first-seen order.
struct KeyNotes {
    key: String,
    notes: Vec<(String, usize)>,
    undocumented: bool,
}

/// Every property key seen, in first-seen order.
#[derive(Default)]
struct NotesByKey {
    keys: Vec<KeyNotes>,
    index: HashMap<String, usize>,
}

impl NotesByKey {
    fn collect(&mut self, ty: &mut Ty) {
        if let Ty::Object(obj) = ty {
            for prop in &obj.props {
                let index = *self.index.entry(prop.key.clone()).or_insert_with(|| {
                    self.keys.push(KeyNotes {
                        key: prop.key.clone(),
                        notes: Vec::new(),
                        undocumented: false,
                    });
                    self.keys.len() - 1
                });
                let entry = &mut self.keys[index];
                if prop.doc.is_empty() {
                    entry.undocumented = true;
                } else if !WITH_NOTES.is_multiline(&prop.ty) {
                    // Notes of multi-line members stand above them, never in the legend.
                    let note = prop.doc.one_line();
                    match entry.notes.iter_mut().find(|(n, _)| *n == note) {
                        Some((_, n)) => *n += 1,
                        None => entry.notes.push((note, 1)),
                    }
                }
            }
        }
        for (_, child) in ty.children_mut() {
            self.collect(child);
        }
    }
}
