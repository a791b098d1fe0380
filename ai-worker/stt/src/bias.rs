//! Menu-aware decoding (contextual biasing): once whisper has begun writing a menu phrase
//! ("치킨 디", "French"), the tokens that continue it get a bonus on their logits. Nothing
//! is inserted: a phrase must be begun from the audio, and the acoustic score can still
//! overrule the bonus. This is how hot words work in production ASR.

use std::collections::{HashMap, HashSet};
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use whisper_rs::{WhisperSysContext, WhisperSysState, WhisperTokenData};

use crate::whisper::{MenuVocabulary, Term};

/// Korean amounts with their counters, as orders say them ("두 개", "세 세트", "2인분").
const KO_NUMBERS: [&str; 6] = ["한", "두", "세", "네", "다섯", "여섯"];
const KO_COUNTERS: [&str; 7] = ["개", "세트", "인분", "잔", "병", "마리", "명"];
const KO_WORDS: [&str; 8] = [
    "하나",
    "둘",
    "셋",
    "넷",
    "주세요",
    "추가",
    "빼 주세요",
    "대신",
];
const EN_WORDS: [&str; 14] = [
    "one", "two", "three", "four", "five", "six", "a couple", "extra", "without", "instead",
    "please", "dinner", "dinners", "style",
];

/// The phrases whisper is helped to finish, for `language` (`ko`, `en`; none for others):
/// the menu's names plus amounts and the few verbs every order uses.
pub fn menu_phrases(vocabulary: &MenuVocabulary, language: &str) -> Vec<String> {
    let terms = vocabulary.terms();
    let mut phrases: Vec<String> = match language {
        "ko" => {
            let mut p: Vec<String> = terms.map(|t: &Term| t.ko.clone()).collect();
            for n in KO_NUMBERS {
                p.extend(KO_COUNTERS.iter().map(|c| format!("{n} {c}")));
            }
            for n in 1..=6 {
                p.extend(KO_COUNTERS.iter().map(|c| format!("{n}{c}")));
            }
            p.extend(KO_WORDS.iter().map(|w| w.to_string()));
            p
        }
        "en" => {
            let mut p: Vec<String> = Vec::new();
            for t in terms {
                // Whisper writes menu names in title case or lower case.
                p.push(t.en.clone());
                p.push(t.en.to_lowercase());
                p.push(format!("{} style", t.en.to_lowercase()));
            }
            p.extend(EN_WORDS.iter().map(|w| w.to_string()));
            p
        }
        _ => Vec::new(),
    };
    phrases.retain(|p| !p.trim().is_empty());
    phrases.sort();
    phrases.dedup();
    phrases
}

/// The phrases as bytes and the text tokens by their bytes, with the bonus to give.
#[derive(Debug)]
pub struct PhraseBias {
    /// Each phrase starts with a space: a phrase begins at a word boundary.
    phrases: Vec<Vec<u8>>,
    /// Token id → its bytes, for the text tokens (ids below end-of-text).
    token_bytes: Vec<Vec<u8>>,
    /// Bytes → the text tokens spelled so (one spelling can have several ids).
    by_bytes: HashMap<Vec<u8>, Vec<c_int>>,
    longest_token: usize,
    n_vocab: usize,
    bonus: f32,
}

/// At least the leading space and one byte of the phrase must be written before it counts as
/// begun.
const MIN_BEGUN: usize = 2;

impl PhraseBias {
    /// `token_bytes[id]` for every text token; `n_vocab` is the length of the logits row.
    pub fn new(phrases: &[String], token_bytes: Vec<Vec<u8>>, n_vocab: usize, bonus: f32) -> Self {
        let mut by_bytes: HashMap<Vec<u8>, Vec<c_int>> = HashMap::new();
        for (id, bytes) in token_bytes.iter().enumerate() {
            if let (false, Ok(id)) = (bytes.is_empty(), c_int::try_from(id)) {
                by_bytes.entry(bytes.clone()).or_default().push(id);
            }
        }
        let longest_token = token_bytes.iter().map(Vec::len).max().unwrap_or(0);
        Self {
            phrases: phrases
                .iter()
                .map(|p| format!(" {}", p.trim()).into_bytes())
                .collect(),
            token_bytes,
            by_bytes,
            longest_token,
            n_vocab,
            bonus,
        }
    }

    /// The tokens that continue a phrase begun at the end of `written`.
    pub fn continuations(&self, written: &[u8]) -> HashSet<c_int> {
        let mut out = HashSet::new();
        for phrase in &self.phrases {
            for begun in MIN_BEGUN..phrase.len() {
                if !written.ends_with(&phrase[..begun]) {
                    continue;
                }
                let rest = &phrase[begun..];
                for len in 1..=rest.len().min(self.longest_token) {
                    if let Some(ids) = self.by_bytes.get(&rest[..len]) {
                        out.extend(ids);
                    }
                }
            }
        }
        out
    }

    /// The text written so far by `tokens`, after a space (the start is a word boundary).
    fn written(&self, tokens: &[c_int]) -> Vec<u8> {
        let mut written = vec![b' '];
        for &id in tokens {
            if let Some(bytes) = usize::try_from(id)
                .ok()
                .and_then(|i| self.token_bytes.get(i))
            {
                written.extend_from_slice(bytes);
            }
        }
        written
    }

    /// Adds the bonus to the logits of the tokens that continue a begun phrase.
    pub fn apply(&self, tokens: &[c_int], logits: &mut [f32]) {
        for id in self.continuations(&self.written(tokens)) {
            if let Some(logit) = usize::try_from(id).ok().and_then(|i| logits.get_mut(i)) {
                // A token whisper has ruled out (-inf) stays ruled out.
                if logit.is_finite() {
                    *logit += self.bonus;
                }
            }
        }
    }
}

/// whisper.cpp's logits filter: `user_data` is a `PhraseBias` that outlives the decoding.
///
/// # Safety
/// whisper.cpp passes `n_tokens` token records and a logits row of the vocabulary's size;
/// `user_data` must point at a live `PhraseBias` built for this model.
pub unsafe extern "C" fn filter_logits(
    _ctx: *mut WhisperSysContext,
    _state: *mut WhisperSysState,
    tokens: *const WhisperTokenData,
    n_tokens: c_int,
    logits: *mut f32,
    user_data: *mut c_void,
) {
    if user_data.is_null() || logits.is_null() {
        return;
    }
    // SAFETY: the caller's contract above.
    let bias = unsafe { &*(user_data as *const PhraseBias) };
    let records = match usize::try_from(n_tokens) {
        Ok(n) if n > 0 && !tokens.is_null() => unsafe { std::slice::from_raw_parts(tokens, n) },
        _ => &[],
    };
    let logits = unsafe { std::slice::from_raw_parts_mut(logits, bias.n_vocab) };
    let ids: Vec<c_int> = records.iter().map(|t| t.id).collect();
    // A panic must not cross into C; losing the bonus for one step is harmless.
    let _ = catch_unwind(AssertUnwindSafe(|| bias.apply(&ids, logits)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: id → spelling.
    fn bias(vocab: &[&str], phrases: &[&str]) -> PhraseBias {
        let phrases: Vec<String> = phrases.iter().map(|p| p.to_string()).collect();
        let bytes = vocab.iter().map(|t| t.as_bytes().to_vec()).collect();
        PhraseBias::new(&phrases, bytes, vocab.len() + 1, 3.0)
    }

    fn ids(set: HashSet<c_int>) -> Vec<c_int> {
        let mut v: Vec<c_int> = set.into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn a_begun_phrase_gets_its_next_tokens() {
        let b = bias(
            &[
                " 치킨", " 디너", " 디", "너", " 두", " 개", " French", " Dinner", " dinner",
            ],
            &["치킨 디너", "두 개", "French Dinner", "french dinner"],
        );
        assert_eq!(ids(b.continuations(" 치킨".as_bytes())), [1, 2]);
        assert_eq!(ids(b.continuations(" 치킨 디".as_bytes())), [3]);
        assert_eq!(ids(b.continuations(" 두".as_bytes())), [5]);
        assert_eq!(ids(b.continuations(" I want a French".as_bytes())), [7]);
    }

    #[test]
    fn nothing_is_suggested_before_a_phrase_begins_or_mid_word() {
        let b = bias(&[" 치킨", " 디너"], &["치킨 디너"]);
        assert!(b.continuations(b" ").is_empty());
        assert!(b.continuations("맛있는".as_bytes()).is_empty());
        // "킨" inside another word does not begin "치킨 디너".
        assert!(b.continuations(" 스치킨".as_bytes()).is_empty());
        // A finished phrase asks for nothing more.
        assert!(b.continuations(" 치킨 디너".as_bytes()).is_empty());
    }

    #[test]
    fn the_bonus_lands_on_the_logits_of_the_continuation_only() {
        let b = bias(&[" 치킨", " 디너", " 도겸"], &["치킨 디너"]);
        let mut logits = [0.0, 0.0, 0.0, f32::NEG_INFINITY];
        b.apply(&[0], &mut logits);
        assert_eq!(logits[..3], [0.0, 3.0, 0.0]);
        assert_eq!(logits[3], f32::NEG_INFINITY);
        // Special tokens (no bytes) and unknown ids are ignored.
        b.apply(&[99, -1], &mut logits);
    }

    #[test]
    fn the_phrases_cover_the_menu_and_the_amounts() {
        let v = MenuVocabulary::default();
        let ko = menu_phrases(&v, "ko");
        for p in [
            "치킨 디너",
            "매운 맛",
            "두 개",
            "세 세트",
            "2인분",
            "바게트빵",
            "콜라",
        ] {
            assert!(ko.iter().any(|x| x == p), "{p}");
        }
        let en = menu_phrases(&v, "en");
        for p in [
            "French Dinner",
            "french dinner",
            "grand style",
            "scrambled eggs",
            "two",
        ] {
            assert!(en.iter().any(|x| x == p), "{p}");
        }
        assert!(menu_phrases(&v, "ja").is_empty());
    }
}
