//! `CheckoutRouter`: `POST /api/checkout/checkout` creates, reserves and pays in one call.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};

use app::order::{CheckoutRequest, PaymentReceipt};

use super::error::ApiResult;
use super::extract::{idempotency_key, ApiJson, AuthCustomer};
use crate::state::AppState;

pub struct CheckoutRouter;

impl CheckoutRouter {
    pub fn router() -> Router<AppState> {
        Router::new().route("/api/checkout/checkout", post(checkout))
    }
}

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
