//! Reads one placed order for display, for whoever may see it: its customer, or the staff of
//! its store.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::money::Money;
use crate::domain::order::DeliveryDetails;
use crate::domain::order_view::{OrderItemView, OrderSideDishView, OrderView};
use crate::domain::pricing::AppliedDiscount;
use crate::domain::staff::{Refund, StatusChange};
use crate::error::AppError;

/// Whose orders a reader may see. Anything outside it is simply not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderScope {
    Customer(i64),
    /// One store's orders, or every store's (`None`: a manager).
    Store(Option<i64>),
}

impl OrderScope {
    /// Binds as `$2` and `$3` of a query on an `orders o` filtering with
    /// `($2::bigint IS NULL OR o.customer_id = $2) AND ($3::bigint IS NULL OR o.store_id = $3)`
    /// (written out in each query: the checked macros take one string literal).
    pub(crate) fn binds(self) -> (Option<i64>, Option<i64>) {
        match self {
            OrderScope::Customer(id) => (Some(id), None),
            OrderScope::Store(store) => (None, store),
        }
    }
}

struct Row {
    id: i64,
    order_number: String,
    store_name_ko: String,
    store_name_en: String,
    order_status: String,
    payment_status: String,
    source: String,
    original_price: i64,
    discount_amount: i64,
    final_price: i64,
    applied_discounts: serde_json::Value,
    delivery_address: String,
    recipient_name: String,
    recipient_phone: String,
    requested_delivery_at: Option<DateTime<Utc>>,
    notes: Option<String>,
    estimated_delivery_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

pub async fn load_order_view(
    pool: &PgPool,
    order_id: i64,
    scope: OrderScope,
) -> Result<OrderView, AppError> {
    let (customer, store) = scope.binds();
    let row = sqlx::query_as!(
        Row,
        "SELECT o.id, o.order_number, s.name_ko AS store_name_ko, s.name_en AS store_name_en, \
                o.order_status, o.payment_status, o.source, o.original_price, o.discount_amount, \
                o.final_price, o.applied_discounts, o.delivery_address, o.recipient_name, \
                o.recipient_phone, o.requested_delivery_at, o.notes, o.estimated_delivery_at, o.created_at \
         FROM orders o JOIN stores s ON s.id = o.store_id \
         WHERE o.id = $1 AND ($2::bigint IS NULL OR o.customer_id = $2) \
           AND ($3::bigint IS NULL OR o.store_id = $3)",
        order_id,
        customer,
        store,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("주문을 찾을 수 없습니다".into()))?;
    let (items, side_dishes) = lines(pool, order_id).await?;
    let (history, refund) = lifecycle(pool, order_id).await?;
    Ok(view_of(row, items, side_dishes, history, refund))
}

async fn lines(
    pool: &PgPool,
    order_id: i64,
) -> Result<(Vec<OrderItemView>, Vec<OrderSideDishView>), AppError> {
    let items = sqlx::query_as!(
        OrderItemView,
        "SELECT m.code AS menu, m.name_ko AS menu_name_ko, m.name_en AS menu_name_en, \
                st.code AS style, st.name_ko AS style_name_ko, st.name_en AS style_name_en, \
                i.quantity, i.unit_price AS \"unit_price: Money\", i.line_total AS \"line_total: Money\", \
                coalesce((SELECT string_agg(ing.code || ' ×' || c.quantity, ', ' ORDER BY ing.code) \
                          FROM order_item_customizations c \
                          JOIN menu_components mc ON mc.id = c.component_id \
                          JOIN ingredients ing ON ing.id = mc.ingredient_id \
                          WHERE c.order_item_id = i.id), '') AS \"customizations!\", \
                CASE WHEN i.cake_size IS NULL THEN NULL \
                     ELSE i.cake_size || ' / ' || i.cake_flavor || coalesce(' \"' || i.cake_lettering || '\"', '') END AS \"cake?\" \
         FROM order_items i JOIN menus m ON m.id = i.menu_id JOIN menu_styles st ON st.id = i.style_id \
         WHERE i.order_id = $1 ORDER BY i.id",
        order_id,
    )
    .fetch_all(pool)
    .await?;
    let side_dishes = sqlx::query_as!(
        OrderSideDishView,
        "SELECT d.code, d.name_ko, d.name_en, s.quantity, s.line_total AS \"line_total: Money\" \
         FROM order_side_dishes s JOIN side_dishes d ON d.id = s.side_dish_id \
         WHERE s.order_id = $1 ORDER BY s.id",
        order_id,
    )
    .fetch_all(pool)
    .await?;
    Ok((items, side_dishes))
}

/// The status timeline (oldest first) and the refund, if any.
async fn lifecycle(
    pool: &PgPool,
    order_id: i64,
) -> Result<(Vec<StatusChange>, Option<Refund>), AppError> {
    let history = sqlx::query_as!(
        StatusChange,
        "SELECT to_status AS status, reason, created_at AS at FROM order_status_history \
         WHERE order_id = $1 ORDER BY id",
        order_id,
    )
    .fetch_all(pool)
    .await?;
    let refund = sqlx::query_as!(
        Refund,
        "SELECT transaction_id AS \"transaction_id!\", amount AS \"amount: Money\", card_masked \
         FROM mock_payments WHERE order_id = $1 AND status = 'refunded'",
        order_id,
    )
    .fetch_optional(pool)
    .await?;
    Ok((history, refund))
}

fn view_of(
    row: Row,
    items: Vec<OrderItemView>,
    side_dishes: Vec<OrderSideDishView>,
    history: Vec<StatusChange>,
    refund: Option<Refund>,
) -> OrderView {
    let discounts: Vec<AppliedDiscount> =
        serde_json::from_value(row.applied_discounts).unwrap_or_default();
    OrderView {
        id: row.id,
        order_number: row.order_number,
        store_name_ko: row.store_name_ko,
        store_name_en: row.store_name_en,
        order_status: row.order_status,
        payment_status: row.payment_status,
        source: row.source,
        items,
        side_dishes,
        discounts,
        original_price: Money(row.original_price),
        discount_amount: Money(row.discount_amount),
        final_price: Money(row.final_price),
        delivery: DeliveryDetails {
            address: row.delivery_address,
            recipient: row.recipient_name,
            phone: row.recipient_phone,
            requested_at: row.requested_delivery_at.map(|t| t.to_rfc3339()),
            notes: row.notes,
        },
        estimated_delivery_at: row.estimated_delivery_at,
        created_at: row.created_at,
        history,
        refund,
    }
}
