//! DESIGN §5 as a pure function: the one place where a price is computed. The order builder's
//! live price, the checkout and the voice preview all call it, so they can never disagree.

use serde::{Deserialize, Serialize};

use crate::domain::menu::Menu;
use crate::domain::money::Money;
use crate::domain::order::{OrderDraft, Tier};

/// Tier rate plus the best event never discounts more than this.
pub const MAX_DISCOUNT_PERCENT: i64 = 30;

/// An event running now and the dinners it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveEvent {
    pub id: i64,
    pub title_ko: String,
    pub title_en: String,
    pub discount_percent: i64,
    pub menu_codes: Vec<String>,
}

/// One priced dinner line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricedLine {
    pub menu: String,
    pub style: String,
    pub quantity: i64,
    pub base_price: Money,
    pub style_surcharge: Money,
    /// Extra component units for one dinner.
    pub customization_total: Money,
    pub cake_price: Money,
    /// base + style + customizations + cake, for one dinner.
    pub unit_price: Money,
    pub line_total: Money,
    /// The best event for this dinner, if any.
    pub event: Option<AppliedEvent>,
    pub discount_percent: i64,
    pub discount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppliedEvent {
    pub id: i64,
    pub title_ko: String,
    pub title_en: String,
    pub discount_percent: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricedSideDish {
    pub code: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub line_total: Money,
    pub discount: Money,
}

/// The whole breakdown, stored with the order (`applied_discounts`) and shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricingBreakdown {
    pub tier: Tier,
    pub tier_percent: i64,
    pub lines: Vec<PricedLine>,
    pub side_dishes: Vec<PricedSideDish>,
    pub original_price: Money,
    pub discount_amount: Money,
    pub final_price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("menu: unknown dinner '{0}'")]
    UnknownMenu(String),
    #[error("style: '{style}' is not a style of '{menu}'")]
    UnknownStyle { menu: String, style: String },
    #[error("customizations: '{component}' is not part of '{menu}'")]
    UnknownComponent { menu: String, component: String },
    #[error("side_dishes: unknown side dish '{0}'")]
    UnknownSideDish(String),
    #[error("cake: unknown size '{0}'")]
    UnknownCakeSize(String),
    #[error("cake: unknown flavor '{0}'")]
    UnknownCakeFlavor(String),
    #[error("price: amount too large")]
    Overflow,
}

impl PricingError {
    /// The request field at fault, for the error message next to it.
    pub fn field(&self) -> &'static str {
        match self {
            PricingError::UnknownMenu(_) => "menu",
            PricingError::UnknownStyle { .. } => "style",
            PricingError::UnknownComponent { .. } => "customizations",
            PricingError::UnknownSideDish(_) => "side_dishes",
            PricingError::UnknownCakeSize(_) | PricingError::UnknownCakeFlavor(_) => "cake",
            PricingError::Overflow => "quantity",
        }
    }
}

fn percent_of(amount: Money, percent: i64) -> Result<Money, PricingError> {
    amount
        .0
        .checked_mul(percent)
        .map(|v| Money(v / 100))
        .ok_or(PricingError::Overflow)
}

fn add(a: Money, b: Money) -> Result<Money, PricingError> {
    a.checked_add(b).ok_or(PricingError::Overflow)
}

/// Prices a draft against the live menu, the customer's tier and the events running now.
///
/// Per dinner line the rate is the tier rate plus the best event for that dinner, capped at
/// 30 %; side dishes get the tier rate. The final price is rounded down to 10 원 and the
/// discount is whatever makes `original - discount = final`.
pub fn price_order(
    menu: &Menu,
    draft: &OrderDraft,
    tier: Tier,
    events: &[ActiveEvent],
) -> Result<PricingBreakdown, PricingError> {
    let tier_percent = tier.discount_percent();
    let mut lines = Vec::with_capacity(draft.lines.len());
    let mut original = Money::ZERO;
    let mut raw_discount = Money::ZERO;

    for line in &draft.lines {
        let dinner = menu
            .dinner(&line.menu)
            .ok_or_else(|| PricingError::UnknownMenu(line.menu.clone()))?;
        let style = dinner
            .styles
            .iter()
            .find(|s| s.code == line.style)
            .ok_or_else(|| PricingError::UnknownStyle {
                menu: line.menu.clone(),
                style: line.style.clone(),
            })?;
        let mut customization_total = Money::ZERO;
        for c in &line.customizations {
            let component = dinner
                .components
                .iter()
                .find(|k| k.code == c.component)
                .ok_or_else(|| PricingError::UnknownComponent {
                    menu: line.menu.clone(),
                    component: c.component.clone(),
                })?;
            // Extra units cost their unit price; removing a component is free but not refunded.
            let extra = i64::from(c.quantity.get()) - i64::from(component.default_quantity);
            if extra > 0 {
                let delta = component
                    .extra_unit_price
                    .checked_mul(extra)
                    .ok_or(PricingError::Overflow)?;
                customization_total = add(customization_total, delta)?;
            }
        }
        let cake_price = match &line.cake {
            None => Money::ZERO,
            Some(cake) => {
                if !menu.cake_flavors.iter().any(|f| f.code == cake.flavor) {
                    return Err(PricingError::UnknownCakeFlavor(cake.flavor.clone()));
                }
                menu.cake_sizes
                    .iter()
                    .find(|s| s.code == cake.size)
                    .map(|s| s.price)
                    .ok_or_else(|| PricingError::UnknownCakeSize(cake.size.clone()))?
            }
        };
        let unit_price = add(
            add(
                add(dinner.base_price, style.surcharge)?,
                customization_total,
            )?,
            cake_price,
        )?;
        let quantity = i64::from(line.quantity.get());
        let line_total = unit_price
            .checked_mul(quantity)
            .ok_or(PricingError::Overflow)?;
        let event = events
            .iter()
            .filter(|e| e.menu_codes.contains(&dinner.code))
            .max_by_key(|e| (e.discount_percent, std::cmp::Reverse(e.id)))
            .map(|e| AppliedEvent {
                id: e.id,
                title_ko: e.title_ko.clone(),
                title_en: e.title_en.clone(),
                discount_percent: e.discount_percent,
            });
        let discount_percent = (tier_percent + event.as_ref().map_or(0, |e| e.discount_percent))
            .min(MAX_DISCOUNT_PERCENT);
        let discount = percent_of(line_total, discount_percent)?;
        original = add(original, line_total)?;
        raw_discount = add(raw_discount, discount)?;
        lines.push(PricedLine {
            menu: dinner.code.clone(),
            style: style.code.clone(),
            quantity,
            base_price: dinner.base_price,
            style_surcharge: style.surcharge,
            customization_total,
            cake_price,
            unit_price,
            line_total,
            event,
            discount_percent,
            discount,
        });
    }

    let mut side_dishes = Vec::with_capacity(draft.side_dishes.len());
    for s in &draft.side_dishes {
        let dish = menu
            .side_dishes
            .iter()
            .find(|d| d.code == s.code)
            .ok_or_else(|| PricingError::UnknownSideDish(s.code.clone()))?;
        let quantity = i64::from(s.quantity.get());
        let line_total = dish
            .price
            .checked_mul(quantity)
            .ok_or(PricingError::Overflow)?;
        let discount = percent_of(line_total, tier_percent)?;
        original = add(original, line_total)?;
        raw_discount = add(raw_discount, discount)?;
        side_dishes.push(PricedSideDish {
            code: dish.code.clone(),
            quantity,
            unit_price: dish.price,
            line_total,
            discount,
        });
    }

    let final_price = Money(original.0 - raw_discount.0).floor_10();
    Ok(PricingBreakdown {
        tier,
        tier_percent,
        lines,
        side_dishes,
        original_price: original,
        discount_amount: Money(original.0 - final_price.0),
        final_price,
    })
}

/// One line of the discount breakdown the customer sees, stored with the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppliedDiscount {
    pub label_ko: String,
    pub label_en: String,
    pub percent: i64,
    pub amount: Money,
}

impl PricingBreakdown {
    /// The discounts in words: one entry per discounted dinner line, one for side dishes, and
    /// the rounding down to 10 원.
    pub fn applied_discounts(&self, menu: &Menu) -> Vec<AppliedDiscount> {
        let tier_ko = format!("{} 등급 {}%", self.tier.code(), self.tier_percent);
        let tier_en = format!("{} tier {}%", self.tier.code(), self.tier_percent);
        let mut out = Vec::new();
        let mut counted = Money::ZERO;
        for line in self.lines.iter().filter(|l| l.discount.won() > 0) {
            let (name_ko, name_en) = menu
                .dinner(&line.menu)
                .map_or((line.menu.as_str(), line.menu.as_str()), |d| {
                    (d.name_ko.as_str(), d.name_en.as_str())
                });
            let (event_ko, event_en) = match &line.event {
                Some(e) => (
                    format!(" + {} {}%", e.title_ko, e.discount_percent),
                    format!(" + {} {}%", e.title_en, e.discount_percent),
                ),
                None => (String::new(), String::new()),
            };
            let capped = if line.discount_percent == MAX_DISCOUNT_PERCENT {
                " (최대 30%)"
            } else {
                ""
            };
            out.push(AppliedDiscount {
                label_ko: format!("{name_ko}: {tier_ko}{event_ko}{capped}"),
                label_en: format!("{name_en}: {tier_en}{event_en}"),
                percent: line.discount_percent,
                amount: line.discount,
            });
            counted = Money(counted.0 + line.discount.0);
        }
        let sides: i64 = self.side_dishes.iter().map(|s| s.discount.0).sum();
        if sides > 0 {
            out.push(AppliedDiscount {
                label_ko: format!("곁들임 메뉴: {tier_ko}"),
                label_en: format!("Side dishes: {tier_en}"),
                percent: self.tier_percent,
                amount: Money(sides),
            });
            counted = Money(counted.0 + sides);
        }
        let rounding = self.discount_amount.0 - counted.0;
        if rounding > 0 {
            out.push(AppliedDiscount {
                label_ko: "10원 미만 절사".into(),
                label_en: "Rounded down to 10 won".into(),
                percent: 0,
                amount: Money(rounding),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::menu::{CakeFlavor, CakeSize, Component, Dinner, SideDish, StyleOption};
    use crate::domain::order::{
        CakeDraft, ComponentQuantity, CustomizationDraft, LineDraft, Quantity, SideDishDraft,
    };

    fn style(code: &str, surcharge: i64) -> StyleOption {
        StyleOption {
            id: 0,
            code: code.into(),
            name_ko: code.into(),
            name_en: code.into(),
            surcharge: Money(surcharge),
        }
    }

    fn component(code: &str, default_quantity: i32, extra: i64) -> Component {
        Component {
            component_id: 0,
            ingredient_id: 0,
            code: code.into(),
            name_ko: code.into(),
            name_en: code.into(),
            unit_ko: String::new(),
            unit_en: String::new(),
            default_quantity,
            extra_unit_price: Money(extra),
        }
    }

    fn dinner(
        code: &str,
        price: i64,
        styles: Vec<StyleOption>,
        components: Vec<Component>,
    ) -> Dinner {
        Dinner {
            id: 0,
            code: code.into(),
            name_ko: code.into(),
            name_en: code.into(),
            description_ko: String::new(),
            description_en: String::new(),
            base_price: Money(price),
            serves: 1,
            icon: String::new(),
            styles,
            components,
            sold_out_at: Vec::new(),
            sold_out: false,
        }
    }

    /// DESIGN §3.
    fn menu() -> Menu {
        let classic = || {
            vec![
                style("simple", 0),
                style("grand", 8_000),
                style("deluxe", 15_000),
            ]
        };
        Menu {
            dinners: vec![
                dinner(
                    "valentine",
                    48_000,
                    classic(),
                    vec![component("wine", 1, 9_000), component("steak", 1, 18_000)],
                ),
                dinner(
                    "french",
                    52_000,
                    classic(),
                    vec![component("coffee", 1, 3_000), component("steak", 1, 18_000)],
                ),
                dinner(
                    "english",
                    42_000,
                    classic(),
                    vec![component("bacon", 2, 2_000)],
                ),
                dinner(
                    "champagne_feast",
                    120_000,
                    vec![style("grand", 10_000), style("deluxe", 20_000)],
                    vec![component("baguette", 4, 2_000)],
                ),
                dinner(
                    "chicken",
                    28_000,
                    vec![
                        style("original", 0),
                        style("spicy", 1_000),
                        style("soy_garlic", 1_000),
                    ],
                    vec![
                        component("fried_chicken", 1, 15_000),
                        component("cola", 1, 2_000),
                    ],
                ),
            ],
            side_dishes: vec![
                SideDish {
                    id: 0,
                    ingredient_id: 0,
                    code: "fries".into(),
                    name_ko: "감자튀김".into(),
                    name_en: "Fries".into(),
                    price: Money(4_000),
                },
                SideDish {
                    id: 0,
                    ingredient_id: 0,
                    code: "garlic_bread".into(),
                    name_ko: "마늘빵".into(),
                    name_en: "Garlic bread".into(),
                    price: Money(4_500),
                },
            ],
            cake_sizes: vec![CakeSize {
                code: "mini".into(),
                name_ko: "미니".into(),
                name_en: "Mini".into(),
                price: Money(15_000),
            }],
            cake_flavors: vec![CakeFlavor {
                code: "chocolate".into(),
                name_ko: "초콜릿".into(),
                name_en: "Chocolate".into(),
            }],
        }
    }

    fn line(menu: &str, style: &str, quantity: i64) -> LineDraft {
        LineDraft {
            menu: menu.into(),
            style: style.into(),
            quantity: Quantity::try_from(quantity).unwrap(),
            customizations: vec![],
            cake: None,
        }
    }

    fn event(id: i64, percent: i64, menus: &[&str]) -> ActiveEvent {
        ActiveEvent {
            id,
            title_ko: format!("event {id}"),
            title_en: format!("event {id}"),
            discount_percent: percent,
            menu_codes: menus.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn price(lines: Vec<LineDraft>, tier: Tier, events: &[ActiveEvent]) -> PricingBreakdown {
        let draft = OrderDraft {
            lines,
            side_dishes: vec![],
        };
        price_order(&menu(), &draft, tier, events).unwrap()
    }

    #[test]
    fn every_tier_gets_its_rate() {
        for (tier, final_price) in [
            (Tier::Regular, 56_000),
            (Tier::Silver, 53_200),
            (Tier::Gold, 50_400),
            (Tier::Vip, 47_600),
        ] {
            let p = price(vec![line("valentine", "grand", 1)], tier, &[]);
            assert_eq!(p.original_price, Money(56_000), "{tier:?}");
            assert_eq!(p.final_price, Money(final_price), "{tier:?}");
            assert_eq!(p.original_price.0 - p.discount_amount.0, p.final_price.0);
        }
    }

    #[test]
    fn best_single_event_applies_per_line() {
        let events = [
            event(1, 10, &["valentine", "french"]),
            event(2, 20, &["french"]),
            event(3, 50, &["english"]),
        ];
        let p = price(
            vec![line("french", "simple", 1), line("chicken", "original", 1)],
            Tier::Regular,
            &events,
        );
        assert_eq!(
            p.lines[0].event.as_ref().map(|e| e.id),
            Some(2),
            "the better event wins"
        );
        assert_eq!(p.lines[0].discount_percent, 20);
        assert_eq!(p.lines[0].discount, Money(10_400));
        assert_eq!(p.lines[1].event, None, "chicken has no event");
        assert_eq!(p.final_price, Money(52_000 + 28_000 - 10_400));
    }

    #[test]
    fn tier_plus_event_is_capped_at_30_percent() {
        let events = [event(3, 20, &["english"])];
        let p = price(vec![line("english", "simple", 1)], Tier::Vip, &events);
        assert_eq!(p.lines[0].discount_percent, 30, "15 + 20 capped");
        assert_eq!(p.final_price, Money(29_400));
    }

    #[test]
    fn final_price_is_rounded_down_to_ten_won() {
        // 3 × 4,500 = 13,500 garlic bread at 5 % = 675 off → 12,825 → 12,820.
        let draft = OrderDraft {
            lines: vec![],
            side_dishes: vec![SideDishDraft {
                code: "garlic_bread".into(),
                quantity: Quantity::try_from(3).unwrap(),
            }],
        };
        let p = price_order(&menu(), &draft, Tier::Silver, &[]).unwrap();
        assert_eq!(p.original_price, Money(13_500));
        assert_eq!(p.final_price, Money(12_820));
        assert_eq!(p.discount_amount, Money(680));
        let applied = p.applied_discounts(&menu());
        let amounts: Vec<i64> = applied.iter().map(|a| a.amount.won()).collect();
        assert_eq!(amounts, vec![675, 5], "tier on sides, then the rounding");
    }

    #[test]
    fn champagne_feast_has_no_simple_style() {
        let draft = OrderDraft {
            lines: vec![line("champagne_feast", "simple", 1)],
            side_dishes: vec![],
        };
        assert_eq!(
            price_order(&menu(), &draft, Tier::Regular, &[]).unwrap_err(),
            PricingError::UnknownStyle {
                menu: "champagne_feast".into(),
                style: "simple".into()
            }
        );
        let p = price(
            vec![line("champagne_feast", "deluxe", 2)],
            Tier::Regular,
            &[],
        );
        assert_eq!(p.lines[0].unit_price, Money(140_000));
        assert_eq!(p.final_price, Money(280_000));
        let p = price(
            vec![line("champagne_feast", "grand", 1)],
            Tier::Regular,
            &[],
        );
        assert_eq!(p.final_price, Money(130_000));
    }

    #[test]
    fn customizations_and_cake_add_to_the_unit_price() {
        let mut l = line("chicken", "spicy", 2);
        l.customizations = vec![
            CustomizationDraft {
                component: "fried_chicken".into(),
                quantity: ComponentQuantity::try_from(2).unwrap(),
            },
            CustomizationDraft {
                component: "cola".into(),
                quantity: ComponentQuantity::try_from(0).unwrap(),
            },
        ];
        l.cake = Some(CakeDraft {
            size: "mini".into(),
            flavor: "chocolate".into(),
            lettering: "축하해".into(),
        });
        let p = price(vec![l], Tier::Regular, &[]);
        let priced = &p.lines[0];
        assert_eq!(
            priced.customization_total,
            Money(15_000),
            "one extra chicken; removed cola is not refunded"
        );
        assert_eq!(priced.cake_price, Money(15_000));
        assert_eq!(priced.unit_price, Money(28_000 + 1_000 + 15_000 + 15_000));
        assert_eq!(priced.line_total, Money(2 * 59_000));
    }

    #[test]
    fn unknown_codes_name_their_field() {
        let draft = OrderDraft {
            lines: vec![line("pizza", "simple", 1)],
            side_dishes: vec![],
        };
        assert_eq!(
            price_order(&menu(), &draft, Tier::Regular, &[])
                .unwrap_err()
                .field(),
            "menu"
        );
        let mut l = line("valentine", "simple", 1);
        l.customizations = vec![CustomizationDraft {
            component: "cola".into(),
            quantity: ComponentQuantity::try_from(1).unwrap(),
        }];
        let draft = OrderDraft {
            lines: vec![l],
            side_dishes: vec![],
        };
        assert_eq!(
            price_order(&menu(), &draft, Tier::Regular, &[])
                .unwrap_err()
                .field(),
            "customizations"
        );
    }
}
