//! The menu as the browser and the server both see it. Loaded from PostgreSQL on every request
//! that needs it; the client never holds its own copy.

use serde::{Deserialize, Serialize};

use crate::domain::i18n::Lang;
use crate::domain::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StyleOption {
    /// The database id, for the server's inserts; never sent to the browser (0 there).
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub surcharge: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The database ids of the component and its ingredient, for the server's inserts and
    /// stock; never sent to the browser (0 there).
    #[serde(skip)]
    pub component_id: i64,
    #[serde(skip)]
    pub ingredient_id: i64,
    /// The ingredient's code, e.g. `steak`.
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub unit_ko: String,
    pub unit_en: String,
    pub default_quantity: i32,
    pub extra_unit_price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dinner {
    /// The database id, for the server's inserts; never sent to the browser (0 there).
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub description_ko: String,
    pub description_en: String,
    pub base_price: Money,
    pub serves: i32,
    pub icon: String,
    pub styles: Vec<StyleOption>,
    pub components: Vec<Component>,
    /// Stores (by code) whose stock cannot make one dinner as it comes: sold out there.
    #[serde(default)]
    pub sold_out_at: Vec<String>,
    /// Sold out at every open store.
    #[serde(default)]
    pub sold_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideDish {
    /// The database ids of the side dish and its ingredient, for the server's inserts and
    /// stock; never sent to the browser (0 there).
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub ingredient_id: i64,
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CakeSize {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CakeFlavor {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
}

/// Everything a customer can choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub dinners: Vec<Dinner>,
    pub side_dishes: Vec<SideDish>,
    pub cake_sizes: Vec<CakeSize>,
    pub cake_flavors: Vec<CakeFlavor>,
}

impl Menu {
    pub fn dinner(&self, code: &str) -> Option<&Dinner> {
        self.dinners.iter().find(|d| d.code == code)
    }

    /// The slice of the menu the AI worker needs (codes, names, prices), projected from the
    /// live menu for every voice job so the worker never sees a stale one.
    pub fn catalog(&self) -> ai_protocol::MenuCatalog {
        use ai_protocol::{MenuCatalog, MenuComponent, MenuDinner, MenuSideDish, MenuStyle};
        MenuCatalog {
            dinners: self
                .dinners
                .iter()
                .map(|d| MenuDinner {
                    code: d.code.clone(),
                    name_ko: d.name_ko.clone(),
                    name_en: d.name_en.clone(),
                    base_price: d.base_price.won(),
                    styles: d
                        .styles
                        .iter()
                        .map(|s| MenuStyle {
                            code: s.code.clone(),
                            name_ko: s.name_ko.clone(),
                            name_en: s.name_en.clone(),
                            surcharge: s.surcharge.won(),
                        })
                        .collect(),
                    components: d
                        .components
                        .iter()
                        .map(|c| MenuComponent {
                            code: c.code.clone(),
                            name_ko: c.name_ko.clone(),
                            name_en: c.name_en.clone(),
                            // Never negative (a CHECK in the schema); 0 if it ever were.
                            default_quantity: u32::try_from(c.default_quantity).unwrap_or(0),
                        })
                        .collect(),
                })
                .collect(),
            side_dishes: self
                .side_dishes
                .iter()
                .map(|s| MenuSideDish {
                    code: s.code.clone(),
                    name_ko: s.name_ko.clone(),
                    name_en: s.name_en.clone(),
                    price: s.price.won(),
                })
                .collect(),
        }
    }
}

/// Something with a Korean and an English name.
pub trait Named {
    fn name_ko(&self) -> &str;
    fn name_en(&self) -> &str;
    fn name(&self, lang: Lang) -> &str {
        lang.pick(self.name_ko(), self.name_en())
    }
}

macro_rules! named {
    ($($t:ty),*) => {$(
        impl Named for $t {
            fn name_ko(&self) -> &str { &self.name_ko }
            fn name_en(&self) -> &str { &self.name_en }
        }
    )*};
}
named!(
    Dinner,
    StyleOption,
    Component,
    SideDish,
    CakeSize,
    CakeFlavor
);

impl Dinner {
    pub fn description(&self, lang: Lang) -> &str {
        lang.pick(&self.description_ko, &self.description_en)
    }

    /// Whether `store` cannot make one of this dinner as it comes.
    pub fn is_sold_out_at(&self, store: &str) -> bool {
        self.sold_out_at.iter().any(|s| s == store)
    }
}

impl Component {
    pub fn unit(&self, lang: Lang) -> &str {
        lang.pick(&self.unit_ko, &self.unit_en)
    }
}
