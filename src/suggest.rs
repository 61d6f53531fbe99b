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
}
