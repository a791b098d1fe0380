//! Server-only services: the seed's names, one job each. REST routers and server functions
//! both call these, so the GUI, the API and (later) voice share one behaviour.

pub mod auth;
pub mod cart;
pub mod discount;
pub mod lifecycle;
pub mod menu;
pub mod menu_events;
pub mod order_view;
pub mod orders;
pub mod payments;
pub mod staff;
pub mod stock;
pub mod stores;
pub mod voice;
pub mod voice_context;

pub use auth::AuthService;
pub use cart::CartService;
pub use discount::DiscountService;
pub use menu_events::EventService;
pub use orders::OrderService;
pub use payments::PaymentService;
pub use staff::StaffService;
pub use stock::StockService;
pub use voice::VoiceService;

use sha2::Digest;
use sqlx::PgPool;

use crate::domain::order_view::{CheckoutRequest, PaymentReceipt};
use crate::domain::payment::ValidCard;
use crate::error::AppError;

/// The GUI checkout, as the seed draws it: create the order (stock reserved, pending), then
/// charge it. A decline keeps the order pending so the customer can pay again (2a).
///
/// With an idempotency key, the key is claimed before anything is created: a repeat of a
/// finished checkout returns its first answer (the order and the charge happen once), a repeat
/// while the first is still running gets 409, and the same key with another order gets 422.
pub async fn checkout(
    pool: &PgPool,
    customer_id: i64,
    req: &CheckoutRequest,
    idempotency_key: Option<&str>,
) -> Result<PaymentReceipt, AppError> {
    // Reject a malformed card before anything is created or reserved.
    let today = chrono::Utc::now();
    let card = crate::domain::payment::validate_card(
        &req.payment,
        (
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
        ),
    )?;
    let Some(key) = idempotency_key else {
        return create_and_pay(pool, customer_id, req, &card).await;
    };
    payments::check_idempotency_key(key)?;
    let order_json = serde_json::to_string(&req.order).map_err(|_| AppError::Internal)?;
    let request_hash = format!(
        "checkout:{}",
        hex::encode(sha2::Sha256::digest(order_json.as_bytes()))
    );
    let claimed = sqlx::query!(
        "INSERT INTO idempotency_keys (customer_id, key, request_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id, key) DO NOTHING",
        customer_id,
        key,
        request_hash,
    )
    .execute(pool)
    .await?
    .rows_affected()
        == 1;
    if !claimed {
        let stored = sqlx::query!(
            "SELECT request_hash, response_body FROM idempotency_keys \
             WHERE customer_id = $1 AND key = $2",
            customer_id,
            key,
        )
        .fetch_one(pool)
        .await?;
        if stored.request_hash != request_hash {
            return Err(AppError::IdempotencyKeyReused);
        }
        return match stored
            .response_body
            .and_then(|b| serde_json::from_value(b).ok())
        {
            Some(outcome) => outcome,
            None => Err(AppError::Conflict(
                "같은 주문이 이미 처리 중입니다. 잠시 후 확인해 주세요.".into(),
            )),
        };
    }

    let outcome = create_and_pay(pool, customer_id, req, &card).await;
    // Only answers that must not be repeated are kept: an order was created. Anything else
    // (no stock, bad input, our own failure) frees the key so the customer can simply retry.
    let keep = matches!(outcome, Ok(_) | Err(AppError::PaymentDeclined { .. }));
    if keep {
        let body = serde_json::to_value(&outcome).map_err(|_| AppError::Internal)?;
        let status = match &outcome {
            Ok(_) => 200,
            Err(e) => i32::from(e.status().as_u16()),
        };
        sqlx::query!(
            "UPDATE idempotency_keys SET response_status = $3, response_body = $4 \
             WHERE customer_id = $1 AND key = $2",
            customer_id,
            key,
            status,
            body,
        )
        .execute(pool)
        .await?;
    } else {
        sqlx::query!(
            "DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2",
            customer_id,
            key,
        )
        .execute(pool)
        .await?;
    }
    outcome
}

async fn create_and_pay(
    pool: &PgPool,
    customer_id: i64,
    req: &CheckoutRequest,
    card: &ValidCard,
) -> Result<PaymentReceipt, AppError> {
    // One transaction: whatever fails after the order is written (our own failure included)
    // leaves no order and no reservation behind. A decline is an answer, kept: 2a.
    let menu = crate::services::menu::load_menu(pool).await?;
    let mut tx = pool.begin().await?;
    let created = OrderService::create_order_in(&mut tx, &menu, customer_id, &req.order).await?;
    let outcome =
        PaymentService::pay_in(&mut tx, customer_id, created.order_id, card, None).await?;
    tx.commit().await?;
    outcome
}
