//! Server functions of the order builder, payment and order pages. Each is a thin wrapper over
//! the same services the REST routers call.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::order::{OrderDraft, OrderRequest};
use crate::domain::order_view::{
    CheckoutRequest, CreatedOrder, OrderSummary, OrderView, PaymentReceipt, Quote, Store,
};
use crate::domain::payment::CardInput;
use crate::error::AppError;

#[server(prefix = "/api", endpoint = "stores")]
pub async fn list_stores() -> Result<Vec<Store>, AppError> {
    let ctx = crate::infra::context::app_context()?;
    crate::services::stores::active_stores(&ctx.pool).await
}

/// Prices a draft with the signed-in customer's tier (regular for guests). Stores nothing.
#[server(prefix = "/api", endpoint = "quote", input = Json)]
pub async fn quote_order(draft: OrderDraft) -> Result<Quote, AppError> {
    use crate::services::OrderService;
    let ctx = crate::infra::context::app_context()?;
    let customer = crate::api::session::current_customer().await?;
    let (menu, pricing) = OrderService::quote(&ctx.pool, customer.map(|c| c.id), &draft).await?;
    let discounts = pricing.applied_discounts(&menu);
    Ok(Quote { pricing, discounts })
}

#[server(prefix = "/api", endpoint = "checkout", input = Json)]
pub async fn checkout(
    request: CheckoutRequest,
    idempotency_key: Option<String>,
) -> Result<PaymentReceipt, AppError> {
    let (ctx, customer) = crate::api::session::signed_in().await?;
    let paid =
        crate::services::checkout(&ctx.pool, customer.id, &request, idempotency_key.as_deref())
            .await;
    // A declined card leaves the order pending on its payment page: the cart became it too.
    if matches!(&paid, Ok(_) | Err(AppError::PaymentDeclined { .. })) {
        ordered_from_cart(&ctx, customer.id).await;
    }
    paid
}

/// The cart has become an order: it starts empty again. A failure leaves the old cart, which
/// the customer can empty by hand; the order stands.
#[cfg(feature = "ssr")]
async fn ordered_from_cart(ctx: &crate::infra::context::AppContext, customer_id: i64) {
    if let Err(err) = crate::services::CartService::clear(&ctx.pool, customer_id).await {
        tracing::warn!(error = %err, customer_id, "cart not emptied after its order");
    }
}

/// Creates a pending order without paying (the voice flow, and "pay later"); the request's
/// `source` says which. Priced on the server and stock reserved exactly as at checkout.
#[server(prefix = "/api", endpoint = "create_order", input = Json)]
pub async fn create_order(order: OrderRequest) -> Result<CreatedOrder, AppError> {
    use crate::services::OrderService;
    let (ctx, customer) = crate::api::session::signed_in().await?;
    let created = OrderService::create_order(&ctx.pool, customer.id, &order).await?;
    ordered_from_cart(&ctx, customer.id).await;
    Ok(created)
}

#[server(prefix = "/api", endpoint = "pay_order", input = Json)]
pub async fn pay_order(
    order_id: i64,
    card: CardInput,
    idempotency_key: Option<String>,
) -> Result<PaymentReceipt, AppError> {
    use crate::services::PaymentService;
    let (ctx, customer) = crate::api::session::signed_in().await?;
    PaymentService::process_mock_payment(
        &ctx.pool,
        customer.id,
        order_id,
        &card,
        idempotency_key.as_deref(),
    )
    .await
}

#[server(prefix = "/api", endpoint = "order")]
pub async fn get_order(order_id: i64) -> Result<OrderView, AppError> {
    use crate::services::OrderService;
    let (ctx, customer) = crate::api::session::signed_in().await?;
    OrderService::get_order(&ctx.pool, customer.id, order_id).await
}

#[server(prefix = "/api", endpoint = "my_orders")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    use crate::services::OrderService;
    let (ctx, customer) = crate::api::session::signed_in().await?;
    OrderService::list_orders(&ctx.pool, customer.id).await
}
