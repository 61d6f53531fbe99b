//! Token counts with a real tokenizer (o200k_base, embedded in tiktoken-rs).

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

/// The o200k_base tokenizer, loaded once (loading costs a few hundred ms).
pub fn o200k() -> &'static CoreBPE {
    static BPE: OnceLock<CoreBPE> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::o200k_base().expect("tiktoken-rs embeds o200k_base"))
}

/// Tokens of `text` under o200k_base.
pub fn count(text: &str) -> usize {
    o200k().encode_with_special_tokens(text).len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_real_tokens() {
        assert_eq!(super::count(""), 0);
        assert_eq!(super::count("hello world"), 2);
        assert!(
            super::count("function get_sum(args: { a: number; b: number }): Promise<unknown>;")
                > 10
        );
    }
}
