//! Ranking the API's functions for a query: BM25 over each function's name,
//! description and property names.

use std::collections::HashMap;

use codemode_typegen::Api;
use serde_json::Value;

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Words in a function's name say the most about it, so the name is its own
/// field (a long description must not drown it) and weighs more.
const NAME_WEIGHT: f64 = 2.0;
/// A bonus for the share of the name's words the query covers, so
/// "list issues" prefers `list_issues` to `list_issue_types`.
const COVERAGE_WEIGHT: f64 = 3.0;
const PROPERTY_WEIGHT: f64 = 1.5;

/// One searchable function: `(namespace index, function index)`.
pub type Hit = (usize, usize);

/// BM25 statistics of one field across all functions.
#[derive(Default)]
struct Field {
    docs: Vec<HashMap<String, f64>>,
    document_frequency: HashMap<String, usize>,
    average_length: f64,
}

impl Field {
    fn push(&mut self, terms: HashMap<String, f64>) {
        for term in terms.keys() {
            *self.document_frequency.entry(term.clone()).or_default() += 1;
        }
        self.docs.push(terms);
    }

    fn finish(&mut self) {
        let total: f64 = self.docs.iter().map(|d| d.values().sum::<f64>()).sum();
        self.average_length = total / self.docs.len().max(1) as f64;
    }

    fn score(&self, doc: usize, query: &[String]) -> f64 {
        let terms = &self.docs[doc];
        let length: f64 = terms.values().sum();
        let n = self.docs.len() as f64;
        query
            .iter()
            .filter_map(|q| {
                let tf = *terms.get(q)?;
                let df = *self.document_frequency.get(q)? as f64;
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                Some(
                    idf * tf * (K1 + 1.0)
                        / (tf + K1 * (1.0 - B + B * length / self.average_length.max(1e-9))),
                )
            })
            .sum()
    }
}

pub struct Index {
    hits: Vec<Hit>,
    names: Field,
    texts: Field,
}

impl Index {
    pub fn new(api: &Api) -> Index {
        let mut index = Index {
            hits: Vec::new(),
            names: Field::default(),
            texts: Field::default(),
        };
        for (n, namespace) in api.namespaces().iter().enumerate() {
            for (f, function) in namespace.functions().iter().enumerate() {
                let mut text: HashMap<String, f64> = HashMap::new();
                let mut add = |words: &str, weight: f64| {
                    for token in tokens(words) {
                        *text.entry(token).or_default() += weight;
                    }
                };
                add(namespace.server(), 1.0);
                let raw = function.raw();
                for key in ["title", "description"] {
                    if let Some(words) = raw.get(key).and_then(Value::as_str) {
                        add(words, 1.0);
                    }
                }
                if let Some(Value::Object(properties)) =
                    raw.get("inputSchema").and_then(|s| s.get("properties"))
                {
                    for (name, schema) in properties {
                        add(name, PROPERTY_WEIGHT);
                        if let Some(words) = schema.get("description").and_then(Value::as_str) {
                            add(words, 0.5);
                        }
                    }
                }
                let mut name: HashMap<String, f64> = HashMap::new();
                for token in tokens(function.tool()) {
                    *name.entry(token).or_default() += 1.0;
                }
                index.hits.push((n, f));
                index.names.push(name);
                index.texts.push(text);
            }
        }
        index.names.finish();
        index.texts.finish();
        index
    }

    /// The best `limit` functions for `query`, best first; ties keep API order.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let query = tokens(query);
        let mut scored: Vec<(f64, Hit)> = (0..self.hits.len())
            .filter_map(|doc| {
                let name = &self.names.docs[doc];
                let covered = name.keys().filter(|t| query.contains(t)).count();
                let coverage = if name.is_empty() {
                    0.0
                } else {
                    covered as f64 / name.len() as f64
                };
                let score = NAME_WEIGHT * self.names.score(doc, &query)
                    + self.texts.score(doc, &query)
                    + if covered > 0 {
                        COVERAGE_WEIGHT * coverage
                    } else {
                        0.0
                    };
                (score > 0.0).then_some((score, self.hits[doc]))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(limit).map(|(_, hit)| hit).collect()
    }
}

/// Lowercase words, split at non-alphanumerics and camelCase humps, with a
/// light plural strip so "issues" finds "issue".
fn tokens(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words
        .into_iter()
        .filter(|w| w.len() > 1)
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() > 2 && !stem.ends_with('s') => stem.to_owned(),
            _ => w,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tokens_split_names_and_prose() {
        assert_eq!(tokens("list_pullRequests"), ["list", "pull", "request"]);
        assert_eq!(
            tokens("Get the issues, fast!"),
            ["get", "the", "issue", "fast"]
        );
        assert_eq!(tokens("issue"), tokens("issues"));
        assert_eq!(tokens("class"), ["class"], "a double s is not a plural");
    }

    fn api() -> Api {
        Api::new(vec![(
            "gh".into(),
            vec![
                json!({"name": "list_issues", "description": "List issues in a repository.", "inputSchema": {"properties": {"owner": {}, "repo": {}}}}),
                json!({"name": "create_pull_request", "description": "Open a new pull request.", "inputSchema": {"properties": {"head": {}, "base": {}}}}),
                json!({"name": "get_file_contents", "description": "Read a file or directory.", "inputSchema": {"properties": {"path": {}, "ref": {}}}}),
            ],
        )])
    }

    #[test]
    fn a_name_the_query_covers_beats_a_longer_one() {
        let api = Api::new(vec![(
            "gh".into(),
            vec![
                json!({"name": "list_issue_types", "description": "List issue types."}),
                json!({"name": "list_issues", "description": "List issues in a repository, with filters for state, labels, and more.",
                    "inputSchema": {"properties": {"owner": {}, "repo": {}, "state": {}, "labels": {}, "since": {}, "perPage": {}}}}),
            ],
        )]);
        assert_eq!(
            Index::new(&api).search("list issues of a repository", 2),
            vec![(0, 1), (0, 0)]
        );
    }

    #[test]
    fn ranks_names_above_prose() {
        let index = Index::new(&api());
        assert_eq!(index.search("pull request", 3), vec![(0, 1)]);
        assert_eq!(index.search("issues", 3), vec![(0, 0)]);
        assert_eq!(index.search("read file path", 1), vec![(0, 2)]);
        assert!(index.search("kubernetes", 3).is_empty());
    }
}
