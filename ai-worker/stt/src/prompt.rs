//! Whisper's initial prompt. Whisper imitates the prompt's style: a list of menu words invites
//! a list of menu words back, so the prompt's shape is a setting measured on the spoken tune
//! split (`ai-worker-stt score`, `WHISPER_PROMPT`).

use std::collections::HashSet;
use std::str::FromStr;

use crate::whisper::MenuVocabulary;

/// The shape of the initial prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptStyle {
    /// The menu's names as labelled lists ([`MenuVocabulary::prompt`]).
    List,
    /// A few example orders in the language, with amounts and counters.
    Sentences,
    /// One short line naming the shop.
    Short,
    /// No prompt.
    None,
}

impl FromStr for PromptStyle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "list" => Ok(Self::List),
            "sentences" => Ok(Self::Sentences),
            "short" => Ok(Self::Short),
            "none" => Ok(Self::None),
            _ => Err("must be list, sentences, short or none".into()),
        }
    }
}

/// The prompt style per language. The default is the menu's lists in both: on the spoken tune
/// split the English example orders transcribed better (character errors 12.6 % → 7.7 %) but
/// the orders understood from them were one fewer (27 against 28 of 56), and in Korean they came
/// back as orders nobody placed ("샴페인 축제 디너 매운 맛 네 개 주세요." for "저 혼자 먹을
/// 거예요…"). See docs/voice-pipeline.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptChoice {
    pub ko: PromptStyle,
    pub en: PromptStyle,
}

impl Default for PromptChoice {
    fn default() -> Self {
        Self {
            ko: PromptStyle::List,
            en: PromptStyle::List,
        }
    }
}

impl PromptChoice {
    pub fn for_language(&self, language: &str) -> PromptStyle {
        if language == "ko" {
            self.ko
        } else {
            self.en
        }
    }
}

/// One style for both (`sentences`), or per language (`ko=list,en=sentences`; an unnamed
/// language keeps its default).
impl FromStr for PromptChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.contains('=') {
            let style = s.parse()?;
            return Ok(Self {
                ko: style,
                en: style,
            });
        }
        let mut choice = Self::default();
        for part in s.split(',') {
            let (language, style) = part.split_once('=').ok_or("expected LANG=STYLE pairs")?;
            let style = style.parse()?;
            match language.trim() {
                "ko" => choice.ko = style,
                "en" => choice.en = style,
                other => return Err(format!("no prompt for language `{other}` (ko or en)")),
            }
        }
        Ok(choice)
    }
}

/// A prompt's words, to tell whether a transcript could have been made out of it.
#[derive(Debug, Default)]
pub struct PromptPieces {
    words: HashSet<String>,
}

impl PromptPieces {
    pub fn new(prompt: Option<&str>) -> Self {
        let words = prompt.map_or_else(String::new, normalise_words);
        Self {
            words: words
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    /// True when every word of `text` is a word of the prompt: whisper may have pieced it
    /// together from the prompt ("One French Dinner in Original style, please." over noise)
    /// rather than heard it.
    pub fn is_piece(&self, text: &str) -> bool {
        let text = normalise_words(text);
        !text.is_empty() && text.split(' ').all(|w| self.words.contains(w))
    }
}

/// Lower case, letters and digits only, single spaces.
pub fn normalise_words(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

const KO_AMOUNTS: [&str; 5] = ["두 개", "한 세트", "세 개", "하나", "네 개"];
const EN_AMOUNTS: [&str; 5] = ["Two", "One", "Three", "A", "Four"];

/// "Two French Dinners", "One English Dinner": whisper copies the prompt's grammar ("two French
/// Dinner's" after an unpluralised example).
fn en_amount(i: usize, name: &str) -> String {
    let amount = EN_AMOUNTS[i % EN_AMOUNTS.len()];
    let plural = if matches!(amount, "One" | "A") {
        ""
    } else {
        "s"
    };
    format!("{amount} {name}{plural}")
}

/// The prompt of `style` for `language` (`en`, `ko`; none for others).
pub fn initial_prompt(
    vocabulary: &MenuVocabulary,
    style: PromptStyle,
    language: &str,
) -> Option<String> {
    if !matches!(language, "en" | "ko") {
        return None;
    }
    match style {
        PromptStyle::List => vocabulary.prompt(language),
        PromptStyle::Sentences => Some(example_orders(vocabulary, language)),
        PromptStyle::Short if language == "ko" => Some("미스터 대박 디너 주문입니다.".into()),
        PromptStyle::Short => Some("Mr. Daebak dinner order.".into()),
        PromptStyle::None => None,
    }
}

/// One order per dinner, each with a style and an amount, then the side dishes: the way
/// customers speak, so whisper writes sentences, numbers and counters too.
fn example_orders(v: &MenuVocabulary, language: &str) -> String {
    let style = |i: usize| v.styles.get(i % v.styles.len().max(1));
    let mut lines: Vec<String> = v
        .dinners
        .iter()
        .enumerate()
        .map(|(i, d)| match (language, style(i)) {
            ("ko", Some(s)) => format!("{} {} {} 주세요.", d.ko, s.ko, KO_AMOUNTS[i % 5]),
            ("ko", None) => format!("{} {} 주세요.", d.ko, KO_AMOUNTS[i % 5]),
            (_, Some(s)) => format!("{} in {} style, please.", en_amount(i, &d.en), s.en),
            (_, None) => format!("{}, please.", en_amount(i, &d.en)),
        })
        .collect();
    let sides: Vec<&str> = v
        .sides
        .iter()
        .map(|t| {
            if language == "ko" {
                t.ko.as_str()
            } else {
                t.en.as_str()
            }
        })
        .collect();
    if let [a, b, ..] = sides[..] {
        lines.push(match language {
            "ko" => format!("{a} 하나하고 {b} 두 개 추가요."),
            _ => format!("Add one {a} and two {b}."),
        });
    }
    lines.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_orders_name_the_menu_with_amounts() {
        let v = MenuVocabulary::default();
        let ko = initial_prompt(&v, PromptStyle::Sentences, "ko").unwrap();
        assert!(
            ko.starts_with("발렌타인 디너 심플 두 개 주세요. 프렌치 디너 그랜드 한 세트 주세요."),
            "{ko}"
        );
        assert!(
            ko.ends_with("감자튀김 하나하고 샐러드 두 개 추가요."),
            "{ko}"
        );
        let en = initial_prompt(&v, PromptStyle::Sentences, "en").unwrap();
        assert!(en.ends_with("Add one Fries and two Salad."), "{en}");
        assert!(
            en.starts_with(
                "Two Valentine Dinners in Simple style, please. \
                 One French Dinner in Grand style, please."
            ),
            "{en}"
        );
        assert_eq!(initial_prompt(&v, PromptStyle::Sentences, "ja"), None);
    }

    #[test]
    fn a_transcript_copied_from_the_prompt_is_a_piece_of_it() {
        let v = MenuVocabulary::default();
        let en = PromptPieces::new(initial_prompt(&v, PromptStyle::Sentences, "en").as_deref());
        assert!(en.is_piece("One French Dinner in Grand style, please."));
        assert!(en.is_piece("One Chicken Dinner in Original style, please."));
        assert!(en.is_piece("grand style"));
        assert!(!en.is_piece("I'd like one French Dinner in Grand style."));
        assert!(!en.is_piece("Frenc"));
        assert!(!en.is_piece(" ,"));
        assert!(!PromptPieces::new(None).is_piece("anything"));
    }

    #[test]
    fn styles_parse_and_none_means_no_prompt() {
        assert_eq!("Sentences".parse(), Ok(PromptStyle::Sentences));
        assert!("lists".parse::<PromptStyle>().is_err());
        let both: PromptChoice = "none".parse().unwrap();
        assert_eq!((both.ko, both.en), (PromptStyle::None, PromptStyle::None));
        let each: PromptChoice = "en=list, ko=sentences".parse().unwrap();
        assert_eq!(
            (each.ko, each.en),
            (PromptStyle::Sentences, PromptStyle::List)
        );
        let one: PromptChoice = "ko=short".parse().unwrap();
        assert_eq!(one.for_language("en"), PromptChoice::default().en);
        for bad in ["ja=list", "ko=lists", "ko"] {
            assert!(bad.parse::<PromptChoice>().is_err(), "{bad}");
        }
        let v = MenuVocabulary::default();
        assert_eq!(initial_prompt(&v, PromptStyle::None, "ko"), None);
        assert_eq!(initial_prompt(&v, PromptStyle::List, "en"), v.prompt("en"));
    }
}
