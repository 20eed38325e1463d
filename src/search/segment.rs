//! Chinese word segmentation (jieba), shared by the embedded engine's
//! tokenizer, query building, and the extra field Meilisearch indexes.

use jieba_rs::Jieba;
use std::sync::{Arc, OnceLock};

/// The one jieba instance with its default dictionary (loading it takes a
/// moment, so it is loaded once). `cang-jie`'s default has an empty
/// dictionary, which finds nothing.
pub fn jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA.get_or_init(|| Arc::new(Jieba::new())).clone()
}

/// True for a token of ASCII letters and digits (a latin word).
pub fn is_latin(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_word(token: &str) -> bool {
    token.chars().any(|c| c.is_alphanumeric())
}

/// The words of a query, in precise mode, lower-cased, without spaces and
/// punctuation: `伽师瓜 walnutt` → `伽师, 瓜, walnutt`.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in jieba().cut(q, false) {
        let w = t.word.trim().to_lowercase();
        if is_word(&w) && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Every dictionary word inside `text` (jieba full mode), space-separated:
/// what lets "牛肉干" find "昌都牦牛肉干" in an engine that only matches
/// whole words.
pub fn segments_full(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for t in jieba().cut_all(text) {
        if is_word(t.word) && !out.contains(&t.word) {
            out.push(t.word);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_split_into_precise_words_without_punctuation() {
        let terms = query_terms("伽师瓜, Walnutt");
        assert!(terms.contains(&"walnutt".to_owned()), "{terms:?}");
        assert!(!terms.iter().any(|t| t.trim().is_empty() || t == ","), "{terms:?}");
    }

    #[test]
    fn full_mode_finds_the_words_inside_compounds() {
        let s = segments_full("昌都牦牛肉干");
        assert!(s.split(' ').any(|w| w == "牛肉干"), "{s}");
    }
}
