//! Server-only services: the seed's names, one job each. REST routers and server functions
//! both call these, so the GUI, the API and (later) voice share one behaviour.

pub mod auth;
pub mod discount;
pub mod orders;
pub mod payments;

pub use auth::AuthService;
pub use discount::DiscountService;
pub use orders::OrderService;
pub use payments::PaymentService;

use sqlx::PgPool;

use crate::error::AppError;
use crate::order::{CheckoutRequest, OrderSource, PaymentReceipt};

/// The GUI checkout, as the seed draws it: create the order (stock reserved, pending), then
/// charge it. A decline keeps the order pending so the customer can pay again (2a).
pub async fn checkout(
    pool: &PgPool,
    customer_id: i64,
    req: &CheckoutRequest,
    idempotency_key: Option<&str>,
) -> Result<PaymentReceipt, AppError> {
    // Reject a malformed card before anything is created or reserved.
    let today = chrono::Utc::now();
    crate::payment::validate_card(
        &req.payment,
        (
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today),
        ),
    )?;
    let created =
        OrderService::create_order(pool, customer_id, &req.order, OrderSource::Gui).await?;
    PaymentService::process_mock_payment(
        pool,
        customer_id,
        created.order_id,
        &req.payment,
        idempotency_key,
    )
    .await
}
