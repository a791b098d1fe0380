//! Moves an order through its life (DESIGN §4, §10) under the order's row lock, so two people
//! acting at once cannot both win: stock is consumed when the kitchen starts, released on a
//! cancel, and a paid order cancelled is refunded exactly once.

use sqlx::{PgConnection, PgPool};

use crate::domain::order::Tier;
use crate::domain::order_view::OrderView;
use crate::domain::staff::{check_transition, Actor, OrderStatus};
use crate::domain::text::TextRule;
use crate::error::AppError;
use crate::services::order_view::{load_order_view, OrderScope};

const REASON: TextRule = TextRule::line("reason", 200).optional();

/// One requested change of an order's status.
pub struct Transition<'a> {
    pub actor: Actor,
    /// The account making the change, recorded in the history.
    pub by: i64,
    pub to: OrderStatus,
    pub reason: Option<&'a str>,
}

struct Locked {
    customer_id: i64,
    order_status: String,
    payment_status: String,
}

impl Transition<'_> {
    /// Applies the change in a transaction of its own; answers the order as it is now.
    pub async fn run(
        &self,
        pool: &PgPool,
        order_id: i64,
        scope: OrderScope,
    ) -> Result<OrderView, AppError> {
        let mut tx = pool.begin().await?;
        self.apply(&mut tx, order_id, scope).await?;
        tx.commit().await?;
        load_order_view(pool, order_id, scope).await
    }

    /// Applies the change inside `tx`: 404 outside `scope`, 409 for a move that does not
    /// apply to the order as it is now, 403 for one the actor may not make.
    pub async fn apply(
        &self,
        tx: &mut PgConnection,
        order_id: i64,
        scope: OrderScope,
    ) -> Result<(), AppError> {
        let reason = self.valid_reason()?;
        let (customer, store) = scope.binds();
        // The scope filter is `OrderScope::binds` as $2 and $3.
        let order = sqlx::query_as!(
            Locked,
            "SELECT o.customer_id, o.order_status, o.payment_status FROM orders o \
             WHERE o.id = $1 AND ($2::bigint IS NULL OR o.customer_id = $2) \
               AND ($3::bigint IS NULL OR o.store_id = $3) FOR UPDATE",
            order_id,
            customer,
            store,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("주문을 찾을 수 없습니다".into()))?;
        let from = OrderStatus::parse(&order.order_status).ok_or(AppError::Internal)?;
        check_transition(self.actor, from, self.to)?;

        sqlx::query!(
            "UPDATE orders SET order_status = $2 WHERE id = $1",
            order_id,
            self.to.code(),
        )
        .execute(&mut *tx)
        .await?;
        record(
            tx,
            order_id,
            Some(from),
            self.to,
            Some(self.by),
            reason.as_deref(),
        )
        .await?;
        match self.to {
            OrderStatus::Preparing => consume_stock(tx, order_id).await?,
            OrderStatus::Cancelled => {
                release_stock(tx, &[order_id]).await?;
                if order.payment_status == "paid" {
                    refund(tx, order_id, order.customer_id).await?;
                }
            }
            _ => {}
        }
        tracing::info!(
            order_id,
            from = from.code(),
            to = self.to.code(),
            "order status changed"
        );
        Ok(())
    }

    /// A cancel must say why; other moves may.
    fn valid_reason(&self) -> Result<Option<String>, AppError> {
        let reason = REASON.check(self.reason.unwrap_or(""))?;
        let reason = (!reason.is_empty()).then_some(reason);
        if self.to == OrderStatus::Cancelled && reason.is_none() {
            return Err(AppError::invalid("reason", "취소 사유를 입력해 주세요"));
        }
        Ok(reason)
    }
}

/// Appends a step to the order's history (`by` is `None` for the system).
pub(crate) async fn record(
    tx: &mut PgConnection,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    by: Option<i64>,
    reason: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, reason) \
         VALUES ($1, $2, $3, $4, $5)",
        order_id,
        from.map(OrderStatus::code),
        to.code(),
        by,
        reason,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The kitchen has started: the reserved units are used up.
async fn consume_stock(tx: &mut PgConnection, order_id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE order_inventory_reservations SET status = 'consumed' \
         WHERE order_id = $1 AND status = 'reserved'",
        order_id,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Releases the orders' reservations and returns their units to the stores, in one statement.
pub(crate) async fn release_stock(
    tx: &mut PgConnection,
    order_ids: &[i64],
) -> Result<(), AppError> {
    sqlx::query!(
        "WITH released AS ( \
            UPDATE order_inventory_reservations SET status = 'released' \
            WHERE order_id = ANY($1) AND status = 'reserved' \
            RETURNING store_id, ingredient_id, quantity), \
         totals AS (SELECT store_id, ingredient_id, sum(quantity)::int AS quantity \
                    FROM released GROUP BY store_id, ingredient_id) \
         UPDATE store_inventory si SET quantity_on_hand = si.quantity_on_hand + t.quantity \
         FROM totals t WHERE si.store_id = t.store_id AND si.ingredient_id = t.ingredient_id",
        order_ids,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The mock processor refunds the successful charge to the same card; the refund no longer
/// counts towards the customer's tier.
async fn refund(tx: &mut PgConnection, order_id: i64, customer_id: i64) -> Result<(), AppError> {
    let transaction_id = format!("RFD-{}", random_digits(8)?);
    sqlx::query!(
        "INSERT INTO mock_payments (order_id, transaction_id, amount, status, card_masked, card_holder) \
         SELECT order_id, $2, amount, 'refunded', card_masked, card_holder FROM mock_payments \
         WHERE order_id = $1 AND status = 'success'",
        order_id,
        transaction_id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE orders SET payment_status = 'refunded' WHERE id = $1",
        order_id,
    )
    .execute(&mut *tx)
    .await?;
    update_tier(tx, customer_id).await?;
    tracing::info!(order_id, %transaction_id, "mock refund");
    Ok(())
}

pub(crate) fn random_digits(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|_| AppError::Internal)?;
    Ok(hex::encode_upper(buf))
}

/// Sets the customer's tier from their paid orders (DESIGN §5).
pub(crate) async fn update_tier(tx: &mut PgConnection, customer_id: i64) -> Result<(), AppError> {
    let paid = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM orders WHERE customer_id = $1 AND payment_status = 'paid'",
        customer_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE customers SET tier = $2 WHERE id = $1",
        customer_id,
        Tier::from_paid_orders(paid).code(),
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
