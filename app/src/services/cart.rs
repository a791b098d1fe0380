//! CartService: the order a customer is still building, kept in PostgreSQL so that a reload, a
//! second tab, a sign-in and another server replica all see the same cart.

use std::collections::BTreeMap;

use sqlx::{PgConnection, PgPool};

use crate::domain::menu::Menu;
use crate::domain::order::{LineDraft, OrderDraft, Quantity, SideDishDraft, Tier};
use crate::domain::pricing::price_order;
use crate::error::{field_error, AppError};
use crate::services::auth::{random_hex, token_id};
use crate::services::menu::load_menu;
use crate::services::orders::{validate_lines, MAX_LINES};

/// The cookie that finds a guest's cart.
pub const CART_COOKIE: &str = "daebak_cart";
/// How long a guest's cart is kept after its last change.
const GUEST_CART_DAYS: i32 = 30;

/// Whose cart: the signed-in customer's, or a guest's by the token of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    Customer(i64),
    Guest(String),
}

pub struct CartService;

/// The `Set-Cookie` value that gives a guest a cart.
pub fn cart_cookie(token: &str) -> String {
    format!(
        "{CART_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        i64::from(GUEST_CART_DAYS) * 24 * 3600
    )
}

pub fn clear_cart_cookie() -> String {
    format!("{CART_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// A new guest's cart token (the cookie carries it; only its SHA-256 is stored).
pub fn new_guest_token() -> Result<String, AppError> {
    random_hex(32)
}

/// A stored draft; one that no longer reads (an older shape) is an empty cart, not an error.
fn read_draft(value: serde_json::Value) -> OrderDraft {
    serde_json::from_value(value).unwrap_or_else(|err| {
        tracing::warn!(error = %err, "unreadable cart, shown empty");
        OrderDraft::default()
    })
}

/// Every code of the draft is on the menu now; the error names the line (`lines[1].style`).
fn check_codes(menu: &Menu, draft: &OrderDraft) -> Result<(), AppError> {
    for (i, line) in draft.lines.iter().enumerate() {
        let one = OrderDraft {
            lines: vec![line.clone()],
            side_dishes: Vec::new(),
        };
        price_order(menu, &one, Tier::Regular, &[])
            .map_err(|err| field_error(&format!("lines[{i}].{}", err.field()), err.to_string()))?;
    }
    let sides = OrderDraft {
        lines: Vec::new(),
        side_dishes: draft.side_dishes.clone(),
    };
    price_order(menu, &sides, Tier::Regular, &[])?;
    Ok(())
}

/// The guest's lines after the customer's, the oldest dropped past the limit; side dishes
/// added up, at most 10 of each.
pub fn merge(mine: OrderDraft, guest: OrderDraft) -> OrderDraft {
    let mut lines: Vec<LineDraft> = mine.lines.into_iter().chain(guest.lines).collect();
    let over = lines.len().saturating_sub(MAX_LINES);
    lines.drain(..over);
    let mut sides: BTreeMap<String, i64> = BTreeMap::new();
    for side in mine.side_dishes.into_iter().chain(guest.side_dishes) {
        *sides.entry(side.code).or_default() += i64::from(side.quantity);
    }
    let side_dishes = sides
        .into_iter()
        .filter_map(|(code, n)| {
            let quantity = Quantity::try_from(n.min(i64::from(Quantity::MAX))).ok()?;
            Some(SideDishDraft { code, quantity })
        })
        .collect();
    OrderDraft { lines, side_dishes }
}

impl CartService {
    /// The owner's cart; empty when there is none yet.
    pub async fn load(pool: &PgPool, owner: &CartOwner) -> Result<OrderDraft, AppError> {
        let (customer, guest) = Self::keys(owner);
        let draft = sqlx::query_scalar!(
            "SELECT draft FROM carts WHERE customer_id = $1 OR guest_token = $2",
            customer,
            guest,
        )
        .fetch_optional(pool)
        .await?;
        Ok(draft.map(read_draft).unwrap_or_default())
    }

    /// Replaces the owner's cart with `draft`, once it passes the order's own checks and names
    /// only what is on the menu.
    pub async fn save(
        pool: &PgPool,
        owner: &CartOwner,
        draft: &OrderDraft,
    ) -> Result<(), AppError> {
        validate_lines(&draft.lines, &draft.side_dishes)?;
        check_codes(&load_menu(pool).await?, draft)?;
        let mut tx = pool.begin().await?;
        Self::ensure_row(&mut tx, owner).await?;
        Self::write(&mut tx, owner, draft).await?;
        tx.commit().await?;
        if matches!(owner, CartOwner::Guest(_)) {
            // Guests who never came back: their carts go by age.
            sqlx::query!(
                "DELETE FROM carts WHERE guest_token IS NOT NULL \
                 AND updated_at < now() - make_interval(days => $1)",
                GUEST_CART_DAYS,
            )
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    /// Adds a dinner line at the end of the owner's cart; answers how many lines it holds.
    /// The cart's row is locked from read to write, so adds at the same moment all count.
    pub async fn add_line(
        pool: &PgPool,
        owner: &CartOwner,
        line: LineDraft,
    ) -> Result<usize, AppError> {
        let menu = load_menu(pool).await?;
        let mut tx = pool.begin().await?;
        let mut draft = Self::locked(&mut tx, owner).await?;
        draft.lines.push(line);
        validate_lines(&draft.lines, &draft.side_dishes)?;
        check_codes(&menu, &draft)?;
        Self::write(&mut tx, owner, &draft).await?;
        tx.commit().await?;
        Ok(draft.lines.len())
    }

    /// The owner's cart row, made empty if there is none yet.
    async fn ensure_row(tx: &mut PgConnection, owner: &CartOwner) -> Result<(), AppError> {
        let (customer, guest) = Self::keys(owner);
        let empty = serde_json::to_value(OrderDraft::default()).map_err(|_| AppError::Internal)?;
        sqlx::query!(
            "INSERT INTO carts (customer_id, guest_token, draft) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            customer,
            guest,
            empty,
        )
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// The owner's cart, its row made if need be and locked until `tx` ends.
    async fn locked(tx: &mut PgConnection, owner: &CartOwner) -> Result<OrderDraft, AppError> {
        Self::ensure_row(tx, owner).await?;
        let (customer, guest) = Self::keys(owner);
        let draft = sqlx::query_scalar!(
            "SELECT draft FROM carts WHERE customer_id = $1 OR guest_token = $2 FOR UPDATE",
            customer,
            guest,
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(read_draft(draft))
    }

    /// Stores `draft` as the owner's cart, whose row `ensure_row` made.
    async fn write(
        tx: &mut PgConnection,
        owner: &CartOwner,
        draft: &OrderDraft,
    ) -> Result<(), AppError> {
        let (customer, guest) = Self::keys(owner);
        let json = serde_json::to_value(draft).map_err(|_| AppError::Internal)?;
        sqlx::query!(
            "UPDATE carts SET draft = $3, updated_at = now() \
             WHERE customer_id = $1 OR guest_token = $2",
            customer,
            guest,
            json,
        )
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Empties the customer's cart once its order exists.
    pub async fn clear(pool: &PgPool, customer_id: i64) -> Result<(), AppError> {
        sqlx::query!("DELETE FROM carts WHERE customer_id = $1", customer_id)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// At sign-in: the guest's cart joins the customer's (see `merge`) and is deleted, in one
    /// transaction so that two sign-ins at once cannot both take it.
    pub async fn adopt(pool: &PgPool, guest_token: &str, customer_id: i64) -> Result<(), AppError> {
        let mut tx = pool.begin().await?;
        let guest = sqlx::query_scalar!(
            "DELETE FROM carts WHERE guest_token = $1 RETURNING draft",
            token_id(guest_token),
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(guest) = guest
            .map(read_draft)
            .filter(|d| *d != OrderDraft::default())
        {
            let owner = CartOwner::Customer(customer_id);
            let mine = Self::locked(&mut tx, &owner).await?;
            Self::write(&mut tx, &owner, &merge(mine, guest)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    fn keys(owner: &CartOwner) -> (Option<i64>, Option<String>) {
        match owner {
            CartOwner::Customer(id) => (Some(*id), None),
            CartOwner::Guest(token) => (None, Some(token_id(token))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(menu: &str) -> LineDraft {
        LineDraft {
            menu: menu.into(),
            style: "simple".into(),
            quantity: Quantity::try_from(1).unwrap(),
            customizations: vec![],
            cake: None,
        }
    }

    fn side(code: &str, n: i64) -> SideDishDraft {
        SideDishDraft {
            code: code.into(),
            quantity: Quantity::try_from(n).unwrap(),
        }
    }

    #[test]
    fn a_guest_cart_joins_after_the_customers_own() {
        let mine = OrderDraft {
            lines: vec![line("valentine")],
            side_dishes: vec![side("fries", 7)],
        };
        let guest = OrderDraft {
            lines: vec![line("chicken"), line("french")],
            side_dishes: vec![side("fries", 6), side("cola", 1)],
        };
        let merged = merge(mine, guest);
        let menus: Vec<_> = merged.lines.iter().map(|l| l.menu.as_str()).collect();
        assert_eq!(menus, ["valentine", "chicken", "french"]);
        // 7 + 6 fries is over the limit of one side dish line: 10.
        assert_eq!(merged.side_dishes, vec![side("cola", 1), side("fries", 10)]);
    }

    #[test]
    fn past_ten_lines_the_oldest_go() {
        let mine = OrderDraft {
            lines: (0..8).map(|_| line("valentine")).collect(),
            side_dishes: vec![],
        };
        let guest = OrderDraft {
            lines: (0..4).map(|_| line("chicken")).collect(),
            side_dishes: vec![],
        };
        let merged = merge(mine, guest);
        assert_eq!(merged.lines.len(), MAX_LINES);
        assert_eq!(merged.lines[0].menu, "valentine");
        assert_eq!(merged.lines[9].menu, "chicken");
        assert_eq!(
            merged.lines.iter().filter(|l| l.menu == "chicken").count(),
            4
        );
    }

    #[test]
    fn the_cart_cookie_is_http_only() {
        let c = cart_cookie("t");
        assert!(c.starts_with("daebak_cart=t;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"));
        assert!(clear_cart_cookie().contains("Max-Age=0"));
    }
}
