//! PaymentService: charges an order through the mock processor (DESIGN §6), at most once.

use chrono::{DateTime, Datelike, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::money::Money;
use crate::domain::order_view::PaymentReceipt;
use crate::domain::payment::{mock_decision, validate_card, CardInput, MockDecision, ValidCard};
use crate::domain::staff::OrderStatus;
use crate::error::AppError;
use crate::services::lifecycle::{self, random_digits, update_tier};
use crate::services::orders::DEFAULT_DELIVERY_MINUTES;

pub struct PaymentService;

/// The answer to a payment request, as stored for idempotent replays.
type PaymentOutcome = Result<PaymentReceipt, AppError>;

struct LockedOrder {
    order_number: String,
    order_status: String,
    payment_status: String,
    final_price: i64,
}

/// What an `Idempotency-Key` may be: 1–200 visible ASCII characters (it is stored, and a
/// header could not carry anything else either).
pub fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    let visible = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > 200 || !visible {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "1–200자의 보이는 ASCII 문자여야 합니다",
        ));
    }
    Ok(())
}

impl PaymentService {
    /// Pays `order_id` for its owner. With an idempotency key, a repeated request returns the
    /// first answer; without one, paying a paid order returns its receipt and charges nothing.
    #[tracing::instrument(skip(pool, card, idempotency_key), fields(customer_id, order_id))]
    pub async fn process_mock_payment(
        pool: &PgPool,
        customer_id: i64,
        order_id: i64,
        card: &CardInput,
        idempotency_key: Option<&str>,
    ) -> PaymentOutcome {
        if let Some(key) = idempotency_key {
            check_idempotency_key(key)?;
        }
        let now = Utc::now();
        let card = validate_card(card, (now.year(), now.month()))?;
        let mut tx = pool.begin().await?;
        let outcome = Self::pay_in(&mut tx, customer_id, order_id, &card, idempotency_key).await?;
        tx.commit().await?;
        outcome
    }

    /// The payment inside the caller's transaction (checkout creates the order in the same
    /// one, so a failure anywhere leaves neither). The outer `Result` is for our failures,
    /// which roll the transaction back; the inner one is the answer to keep.
    pub(crate) async fn pay_in(
        tx: &mut PgConnection,
        customer_id: i64,
        order_id: i64,
        card: &ValidCard,
        idempotency_key: Option<&str>,
    ) -> Result<PaymentOutcome, AppError> {
        // Every payment of one order queues on this row lock, so the checks below see the
        // result of the previous attempt.
        let order = sqlx::query_as!(
            LockedOrder,
            "SELECT order_number, order_status, payment_status, final_price FROM orders \
             WHERE id = $1 AND customer_id = $2 FOR UPDATE",
            order_id,
            customer_id,
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("주문을 찾을 수 없습니다".into()))?;

        if let Some(key) = idempotency_key {
            let stored = sqlx::query!(
                "SELECT request_hash, response_body FROM idempotency_keys \
                 WHERE customer_id = $1 AND key = $2",
                customer_id,
                key,
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(stored) = stored {
                if stored.request_hash != order_id.to_string() {
                    return Ok(Err(AppError::IdempotencyKeyReused));
                }
                if let Some(outcome) = stored
                    .response_body
                    .and_then(|b| serde_json::from_value::<PaymentOutcome>(b).ok())
                {
                    tracing::info!("idempotent replay");
                    return Ok(outcome);
                }
            }
        }

        let outcome = if order.payment_status == "paid" {
            Self::existing_receipt(&mut *tx, order_id, &order.order_number).await?
        } else if order.order_status == "cancelled" {
            Err(AppError::Conflict(
                "결제 시간이 지나 주문이 취소되었습니다. 다시 주문해 주세요.".into(),
            ))
        } else {
            Self::charge(&mut *tx, customer_id, order_id, &order, card).await?
        };

        if let Some(key) = idempotency_key {
            let body = serde_json::to_value(&outcome).map_err(|_| AppError::Internal)?;
            let status = match &outcome {
                Ok(_) => 200,
                Err(e) => i32::from(e.status().as_u16()),
            };
            sqlx::query!(
                "INSERT INTO idempotency_keys (customer_id, key, request_hash, response_status, response_body) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, key) DO NOTHING",
                customer_id,
                key,
                order_id.to_string(),
                status,
                body,
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(outcome)
    }

    /// Charges the card once and records the attempt. A decline is a recorded outcome, not a
    /// failure of this function: the outer `Result` is for database errors.
    async fn charge(
        tx: &mut sqlx::PgConnection,
        customer_id: i64,
        order_id: i64,
        order: &LockedOrder,
        card: &ValidCard,
    ) -> Result<PaymentOutcome, AppError> {
        let masked = card.number.masked();
        match mock_decision(&card.number) {
            MockDecision::Declined(code) => {
                sqlx::query!(
                    "INSERT INTO mock_payments (order_id, amount, status, error_code, error_message, \
                        card_masked, card_holder) VALUES ($1, $2, 'failed', $3, $4, $5, $6)",
                    order_id,
                    order.final_price,
                    code.code(),
                    code.description(),
                    masked,
                    card.holder,
                )
                .execute(&mut *tx)
                .await?;
                sqlx::query!(
                    "UPDATE orders SET payment_status = 'failed' WHERE id = $1",
                    order_id,
                )
                .execute(&mut *tx)
                .await?;
                tracing::info!(decline = code.code(), "payment declined");
                Ok(Err(AppError::PaymentDeclined {
                    decline_code: code,
                    order_id,
                    order_number: order.order_number.clone(),
                }))
            }
            MockDecision::Approved => {
                let transaction_id = format!("TXN-{}", random_digits(8)?);
                let approval_number = random_digits(4)?;
                sqlx::query!(
                    "INSERT INTO mock_payments (order_id, transaction_id, approval_number, amount, status, \
                        card_masked, card_holder) VALUES ($1, $2, $3, $4, 'success', $5, $6)",
                    order_id,
                    transaction_id,
                    approval_number,
                    order.final_price,
                    masked,
                    card.holder,
                )
                .execute(&mut *tx)
                .await?;
                let eta: Option<DateTime<Utc>> = sqlx::query_scalar!(
                    "UPDATE orders SET payment_status = 'paid', order_status = 'confirmed', \
                        estimated_delivery_at = greatest(now() + make_interval(mins => $2), requested_delivery_at) \
                     WHERE id = $1 RETURNING estimated_delivery_at",
                    order_id,
                    DEFAULT_DELIVERY_MINUTES as i32,
                )
                .fetch_one(&mut *tx)
                .await?;
                // The stock stays reserved until the kitchen starts (or the order is cancelled).
                lifecycle::record(
                    tx,
                    order_id,
                    Some(OrderStatus::Pending),
                    OrderStatus::Confirmed,
                    None,
                    None,
                )
                .await?;
                update_tier(tx, customer_id).await?;
                tracing::info!(%transaction_id, amount = order.final_price, "payment approved");
                Ok(Ok(PaymentReceipt {
                    order_id,
                    order_number: order.order_number.clone(),
                    transaction_id,
                    approval_number,
                    amount: Money(order.final_price),
                    card_masked: masked,
                    estimated_delivery_at: eta,
                    message: PaymentReceipt::success_message(&order.order_number),
                }))
            }
        }
    }

    async fn existing_receipt(
        tx: &mut sqlx::PgConnection,
        order_id: i64,
        order_number: &str,
    ) -> Result<PaymentOutcome, AppError> {
        let row = sqlx::query!(
            "SELECT p.transaction_id AS \"transaction_id!\", p.approval_number AS \"approval_number!\", \
                    p.amount, p.card_masked, o.estimated_delivery_at \
             FROM mock_payments p JOIN orders o ON o.id = p.order_id \
             WHERE p.order_id = $1 AND p.status = 'success'",
            order_id,
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(Ok(PaymentReceipt {
            order_id,
            order_number: order_number.to_owned(),
            transaction_id: row.transaction_id,
            approval_number: row.approval_number,
            amount: Money(row.amount),
            card_masked: row.card_masked,
            estimated_delivery_at: row.estimated_delivery_at,
            message: PaymentReceipt::success_message(order_number),
        }))
    }
}
