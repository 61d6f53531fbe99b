//! One spelling for names and phrases that read the same to a person or a
//! model: case, compatibility forms (fullwidth letters), invisible
//! characters and confusable lookalikes (Cyrillic `е` for Latin `e`) all
//! fold away, by the skeleton of Unicode Technical Standard #39.

use unicode_security::confusable_detection::skeleton;

/// `text` folded: lowercase, with each character replaced by the prototype
/// of its confusables and invisible ones dropped. ASCII punctuation is kept
/// as it is, so a glob pattern folds to a glob with the same wildcards.
pub(crate) fn fold(text: &str) -> String {
    // The skeleton may give capitals (`м` → `M`) whose lowercase folds
    // further (`m` → `rn`): fold until nothing changes.
    let mut folded = fold_once(text);
    for _ in 0..4 {
        let again = fold_once(&folded);
        if again == folded {
            break;
        }
        folded = again;
    }
    folded
}

fn fold_once(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, folded: &mut String| {
        folded.extend(skeleton(&run.to_lowercase()).flat_map(char::to_lowercase));
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            flush(&mut run, &mut folded);
            folded.push(c);
        } else {
            run.push(c);
        }
    }
    flush(&mut run, &mut folded);
    folded
}

/// Whether `text` has characters that [`fold`] changes other than by case:
/// lookalikes, compatibility forms or invisible characters.
pub(crate) fn disguised(text: &str) -> bool {
    !text.is_ascii() && fold(text) != text.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lookalikes_fold_to_one_spelling() {
        // Cyrillic е and о, fullwidth letters, a zero-width space.
        assert_eq!(fold("d\u{435}l\u{435}te_rep\u{43E}"), fold("delete_repo"));
        assert_eq!(fold("ＤＥＬＥＴＥ"), fold("delete"));
        assert_eq!(fold("del\u{200B}ete"), fold("delete"));
        assert_eq!(fold("Delete_Repo"), fold("delete_repo"));
        assert_ne!(fold("delete"), fold("create"));
        // Glob wildcards survive.
        assert_eq!(
            fold("gh.*_[ab]{x,y}?"),
            format!(
                "{}.*_[{}]{{{},{}}}?",
                fold("gh"),
                fold("ab"),
                fold("x"),
                fold("y")
            )
        );
        assert!(disguised("d\u{435}lete"));
        assert!(!disguised("Delete"));
    }

    proptest! {
        /// Whatever the case of an ASCII name, it folds to the same text.
        #[test]
        fn case_never_matters(name in "[a-zA-Z0-9_.-]{0,40}") {
            prop_assert_eq!(fold(&name), fold(&name.to_lowercase()));
            prop_assert_eq!(fold(&name), fold(&name.to_uppercase()));
        }

        /// Folding is idempotent, so folding both sides of a comparison is enough.
        #[test]
        fn folding_twice_changes_nothing(name in "\\PC{0,30}") {
            prop_assert_eq!(fold(&fold(&name)), fold(&name));
        }
    }
}
