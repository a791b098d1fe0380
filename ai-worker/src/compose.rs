//! Turns the model's decisions into the seed's analysis: checks against the menu, a confidence
//! that means something, and the reply, questions and suggestions shown to the customer.

use ai_protocol::{
    ConversationState, HistoryEntry, Intent, LlmJob, MenuCatalog, MenuDinner, OrderState,
    VoiceAnalysis, CONFIDENCE_THRESHOLD,
};

use crate::llm::Decoded;
use crate::prompt::{Mention, HISTORY_IN_PROMPT};

/// Below this probability the quantity is confirmed with a question.
const QUANTITY_MIN_P: f32 = 0.7;

/// Cap on the confidence when the model picked a dinner that the customer did not name (or
/// named another one): such an order goes back to the customer (4b) instead of being guessed.
const UNNAMED_DINNER_CAP: f32 = 0.5;
/// Confidence kept when the dinner's name was heard only nearly right ("블렌치 디너"): the
/// preview still shows, but a doubtful dinner falls to 4b sooner.
const CORRECTED_NAME_FACTOR: f32 = 0.85;

/// The decoder always names the model's most likely style; below this probability the customer
/// is taken not to have said one, and is asked.
const STYLE_MIN_P: f32 = 0.6;

pub fn analysis(job: &LlmJob, decoded: &Decoded) -> VoiceAnalysis {
    let korean = speaks_korean(job);
    let menu = &job.menu;
    let mut order = decoded.order.clone();
    let usual = usual_order(job, order.menu.as_ref());
    settle_style(job, decoded, &mut order, usual);
    settle_more_styles(job, decoded, &mut order);
    let intent = match (decoded.intent, &job.order_state) {
        // A "modify" without an order in progress is a new order.
        (Intent::Modify, None) => Intent::Order,
        (intent, _) => intent,
    };

    if intent == Intent::Unclear {
        return unclear(job, decoded, korean);
    }

    drop_included_amounts(menu, &mut order);
    let confidence = confidence(job, decoded, &order, usual.is_some());

    let dinner = order.menu.as_deref().and_then(|m| menu.dinner(m));
    let mut questions: Vec<String> = order
        .lines()
        .iter()
        .filter(|l| l.style.is_none())
        .filter_map(|l| menu.dinner(&l.menu))
        .map(|d| style_question(d, korean))
        .collect();
    questions.dedup();
    let state = if order.is_complete() && questions.is_empty() {
        ConversationState::Ready
    } else {
        ConversationState::Collecting
    };
    // The order can be confirmed as it is; the question only invites a fix.
    if let (Some(q), true) = (order.quantity, decoded.p_quantity < QUANTITY_MIN_P) {
        questions.push(quantity_question(q, korean));
    }
    let response = reply(menu, &order, korean, state);
    let alternatives = dinner
        .map(|d| {
            d.styles
                .iter()
                .filter(|s| Some(&s.code) != order.style.as_ref())
                .map(|s| s.code.clone())
                .collect()
        })
        .unwrap_or_default();

    VoiceAnalysis {
        intent,
        menu: order.menu.clone(),
        style: order.style.clone(),
        quantity: order.quantity,
        customizations: order.customizations.clone(),
        side_dishes: order.side_dishes.clone(),
        confidence: (confidence * 1000.0).round() / 1000.0,
        response,
        recommended_menu: recommended(job),
        alternatives,
        additional_questions: questions,
        lines: order.lines(),
        order_state: order,
        state,
    }
}

/// The job's language where it says one, else Korean if the words have Hangul in them.
fn speaks_korean(job: &LlmJob) -> bool {
    match job.language.as_deref() {
        Some("ko") => true,
        Some("en") => false,
        _ => job.transcript.chars().any(is_hangul),
    }
}

/// The past order shown to the model whose dinner is `dinner` ("the usual").
fn usual_order<'j>(job: &'j LlmJob, dinner: Option<&String>) -> Option<&'j HistoryEntry> {
    job.user_history
        .iter()
        .take(HISTORY_IN_PROMPT)
        .find(|h| Some(&h.menu) == dinner)
}

/// With no style said, the one kept is the order's so far, else that of the past order the
/// dinner was taken from (`usual`).
fn settle_style(
    job: &LlmJob,
    decoded: &Decoded,
    order: &mut OrderState,
    usual: Option<&HistoryEntry>,
) {
    let kept_style = job
        .order_state
        .as_ref()
        .filter(|s| s.menu == order.menu)
        .and_then(|s| s.style.clone())
        .or_else(|| usual.map(|h| h.style.clone()));
    let style_named = said_style(decoded, order.style.as_ref());
    if decoded.p_style < STYLE_MIN_P && !style_named && kept_style != order.style {
        order.style = kept_style;
    }
}

/// Whether the customer's words name `style`.
fn said_style(decoded: &Decoded, style: Option<&String>) -> bool {
    style.is_some_and(|st| {
        decoded
            .heard
            .found
            .iter()
            .any(|(_, m)| *m == Mention::Style(st.clone()))
    })
}

/// The lines of the order before this utterance (none for a new order).
fn lines_before(job: &LlmJob) -> Vec<ai_protocol::OrderLine> {
    job.order_state
        .as_ref()
        .map(|s| s.lines())
        .unwrap_or_default()
}

/// A further line's style below [`STYLE_MIN_P`] was not said: it is the one that line had so
/// far, if it was in the order already, else asked.
fn settle_more_styles(job: &LlmJob, decoded: &Decoded, order: &mut OrderState) {
    let before = lines_before(job);
    for (line, p) in order.more_lines.iter_mut().zip(&decoded.more_p_style) {
        if *p < STYLE_MIN_P && !said_style(decoded, line.style.as_ref()) {
            line.style = before
                .iter()
                .find(|b| b.menu == line.menu)
                .and_then(|b| b.style.clone());
        }
    }
}

/// Not understood: the order in progress stays as it is, and the customer is asked again.
fn unclear(job: &LlmJob, decoded: &Decoded, korean: bool) -> VoiceAnalysis {
    let kept = job.order_state.clone().unwrap_or_default();
    VoiceAnalysis {
        intent: Intent::Unclear,
        menu: kept.menu.clone(),
        style: kept.style.clone(),
        quantity: kept.quantity,
        customizations: kept.customizations.clone(),
        side_dishes: kept.side_dishes.clone(),
        // The probability that this was an order after all, kept below the threshold.
        confidence: (1.0 - decoded.p_intent).min(CONFIDENCE_THRESHOLD - 0.01),
        response: in_language(
            korean,
            "주문 내용을 이해할 수 없습니다. 다시 말씀해 주세요.",
            "Sorry, I could not understand the order. Please say it again.",
        )
        .into(),
        recommended_menu: recommended(job),
        alternatives: job
            .menu
            .dinners
            .iter()
            .map(|d| d.code.clone())
            .take(3)
            .collect(),
        additional_questions: vec![in_language(
            korean,
            "어떤 디너를 주문하시겠어요?",
            "Which dinner would you like?",
        )
        .into()],
        lines: kept.lines(),
        order_state: kept,
        state: ConversationState::Unclear,
    }
}

/// Keeping the default amount is not a customization.
fn drop_included_amounts(menu: &MenuCatalog, order: &mut OrderState) {
    let changed = |dinner: Option<&str>, list: &mut Vec<ai_protocol::Customization>| {
        if let Some(dinner) = dinner.and_then(|m| menu.dinner(m)) {
            list.retain(|c| {
                dinner
                    .component(&c.component)
                    .is_some_and(|comp| comp.default_quantity != c.quantity)
            });
        }
    };
    changed(order.menu.as_deref(), &mut order.customizations);
    for line in &mut order.more_lines {
        changed(Some(&line.menu), &mut line.customizations);
    }
}

/// Confidence is about whether we understood the order at all (4b asks again); a doubtful
/// quantity is shown in the editable preview with a question instead ("하나랑 샐러드 하나":
/// two numbers, one of them the dinners'). `usual`: a past order with the chosen dinner was
/// shown to the model.
fn confidence(job: &LlmJob, decoded: &Decoded, order: &OrderState, usual: bool) -> f32 {
    let mut confidence = decoded.p_intent.min(decoded.p_menu);
    let named = decoded.heard.dinners();
    let chosen = order.menu.clone().unwrap_or_default();
    let before = lines_before(job);
    let edits_an_order = job.order_state.is_some();
    // "The usual": no dinner named, one of the past orders shown to the model chosen.
    let from_history = named.is_empty() && usual;
    // In an edit the first line's dinner is the order's own, kept, not chosen.
    let kept_line = before.iter().any(|b| b.menu == chosen);
    let named_or_edit = named.contains(&chosen)
        || (edits_an_order && named.is_empty())
        || from_history
        || kept_line;
    // A line added to the order must be a dinner the customer named.
    let unnamed_new_line = order
        .more_lines
        .iter()
        .any(|l| !named.contains(&l.menu) && !before.iter().any(|b| b.menu == l.menu));
    if !named_or_edit || unnamed_new_line {
        tracing::debug!(%chosen, ?named, "a chosen dinner was not named");
        confidence = confidence.min(UNNAMED_DINNER_CAP);
    }
    if !decoded.heard.corrected.is_empty() {
        tracing::debug!(corrected = ?decoded.heard.corrected, "near-miss dinner name put right");
        confidence *= CORRECTED_NAME_FACTOR;
    }
    if order.check(&job.menu).is_err() {
        confidence = 0.0;
    }
    confidence
}

/// Asks which of `dinner`'s styles the customer wants.
fn style_question(dinner: &MenuDinner, korean: bool) -> String {
    let names: Vec<&str> = dinner
        .styles
        .iter()
        .map(|s| in_language(korean, &s.name_ko, &s.name_en))
        .collect();
    if korean {
        format!("어떤 스타일로 드릴까요? ({})", names.join(", "))
    } else {
        format!("Which style would you like? ({})", names.join(", "))
    }
}

/// Asks whether `q` dinners is right.
fn quantity_question(q: u32, korean: bool) -> String {
    if korean {
        format!("{q}인분 맞으신가요?")
    } else {
        format!("Is that {q} dinner{}?", if q == 1 { "" } else { "s" })
    }
}

/// `ko` or `en`, whichever is the customer's language.
fn in_language<'t>(korean: bool, ko: &'t str, en: &'t str) -> &'t str {
    if korean {
        ko
    } else {
        en
    }
}

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c) || ('\u{3131}'..='\u{318E}').contains(&c)
}

/// The dinner this customer orders most, else the one with the best running event.
fn recommended(job: &LlmJob) -> Option<String> {
    let mut counts: Vec<(String, u32)> = Vec::new();
    for h in &job.user_history {
        match counts.iter_mut().find(|(m, _)| *m == h.menu) {
            Some((_, n)) => *n += h.quantity.max(1),
            None => counts.push((h.menu.clone(), h.quantity.max(1))),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
        .into_iter()
        .map(|(m, _)| m)
        .find(|m| job.menu.dinner(m).is_some())
        .or_else(|| {
            job.events
                .iter()
                .filter(|e| {
                    e.menu
                        .as_deref()
                        .is_some_and(|m| job.menu.dinner(m).is_some())
                })
                .max_by_key(|e| e.discount_percent)
                .and_then(|e| e.menu.clone())
        })
}

fn reply(menu: &MenuCatalog, order: &OrderState, korean: bool, state: ConversationState) -> String {
    let lines: Vec<String> = order
        .lines()
        .iter()
        .filter_map(|l| line_text(menu, l, korean))
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let sides: Vec<&str> = order
        .side_dishes
        .iter()
        .filter_map(|s| menu.side_dish(s))
        .map(|s| in_language(korean, &s.name_ko, &s.name_en))
        .collect();
    let ready = state == ConversationState::Ready;
    if korean {
        let mut s = lines.join(", ");
        if !sides.is_empty() {
            s.push_str(&format!(", {}", sides.join(", ")));
        }
        s.push_str(if ready {
            " 주문을 준비했어요. 가격을 확인하시고 주문을 확정해 주세요."
        } else {
            " 주문을 받고 있어요."
        });
        s
    } else {
        let mut s = lines.join(", ");
        if !sides.is_empty() {
            s.push_str(&format!(" with {}", sides.join(", ")));
        }
        s.push_str(if ready {
            ". Check the price and confirm your order."
        } else {
            " so far."
        });
        s
    }
}

/// One line as the reply names it: "치킨 디너 매운 맛 2개" / "2 × Chicken Dinner (Spicy)".
fn line_text(menu: &MenuCatalog, line: &ai_protocol::OrderLine, korean: bool) -> Option<String> {
    let dinner = menu.dinner(&line.menu)?;
    let style = line.style.as_deref().and_then(|s| dinner.style(s));
    Some(match (korean, style) {
        (true, Some(st)) => format!("{} {} {}개", dinner.name_ko, st.name_ko, line.quantity),
        (true, None) => format!("{} {}개", dinner.name_ko, line.quantity),
        (false, Some(st)) => format!("{} × {} ({})", line.quantity, dinner.name_en, st.name_en),
        (false, None) => format!("{} × {}", line.quantity, dinner.name_en),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Heard;

    fn menu() -> MenuCatalog {
        crate::seeded_menu()
    }

    #[test]
    fn dinner_names_are_found_in_both_languages() {
        let m = menu();
        let dinners = |text: &str| Heard::new(text, &m).dinners();
        assert_eq!(dinners("프렌치 디너 두 개"), vec!["french"]);
        assert_eq!(dinners("Three spicy chicken dinners"), vec!["chicken"]);
        assert_eq!(dinners("샴페인 디너 그랜드로"), vec!["champagne_feast"]);
        assert!(dinners("with french fries please").is_empty());
        assert!(dinners("오늘 날씨가 좋네요").is_empty());
    }

    fn job(text: &str, state: Option<OrderState>) -> LlmJob {
        LlmJob {
            order_state: state,
            ..LlmJob::local(text, menu())
        }
    }

    fn decoded(intent: Intent, order: OrderState) -> Decoded {
        Decoded {
            p_intent: 0.99,
            p_menu: 0.95,
            p_style: 0.9,
            p_quantity: 0.97,
            ..Decoded::certain(intent, order)
        }
    }

    /// `analysis` of `text` (in a job with `state`) where the model decided `d`.
    fn analysed(text: &str, state: Option<OrderState>, mut d: Decoded) -> VoiceAnalysis {
        let j = job(text, state);
        d.heard = Heard::new(&j.transcript, &j.menu);
        analysis(&j, &d)
    }

    fn chicken(style: Option<&str>) -> OrderState {
        OrderState {
            menu: Some("chicken".into()),
            style: style.map(str::to_owned),
            quantity: Some(2),
            customizations: vec![ai_protocol::Customization {
                component: "cola".into(),
                quantity: 1,
            }],
            side_dishes: vec![],
            more_lines: vec![],
        }
    }

    #[test]
    fn a_clear_order_is_ready_and_confident() {
        let a = analysed(
            "치킨 디너 2인분 매운 맛",
            None,
            decoded(Intent::Order, chicken(Some("spicy"))),
        );
        assert_eq!(a.state, ConversationState::Ready);
        assert!(a.is_confident(), "{a:?}");
        assert!(
            a.customizations.is_empty(),
            "the default cola is not a change"
        );
        assert!(
            a.response.contains("치킨 디너 매운 맛 2개"),
            "{}",
            a.response
        );
    }

    #[test]
    fn a_doubtful_quantity_is_asked_about_but_the_order_stands() {
        let mut d = decoded(Intent::Order, chicken(Some("spicy")));
        d.p_quantity = 0.6;
        let a = analysed("치킨 디너 매운 맛 2개랑 콜라 1개", None, d);
        assert!(a.is_confident(), "{a:?}");
        assert_eq!(a.state, ConversationState::Ready);
        assert_eq!(a.additional_questions, vec!["2인분 맞으신가요?".to_owned()]);
    }

    #[test]
    fn a_missing_style_is_asked_for() {
        let a = analysed(
            "chicken dinner for two",
            None,
            decoded(Intent::Order, chicken(None)),
        );
        assert_eq!(a.state, ConversationState::Collecting);
        assert!(a.additional_questions[0].contains("Original"), "{a:?}");
    }

    #[test]
    fn an_unnamed_dinner_is_not_trusted() {
        let a = analysed(
            "오늘 날씨가 좋네요",
            None,
            decoded(Intent::Order, chicken(Some("spicy"))),
        );
        assert!(!a.is_confident());
        // An edit may leave the dinner unnamed.
        let a = analysed(
            "매운 맛으로 바꿔줘",
            Some(chicken(None)),
            decoded(Intent::Modify, chicken(Some("spicy"))),
        );
        assert!(a.is_confident(), "{a:?}");
    }

    #[test]
    fn a_dinner_name_heard_nearly_right_counts_as_named_but_less_sure() {
        let french = OrderState {
            menu: Some("french".into()),
            style: Some("deluxe".into()),
            quantity: Some(1),
            ..OrderState::default()
        };
        let said = analysed(
            "프렌치 디너 디럭스",
            None,
            decoded(Intent::Order, french.clone()),
        );
        let heard = analysed("블렌치 디너 디럭스", None, decoded(Intent::Order, french));
        assert!(heard.is_confident(), "{heard:?}");
        assert!(heard.confidence < said.confidence * 0.9, "{heard:?}");
    }

    #[test]
    fn unclear_keeps_the_order_in_progress() {
        let mut d = decoded(Intent::Unclear, OrderState::default());
        d.p_intent = 0.9;
        let a = analysed("음 그러니까", Some(chicken(Some("spicy"))), d);
        assert_eq!(a.state, ConversationState::Unclear);
        assert!(a.confidence < CONFIDENCE_THRESHOLD);
        assert_eq!(a.order_state.menu.as_deref(), Some("chicken"));
    }
}
