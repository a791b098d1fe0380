//! How well transcripts match what was said: character error rate, and on their own the menu
//! names and the amounts, which are what an order needs.

use ai_protocol::amounts::{KO_COUNTERS, KO_NUMBER_WORDS, KO_STANDALONE_NUMBERS};

use crate::whisper::MenuVocabulary;

/// Errors against what was said, summed over clips of one language.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub clips: usize,
    /// Character edits and the characters said (letters and digits only).
    pub char_errors: usize,
    pub chars: usize,
    /// Menu names said, and how many of them were heard.
    pub names_said: usize,
    pub names_heard: usize,
    /// Amounts said ("두 개", "two", "3"), and how many of them were heard.
    pub numbers_said: usize,
    pub numbers_heard: usize,
}

impl Tally {
    /// Adds one clip: `said` is the sentence, `heard` the transcript.
    pub fn add(&mut self, vocabulary: &MenuVocabulary, lang: &str, said: &str, heard: &str) {
        let said_letters = letters(said);
        self.clips += 1;
        self.char_errors += char_errors(&said_letters, &letters(heard));
        self.chars += said_letters.len();
        let (said_names, heard_names) = (squash(said), squash(heard));
        for name in names(vocabulary, lang) {
            if said_names.contains(&name) {
                self.names_said += 1;
                self.names_heard += usize::from(heard_names.contains(&name));
            }
        }
        let mut heard_numbers = numbers(heard);
        for n in numbers(said) {
            self.numbers_said += 1;
            if let Some(i) = heard_numbers.iter().position(|&h| h == n) {
                heard_numbers.swap_remove(i);
                self.numbers_heard += 1;
            }
        }
    }

    pub fn cer(&self) -> f64 {
        percent(self.char_errors, self.chars)
    }

    pub fn names(&self) -> f64 {
        percent(self.names_heard, self.names_said)
    }

    pub fn numbers(&self) -> f64 {
        percent(self.numbers_heard, self.numbers_said)
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// Lower-case letters and digits: punctuation and spacing are not what is scored.
pub fn letters(text: &str) -> Vec<char> {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn squash(text: &str) -> String {
    letters(text).into_iter().collect()
}

/// Character edits (Levenshtein) from what was said to what was heard, both as `letters`.
pub fn char_errors(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let next = (diagonal + usize::from(x != y))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The menu's names in `lang`, squashed, each once.
fn names(vocabulary: &MenuVocabulary, lang: &str) -> Vec<String> {
    let mut names: Vec<String> = vocabulary
        .terms()
        .map(|t| squash(if lang == "ko" { &t.ko } else { &t.en }))
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

const EN_NUMBERS: [(&str, u32); 10] = [
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
];

/// The amounts in `text`, in order: digits, English number words, and Korean native numbers
/// with a counter ("두 개", "세트 세 개"; "네" alone is "yes", not four) or standing alone
/// ("하나요").
pub fn numbers(text: &str) -> Vec<u32> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        if let Some(n) = number_word(word, next) {
            out.push(n);
        }
    }
    out
}

fn number_word(word: &str, next: &str) -> Option<u32> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return digits.parse().ok();
    }
    if let Some(&(_, n)) = EN_NUMBERS.iter().find(|(w, _)| *w == word) {
        return Some(n);
    }
    // People ("네 명") count here too: a group size is an amount said.
    let counted =
        |rest: &str| rest.starts_with('명') || KO_COUNTERS.iter().any(|c| rest.starts_with(c));
    for &(native, n) in KO_NUMBER_WORDS {
        if let Some(rest) = word.strip_prefix(native) {
            if (rest.is_empty() && counted(next)) || (!rest.is_empty() && counted(rest)) {
                return Some(n);
            }
        }
    }
    KO_STANDALONE_NUMBERS
        .iter()
        .find(|(w, _)| word.starts_with(w))
        .map(|&(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_errors_ignore_case_spacing_and_punctuation() {
        let errors = |said: &str, heard: &str| char_errors(&letters(said), &letters(heard));
        assert_eq!(errors("치킨 디너 하나요", "치킨디너, 하나요."), 0);
        assert_eq!(errors("Two French dinners", "to french dinners"), 1);
        assert_eq!(errors("프렌치 디너", "블렌치 디너"), 1);
        assert_eq!(errors("콜라", ""), 2);
    }

    #[test]
    fn amounts_are_read_in_both_languages() {
        assert_eq!(numbers("프렌치 디너 디럭스 두 개요"), [2]);
        assert_eq!(numbers("샴페인 축제 디너 한 세트, 콜라 세병"), [1, 3]);
        assert_eq!(numbers("네, 치킨 디너 하나요"), [1]);
        assert_eq!(numbers("세트 메뉴 2인분"), [2]);
        assert_eq!(
            numbers("Two French dinners and 3 colas, one salad"),
            [2, 3, 1]
        );
        assert!(numbers("Someone at the door").is_empty());
    }

    #[test]
    fn names_and_numbers_are_counted_on_their_own() {
        let v = MenuVocabulary::default();
        let mut t = Tally::default();
        t.add(
            &v,
            "ko",
            "치킨 디너 매운 맛 두 개",
            "치킨 디너, 마운 맛 도겸",
        );
        assert_eq!((t.names_said, t.names_heard), (2, 1));
        assert_eq!((t.numbers_said, t.numbers_heard), (1, 0));
        t.add(&v, "en", "two French dinners", "2 french dinners");
        assert_eq!((t.names_said, t.names_heard), (3, 2));
        assert_eq!((t.numbers_said, t.numbers_heard), (2, 1));
        assert_eq!(t.clips, 2);
    }
}
