//! The slice of the live menu that the LLM needs: codes, names in both languages, prices.
//! The server projects it from the database menu for every job, so the worker never serves a
//! stale menu and never needs database access.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MenuCatalog {
    pub dinners: Vec<MenuDinner>,
    pub side_dishes: Vec<MenuSideDish>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuDinner {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    /// Won.
    pub base_price: i64,
    pub styles: Vec<MenuStyle>,
    pub components: Vec<MenuComponent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuStyle {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub surcharge: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuComponent {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub default_quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuSideDish {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub price: i64,
}

impl MenuCatalog {
    pub fn dinner(&self, code: &str) -> Option<&MenuDinner> {
        self.dinners.iter().find(|d| d.code == code)
    }

    pub fn side_dish(&self, code: &str) -> Option<&MenuSideDish> {
        self.side_dishes.iter().find(|s| s.code == code)
    }
}

impl MenuDinner {
    pub fn style(&self, code: &str) -> Option<&MenuStyle> {
        self.styles.iter().find(|s| s.code == code)
    }

    pub fn component(&self, code: &str) -> Option<&MenuComponent> {
        self.components.iter().find(|c| c.code == code)
    }
}
