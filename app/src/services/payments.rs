//! PaymentService: charges an order through the mock processor (DESIGN §6), at most once.

use chrono::{DateTime, Datelike, Utc};
use sqlx::{PgConnection, PgPool};

use crate::error::AppError;
use crate::money::Money;
use crate::order::{PaymentReceipt, Tier};
use crate::payment::{mock_decision, validate_card, CardInput, MockDecision, ValidCard};
use crate::services::lifecycle;
use crate::services::orders::DEFAULT_DELIVERY_MINUTES;
use crate::staff::OrderStatus;

pub struct PaymentService;

/// The answer to a payment request, as stored for idempotent replays.
type PaymentOutcome = Result<PaymentReceipt, AppError>;

pub(crate) fn random_digits(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|_| AppError::Internal)?;
    Ok(hex::encode_upper(buf))
}

#[derive(sqlx::FromRow)]
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
        let order: LockedOrder = sqlx::query_as(
            "SELECT order_number, order_status, payment_status, final_price FROM orders \
             WHERE id = $1 AND customer_id = $2 FOR UPDATE",
        )
        .bind(order_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound("주문을 찾을 수 없습니다".into()))?;

        if let Some(key) = idempotency_key {
            let stored: Option<(String, Option<serde_json::Value>)> = sqlx::query_as(
                "SELECT request_hash, response_body FROM idempotency_keys \
                 WHERE customer_id = $1 AND key = $2",
            )
            .bind(customer_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((request, body)) = stored {
                if request != order_id.to_string() {
                    return Ok(Err(AppError::IdempotencyKeyReused));
                }
                if let Some(outcome) =
                    body.and_then(|b| serde_json::from_value::<PaymentOutcome>(b).ok())
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
            sqlx::query(
                "INSERT INTO idempotency_keys (customer_id, key, request_hash, response_status, response_body) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, key) DO NOTHING",
            )
            .bind(customer_id)
            .bind(key)
            .bind(order_id.to_string())
            .bind(status)
            .bind(body)
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
                sqlx::query(
                    "INSERT INTO mock_payments (order_id, amount, status, error_code, error_message, \
                        card_masked, card_holder) VALUES ($1, $2, 'failed', $3, $4, $5, $6)",
                )
                .bind(order_id)
                .bind(order.final_price)
                .bind(code.code())
                .bind(code.description())
                .bind(&masked)
                .bind(&card.holder)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE orders SET payment_status = 'failed' WHERE id = $1")
                    .bind(order_id)
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
                sqlx::query(
                    "INSERT INTO mock_payments (order_id, transaction_id, approval_number, amount, status, \
                        card_masked, card_holder) VALUES ($1, $2, $3, $4, 'success', $5, $6)",
                )
                .bind(order_id)
                .bind(&transaction_id)
                .bind(&approval_number)
                .bind(order.final_price)
                .bind(&masked)
                .bind(&card.holder)
                .execute(&mut *tx)
                .await?;
                let eta: Option<DateTime<Utc>> = sqlx::query_scalar(
                    "UPDATE orders SET payment_status = 'paid', order_status = 'confirmed', \
                        estimated_delivery_at = greatest(now() + make_interval(mins => $2), requested_delivery_at) \
                     WHERE id = $1 RETURNING estimated_delivery_at",
                )
                .bind(order_id)
                .bind(DEFAULT_DELIVERY_MINUTES as i32)
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
        let row: (String, String, i64, String, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT p.transaction_id, p.approval_number, p.amount, p.card_masked, o.estimated_delivery_at \
             FROM mock_payments p JOIN orders o ON o.id = p.order_id \
             WHERE p.order_id = $1 AND p.status = 'success'",
        )
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        Ok(Ok(PaymentReceipt {
            order_id,
            order_number: order_number.to_owned(),
            transaction_id: row.0,
            approval_number: row.1,
            amount: Money(row.2),
            card_masked: row.3,
            estimated_delivery_at: row.4,
            message: PaymentReceipt::success_message(order_number),
        }))
    }
}

/// Sets the customer's tier from their paid orders (DESIGN §5).
pub(crate) async fn update_tier(tx: &mut PgConnection, customer_id: i64) -> Result<(), AppError> {
    let paid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE customer_id = $1 AND payment_status = 'paid'",
    )
    .bind(customer_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE customers SET tier = $2 WHERE id = $1")
        .bind(customer_id)
        .bind(Tier::from_paid_orders(paid).code())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
