//! `CheckoutRouter`: `POST /api/checkout/checkout` creates, reserves and pays in one call.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};

use app::domain::order_view::{CheckoutRequest, PaymentReceipt};

use super::error::ApiResult;
use super::extract::{idempotency_key, ApiJson, AuthCustomer};
use super::openapi::{
    BodyRefusals, CrossSite, ErrorEnvelope, IdempotencyKey, KeyReused, SignedOut,
};
use crate::state::AppState;

pub struct CheckoutRouter;

impl CheckoutRouter {
    pub fn router() -> Router<AppState> {
        Router::new().route("/api/checkout/checkout", post(checkout))
    }
}

/// Create, reserve and pay an order in one call
#[utoipa::path(
    post,
    path = "/api/checkout/checkout",
    description = "Nothing is created when the stock is short (409); a declined card leaves the order pending (402) so it can be paid again with `POST /api/orders/{id}/pay`.",
    security(("session_cookie" = [])),
    params(IdempotencyKey),
    request_body = CheckoutRequest,
    responses(
        (status = 200, description = "Paid: the receipt.", body = PaymentReceipt),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`), or the `Idempotency-Key` header is not 1–200 ASCII characters.", body = ErrorEnvelope),
        (status = 402, description = "The card was declined (`card_declined`, `insufficient_funds`, `expired_card`); the order stays pending (`error.order_id`).", body = ErrorEnvelope),
        (status = 409, description = "Out of stock (`out_of_stock`), too many unpaid orders, or the same key is still being processed (`conflict`).", body = ErrorEnvelope),
        SignedOut, CrossSite, BodyRefusals, KeyReused,
    ),
)]
async fn checkout(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CheckoutRequest>,
) -> ApiResult<Json<PaymentReceipt>> {
    let key = idempotency_key(&headers)?;
    Ok(Json(
        app::services::checkout(&state.pool, customer.id, &req, key.as_deref()).await?,
    ))
}
