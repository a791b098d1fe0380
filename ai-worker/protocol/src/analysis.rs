//! The seed's analysis structure (DESIGN §7) and the voice session's order in progress.

use serde::{Deserialize, Serialize};

use crate::menu::MenuCatalog;

/// Below this the customer is asked again and offered the GUI (DESIGN §8 4b).
pub const CONFIDENCE_THRESHOLD: f32 = 0.7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Intent {
    /// A new order (or the first utterance of a session).
    #[default]
    Order,
    /// A change to the order in progress ("make it two", "디럭스로 바꿔줘").
    Modify,
    /// Not an order we understood.
    Unclear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConversationState {
    /// Something is still missing (e.g. the style); see `additional_questions`.
    #[default]
    Collecting,
    /// Everything needed to price and confirm the order is known.
    Ready,
    /// Nothing usable was understood.
    Unclear,
}

/// A component quantity change: 0 removes it, more than the default adds units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customization {
    pub component: String,
    pub quantity: u32,
}

/// The order a voice session has built so far; sent back with the next utterance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderState {
    pub menu: Option<String>,
    pub style: Option<String>,
    pub quantity: Option<u32>,
    #[serde(default)]
    pub customizations: Vec<Customization>,
    /// Side dish codes; a code listed twice means two of it.
    #[serde(default)]
    pub side_dishes: Vec<String>,
    /// The order's dinner lines after the first (the first is the fields above).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_lines: Vec<OrderLine>,
}

/// One dinner line of an order: a dinner, its style, how many, and its component changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub menu: String,
    pub style: Option<String>,
    pub quantity: u32,
    #[serde(default)]
    pub customizations: Vec<Customization>,
}

/// What the worker understood from one utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoiceAnalysis {
    pub intent: Intent,
    pub menu: Option<String>,
    pub style: Option<String>,
    pub quantity: Option<u32>,
    pub customizations: Vec<Customization>,
    pub side_dishes: Vec<String>,
    /// 0..1; below [`CONFIDENCE_THRESHOLD`] the order is not trusted.
    pub confidence: f32,
    /// The reply shown (and read) to the customer, in the utterance's language.
    pub response: String,
    pub recommended_menu: Option<String>,
    pub alternatives: Vec<String>,
    pub additional_questions: Vec<String>,
    /// The session's order after this utterance.
    pub order_state: OrderState,
    pub state: ConversationState,
    /// Every dinner line of the order, the first being `menu`, `style`, `quantity` and
    /// `customizations`; empty when no dinner is known.
    #[serde(default)]
    pub lines: Vec<OrderLine>,
}

impl VoiceAnalysis {
    pub fn is_confident(&self) -> bool {
        self.intent != Intent::Unclear && self.confidence >= CONFIDENCE_THRESHOLD
    }
}

/// Why an analysis does not fit the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuMismatch {
    UnknownMenu(String),
    UnknownStyle { menu: String, style: String },
    UnknownSideDish(String),
    UnknownComponent { menu: String, component: String },
    QuantityOutOfRange(u32),
    ComponentQuantityOutOfRange { component: String, quantity: u32 },
}

impl std::fmt::Display for MenuMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MenuMismatch::UnknownMenu(m) => write!(f, "unknown menu `{m}`"),
            MenuMismatch::UnknownStyle { menu, style } => {
                write!(f, "style `{style}` is not offered for `{menu}`")
            }
            MenuMismatch::UnknownSideDish(s) => write!(f, "unknown side dish `{s}`"),
            MenuMismatch::UnknownComponent { menu, component } => {
                write!(f, "`{menu}` has no component `{component}`")
            }
            MenuMismatch::QuantityOutOfRange(q) => {
                write!(f, "quantity {q} is not between 1 and 10")
            }
            MenuMismatch::ComponentQuantityOutOfRange {
                component,
                quantity,
            } => {
                write!(f, "{component} quantity {quantity} is not between 0 and 10")
            }
        }
    }
}

impl OrderState {
    /// Checks every code and quantity against the live menu (used by the worker before it
    /// answers and again by the server before it prices: the server trusts no one).
    pub fn check(&self, menu: &MenuCatalog) -> Result<(), MenuMismatch> {
        if let Some(code) = &self.menu {
            let dinner = menu
                .dinner(code)
                .ok_or_else(|| MenuMismatch::UnknownMenu(code.clone()))?;
            if let Some(style) = &self.style {
                if dinner.style(style).is_none() {
                    return Err(MenuMismatch::UnknownStyle {
                        menu: code.clone(),
                        style: style.clone(),
                    });
                }
            }
            for c in &self.customizations {
                if dinner.component(&c.component).is_none() {
                    return Err(MenuMismatch::UnknownComponent {
                        menu: code.clone(),
                        component: c.component.clone(),
                    });
                }
                if c.quantity > 10 {
                    return Err(MenuMismatch::ComponentQuantityOutOfRange {
                        component: c.component.clone(),
                        quantity: c.quantity,
                    });
                }
            }
        }
        if let Some(q) = self.quantity {
            if !(1..=10).contains(&q) {
                return Err(MenuMismatch::QuantityOutOfRange(q));
            }
        }
        for line in &self.more_lines {
            OrderState::from_line(line).check(menu)?;
        }
        for side in &self.side_dishes {
            if menu.side_dish(side).is_none() {
                return Err(MenuMismatch::UnknownSideDish(side.clone()));
            }
        }
        Ok(())
    }

    /// True when the order can be priced and confirmed.
    pub fn is_complete(&self) -> bool {
        self.menu.is_some()
            && self.style.is_some()
            && self.quantity.is_some()
            && self.more_lines.iter().all(|l| l.style.is_some())
    }

    /// An order of `line` alone, without side dishes.
    pub fn from_line(line: &OrderLine) -> Self {
        OrderState {
            menu: Some(line.menu.clone()),
            style: line.style.clone(),
            quantity: Some(line.quantity),
            customizations: line.customizations.clone(),
            ..OrderState::default()
        }
    }

    /// The first line, where a dinner is known.
    pub fn first_line(&self) -> Option<OrderLine> {
        Some(OrderLine {
            menu: self.menu.clone()?,
            style: self.style.clone(),
            quantity: self.quantity.unwrap_or(1),
            customizations: self.customizations.clone(),
        })
    }

    /// Every line, the first included.
    pub fn lines(&self) -> Vec<OrderLine> {
        self.first_line()
            .into_iter()
            .chain(self.more_lines.iter().cloned())
            .collect()
    }

    /// Makes `line` the first line (its fields replace the first line's).
    pub fn set_first_line(&mut self, line: OrderLine) {
        self.menu = Some(line.menu);
        self.style = line.style;
        self.quantity = Some(line.quantity);
        self.customizations = line.customizations;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::{MenuComponent, MenuDinner, MenuSideDish, MenuStyle};

    fn menu() -> MenuCatalog {
        MenuCatalog {
            dinners: vec![MenuDinner {
                code: "chicken".into(),
                name_ko: "치킨 디너".into(),
                name_en: "Chicken Dinner".into(),
                base_price: 28_000,
                styles: vec![MenuStyle {
                    code: "spicy".into(),
                    name_ko: "매운 맛".into(),
                    name_en: "Spicy".into(),
                    surcharge: 1_000,
                }],
                components: vec![MenuComponent {
                    code: "cola".into(),
                    name_ko: "콜라".into(),
                    name_en: "Cola".into(),
                    default_quantity: 1,
                }],
            }],
            side_dishes: vec![MenuSideDish {
                code: "fries".into(),
                name_ko: "감자튀김".into(),
                name_en: "Fries".into(),
                price: 4_000,
            }],
        }
    }

    fn state() -> OrderState {
        OrderState {
            menu: Some("chicken".into()),
            style: Some("spicy".into()),
            quantity: Some(2),
            customizations: vec![Customization {
                component: "cola".into(),
                quantity: 2,
            }],
            side_dishes: vec!["fries".into()],
            more_lines: vec![],
        }
    }

    #[test]
    fn further_lines_are_checked_and_complete_only_with_a_style() {
        let mut s = state();
        s.more_lines = vec![OrderLine {
            menu: "chicken".into(),
            style: None,
            quantity: 1,
            customizations: vec![],
        }];
        assert_eq!(s.check(&menu()), Ok(()));
        assert!(!s.is_complete(), "line 2 has no style yet");
        assert_eq!(s.lines().len(), 2);
        s.more_lines[0].style = Some("spicy".into());
        assert!(s.is_complete());
        s.more_lines[0].menu = "pizza".into();
        assert_eq!(
            s.check(&menu()),
            Err(MenuMismatch::UnknownMenu("pizza".into()))
        );
        s.more_lines[0].menu = "chicken".into();
        s.more_lines[0].quantity = 11;
        assert_eq!(s.check(&menu()), Err(MenuMismatch::QuantityOutOfRange(11)));
    }

    #[test]
    fn a_valid_order_passes_and_is_complete() {
        assert_eq!(state().check(&menu()), Ok(()));
        assert!(state().is_complete());
        assert!(!OrderState::default().is_complete());
    }

    #[test]
    fn every_code_is_checked() {
        let m = menu();
        let mut s = state();
        s.style = Some("grand".into());
        assert!(matches!(
            s.check(&m),
            Err(MenuMismatch::UnknownStyle { .. })
        ));
        let mut s = state();
        s.side_dishes.push("sushi".into());
        assert_eq!(
            s.check(&m),
            Err(MenuMismatch::UnknownSideDish("sushi".into()))
        );
        let mut s = state();
        s.customizations[0].component = "steak".into();
        assert!(matches!(
            s.check(&m),
            Err(MenuMismatch::UnknownComponent { .. })
        ));
        let mut s = state();
        s.quantity = Some(11);
        assert_eq!(s.check(&m), Err(MenuMismatch::QuantityOutOfRange(11)));
        let mut s = state();
        s.menu = Some("pizza".into());
        assert_eq!(s.check(&m), Err(MenuMismatch::UnknownMenu("pizza".into())));
    }
}
