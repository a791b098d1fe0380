//! The menu as the browser and the server both see it. Loaded from PostgreSQL on every request
//! that needs it; the client never holds its own copy.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct StyleOption {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub surcharge: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Component {
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
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SideDish {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CakeSize {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
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

/// The whole menu, straight from PostgreSQL.
#[server(prefix = "/api", endpoint = "menu")]
pub async fn get_menu() -> Result<Menu, AppError> {
    let ctx = crate::ssr::app_context()?;
    ssr::load_menu(&ctx.pool).await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::collections::HashMap;

    use sqlx::PgPool;

    use super::*;

    #[derive(sqlx::FromRow)]
    struct DinnerRow {
        id: i64,
        code: String,
        name_ko: String,
        name_en: String,
        description_ko: String,
        description_en: String,
        base_price: Money,
        serves: i32,
        icon: String,
    }

    #[derive(sqlx::FromRow)]
    struct Owned<T> {
        menu_id: i64,
        #[sqlx(flatten)]
        item: T,
    }

    /// Per dinner, the open stores short of an ingredient for one dinner as it comes; and how
    /// many stores are open.
    async fn sold_out(pool: &PgPool) -> Result<(HashMap<i64, Vec<String>>, i64), AppError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT c.menu_id, s.code FROM menu_components c \
             CROSS JOIN stores s \
             LEFT JOIN store_inventory si ON si.store_id = s.id AND si.ingredient_id = c.ingredient_id \
             WHERE s.active AND c.default_quantity > 0 \
               AND coalesce(si.quantity_on_hand, 0) < c.default_quantity \
             ORDER BY 1, 2",
        )
        .fetch_all(pool)
        .await?;
        let open: i64 = sqlx::query_scalar("SELECT count(*) FROM stores WHERE active")
            .fetch_one(pool)
            .await?;
        let mut by_menu: HashMap<i64, Vec<String>> = HashMap::new();
        for (menu, store) in rows {
            by_menu.entry(menu).or_default().push(store);
        }
        Ok((by_menu, open))
    }

    /// Reads the active menu in display order: a few small queries, no N+1.
    pub async fn load_menu(pool: &PgPool) -> Result<Menu, AppError> {
        let rows: Vec<DinnerRow> = sqlx::query_as(
            "SELECT id, code, name_ko, name_en, description_ko, description_en, base_price, \
             serves, icon FROM menus WHERE active ORDER BY sort_order, id",
        )
        .fetch_all(pool)
        .await?;

        let styles: Vec<Owned<StyleOption>> = sqlx::query_as(
            "SELECT s.menu_id, s.code, s.name_ko, s.name_en, s.surcharge \
             FROM menu_styles s ORDER BY s.menu_id, s.sort_order, s.id",
        )
        .fetch_all(pool)
        .await?;

        let components: Vec<Owned<Component>> = sqlx::query_as(
            "SELECT c.menu_id, i.code, i.name_ko, i.name_en, i.unit_ko, i.unit_en, \
             c.default_quantity, c.extra_unit_price \
             FROM menu_components c JOIN ingredients i ON i.id = c.ingredient_id \
             ORDER BY c.menu_id, c.sort_order, c.id",
        )
        .fetch_all(pool)
        .await?;

        let mut styles_by_menu: HashMap<i64, Vec<StyleOption>> = HashMap::new();
        for s in styles {
            styles_by_menu.entry(s.menu_id).or_default().push(s.item);
        }
        let mut components_by_menu: HashMap<i64, Vec<Component>> = HashMap::new();
        for c in components {
            components_by_menu
                .entry(c.menu_id)
                .or_default()
                .push(c.item);
        }

        let (mut sold_out_by_menu, open_stores) = sold_out(pool).await?;
        let dinners = rows
            .into_iter()
            .map(|r| {
                let sold_out_at = sold_out_by_menu.remove(&r.id).unwrap_or_default();
                Dinner {
                    sold_out: open_stores > 0 && sold_out_at.len() as i64 >= open_stores,
                    sold_out_at,
                    styles: styles_by_menu.remove(&r.id).unwrap_or_default(),
                    components: components_by_menu.remove(&r.id).unwrap_or_default(),
                    code: r.code,
                    name_ko: r.name_ko,
                    name_en: r.name_en,
                    description_ko: r.description_ko,
                    description_en: r.description_en,
                    base_price: r.base_price,
                    serves: r.serves,
                    icon: r.icon,
                }
            })
            .collect();

        let side_dishes = sqlx::query_as(
            "SELECT code, name_ko, name_en, price FROM side_dishes WHERE active \
             ORDER BY sort_order, id",
        )
        .fetch_all(pool)
        .await?;
        let cake_sizes = sqlx::query_as(
            "SELECT code, name_ko, name_en, price FROM cake_sizes ORDER BY sort_order",
        )
        .fetch_all(pool)
        .await?;
        let cake_flavors =
            sqlx::query_as("SELECT code, name_ko, name_en FROM cake_flavors ORDER BY sort_order")
                .fetch_all(pool)
                .await?;

        Ok(Menu {
            dinners,
            side_dishes,
            cake_sizes,
            cake_flavors,
        })
    }
}
