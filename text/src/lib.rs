//! Text helpers every layer shares: sizes for people, texts cut to a
//! bound with a note of how long they were, and "did you mean …?".

pub mod suggest;

/// A size for people: `512 bytes`, `1.5 KiB`, `20.0 MiB`.
pub fn size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    match bytes as f64 {
        b if b < KIB => format!("{bytes} bytes"),
        b if b < KIB * KIB => format!("{:.1} KiB", b / KIB),
        b => format!("{:.1} MiB", b / (KIB * KIB)),
    }
}

/// The longest note `cut` writes: `… [cut: 1023.9 MiB in all]`.
const MAX_NOTE: usize = 32;

/// `text` cut to at most `max` bytes (on a character boundary), with a note
/// saying how long it was; a text cut before keeps its first note.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let (body, note) = match text.rfind("… [cut: ") {
        // Only a note of the length this writes: a text can forge one.
        Some(at) if text.ends_with(" in all]") && text.len() - at <= MAX_NOTE => {
            (&text[..at], text[at..].to_owned())
        }
        _ => (text, format!("… [cut: {} in all]", size(text.len()))),
    };
    let mut end = max.min(body.len());
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &body[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_marks_what_it_cut() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut(&"é".repeat(10), 5), "éé… [cut: 20 bytes in all]");
        let twice = cut(&cut(&"x".repeat(4 << 20), 1000), 10);
        assert_eq!(twice, "xxxxxxxxxx… [cut: 4.0 MiB in all]");
        assert_eq!(size(3 << 20), "3.0 MiB");
        assert_eq!(size(1536), "1.5 KiB");
        // A note forged to be long is text like any other.
        let forged = format!("x… [cut: {} in all]", "9".repeat(5000));
        assert_eq!(cut(&forged, 4), "x…… [cut: 4.9 KiB in all]");
    }

    proptest::proptest! {
        /// Whatever a text holds (notes of cuts, forged ones among them), a
        /// cut of it is at most its note longer than asked.
        #[test]
        fn a_cut_is_at_most_a_note_longer_than_asked(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("… [cut: ".to_owned()),
                    proptest::strategy::Just(" in all]".to_owned()),
                    "[0-9a-zé]{0,40}",
                ],
                0..12,
            ),
            max in 0usize..200,
        ) {
            let text = parts.concat();
            proptest::prop_assert!(cut(&text, max).len() <= max + MAX_NOTE);
        }
    }
}
