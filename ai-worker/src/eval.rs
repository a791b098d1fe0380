//! Scores analyses against expected fields (the format of ../shared/voice-eval/dev.jsonl).

use std::collections::BTreeMap;

use ai_protocol::{Customization, HistoryEntry, Intent, OrderLine, VoiceAnalysis};
use serde::Deserialize;

/// The fields a correct analysis must have; absent fields are not scored.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Expect {
    pub intent: String,
    pub menu: Option<String>,
    pub style: Option<String>,
    pub quantity: Option<u32>,
    pub side_dishes: Option<Vec<String>>,
    pub customizations: Option<Vec<Customization>>,
    /// Every dinner line, in order, where the case has several.
    pub lines: Option<Vec<OrderLine>>,
}

/// One line of an evaluation file: a single utterance, or a multi-turn session.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub turns: Vec<String>,
    pub lang: String,
    /// The kind of phrasing (`negation`, `self_correction`, …), reported separately.
    #[serde(default)]
    pub kind: Option<String>,
    pub expect: Expect,
    /// A recording of `text` (spoken evaluation).
    #[serde(default)]
    pub audio: Option<String>,
    /// The customer's past orders, most recent first ("the usual").
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

impl Case {
    pub fn utterances(&self) -> Vec<String> {
        match &self.text {
            Some(t) => vec![t.clone()],
            None => self.turns.clone(),
        }
    }
}

pub const FIELDS: [&str; 7] = [
    "intent",
    "menu",
    "style",
    "quantity",
    "side_dishes",
    "customizations",
    "lines",
];

/// Which scored fields were right (`None`: not scored for this case).
pub fn score(expect: &Expect, analysis: &VoiceAnalysis) -> BTreeMap<&'static str, Option<bool>> {
    // An analysis that would be sent back to the customer (4b) counts as "unclear".
    let got_intent = if analysis.is_confident() {
        match analysis.intent {
            Intent::Order | Intent::Modify => "order",
            Intent::Unclear => "unclear",
        }
    } else {
        "unclear"
    };
    let mut m = BTreeMap::new();
    m.insert("intent", Some(got_intent == expect.intent));
    let order_scored = expect.intent != "unclear";
    m.insert(
        "menu",
        (order_scored && expect.menu.is_some()).then(|| expect.menu == analysis.menu),
    );
    m.insert(
        "style",
        (order_scored && expect.style.is_some()).then(|| expect.style == analysis.style),
    );
    m.insert(
        "quantity",
        (order_scored && expect.quantity.is_some()).then(|| expect.quantity == analysis.quantity),
    );
    m.insert(
        "side_dishes",
        expect
            .side_dishes
            .as_ref()
            .filter(|_| order_scored)
            .map(|want| sorted(want.clone()) == sorted(analysis.side_dishes.clone())),
    );
    m.insert(
        "customizations",
        expect
            .customizations
            .as_ref()
            .filter(|_| order_scored)
            .map(|want| same_customizations(want, &analysis.customizations)),
    );
    m.insert(
        "lines",
        expect
            .lines
            .as_ref()
            .filter(|_| order_scored)
            .map(|want| same_lines(want, &analysis.lines)),
    );
    m
}

fn same_customizations(want: &[Customization], got: &[Customization]) -> bool {
    let key = |c: &Customization| (c.component.clone(), c.quantity);
    sorted(want.iter().map(key).collect()) == sorted(got.iter().map(key).collect())
}

/// The same lines in the same order, each with the same dinner, style, quantity and changes.
fn same_lines(want: &[OrderLine], got: &[OrderLine]) -> bool {
    want.len() == got.len()
        && want.iter().zip(got).all(|(w, g)| {
            w.menu == g.menu
                && w.style == g.style
                && w.quantity == g.quantity
                && same_customizations(&w.customizations, &g.customizations)
        })
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Counts per field and for exact matches.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub cases: u32,
    pub exact: u32,
    pub fields: BTreeMap<&'static str, (u32, u32)>,
    pub millis: Vec<u64>,
}

impl Tally {
    pub fn add(&mut self, scores: &BTreeMap<&'static str, Option<bool>>, millis: u64) -> bool {
        self.cases += 1;
        self.millis.push(millis);
        let mut exact = true;
        for (field, ok) in scores {
            if let Some(ok) = ok {
                let entry = self.fields.entry(field).or_default();
                entry.1 += 1;
                if *ok {
                    entry.0 += 1;
                } else {
                    exact = false;
                }
            }
        }
        if exact {
            self.exact += 1;
        }
        exact
    }

    pub fn exact_rate(&self) -> f64 {
        if self.cases == 0 {
            0.0
        } else {
            f64::from(self.exact) / f64::from(self.cases)
        }
    }

    pub fn median_ms(&self) -> u64 {
        let mut v = self.millis.clone();
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    }

    pub fn report(&self, label: &str) -> String {
        let mut s = format!(
            "{label:<17} n={:<3} exact {:>5.1}% ({}/{})  median {} ms",
            self.cases,
            100.0 * self.exact_rate(),
            self.exact,
            self.cases,
            self.median_ms()
        );
        for field in FIELDS {
            if let Some((ok, n)) = self.fields.get(field) {
                s.push_str(&format!(
                    "  {field} {:.1}%",
                    100.0 * f64::from(*ok) / f64::from((*n).max(1))
                ));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ai_protocol::{ConversationState, OrderState};

    fn analysis(menu: &str, quantity: u32, sides: &[&str], confidence: f32) -> VoiceAnalysis {
        VoiceAnalysis {
            intent: Intent::Order,
            menu: Some(menu.into()),
            style: Some("spicy".into()),
            quantity: Some(quantity),
            customizations: vec![],
            side_dishes: sides.iter().map(|s| s.to_string()).collect(),
            confidence,
            response: String::new(),
            recommended_menu: None,
            alternatives: vec![],
            additional_questions: vec![],
            order_state: OrderState::default(),
            state: ConversationState::Ready,
            lines: vec![],
        }
    }

    fn expect(line: &str) -> Expect {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn exact_needs_every_scored_field_and_side_order_does_not_matter() {
        let e = expect(
            r#"{"intent":"order","menu":"chicken","style":"spicy","quantity":2,"side_dishes":["fries","cola"],"customizations":[]}"#,
        );
        let mut t = Tally::default();
        assert!(t.add(
            &score(&e, &analysis("chicken", 2, &["cola", "fries"], 0.9)),
            1
        ));
        assert!(!t.add(
            &score(&e, &analysis("chicken", 3, &["cola", "fries"], 0.9)),
            1
        ));
        assert_eq!((t.exact, t.cases), (1, 2));
        assert_eq!(t.fields["quantity"], (1, 2));
        assert_eq!(t.fields["menu"], (2, 2));
    }

    #[test]
    fn low_confidence_counts_as_unclear() {
        let unclear = expect(r#"{"intent":"unclear"}"#);
        assert_eq!(
            score(&unclear, &analysis("chicken", 1, &[], 0.4))["intent"],
            Some(true)
        );
        assert_eq!(
            score(&unclear, &analysis("chicken", 1, &[], 0.9))["intent"],
            Some(false)
        );
        let order = expect(r#"{"intent":"order","menu":"chicken"}"#);
        assert_eq!(
            score(&order, &analysis("chicken", 1, &[], 0.4))["intent"],
            Some(false)
        );
        assert_eq!(
            score(&order, &analysis("chicken", 1, &[], 0.4))["style"],
            None
        );
    }
}
