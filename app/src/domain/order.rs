//! Order types shared by the order builder in the browser, the REST API and the services.

use serde::{Deserialize, Serialize};

use super::menu::Menu;
use super::text::{text_schema, TextRule};

/// Customer tier, earned by paid orders (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    #[default]
    Regular,
    Silver,
    Gold,
    Vip,
}

impl Tier {
    pub fn from_paid_orders(paid: i64) -> Tier {
        match paid {
            n if n >= 20 => Tier::Vip,
            n if n >= 10 => Tier::Gold,
            n if n >= 5 => Tier::Silver,
            _ => Tier::Regular,
        }
    }

    pub fn discount_percent(self) -> i64 {
        match self {
            Tier::Regular => 0,
            Tier::Silver => 5,
            Tier::Gold => 10,
            Tier::Vip => 15,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Tier::Regular => "regular",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
            Tier::Vip => "vip",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        [Tier::Regular, Tier::Silver, Tier::Gold, Tier::Vip]
            .into_iter()
            .find(|t| t.code() == s)
    }
}

/// How many of a dinner or side dish: 1 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(u8);

impl Quantity {
    pub const MIN: Quantity = Quantity(1);
    pub const MAX: u8 = 10;
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        if (1..=i64::from(Self::MAX)).contains(&v) {
            Ok(Quantity(v as u8))
        } else {
            Err(format!("quantity must be between 1 and 10, got {v}"))
        }
    }
}

impl From<Quantity> for i64 {
    fn from(q: Quantity) -> i64 {
        i64::from(q.0)
    }
}

/// How many units of one component a dinner comes with: 0 (removed) to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct ComponentQuantity(u8);

impl ComponentQuantity {
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for ComponentQuantity {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        if (0..=10).contains(&v) {
            Ok(ComponentQuantity(v as u8))
        } else {
            Err(format!(
                "component quantity must be between 0 and 10, got {v}"
            ))
        }
    }
}

impl From<ComponentQuantity> for i64 {
    fn from(q: ComponentQuantity) -> i64 {
        i64::from(q.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomizationDraft {
    #[cfg_attr(feature = "ssr", schema(examples("steak")))]
    pub component: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64, minimum = 0, maximum = 10))]
    pub quantity: ComponentQuantity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CakeDraft {
    #[cfg_attr(feature = "ssr", schema(examples("mini")))]
    pub size: String,
    #[cfg_attr(feature = "ssr", schema(examples("fresh_cream")))]
    pub flavor: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = lettering_schema))]
    pub lettering: String,
}

pub const MAX_LETTERING_CHARS: usize = 30;

pub const ADDRESS: TextRule = TextRule::line("address", 200);
pub const RECIPIENT: TextRule = TextRule::line("recipient", 50);
pub const PHONE: TextRule = TextRule::line("phone", 20);
pub const NOTES: TextRule = TextRule::line("notes", 500).optional().multiline();
pub const STORE: TextRule = TextRule::line("store", 50);
pub const LETTERING: TextRule = TextRule::line("cake", MAX_LETTERING_CHARS)
    .optional()
    .multiline();

text_schema!(lettering_schema, LETTERING, "Happy Birthday");
text_schema!(address_schema, ADDRESS, "서울특별시 강남구 테헤란로 152");
text_schema!(recipient_schema, RECIPIENT, "홍길동");
text_schema!(phone_schema, PHONE, "010-1234-5678");
text_schema!(notes_schema, NOTES, "", nullable);
text_schema!(store_schema, STORE, "gangnam");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LineDraft {
    #[cfg_attr(feature = "ssr", schema(examples("valentine")))]
    pub menu: String,
    #[cfg_attr(feature = "ssr", schema(examples("simple")))]
    pub style: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64, minimum = 1, maximum = 10))]
    pub quantity: Quantity,
    #[serde(default)]
    pub customizations: Vec<CustomizationDraft>,
    #[serde(default)]
    pub cake: Option<CakeDraft>,
}

impl LineDraft {
    /// One of `dinner` as it comes: its first style, nothing changed, no cake.
    pub fn as_it_comes(menu: &Menu, dinner: &str) -> LineDraft {
        LineDraft {
            menu: dinner.to_owned(),
            style: menu
                .dinner(dinner)
                .and_then(|d| d.styles.first())
                .map(|s| s.code.clone())
                .unwrap_or_default(),
            quantity: Quantity::MIN,
            customizations: Vec::new(),
            cake: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SideDishDraft {
    #[cfg_attr(feature = "ssr", schema(examples("fries")))]
    pub code: String,
    #[cfg_attr(feature = "ssr", schema(value_type = i64, minimum = 1, maximum = 10))]
    pub quantity: Quantity,
}

/// What is being ordered, without delivery details: enough to price it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderDraft {
    #[cfg_attr(feature = "ssr", schema(max_items = 10))]
    pub lines: Vec<LineDraft>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 10))]
    pub side_dishes: Vec<SideDishDraft>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryDetails {
    #[cfg_attr(feature = "ssr", schema(schema_with = address_schema))]
    pub address: String,
    #[cfg_attr(feature = "ssr", schema(schema_with = recipient_schema))]
    pub recipient: String,
    #[cfg_attr(feature = "ssr", schema(schema_with = phone_schema))]
    pub phone: String,
    /// RFC 3339 time, or empty for as soon as possible.
    #[serde(default)]
    pub requested_at: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = notes_schema))]
    pub notes: Option<String>,
}

/// A complete order as the customer submits it. Prices are never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderRequest {
    #[cfg_attr(feature = "ssr", schema(schema_with = store_schema))]
    pub store: String,
    // The draft's fields inline rather than `#[serde(flatten)]`: flatten hides the path of a bad
    // field (`lines[0].quantity`) from the error message.
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 10))]
    pub lines: Vec<LineDraft>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 10))]
    pub side_dishes: Vec<SideDishDraft>,
    pub delivery: DeliveryDetails,
    /// How the customer built the order (`orders.source`): the GUI builder unless a voice
    /// session proposed it. Only a label: the price and the stock come from the lines alone.
    #[serde(default)]
    pub source: OrderSource,
}

impl OrderRequest {
    pub fn new(
        store: String,
        draft: OrderDraft,
        delivery: DeliveryDetails,
        source: OrderSource,
    ) -> Self {
        OrderRequest {
            store,
            lines: draft.lines,
            side_dishes: draft.side_dishes,
            delivery,
            source,
        }
    }

    /// What is being ordered, for pricing.
    pub fn draft(&self) -> OrderDraft {
        OrderDraft {
            lines: self.lines.clone(),
            side_dishes: self.side_dishes.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OrderSource {
    #[default]
    Gui,
    Voice,
}

impl OrderSource {
    pub fn code(self) -> &'static str {
        match self {
            OrderSource::Gui => "gui",
            OrderSource::Voice => "voice",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_thresholds() {
        assert_eq!(Tier::from_paid_orders(0), Tier::Regular);
        assert_eq!(Tier::from_paid_orders(4), Tier::Regular);
        assert_eq!(Tier::from_paid_orders(5), Tier::Silver);
        assert_eq!(Tier::from_paid_orders(9), Tier::Silver);
        assert_eq!(Tier::from_paid_orders(10), Tier::Gold);
        assert_eq!(Tier::from_paid_orders(19), Tier::Gold);
        assert_eq!(Tier::from_paid_orders(20), Tier::Vip);
        assert_eq!(Tier::from_paid_orders(500), Tier::Vip);
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("11").is_err());
        assert_eq!(serde_json::from_str::<Quantity>("10").unwrap().get(), 10);
        assert!(serde_json::from_str::<ComponentQuantity>("0").is_ok());
        assert!(serde_json::from_str::<ComponentQuantity>("11").is_err());
        assert!(serde_json::from_str::<ComponentQuantity>("-1").is_err());
    }

    #[test]
    fn an_order_without_a_source_came_from_the_gui() {
        let json = serde_json::json!({
            "store": "gangnam",
            "lines": [{ "menu": "chicken", "style": "spicy", "quantity": 2 }],
            "delivery": { "address": "a", "recipient": "r", "phone": "p" },
        });
        let req: OrderRequest = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(req.source, OrderSource::Gui);
        let mut voice = json;
        voice["source"] = "voice".into();
        let req: OrderRequest = serde_json::from_value(voice).unwrap();
        assert_eq!(req.source, OrderSource::Voice);
        assert_eq!(req.source.code(), "voice");
        let mut bad = serde_json::to_value(&req).unwrap();
        bad["source"] = "phone".into();
        assert!(serde_json::from_value::<OrderRequest>(bad).is_err());
    }
}
