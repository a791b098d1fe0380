//! The menu as PostgreSQL holds it: dinners, styles, components, side dishes, sold-out stores.

use std::collections::HashMap;

use sqlx::PgPool;

use crate::domain::menu::*;
use crate::domain::money::Money;
use crate::error::AppError;

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

/// A row of a dinner's own list (styles, components), with the dinner it belongs to.
struct Owned<T> {
    menu_id: i64,
    item: T,
}

/// Per dinner, the open stores short of an ingredient for one dinner as it comes; and how
/// many stores are open.
async fn sold_out(pool: &PgPool) -> Result<(HashMap<i64, Vec<String>>, i64), AppError> {
    let rows = sqlx::query!(
        "SELECT DISTINCT c.menu_id, s.code FROM menu_components c \
         CROSS JOIN stores s \
         LEFT JOIN store_inventory si ON si.store_id = s.id AND si.ingredient_id = c.ingredient_id \
         WHERE s.active AND c.default_quantity > 0 \
           AND coalesce(si.quantity_on_hand, 0) < c.default_quantity \
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await?;
    let open = sqlx::query_scalar!("SELECT count(*) AS \"count!\" FROM stores WHERE active")
        .fetch_one(pool)
        .await?;
    let mut by_menu: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        by_menu.entry(row.menu_id).or_default().push(row.code);
    }
    Ok((by_menu, open))
}

/// Reads the active menu in display order: a few small queries, no N+1.
pub async fn load_menu(pool: &PgPool) -> Result<Menu, AppError> {
    let rows = sqlx::query_as!(
        DinnerRow,
        "SELECT id, code, name_ko, name_en, description_ko, description_en, \
         base_price AS \"base_price: Money\", \
         serves, icon FROM menus WHERE active ORDER BY sort_order, id",
    )
    .fetch_all(pool)
    .await?;

    let styles: Vec<Owned<StyleOption>> = sqlx::query!(
        "SELECT s.menu_id, s.id, s.code, s.name_ko, s.name_en, s.surcharge AS \"surcharge: Money\" \
         FROM menu_styles s ORDER BY s.menu_id, s.sort_order, s.id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Owned {
        menu_id: r.menu_id,
        item: StyleOption {
            id: r.id,
            code: r.code,
            name_ko: r.name_ko,
            name_en: r.name_en,
            surcharge: r.surcharge,
        },
    })
    .collect();

    let components: Vec<Owned<Component>> = sqlx::query!(
        "SELECT c.menu_id, c.id AS component_id, c.ingredient_id, i.code, i.name_ko, i.name_en, i.unit_ko, i.unit_en, \
         c.default_quantity, c.extra_unit_price AS \"extra_unit_price: Money\" \
         FROM menu_components c JOIN ingredients i ON i.id = c.ingredient_id \
         ORDER BY c.menu_id, c.sort_order, c.id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Owned {
        menu_id: r.menu_id,
        item: Component {
            component_id: r.component_id,
            ingredient_id: r.ingredient_id,
            code: r.code,
            name_ko: r.name_ko,
            name_en: r.name_en,
            unit_ko: r.unit_ko,
            unit_en: r.unit_en,
            default_quantity: r.default_quantity,
            extra_unit_price: r.extra_unit_price,
        },
    })
    .collect();

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
                id: r.id,
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

    let side_dishes = sqlx::query_as!(
        SideDish,
        "SELECT id, ingredient_id, code, name_ko, name_en, price AS \"price: Money\" \
         FROM side_dishes WHERE active \
         ORDER BY sort_order, id",
    )
    .fetch_all(pool)
    .await?;
    let cake_sizes = sqlx::query_as!(
        CakeSize,
        "SELECT code, name_ko, name_en, price AS \"price: Money\" FROM cake_sizes ORDER BY sort_order",
    )
    .fetch_all(pool)
    .await?;
    let cake_flavors = sqlx::query_as!(
        CakeFlavor,
        "SELECT code, name_ko, name_en FROM cake_flavors ORDER BY sort_order",
    )
    .fetch_all(pool)
    .await?;

    Ok(Menu {
        dinners,
        side_dishes,
        cake_sizes,
        cake_flavors,
    })
}
