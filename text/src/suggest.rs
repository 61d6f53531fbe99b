//! "Did you mean …?" for misspelled names.

/// Characters compared, in all, for one suggestion: a server may list
/// thousands of tools with long names, and a program may ask about one
/// such name per call; the call must still be answered at once.
const MAX_COMPARED: usize = 1 << 20;

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = name.to_lowercase();
    let wanted_len = wanted.chars().count();
    let mut budget = MAX_COMPARED;
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let len = c.chars().count();
        let allowed = (len.max(wanted_len) / 3).max(1);
        // The distance is at least the difference in length: skip the
        // quadratic comparison when that alone is too far (a program can
        // ask for a name megabytes long), or when it would overspend.
        let cost = len.saturating_mul(wanted_len);
        if len.abs_diff(wanted_len) > allowed || cost > budget {
            continue;
        }
        budget -= cost;
        let distance = edit_distance(&wanted, &c.to_lowercase());
        let closer = best.is_none_or(|(d, b)| (distance, c.len()) < (d, b.len()));
        if distance <= allowed && closer {
            best = Some((distance, c));
        }
    }
    best.map(|(_, c)| c)
}

/// What a program most likely meant by `name` in namespace `ns`, whose
/// functions are `functions`: a close spelling, the name with or without
/// the server's prefix (`git.log` for `git_log`, `git.git_log` for
/// `git_log`), or the one function whose name holds it (`projects` for
/// `list_projects`).
pub fn function_meant<'a>(
    name: &str,
    ns: &str,
    functions: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    if let Some(close) = did_you_mean(name, functions.clone()) {
        return Some(close);
    }
    let wanted = fold_name(name);
    let ns = fold_name(ns);
    let bare = wanted.strip_prefix(&ns).unwrap_or(&wanted);
    let prefixed = |f: &str| {
        let f = fold_name(f);
        f == bare || f.strip_prefix(&ns) == Some(bare)
    };
    if let Some(found) = functions.clone().into_iter().find(|f| prefixed(f)) {
        return Some(found);
    }
    // The only function whose name holds it.
    if wanted.len() < 3 {
        return None;
    }
    let mut holding = functions
        .into_iter()
        .filter(|f| fold_name(f).contains(&wanted));
    match (holding.next(), holding.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// A name without case or separators: `getIssue`, `get_issue` and
/// `get-issue` are one.
fn fold_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// `ns.name` as a program would write it, or `ns["…"]` (quoted, cut to 64
/// characters) when `name` is no identifier: a name read from a tool's
/// answer never reads as an error's own words.
pub fn member(ns: &str, name: &str) -> String {
    const MAX_SHOWN: usize = 64;
    let identifier = name.len() <= MAX_SHOWN
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        return format!("{ns}.{name}");
    }
    let mut shown: String = name.chars().take(MAX_SHOWN).collect();
    if shown.len() < name.len() {
        shown.push('…');
    }
    format!("{ns}[{}]", serde_json::Value::String(shown))
}

/// `names` as a short list: the first `n`, then how many more.
pub fn listed<'a>(names: impl IntoIterator<Item = &'a str>, n: usize) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut shown = names.iter().take(n).copied().collect::<Vec<_>>().join(", ");
    if names.len() > n {
        shown.push_str(&format!(" and {} more", names.len() - n));
    }
    shown
}

/// Up to `n` candidates nearest to the glob `pattern` (ignoring case),
/// nearest first, however far: for listing what a pattern that matched
/// nothing might have meant. A `*` stands for any text and a `?` for any
/// character at no cost. Only the first characters of long names count.
pub fn closest<'a>(
    pattern: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    const COMPARED: usize = 200;
    let head = |s: &str| -> Vec<char> { s.to_lowercase().chars().take(COMPARED).collect() };
    let wanted = head(pattern);
    let mut ranked: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (glob_distance(&wanted, &head(c)), c))
        .collect();
    ranked.sort_by_key(|&(d, c)| (d, c.len(), c));
    ranked.dedup_by_key(|&mut (_, c)| c);
    ranked.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Levenshtein distance from a glob to a name, where `*` matches any run
/// of characters and `?` any one character for free.
fn glob_distance(pattern: &[char], name: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=name.len()).collect();
    for &p in pattern {
        let mut next = vec![0; name.len() + 1];
        next[0] = if p == '*' { row[0] } else { row[0] + 1 };
        for (j, &c) in name.iter().enumerate() {
            next[j + 1] = if p == '*' {
                row[j + 1].min(next[j])
            } else {
                let substitution = row[j] + usize::from(p != '?' && p != c);
                substitution.min(row[j + 1] + 1).min(next[j] + 1)
            };
        }
        row = next;
    }
    row[name.len()]
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["list_issues", "get_issue", "create_issue"];
        assert_eq!(did_you_mean("list_issue", names), Some("list_issues"));
        assert_eq!(did_you_mean("getIssue", names), Some("get_issue"));
        assert_eq!(did_you_mean("Create_Issue", names), Some("create_issue"));
        assert_eq!(did_you_mean("delete_everything", names), None);
        assert_eq!(did_you_mean(&"list_issues".repeat(100_000), names), None);
    }

    #[test]
    fn thousands_of_long_names_are_answered_at_once() {
        // A hostile server's 5000 tools of 250 letters, asked about by a
        // name as long: without a bound, seconds of work for each call.
        let names: Vec<String> = (0..5000)
            .map(|i| format!("{i:04}{}", "abcdefghij".repeat(25)))
            .collect();
        let asked = "q".repeat(254);
        let started = std::time::Instant::now();
        for _ in 0..10 {
            assert_eq!(did_you_mean(&asked, names.iter().map(String::as_str)), None);
        }
        // Unbounded, each took seconds (unoptimized).
        let took = started.elapsed();
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
        let meant = function_meant(&asked, "big", names.iter().map(String::as_str));
        assert_eq!(meant, None);
        // The close one is still found among them.
        let close = format!("0000{}", "abcdefghij".repeat(25));
        let typo = close.replacen('a', "b", 1);
        assert_eq!(
            did_you_mean(&typo, names.iter().map(String::as_str)),
            Some(close.as_str())
        );
    }

    #[test]
    fn a_function_named_without_or_with_its_servers_prefix_is_found() {
        let git = ["git_log", "git_status", "git_diff_staged"];
        assert_eq!(function_meant("log", "git", git), Some("git_log"));
        assert_eq!(function_meant("status", "git", git), Some("git_status"));
        assert_eq!(function_meant("gitLog", "git", git), Some("git_log"));
        let demo = ["list_projects", "get_issue", "list_issues"];
        assert_eq!(
            function_meant("demo_get_issue", "demo", demo),
            Some("get_issue")
        );
        assert_eq!(
            function_meant("projects", "demo", demo),
            Some("list_projects")
        );
        // Two functions hold `issue`: no guess.
        assert_eq!(function_meant("issue", "demo", demo), None);
        assert_eq!(function_meant("delete_everything", "demo", demo), None);
        assert_eq!(function_meant("", "demo", demo), None);
    }

    mod spelled {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whichever way a model spells a tool's name (with or without
            /// its server's prefix, in camelCase or any case), it is found.
            #[test]
            fn every_spelling_of_a_function_finds_it(
                ns in "[a-z]{2,8}",
                words in proptest::collection::vec("[a-z]{3,8}", 1..4),
                upper in proptest::bool::ANY,
            ) {
                let bare = words.join("_");
                let prefixed = format!("{ns}_{bare}");
                let camel: String = words.iter().enumerate().map(|(i, w)| {
                    if i == 0 { w.clone() } else { w[..1].to_uppercase() + &w[1..] }
                }).collect();
                let others = ["zzzz_qqqq", "xxxx_wwww_vvvv"];
                for function in [bare.as_str(), prefixed.as_str()] {
                    let functions: Vec<&str> = others.iter().copied().chain([function]).collect();
                    for written in [bare.clone(), prefixed.clone(), camel.clone(), format!("{ns}{camel}")] {
                        let written = if upper { written.to_uppercase() } else { written };
                        prop_assert_eq!(function_meant(&written, &ns, functions.clone()), Some(function), "{}", written);
                    }
                }
            }

            /// Any text asked for gives an answer or none, never a panic,
            /// and only ever one of the candidates.
            #[test]
            fn any_name_is_answered(name in "\\PC{0,40}", ns in "\\PC{0,8}") {
                let functions = ["list_issues", "get_issue", "ok"];
                if let Some(found) = function_meant(&name, &ns, functions) {
                    prop_assert!(functions.contains(&found));
                }
            }
        }
    }

    #[test]
    fn lists_are_short() {
        assert_eq!(listed(["a", "b", "c"], 2), "a, b and 1 more");
        assert_eq!(listed(["a"], 2), "a");
    }

    #[test]
    fn closest_ranks_every_candidate() {
        let names = [
            "gh.list_issues",
            "gh.get_issue",
            "fs.read_file",
            "gh.get_issue",
        ];
        assert_eq!(
            closest("gh.get_issues", names, 2),
            ["gh.get_issue", "gh.list_issues"]
        );
        assert_eq!(closest("*.READ_FIL*", names, 1), ["fs.read_file"]);
        assert_eq!(closest("g?.get_*", names, 1), ["gh.get_issue"]);
        assert_eq!(closest("zzz", names, 9).len(), 3, "duplicates once");
    }
}
