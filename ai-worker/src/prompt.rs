//! What the model reads: the live menu, rules, worked examples (the cached prefix) and the
//! utterance with the session's order so far (the per-job suffix).

use ai_protocol::amounts::{KO_COUNTERS, KO_NUMBER_WORDS, KO_STANDALONE_NUMBERS};
use ai_protocol::{
    Customization, HistoryEntry, MenuCatalog, MenuComponent, MenuSideDish, OrderState,
};

/// Worked examples. Written for the prompt, not taken from any evaluation file, and phrased
/// differently from the evaluation sets so that scores measure generalisation.
const EXAMPLES: &[(&str, Option<&str>, &str)] = &[
    (
        "잉글리시 디너 1개 디럭스로 하고 베이컨은 빼 주세요",
        None,
        r#"{"intent":"order","menu":"english","style":"deluxe","quantity":1,"side_dishes":[],"customizations":[{"component":"bacon","quantity":0}]}"#,
    ),
    (
        "we'd like 4 valentine dinners, simple, and two corn soups",
        None,
        r#"{"intent":"order","menu":"valentine","style":"simple","quantity":4,"side_dishes":["corn_soup"],"customizations":[]}"#,
    ),
    (
        "간장 마늘 치킨 디너 3인분에 감자튀김이랑 콜라 주세요",
        None,
        r#"{"intent":"order","menu":"chicken","style":"soy_garlic","quantity":3,"side_dishes":["fries","cola"],"customizations":[]}"#,
    ),
    (
        "a champagne feast, deluxe please, with three bottles of champagne",
        None,
        r#"{"intent":"order","menu":"champagne_feast","style":"deluxe","quantity":1,"side_dishes":[],"customizations":[{"component":"champagne","quantity":3}]}"#,
    ),
    (
        "프렌치 디너 그랜드로 할게요, 샐러드는 빼고요",
        None,
        r#"{"intent":"order","menu":"french","style":"grand","quantity":1,"side_dishes":[],"customizations":[{"component":"salad","quantity":0}]}"#,
    ),
    (
        "chicken dinner original, extra pickled radish and cheese balls on the side",
        None,
        r#"{"intent":"order","menu":"chicken","style":"original","quantity":1,"side_dishes":["cheese_balls"],"customizations":[{"component":"pickled_radish","quantity":2}]}"#,
    ),
    (
        "그랜드로 바꾸고 2개 더 주세요",
        Some(
            r#"{"menu":"valentine","style":"simple","quantity":1,"side_dishes":["salad"],"customizations":[]}"#,
        ),
        r#"{"intent":"modify","menu":"valentine","style":"grand","quantity":3,"side_dishes":["salad"],"customizations":[]}"#,
    ),
    (
        "actually no fries, and add garlic bread",
        Some(
            r#"{"menu":"chicken","style":"spicy","quantity":2,"side_dishes":["fries"],"customizations":[]}"#,
        ),
        r#"{"intent":"modify","menu":"chicken","style":"spicy","quantity":2,"side_dishes":["garlic_bread"],"customizations":[]}"#,
    ),
    (
        "잉글리시 디너 디럭스 두 개하고 샴페인 축제 디너 그랜드 하나 부탁해요",
        None,
        r#"{"intent":"order","menu":"english","style":"deluxe","quantity":2,"side_dishes":[],"customizations":[],"more":[{"menu":"champagne_feast","style":"grand","quantity":1}]}"#,
    ),
    (
        "one french dinner simple for me and two original chicken dinners for the kids, plus fries",
        None,
        r#"{"intent":"order","menu":"french","style":"simple","quantity":1,"side_dishes":["fries"],"customizations":[],"more":[{"menu":"chicken","style":"original","quantity":2}]}"#,
    ),
    (
        "프렌치 디너 심플도 하나 추가해 주세요",
        Some(
            r#"{"menu":"chicken","style":"spicy","quantity":1,"side_dishes":[],"customizations":[]}"#,
        ),
        r#"{"intent":"modify","menu":"french","style":"simple","quantity":1,"side_dishes":[],"customizations":[],"more":[{"menu":"chicken","style":"spicy","quantity":1}]}"#,
    ),
    (
        "치킨은 취소할게요",
        Some(
            r#"{"menu":"chicken","style":"spicy","quantity":2,"side_dishes":["cola"],"customizations":[],"more_lines":[{"menu":"french","style":"grand","quantity":1}]}"#,
        ),
        r#"{"intent":"modify","removed":true,"side_dishes":["cola"],"more":[{"menu":"french","style":"grand","quantity":1}]}"#,
    ),
    (
        "make the valentine dinners deluxe",
        Some(
            r#"{"menu":"french","style":"simple","quantity":1,"side_dishes":[],"customizations":[],"more_lines":[{"menu":"valentine","style":"grand","quantity":2}]}"#,
        ),
        r#"{"intent":"modify","menu":"french","style":"simple","quantity":1,"side_dishes":[],"customizations":[],"more":[{"menu":"valentine","style":"deluxe","quantity":2}]}"#,
    ),
    (
        "switch that to a champagne feast, please",
        Some(
            r#"{"menu":"french","style":"deluxe","quantity":2,"side_dishes":[],"customizations":[]}"#,
        ),
        r#"{"intent":"modify","menu":"champagne_feast","style":"deluxe","quantity":2,"side_dishes":[],"customizations":[],"more":[{"menu":"french","removed":true}]}"#,
    ),
    (
        "english dinner grand with a salad and a cola",
        None,
        r#"{"intent":"order","menu":"english","style":"grand","quantity":1,"side_dishes":["salad","cola"],"customizations":[]}"#,
    ),
    (
        "발렌타인 디너 심플 하나에 치즈볼 추가요",
        None,
        r#"{"intent":"order","menu":"valentine","style":"simple","quantity":1,"side_dishes":["cheese_balls"],"customizations":[]}"#,
    ),
    (
        "샴페인 축제 디너 그랜드 하나, 커피 포트는 빼 주세요",
        None,
        r#"{"intent":"order","menu":"champagne_feast","style":"grand","quantity":1,"side_dishes":[],"customizations":[{"component":"coffee_pot","quantity":0}]}"#,
    ),
];

/// Worked examples of what is not an order; they come last in the prompt.
const UNCLEAR_EXAMPLES: &[&str] = &[
    "피자 한 판 배달 되나요?",
    "hmm let me think, what time is it",
];

/// A past order of an example: menu, style, quantity.
type PastOrder = (&'static str, &'static str, u32);

/// Worked examples with the customer's past orders (menu, style, quantity; most recent first):
/// "the usual" is read from them, and a named dinner still wins over them.
const HISTORY_EXAMPLES: &[(&str, &[PastOrder], &str)] = &[
    (
        "지난번이랑 똑같이 해 주세요",
        &[("valentine", "simple", 2), ("chicken", "spicy", 1)],
        r#"{"intent":"order","menu":"valentine","style":"simple","quantity":2,"side_dishes":[],"customizations":[]}"#,
    ),
    (
        "my usual order, but three of them this time",
        &[("chicken", "soy_garlic", 1)],
        r#"{"intent":"order","menu":"chicken","style":"soy_garlic","quantity":3,"side_dishes":[],"customizations":[]}"#,
    ),
    (
        "english dinner simple please",
        &[("valentine", "grand", 1)],
        r#"{"intent":"order","menu":"english","style":"simple","quantity":1,"side_dishes":[],"customizations":[]}"#,
    ),
];

/// A piece of the cached prefix: plain text, or an example answer that the decoder writes in
/// its own token segmentation.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Answer {
        json: &'static str,
        state: Option<Box<OrderState>>,
        heard: Heard,
    },
}

/// The part of the prompt that depends only on the menu: evaluated once and kept in the KV cache.
pub fn system_prefix(menu: &MenuCatalog) -> Vec<Part> {
    let mut parts = vec![Part::Text(instructions(menu))];
    let history_examples = HISTORY_EXAMPLES.iter().map(|(text, past, answer)| {
        let history: Vec<HistoryEntry> = past
            .iter()
            .map(|(menu, style, quantity)| HistoryEntry {
                menu: (*menu).into(),
                style: (*style).into(),
                quantity: *quantity,
                ordered_at: String::new(),
            })
            .collect();
        (*text, None, context(&history), *answer)
    });
    let orders = EXAMPLES
        .iter()
        .map(|(text, state, answer)| (*text, *state, String::new(), *answer));
    let unclear = UNCLEAR_EXAMPLES
        .iter()
        .map(|text| (*text, None, String::new(), r#"{"intent":"unclear"}"#));
    for (text, state, context, answer) in orders.chain(history_examples).chain(unclear) {
        // Example states are written as order states and shown in the answer's shape.
        let state = state.and_then(|s| serde_json::from_str::<OrderState>(s).ok());
        let heard = Heard::verbatim(text, menu);
        parts.push(Part::Text(user_turn(
            &heard.text,
            state.as_ref().map(|s| state_json(s, menu)).as_deref(),
            &heard.menu_words(),
            &context,
        )));
        parts.push(Part::Answer {
            json: answer,
            state: state.map(Box::new),
            heard,
        });
        parts.push(Part::Text("<|im_end|>\n".into()));
    }
    parts
}

fn instructions(menu: &MenuCatalog) -> String {
    let mut s = String::from(
        "<|im_start|>system\nYou take dinner orders for the restaurant Mr. Daebak (미스터 대박). \
The customer speaks Korean or English. Answer with one JSON object that uses only the codes below.\n\nDinners:\n",
    );
    for d in &menu.dinners {
        let styles: Vec<String> = d
            .styles
            .iter()
            .map(|st| format!("{} ({} / {})", st.code, st.name_ko, st.name_en))
            .collect();
        let components: Vec<String> = d
            .components
            .iter()
            .map(|c| {
                format!(
                    "{} ({} / {}, {} included)",
                    c.code, c.name_ko, c.name_en, c.default_quantity
                )
            })
            .collect();
        s.push_str(&format!(
            "- {}: {} / {}. styles: {}. components: {}.\n",
            d.code,
            d.name_ko,
            d.name_en,
            styles.join(", "),
            components.join(", ")
        ));
    }
    s.push_str("\nSide dishes (extra items next to the dinner):\n");
    for side in &menu.side_dishes {
        s.push_str(&format!(
            "- {}: {} / {}\n",
            side.code, side.name_ko, side.name_en
        ));
    }
    s.push_str(
        "\nRules:\n\
- quantity = how many dinners (2인분 = 2, 2개 = 2, 2세트 = 2, \"two\" = 2); 1 when no number is said.\n\
- style = the style the customer named, or null when none was named.\n\
- side_dishes = how many of each side dish the customer asked for (with / and / 추가 / 같이 / 랑); 0 when not named.\n\
- customizations = a component of the dinner changed to a new total amount: removed (빼/없이/no/without) = 0, \
\"two cups of coffee\" = 2, \"extra steak\" = included + 1; [] when none. A side dish is never a customization.\n\
- With a current order, apply the customer's change to it and repeat the whole order with intent \"modify\"; \
keep everything the customer did not change.\n\
- intent \"unclear\" when the words are not an order for these dinners (small talk, other food, questions, mumbling).\n<|im_end|>\n",
    );
    s
}

/// `context`: the lines about this customer ([`context`]), empty for none.
fn user_turn(text: &str, state: Option<&str>, words: &str, context: &str) -> String {
    format!(
        "<|im_start|>user\n{context}Current order: {}\nCustomer: {}\nMenu words: {}<|im_end|>\n<|im_start|>assistant\n",
        state.unwrap_or("none"),
        text,
        words
    )
}

/// Past orders shown to the model; "the usual" is one of the last few.
pub const HISTORY_IN_PROMPT: usize = 3;

/// What the model knows about this customer: their last orders, one line, absent when there
/// are none. Events stay out: a line of event dinners made the model order them ("the usual"
/// became the Valentine dinner of the seeded event); they drive the recommendation instead.
fn context(history: &[HistoryEntry]) -> String {
    if history.is_empty() {
        return String::new();
    }
    let past: Vec<String> = history
        .iter()
        .take(HISTORY_IN_PROMPT)
        .map(|h| format!("{} {} x{}", h.menu, h.style, h.quantity))
        .collect();
    format!("Past orders (latest first): {}\n", past.join("; "))
}

/// What the words next to a component's name say about its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountCue {
    Removed,
    /// This many more than now: "베이컨 1줄 더", "two more coffees", "an extra steak".
    More(u32),
    /// This many in all: "와인은 3잔으로", "바게트빵 6개", "only two baguettes", "three glasses of".
    Set(u32),
}

impl AmountCue {
    /// The amount the words point at, given the amount `now`.
    pub fn amount(self, now: u32) -> u32 {
        match self {
            AmountCue::Removed => 0,
            AmountCue::More(n) => now + n,
            AmountCue::Set(n) => n,
        }
    }
}

/// What a menu name found in an utterance names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    SideDish(String),
    Dinner(String),
    Style(String),
    Component(String),
}

impl std::fmt::Display for Mention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mention::SideDish(code) => write!(f, "side dish {code}"),
            Mention::Dinner(code) => write!(f, "dinner {code}"),
            Mention::Style(code) => write!(f, "style {code}"),
            Mention::Component(code) => write!(f, "component {code}"),
        }
    }
}

/// An utterance as the model reads it: number words as digits, and the menu names in it with
/// what they name. Found once per job and used by the prompt, the decoder's priors and
/// `compose`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Heard {
    pub text: String,
    pub found: Vec<(String, Mention)>,
    /// Near-miss dinner names put right (heard word, menu word): speech recognition heard
    /// "블렌치 디너" for "프렌치 디너". The answer's confidence is lowered for them.
    pub corrected: Vec<(String, String)>,
    /// `text` lowercased, once: the word windows below index into it.
    lower: String,
}

impl Heard {
    pub fn new(transcript: &str, menu: &MenuCatalog) -> Self {
        let (text, corrected) = correct_near_misses(&normalize(transcript), menu);
        let found = mentions(&text, menu);
        Heard {
            lower: text.to_lowercase(),
            text,
            found,
            corrected,
        }
    }

    /// An example's utterance as written: the prompt's examples were chosen and measured
    /// unnormalised.
    pub fn verbatim(text: &str, menu: &MenuCatalog) -> Self {
        Heard {
            text: text.into(),
            found: mentions(text, menu),
            corrected: Vec::new(),
            lower: text.to_lowercase(),
        }
    }

    /// Whether the utterance says a number at all (Korean number words are digits by now).
    pub fn says_a_number(&self) -> bool {
        !self.numbers().is_empty()
    }

    /// The number words (byte spans in `lower`) that count dinners: a number that counts a
    /// component or a side dish ("three glasses of wine", "two coffees", "콜라 2개") is not one.
    fn dinner_numbers(&self) -> Vec<(usize, usize)> {
        let items: Vec<&str> = self
            .found
            .iter()
            .filter(|(_, m)| matches!(m, Mention::Component(_) | Mention::SideDish(_)))
            .map(|(name, _)| name.as_str())
            .collect();
        let counts_an_item = |&(start, end): &(usize, usize)| {
            let word = &self.lower[start..end];
            if word.contains("인분") {
                return false;
            }
            let window = if word.chars().any(is_hangul) {
                // Korean counts after the name: "와인은 3잔으로".
                words_before(&self.lower, start, 2)
            } else {
                // English before it, up to the dinner: "three glasses of wine".
                let mut after = words_after(&self.lower, end, 4);
                if let Some(cut) = after.iter().position(|w| w.contains("dinner")) {
                    after.truncate(cut);
                }
                after
            };
            let window = window.join(" ");
            items.iter().any(|item| window.contains(item))
        };
        self.numbers()
            .into_iter()
            .filter(|span| !counts_an_item(span))
            .collect()
    }

    /// Whether the utterance says how many dinners (see `dinner_numbers`).
    pub fn says_a_dinner_number(&self) -> bool {
        !self.dinner_numbers().is_empty()
    }

    /// How many dinners the utterance says, where its dinner numbers agree on one value
    /// ("치킨 디너 2인분", "one Valentine dinner with three glasses of wine" is 1).
    pub fn dinner_number(&self) -> Option<u32> {
        // "another", "double" and "couple" count too, but say no one value.
        let values: Option<Vec<u32>> = self
            .dinner_numbers()
            .into_iter()
            .map(|(start, end)| number_value(&self.lower[start..end]))
            .collect();
        match values?.as_slice() {
            [first, rest @ ..] if rest.iter().all(|v| v == first) => Some(*first),
            _ => None,
        }
    }

    /// How many more dinners the words ask for: a dinner number followed by "더" / "more"
    /// ("같은 디너로 하나 더", "two more please").
    pub fn more_dinners(&self) -> Option<u32> {
        self.dinner_numbers().into_iter().find_map(|(start, end)| {
            let next = words_after(&self.lower, end, 1);
            next.first()
                .is_some_and(|w| is_more_word(w))
                .then(|| number_value(&self.lower[start..end]))
                .flatten()
        })
    }

    /// The byte spans (in `lower`) of the words that are numbers: digits ("2개", "3") or
    /// English number words.
    fn numbers(&self) -> Vec<(usize, usize)> {
        let lower = &self.lower;
        let mut spans = Vec::new();
        let mut start = None;
        for (i, c) in lower.char_indices().chain([(lower.len(), ' ')]) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    let word = &lower[s..i];
                    if word.chars().any(|c| c.is_ascii_digit())
                        || ENGLISH_NUMBERS.contains(&word)
                        || ["another", "double", "couple"].contains(&word)
                    {
                        spans.push((s, i));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        spans
    }

    /// Whether the utterance names `mention`.
    pub fn names(&self, mention: &Mention) -> bool {
        self.found.iter().any(|(_, m)| m == mention)
    }

    /// Whether the utterance names anything of a kind (a dinner, a style).
    pub fn names_a(&self, kind: fn(&Mention) -> bool) -> bool {
        self.found.iter().any(|(_, m)| kind(m))
    }

    /// The dinners the utterance names ("French Fries" does not name the French dinner).
    pub fn dinners(&self) -> Vec<String> {
        self.found
            .iter()
            .filter_map(|(_, m)| match m {
                Mention::Dinner(code) => Some(code.clone()),
                _ => None,
            })
            .collect()
    }

    /// What the words next to the name of a component or side dish say about its amount:
    /// Korean says it after the name ("와인은 빼고", "베이컨 1줄 더"), English before ("no
    /// bread", "an extra strip of bacon"). A number says the amount only right next to the name
    /// ("와인은 3잔으로", "three glasses of wine"), where nothing else can be what it counts.
    pub fn amount_cue(&self, mention: &Mention) -> Option<AmountCue> {
        let (name, _) = self.found.iter().find(|(_, m)| m == mention)?;
        // The last occurrence: an earlier one may be the dinner's name ("champagne feast").
        let at = occurrences(&self.lower, name).last()?;
        let korean = name.chars().any(is_hangul);
        let words = if korean {
            // The first piece may be the name's particle ("와인은" gives "은").
            words_after(&self.lower, at + name.len(), 4)
        } else {
            words_before(&self.lower, at, 4)
        };
        let removed = |w: &str| {
            w.contains('빼')
                || w.starts_with("없이")
                || w.starts_with("말고")
                || ["no", "without", "hold", "remove", "skip"].contains(&w)
        };
        // "2개 더" / "two more": the number says how many more.
        if words.iter().any(|w| removed(w)) {
            Some(AmountCue::Removed)
        } else if let Some(i) = words.iter().position(|w| is_more_word(w)) {
            // Right before the word ("2개 더", "two extra") or right after ("another two").
            let n = i
                .checked_sub(1)
                .and_then(|j| number_value(words[j]))
                .or_else(|| words.get(i + 1).and_then(|w| number_value(w)))
                .unwrap_or(1);
            (1..=9).contains(&n).then_some(AmountCue::More(n))
        } else {
            let n = if korean {
                set_after(&words)
            } else {
                set_before(&words)
            };
            n.filter(|n| (0..=9).contains(n)).map(AmountCue::Set)
        }
    }

    /// Menu names (from the live menu) in the utterance, with what they name: a hint that
    /// links Korean and English wording to codes. The model still decides what was ordered,
    /// in what quantity, and whether a word is a side dish or a change to a component.
    pub fn menu_words(&self) -> String {
        format_mentions(&self.found)
    }
}

/// Whether a component and a side dish are called the same ("Cola" / "콜라").
pub fn same_name(component: &MenuComponent, side: &MenuSideDish) -> bool {
    component.name_ko.trim() == side.name_ko.trim()
        || component
            .name_en
            .trim()
            .eq_ignore_ascii_case(side.name_en.trim())
}

/// The amount a Korean number right after a name sets ("3잔으로", "은 6 개로"), skipping the
/// name's particle; a count of dinners or people ("2인분", "세트", "명") is not one.
fn set_after(words: &[&str]) -> Option<u32> {
    let particle = |w: &str| w.chars().count() == 1 && w.chars().all(is_hangul);
    let skip = usize::from(words.first().is_some_and(|w| particle(w)));
    let word = words.get(skip)?;
    let n = number_value(word).filter(|_| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let counter = match word.trim_start_matches(|c: char| c.is_ascii_digit()) {
        "" => words.get(skip + 1).copied().unwrap_or_default(),
        rest => rest,
    };
    (!["인분", "세트", "명"]
        .iter()
        .any(|c| counter.starts_with(c)))
    .then_some(n)
}

/// The amount an English number right before a name sets: "two coffees", "three glasses of".
fn set_before(words: &[&str]) -> Option<u32> {
    match words {
        [.., n] => number_value(n),
        _ => None,
    }
    .or(match words {
        [.., n, _, "of"] => number_value(n),
        _ => None,
    })
}

/// Whether a word asks for more: "더", "추가", "extra", "another" (not "더블").
fn is_more_word(w: &str) -> bool {
    (w.starts_with('더') && !w.starts_with("더블"))
        || w.starts_with("추가")
        || ["extra", "more", "another", "additional"].contains(&w)
}

/// The value of a number word: its leading digits ("2개" is 2) or an English number word.
fn number_value(word: &str) -> Option<u32> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().or_else(|| {
        ENGLISH_NUMBERS
            .iter()
            .position(|n| *n == word)
            .map(|i| i as u32 + 1)
    })
}

/// English number words, one to ten.
const ENGLISH_NUMBERS: [&str; 10] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

fn is_hangul(c: char) -> bool {
    ('가'..='힣').contains(&c)
}

fn is_clause_end(c: char) -> bool {
    matches!(c, ',' | '.' | '?' | '!')
}

/// Up to `n` words of `lower` right before byte `at`, within its clause.
fn words_before(lower: &str, at: usize, n: usize) -> Vec<&str> {
    let clause = lower[..at].rsplit(is_clause_end).next().unwrap_or_default();
    let words: Vec<&str> = clause.split_whitespace().collect();
    words[words.len().saturating_sub(n)..].to_vec()
}

/// Up to `n` words of `lower` right after byte `at`, within its clause.
fn words_after(lower: &str, at: usize, n: usize) -> Vec<&str> {
    let clause = lower[at..].split(is_clause_end).next().unwrap_or_default();
    clause.split_whitespace().take(n).collect()
}

fn format_mentions(found: &[(String, Mention)]) -> String {
    if found.is_empty() {
        return "none".into();
    }
    // The prompt says a side dish is never a customization; which one a shared name means is
    // the decoder's call.
    let side_words: Vec<&String> = found
        .iter()
        .filter(|(_, m)| matches!(m, Mention::SideDish(_)))
        .map(|(w, _)| w)
        .collect();
    found
        .iter()
        .filter(|(w, m)| !(matches!(m, Mention::Component(_)) && side_words.contains(&w)))
        .map(|(word, mention)| format!("{word} = {mention}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The menu names in `text`, each with what it names, in the order they are looked for.
pub fn mentions(text: &str, menu: &MenuCatalog) -> Vec<(String, Mention)> {
    let lower = text.to_lowercase();
    let mut found: Vec<(String, Mention)> = Vec::new();
    // Records the first of `names` found in `haystack` and returns it.
    let mut add = |names: &[&str], label: Mention, haystack: &str| -> Option<String> {
        for name in names {
            let name = name.trim().to_lowercase();
            if !name.is_empty() && occurrences(haystack, &name).next().is_some() {
                if !found.iter().any(|(_, l)| *l == label) {
                    found.push((name.clone(), label));
                }
                return Some(name);
            }
        }
        None
    };
    // Side dishes first, and removed before dinners are looked for: "french fries" names a
    // side dish, not the French dinner.
    let mut without_sides = lower.clone();
    for side in &menu.side_dishes {
        let short = short_name(&side.name_en, menu);
        add(
            &[&side.name_ko, &side.name_en, short.as_deref().unwrap_or("")],
            Mention::SideDish(side.code.clone()),
            &lower,
        );
        for name in [&side.name_ko, &side.name_en] {
            without_sides = without_sides.replace(&name.to_lowercase(), " ");
        }
    }
    // The words that named the dinner do not also name a component ("샴페인 디너" is the
    // dinner, not its champagne); a second "champagne" still does. A component called
    // exactly like a side dish ("콜라", "salad") is looked for with the side dishes left in:
    // the decoder tells which is meant. "Garlic bread" still names no bread.
    let mut components_haystack = without_sides.clone();
    let mut alike_haystack = lower.clone();
    for d in &menu.dinners {
        let first_ko = d.name_ko.split_whitespace().next().unwrap_or_default();
        let first_en = d.name_en.split_whitespace().next().unwrap_or_default();
        if let Some(name) = add(
            &[&d.name_ko, &d.name_en, first_ko, first_en],
            Mention::Dinner(d.code.clone()),
            &without_sides,
        ) {
            components_haystack = components_haystack.replacen(&name, " ", 1);
            alike_haystack = alike_haystack.replacen(&name, " ", 1);
        }
    }
    for d in &menu.dinners {
        for st in &d.styles {
            let first_ko = st.name_ko.split_whitespace().next().unwrap_or_default();
            let first_en = st.name_en.split_whitespace().next().unwrap_or_default();
            add(
                &[&st.name_ko, &st.name_en, first_ko, first_en],
                Mention::Style(st.code.clone()),
                &lower,
            );
        }
        for c in &d.components {
            let alike = menu.side_dishes.iter().any(|side| same_name(c, side));
            let short = short_name(&c.name_en, menu);
            add(
                &[&c.name_ko, &c.name_en, short.as_deref().unwrap_or("")],
                Mention::Component(c.code.clone()),
                if alike {
                    &alike_haystack
                } else {
                    &components_haystack
                },
            );
        }
    }
    found
}

/// Where `name` is in `haystack`. A one-syllable name ("빵") counts only where a word starts
/// with it ("빵 하나 더", "빵은 빼고"), not inside another name ("마늘빵", "바게트빵").
fn occurrences<'h>(haystack: &'h str, name: &'h str) -> impl Iterator<Item = usize> + 'h {
    let short = name.chars().count() < 2;
    haystack
        .match_indices(name)
        .map(|(i, _)| i)
        .filter(move |&i| {
            !short
                || haystack[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
}

/// The last word of a multi-word English name ("fries" of "French Fries", "eggs" of
/// "Scrambled Eggs"), which customers say alone, unless some other menu item or component is
/// called that ("bread") or a dinner's name begins with it ("chicken" of "Fried Chicken").
fn short_name(name_en: &str, menu: &MenuCatalog) -> Option<String> {
    let mut words = name_en.split_whitespace();
    let last = words.next_back()?.to_lowercase();
    words.next()?;
    let dinner_heads = menu
        .dinners
        .iter()
        .filter_map(|d| d.name_en.split_whitespace().next());
    let taken = menu
        .side_dishes
        .iter()
        .map(|s| s.name_en.as_str())
        .chain(menu.dinners.iter().map(|d| d.name_en.as_str()))
        .chain(
            menu.dinners
                .iter()
                .flat_map(|d| d.components.iter().map(|c| c.name_en.as_str())),
        )
        .chain(dinner_heads)
        .any(|n| n.to_lowercase() == last);
    (last.chars().count() >= 4 && !taken).then_some(last)
}

/// The per-job part: the customer's past orders, the order so far, the utterance.
pub fn job_suffix(
    menu: &MenuCatalog,
    heard: &Heard,
    state: Option<&OrderState>,
    history: &[HistoryEntry],
) -> String {
    let state_json = state.map(|s| state_json(s, menu));
    user_turn(
        &heard.text,
        state_json.as_deref(),
        &heard.menu_words(),
        &context(history),
    )
}

/// The order so far, in the same shape the model answers in.
fn state_json(state: &OrderState, menu: &MenuCatalog) -> String {
    let quoted = |v: &Option<String>| {
        v.as_deref()
            .map(|s| format!("\"{s}\""))
            .unwrap_or_else(|| "null".into())
    };
    let sides: Vec<String> = menu
        .side_dishes
        .iter()
        .map(|s| {
            let n = state.side_dishes.iter().filter(|c| **c == s.code).count();
            format!("\"{}\":{n}", s.code)
        })
        .collect();
    let more: Vec<String> = state
        .more_lines
        .iter()
        .map(|l| {
            format!(
                r#"{{"menu":"{}","style":{},"quantity":{},"customizations":[{}]}}"#,
                l.menu,
                quoted(&l.style),
                l.quantity,
                customizations_json(&l.customizations)
            )
        })
        .collect();
    format!(
        r#"{{"menu":{},"style":{},"quantity":{},"side_dishes":{{{}}},"customizations":[{}],"more":[{}]}}"#,
        quoted(&state.menu),
        quoted(&state.style),
        state.quantity.unwrap_or(1),
        sides.join(","),
        customizations_json(&state.customizations),
        more.join(",")
    )
}

fn customizations_json(list: &[Customization]) -> String {
    list.iter()
        .map(|c| {
            format!(
                r#"{{"component":"{}","quantity":{}}}"#,
                c.component, c.quantity
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Writes Korean native number words as digits ("두 개" → "2개", "하나랑" → "1개랑") so the
/// small model reads quantities the way it reads "2인분".
pub fn normalize(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        if let Some((_, n)) = KO_NUMBER_WORDS.iter().find(|(w, _)| *w == word) {
            if let Some(next) = words.get(i + 1) {
                if KO_COUNTERS.iter().any(|c| next.starts_with(c)) {
                    out.push(format!("{n}{next}"));
                    i += 2;
                    continue;
                }
            }
        }
        if let Some(joined) = number_glued_to_counter(word) {
            out.push(joined);
        } else if let Some(standalone) = standalone_number(word) {
            out.push(standalone);
        } else {
            out.push(word.to_owned());
        }
        i += 1;
    }
    out.join(" ")
}

/// Largest share of a menu word's sounds that may differ for a heard word to be taken as it.
const NEAR_MISS: f32 = 0.4;

/// Speech recognition's near misses put right, in order: dinner names before "dinner", style
/// names where a style is said, then English numbers heard as other words ("free soy garlic
/// dinners"), which need the style already right ("to brand English dinners").
fn correct_near_misses(text: &str, menu: &MenuCatalog) -> (String, Vec<(String, String)>) {
    let (text, mut corrected) = correct_dinner_names(text, menu);
    let (text, styles) = correct_style_names(&text, menu);
    corrected.extend(styles);
    let (text, numbers) = correct_number_homophones(&text, menu);
    corrected.extend(numbers);
    (text, corrected)
}

/// Puts right the word before "디너" / "dinner" when it is not a dinner's word but sounds
/// nearly like exactly one ("블렌치 디너" → "프렌치 디너"); Korean is compared by jamo, so
/// "인글리시" is one sound from "잉글리시". Only words right before "dinner" are touched: that
/// is where the customer says a dinner's name.
fn correct_dinner_names(text: &str, menu: &MenuCatalog) -> (String, Vec<(String, String)>) {
    // Each dinner's words before "dinner": "샴페인 축제 디너" gives 샴페인 and 축제.
    let dinner_words: Vec<Vec<String>> = menu
        .dinners
        .iter()
        .map(|d| {
            [&d.name_ko, &d.name_en]
                .iter()
                .flat_map(|n| n.split_whitespace())
                .map(str::to_lowercase)
                .filter(|w| !is_dinner_word(w))
                .collect()
        })
        .collect();
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let mut corrected = Vec::new();
    for i in 1..words.len() {
        if !is_dinner_word(&words[i].to_lowercase()) {
            continue;
        }
        let heard = bare_word(&words[i - 1]);
        let lower = heard.to_lowercase();
        if lower.chars().count() < 2 || dinner_words.iter().flatten().any(|w| *w == lower) {
            continue;
        }
        if let Some(word) = sounds_like_one(&lower, &dinner_words) {
            corrected.push((heard.to_owned(), word.clone()));
            words[i - 1] = words[i - 1].replacen(heard, word, 1);
        }
    }
    (words.join(" "), corrected)
}

/// Puts right a word that sounds nearly like exactly one one-word style name ("Brand" →
/// "Grand", "싱플로" → "심플로") where customers say a style: within three words of
/// "dinner" / "디너", or right before "style" / "스타일". A Korean word is compared by as
/// many syllables as the style has, so a particle after it stays. Words that are already a
/// menu name are left alone.
fn correct_style_names(text: &str, menu: &MenuCatalog) -> (String, Vec<(String, String)>) {
    let mut styles: Vec<Vec<String>> = Vec::new();
    for st in menu.dinners.iter().flat_map(|d| &d.styles) {
        for name in [&st.name_ko, &st.name_en] {
            let name = name.trim().to_lowercase();
            if !name.is_empty() && !name.contains(' ') && !styles.iter().any(|s| s[0] == name) {
                styles.push(vec![name]);
            }
        }
    }
    // The style names of each length up to four, for a Korean word's first syllables.
    let by_length: Vec<Vec<Vec<String>>> = (0..=4)
        .map(|n| {
            styles
                .iter()
                .filter(|s| s[0].chars().count() == n)
                .cloned()
                .collect()
        })
        .collect();
    let menu_words = menu_words(menu);
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let bare = |w: &str| bare_word(w).to_lowercase();
    let dinner_at: Vec<usize> = (0..words.len())
        .filter(|&i| is_dinner_word(&bare(&words[i])))
        .collect();
    let mut corrected = Vec::new();
    for i in 0..words.len() {
        let near_dinner = dinner_at.iter().any(|&d| d != i && d.abs_diff(i) <= 3);
        let before_style = words
            .get(i + 1)
            .is_some_and(|w| ["style", "스타일"].iter().any(|s| bare(w).starts_with(s)));
        let heard = bare_word(&words[i]).to_owned();
        let lower = heard.to_lowercase();
        if !(near_dinner || before_style) || menu_words.iter().any(|w| lower.starts_with(w)) {
            continue;
        }
        let korean = lower.chars().any(is_hangul);
        let found = if korean {
            // Try the word's first two to four syllables: the rest (two at most) may be a
            // particle.
            let len = lower.chars().count();
            (2..=4.min(len)).filter(|n| len - n <= 2).find_map(|n| {
                let head: String = lower.chars().take(n).collect();
                sounds_like_one(&head, &by_length[n]).map(|w| (head, w.clone()))
            })
        } else if lower.len() >= 4 {
            sounds_like_one(&lower, &styles).map(|w| (lower.clone(), w.clone()))
        } else {
            None
        };
        if let Some((head, word)) = found {
            // `head` begins `lower`, so the same number of `heard`'s characters is what was said.
            let original: String = heard.chars().take(head.chars().count()).collect();
            corrected.push((original.clone(), word.clone()));
            words[i] = words[i].replacen(&original, &word, 1);
        }
    }
    (words.join(" "), corrected)
}

/// English numbers that speech recognition writes as other words: "free" for three, and at
/// the start of a clause "to" for two and "for" for four. Put right only before a dinner or
/// style name or a counter ("glasses"), and only when the clause then says something plural
/// ("For deluxe French dinners", not "For English dinner, add bacon").
fn correct_number_homophones(text: &str, menu: &MenuCatalog) -> (String, Vec<(String, String)>) {
    const HOMOPHONES: &[(&str, &str, bool)] = &[
        // (heard, number, only at the start of a clause)
        ("free", "three", false),
        ("tree", "three", false),
        ("to", "two", true),
        ("too", "two", true),
        ("for", "four", true),
        ("fore", "four", true),
    ];
    const CLAUSE_OPENERS: &[&str] = &["and", "do", "get", "with", "plus"];
    const COUNTERS_EN: &[&str] = &[
        "glasses", "cups", "bottles", "slices", "pieces", "orders", "servings", "sets",
    ];
    let first_words: Vec<String> = menu
        .dinners
        .iter()
        .flat_map(|d| std::iter::once(&d.name_en).chain(d.styles.iter().map(|s| &s.name_en)))
        .filter_map(|n| n.split_whitespace().next())
        .map(str::to_lowercase)
        .collect();
    let bare = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
            .to_lowercase()
    };
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let mut corrected = Vec::new();
    for i in 0..words.len() {
        let word = bare(&words[i]);
        let Some(&(_, number, clause_start)) = HOMOPHONES.iter().find(|(h, _, _)| *h == word)
        else {
            continue;
        };
        // The homophone itself ends no clause: "to," is not "two".
        if words[i].ends_with(is_clause_end) {
            continue;
        }
        let opens = i == 0
            || words[i - 1].ends_with(is_clause_end)
            || CLAUSE_OPENERS.contains(&bare(&words[i - 1]).as_str());
        if clause_start && !opens {
            continue;
        }
        let Some(next) = words.get(i + 1).map(|w| bare(w)) else {
            continue;
        };
        if !(first_words.contains(&next) || COUNTERS_EN.contains(&next.as_str())) {
            continue;
        }
        // The rest of the clause, up to and with the word that ends it.
        let clause_len = words[i + 1..]
            .iter()
            .position(|w| w.ends_with(is_clause_end))
            .map_or(words.len() - i - 1, |p| p + 1);
        let plural = words[i + 1..i + 1 + clause_len]
            .iter()
            .map(|w| bare(w))
            .any(|w| w.len() >= 4 && w != "please" && w != "this" && w.ends_with('s'));
        if !plural {
            continue;
        }
        let heard = bare_word(&words[i]).to_owned();
        corrected.push((heard.clone(), number.to_owned()));
        words[i] = words[i].replacen(&heard, number, 1);
    }
    (words.join(" "), corrected)
}

/// Every word of every menu name, lowercased: dinners, styles, side dishes and components.
fn menu_words(menu: &MenuCatalog) -> Vec<String> {
    let dinners = menu.dinners.iter().flat_map(|d| {
        [&d.name_ko, &d.name_en]
            .into_iter()
            .chain(d.styles.iter().flat_map(|s| [&s.name_ko, &s.name_en]))
            .chain(d.components.iter().flat_map(|c| [&c.name_ko, &c.name_en]))
    });
    let sides = menu
        .side_dishes
        .iter()
        .flat_map(|s| [&s.name_ko, &s.name_en]);
    let mut words: Vec<String> = dinners
        .chain(sides)
        .flat_map(|n| n.split_whitespace())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// The one word among `groups` (each group: the words of one dinner, or one style) that
/// `heard` sounds nearly like, when exactly one group is close enough or one is clearly
/// closest.
fn sounds_like_one<'a>(heard: &str, groups: &'a [Vec<String>]) -> Option<&'a String> {
    let heard_sounds = sounds(heard);
    let mut best: Vec<(f32, &String)> = groups
        .iter()
        .filter_map(|ws| {
            ws.iter()
                .map(|w| {
                    let target = sounds(w);
                    (
                        edit_distance(&heard_sounds, &target) / target.len().max(1) as f32,
                        w,
                    )
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))
        })
        .filter(|(d, _)| *d <= NEAR_MISS)
        .collect();
    best.sort_by(|a, b| a.0.total_cmp(&b.0));
    match best.as_slice() {
        [only] => Some(only.1),
        [first, second, ..] if second.0 - first.0 >= 0.15 => Some(first.1),
        _ => None,
    }
}

/// A word without the punctuation around it ("Brand," is "Brand").
fn bare_word(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

fn is_dinner_word(word: &str) -> bool {
    word.starts_with("디너") || word.starts_with("dinner")
}

/// Sounds of a word: Hangul syllables split into their jamo, other letters as they are.
fn sounds(word: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for c in word.chars() {
        let code = c as u32;
        if (0xAC00..=0xD7A3).contains(&code) {
            let index = code - 0xAC00;
            out.push(0x1_0000 + index / 588); // initial consonant
            out.push(0x2_0000 + (index % 588) / 28); // vowel
            if !index.is_multiple_of(28) {
                out.push(0x3_0000 + index % 28); // final consonant
            }
        } else if c.is_alphanumeric() {
            out.push(code);
        }
    }
    out
}

/// Levenshtein distance in which swapping two sounds that speech recognition confuses
/// (ㅂ/ㅍ, ㄴ/ㅁ, ㅔ/ㅐ, b/p, d/t) costs half: "블렘치" is then as near "프렌치" as "블렌치" is.
fn edit_distance(a: &[u32], b: &[u32]) -> f32 {
    let substitution = |x: u32, y: u32| match (x == y, sound_class(x), sound_class(y)) {
        (true, _, _) => 0.0,
        (false, Some(cx), Some(cy)) if cx == cy => 0.5,
        _ => 1.0,
    };
    let mut row: Vec<f32> = (0..=b.len()).map(|j| j as f32).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = (i + 1) as f32;
        for (j, &y) in b.iter().enumerate() {
            let next = (diagonal + substitution(x, y))
                .min(row[j] + 1.0)
                .min(row[j + 1] + 1.0);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The group of sounds that `sounds` code belongs to, for those that are easily confused.
fn sound_class(code: u32) -> Option<u32> {
    // Initial and final consonants by their compatibility jamo, so "ㄹ" in both places meets.
    const INITIALS: &str = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";
    const FINALS: &str = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ";
    const VOWELS: &str = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ";
    const GROUPS: &[&str] = &[
        "ㄱㄲㅋ",
        "ㄷㄸㅌ",
        "ㅂㅃㅍ",
        "ㅈㅉㅊ",
        "ㅅㅆ",
        "ㄴㅁㅇ",
        "ㄹ",
        "ㅐㅔ",
        "ㅒㅖ",
        "ㅙㅚㅞ",
        "ㅓㅗ",
        "ㅜㅡ",
        "bp",
        "dt",
        "cgk",
        "mn",
        "fv",
        "sz",
    ];
    let nth = |table: &str, i: u32| table.chars().nth(i as usize);
    let c = match code >> 16 {
        1 => nth(INITIALS, code & 0xFFFF)?,
        2 => nth(VOWELS, code & 0xFFFF)?,
        3 => nth(FINALS, code & 0xFFFF)?,
        _ => char::from_u32(code)?,
    };
    GROUPS.iter().position(|g| g.contains(c)).map(|i| i as u32)
}

/// "두개" / "세세트" / "한잔씩" written without a space.
fn number_glued_to_counter(word: &str) -> Option<String> {
    KO_NUMBER_WORDS.iter().find_map(|(w, n)| {
        let rest = word.strip_prefix(w)?;
        KO_COUNTERS
            .iter()
            .any(|c| rest.starts_with(c))
            .then(|| format!("{n}{rest}"))
    })
}

/// "하나", "하나랑", "둘이요": a number word with at most a particle after it.
fn standalone_number(word: &str) -> Option<String> {
    const PARTICLES: &[&str] = &[
        "", "요", "만", "랑", "이랑", "하고", "씩", "이요", "더", ",", ".", "요.", "요,",
    ];
    KO_STANDALONE_NUMBERS.iter().find_map(|(w, n)| {
        let rest = word.strip_prefix(w)?;
        PARTICLES.contains(&rest).then(|| format!("{n}개{rest}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_states_are_order_states() {
        for (_, state, _) in EXAMPLES {
            if let Some(s) = state {
                assert!(serde_json::from_str::<OrderState>(s).is_ok(), "{s}");
            }
        }
    }

    #[test]
    fn korean_number_words_become_digits() {
        assert_eq!(
            normalize("프렌치 디너 두 개 주세요"),
            "프렌치 디너 2개 주세요"
        );
        assert_eq!(
            normalize("치킨 세 세트랑 콜라 한 캔"),
            "치킨 3세트랑 콜라 1캔"
        );
        assert_eq!(normalize("와인은 두 잔씩이요"), "와인은 2잔씩이요");
        assert_eq!(
            normalize("발렌타인 디너 하나랑 샐러드"),
            "발렌타인 디너 1개랑 샐러드"
        );
        assert_eq!(normalize("하나 더 추가해줘"), "1개 더 추가해줘");
        assert_eq!(normalize("세개요"), "3개요");
    }

    #[test]
    fn near_miss_dinner_names_are_put_right() {
        let menu = crate::seeded_menu();
        let heard = |text: &str| Heard::new(text, &menu);
        let h = heard("블렌치 디너, 닭슬도");
        assert_eq!(h.text, "프렌치 디너, 닭슬도");
        assert_eq!(h.corrected, vec![("블렌치".into(), "프렌치".into())]);
        assert_eq!(h.dinners(), vec!["french"]);
        assert_eq!(heard("인글리시 디너, 심플").dinners(), vec!["english"]);
        // ㅂ/ㅍ and ㅁ/ㄴ are near sounds: two of them and a dropped ㄹ still make 프렌치.
        assert_eq!(heard("블렘치 디너, 싱글").dinners(), vec!["french"]);
        assert_eq!(heard("one valentime dinner").dinners(), vec!["valentine"]);
        // Names said right, words that are not names, and names not before "dinner" stay.
        for text in [
            "샴페인 축제 디너 하나",
            "같은 디너로 하나 더",
            "the same dinner again",
            "블렌치 하나",
        ] {
            assert!(heard(text).corrected.is_empty(), "{text}");
            assert_eq!(heard(text).text, normalize(text));
        }
    }

    #[test]
    fn near_miss_styles_are_put_right_where_a_style_is_said() {
        let menu = crate::seeded_menu();
        let heard = |text: &str| Heard::new(text, &menu);
        let h = heard("Valentine dinner, Brand, just one");
        assert_eq!(h.text, "Valentine dinner, grand, just one");
        assert_eq!(h.corrected, vec![("Brand".into(), "grand".into())]);
        assert!(h.names(&Mention::Style("grand".into())));
        assert_eq!(
            heard("프렌치 디너 싱플로 하나").text,
            "프렌치 디너 심플로 1개"
        );
        assert_eq!(heard("a brand style, please").text, "a grand style, please");
        // Menu words, words far from "dinner" and words unlike any style stay.
        for text in [
            "프렌치 디너 심플로 하나",
            "the brand new place has a dinner",
            "valentine dinner with bread",
            "치킨 디너 하나 주세요",
        ] {
            assert!(heard(text).corrected.is_empty(), "{text}");
        }
    }

    #[test]
    fn numbers_heard_as_other_words_are_put_right() {
        let menu = crate::seeded_menu();
        let text = |t: &str| Heard::new(t, &menu).text;
        assert_eq!(
            text("Can we do free soy garlic chicken dinners?"),
            "Can we do three soy garlic chicken dinners?"
        );
        assert_eq!(
            text("For Deluxe French Ditters, please."),
            "four Deluxe French Ditters, please."
        );
        assert_eq!(
            text("To brand English dinners with fries"),
            "two grand English dinners with fries"
        );
        assert_eq!(
            text("One simple Valentine dinner with free glasses of wine."),
            "One simple Valentine dinner with three glasses of wine."
        );
        // "to" and "for" inside a clause, before no menu name, or with nothing plural stay.
        for t in [
            "switch to French dinners",
            "For English dinner, add bacon",
            "I would like to order two dinners",
            "fries for the English dinners",
            "change it to grand style",
        ] {
            assert_eq!(text(t), normalize(t), "{t}");
        }
    }

    #[test]
    fn words_next_to_a_component_cue_its_amount() {
        let menu = crate::seeded_menu();
        let cue = |text: &str, code: &str| {
            let heard = Heard::new(text, &menu);
            heard
                .amount_cue(&Mention::Component(code.into()))
                .or_else(|| heard.amount_cue(&Mention::SideDish(code.into())))
        };
        use AmountCue::*;
        assert_eq!(
            cue("잉글리시 디너 하나, 베이컨은 빼 주세요", "bacon"),
            Some(Removed)
        );
        assert_eq!(cue("프렌치 디너요, 스테이크 없이", "steak"), Some(Removed));
        assert_eq!(cue("프렌치 디너, 커피 한 잔 더요", "coffee"), Some(More(1)));
        assert_eq!(
            cue("valentine dinner without the steak", "steak"),
            Some(Removed)
        );
        assert_eq!(
            cue("english dinner with one more slice of bread", "bread"),
            Some(More(1))
        );
        // The second "champagne" is the component, and its words are before it.
        assert_eq!(
            cue(
                "a champagne feast with another bottle of champagne",
                "champagne"
            ),
            Some(More(1))
        );
        // A number right next to the name sets the amount; a cue belongs to its own clause
        // and side.
        assert_eq!(cue("프렌치 디너, 와인은 세 잔으로", "wine"), Some(Set(3)));
        assert_eq!(
            cue("바게트빵은 여섯 개로 해 주세요", "baguette"),
            Some(Set(6))
        );
        assert_eq!(
            cue("French dinner, two coffees and no steak", "coffee"),
            Some(Set(2))
        );
        assert_eq!(cue("only two baguettes please", "baguette"), Some(Set(2)));
        assert_eq!(
            cue(
                "One simple Valentine dinner with three glasses of wine",
                "wine"
            ),
            Some(Set(3))
        );
        // Not next to it, or counting dinners: the model reads it.
        assert_eq!(cue("two french dinners with wine", "wine"), None);
        assert_eq!(cue("치킨 디너 2인분, 콜라 추가", "cola"), Some(More(1)));
        assert_eq!(cue("스테이크 2인분 주세요", "steak"), None);
        assert_eq!(
            cue("French dinner, two coffees and no steak", "steak"),
            Some(Removed)
        );
        assert_eq!(cue("no fries, english dinner with bread", "bread"), None);
        assert_eq!(
            cue("샴페인 축제 디너, 바게트빵 두 개 더요", "baguette"),
            Some(More(2))
        );
        assert_eq!(
            cue("french dinner and two more coffees", "coffee"),
            Some(More(2))
        );
        assert_eq!(
            cue("two valentine dinners and an extra glass of wine", "wine"),
            Some(More(1))
        );
        assert_eq!(cue("two dinners with extra steak", "steak"), Some(More(1)));
        // Side dishes are read the same way.
        assert_eq!(cue("감자튀김은 빼 주세요", "fries"), Some(Removed));
        assert_eq!(cue("please remove the cola", "cola"), Some(Removed));
        assert_eq!(cue("cola and fries, no salad", "fries"), None);
    }

    #[test]
    fn a_name_shared_by_a_side_dish_and_a_component_names_both() {
        let menu = crate::seeded_menu();
        let heard = Heard::new("치킨 디너 하나요, 콜라는 빼 주세요", &menu);
        assert!(heard.names(&Mention::SideDish("cola".into())));
        assert!(heard.names(&Mention::Component("cola".into())));
        // "French fries" still never names the French dinner.
        let heard = Heard::new("french fries and a salad", &menu);
        assert!(!heard.names_a(|m| matches!(m, Mention::Dinner(_))));
        assert!(heard.names(&Mention::SideDish("fries".into())));
    }

    #[test]
    fn a_component_is_named_by_the_last_word_of_its_name() {
        let menu = crate::seeded_menu();
        let eggs = Mention::Component("scrambled_eggs".into());
        let heard = Heard::new("English dinner, simple, no bacon, no eggs", &menu);
        assert!(heard.names(&eggs));
        assert_eq!(heard.amount_cue(&eggs), Some(AmountCue::Removed));
        let heard = Heard::new("spicy chicken dinner, hold the radish", &menu);
        assert!(heard.names(&Mention::Component("pickled_radish".into())));
        // "chicken" begins a dinner's name: the dinner, not its fried chicken.
        let heard = Heard::new("chicken dinner original and chicken dinner spicy", &menu);
        assert!(!heard.names(&Mention::Component("fried_chicken".into())));
    }

    #[test]
    fn a_one_syllable_name_is_a_word_of_its_own() {
        let menu = crate::seeded_menu();
        let bread = Mention::Component("bread".into());
        let heard = Heard::new("잉글리시 디너 하나, 빵 하나 더 넣어줘", &menu);
        assert!(heard.names(&bread));
        assert_eq!(heard.amount_cue(&bread), Some(AmountCue::More(1)));
        assert!(Heard::new("빵은 빼 주세요", &menu).names(&bread));
        for text in ["마늘빵 하나 추가", "샴페인 축제 디너, 바게트빵 두 개 더"]
        {
            assert!(!Heard::new(text, &menu).names(&bread), "{text}");
        }
    }

    #[test]
    fn numbers_are_heard_in_both_languages() {
        let menu = crate::seeded_menu();
        let says = |text: &str| Heard::new(text, &menu).says_a_number();
        assert!(says("하나 더 추가해줘"));
        assert!(says("세 개로 바꿔줘"));
        assert!(says("make it two"));
        assert!(says("Another one please"));
        assert!(!says("감자튀김도 넣어주세요"));
        assert!(!says("add fries and a cola"));
        assert!(!says("someone said tone"));
        let dinners = |text: &str| Heard::new(text, &menu).says_a_dinner_number();
        assert!(dinners("we'd like 4 valentine dinners and two corn soups"));
        assert!(dinners("치킨 디너 2개랑 콜라 주세요"));
        assert!(dinners("잉글리시 디너 세 개요, 스크램블 에그는 두 개로"));
        assert!(!dinners("a valentine dinner with three glasses of wine"));
        assert!(!dinners("French dinner, two coffees and fries"));
        assert!(!dinners("콜라 두 개 추가해줘"));
        assert!(!dinners("프렌치 디너요, 와인은 세 잔으로"));
        assert!(!dinners("add fries"));
        let number = |text: &str| Heard::new(text, &menu).dinner_number();
        assert_eq!(
            number("One simple Valentine dinner with three glasses of wine"),
            Some(1)
        );
        assert_eq!(number("치킨 디너 2인분, 콜라 두 개"), Some(2));
        assert_eq!(number("two french dinners, make it two"), Some(2));
        assert_eq!(number("french dinner, two coffees"), None);
        // Two different counts, or "another", say no one number.
        assert_eq!(number("one french dinner and two valentine dinners"), None);
        assert_eq!(number("another french dinner"), None);
        let more = |text: &str| Heard::new(text, &menu).more_dinners();
        assert_eq!(more("같은 디너로 하나 더 주세요"), Some(1));
        assert_eq!(more("two more please"), Some(2));
        assert_eq!(more("치킨 디너 두 개 주세요"), None);
        assert_eq!(more("콜라 두 개 더 주세요"), None);
    }

    #[test]
    fn words_that_only_look_like_numbers_stay() {
        assert_eq!(normalize("세트 메뉴 있어요?"), "세트 메뉴 있어요?");
        assert_eq!(normalize("네 감사합니다"), "네 감사합니다");
        assert_eq!(normalize("한번 볼게요"), "한번 볼게요");
        assert_eq!(normalize("two french dinners"), "two french dinners");
    }

    #[test]
    fn past_orders_are_shown_only_when_there_are_some() {
        let menu = crate::seeded_menu();
        let plain = job_suffix(&menu, &Heard::new("the usual please", &menu), None, &[]);
        assert!(
            plain.starts_with("<|im_start|>user\nCurrent order: none\n"),
            "{plain}"
        );
        let past = |menu: &str, style: &str, quantity| HistoryEntry {
            menu: menu.into(),
            style: style.into(),
            quantity,
            ordered_at: String::new(),
        };
        let history: Vec<HistoryEntry> = (0..5).map(|_| past("chicken", "spicy", 1)).collect();
        let history = [vec![past("french", "grand", 2)], history].concat();
        let suffix = job_suffix(
            &menu,
            &Heard::new("the usual please", &menu),
            None,
            &history,
        );
        assert!(
            suffix.contains(
                "Past orders (latest first): french grand x2; chicken spicy x1; chicken spicy x1\n\
                 Current order: none\n"
            ),
            "{suffix}"
        );
    }

    #[test]
    fn the_prefix_lists_every_code_and_the_suffix_the_state() {
        let menu = crate::seeded_menu();
        let prefix: String = system_prefix(&menu)
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Answer { json, .. } => json.to_string(),
            })
            .collect();
        for d in &menu.dinners {
            assert!(prefix.contains(&format!("- {}:", d.code)));
        }
        for s in &menu.side_dishes {
            assert!(prefix.contains(&format!("- {}:", s.code)));
        }
        let state = OrderState {
            menu: Some("chicken".into()),
            style: None,
            quantity: Some(2),
            ..OrderState::default()
        };
        let suffix = job_suffix(
            &menu,
            &Heard::new("매운 맛으로 해줘", &menu),
            Some(&state),
            &[],
        );
        assert!(
            suffix.contains("Menu words: 매운 맛 = style spicy"),
            "{suffix}"
        );
        assert_eq!(
            Heard::new("two french dinners with french fries", &menu).menu_words(),
            "french fries = side dish fries; french dinner = dinner french"
        );
        assert!(suffix.contains(r#"Current order: {"menu":"chicken","style":null,"quantity":2"#));
        assert!(suffix.ends_with("<|im_start|>assistant\n"));
    }
}
