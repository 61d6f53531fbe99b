//! "Did you mean …?" for misspelled names.

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = name.to_lowercase();
    let wanted_len = wanted.chars().count();
    candidates
        .into_iter()
        .filter_map(|c| {
            let len = c.chars().count();
            let allowed = (len.max(wanted_len) / 3).max(1);
            // The distance is at least the difference in length: skip the
            // quadratic comparison when that alone is too far (a program can
            // ask for a name megabytes long).
            (len.abs_diff(wanted_len) <= allowed)
                .then(|| (edit_distance(&wanted, &c.to_lowercase()), c))
                .filter(|&(d, _)| d <= allowed)
        })
        .min_by_key(|&(d, c)| (d, c.len()))
        .map(|(_, c)| c)
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
