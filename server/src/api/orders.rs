//! `OrderRouter`: create a pending order, pay it (idempotently), read one or all of mine.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use app::domain::order_view::{CreatedOrder, OrderSummary, OrderView, PaymentReceipt};

use app::domain::order::OrderRequest;
use app::domain::payment::CardInput;
use app::domain::staff::CancelRequest;
use app::services::{OrderService, PaymentService};

use super::error::ApiResult;
use super::extract::{idempotency_key, ApiJson, AuthCustomer};
use super::openapi::{
    BadId, BodyRefusals, CrossSite, ErrorEnvelope, IdempotencyKey, KeyReused, NoSuchOrder, OrderId,
    SignedOut,
};
use crate::state::AppState;

pub struct OrderRouter;

impl OrderRouter {
    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/api/orders", post(create_order).get(list_orders))
            .route("/api/orders/{id}", get(get_order))
            .route("/api/orders/{id}/pay", post(pay_order))
            .route("/api/orders/{id}/cancel", post(cancel_order))
            .route("/api/orders/{id}/events", get(events))
    }
}

/// Create an order, pending payment
#[utoipa::path(
    post,
    path = "/api/orders",
    description = "Prices the order on the server (tier and event discounts) and reserves its ingredients.",
    security(("session_cookie" = [])),
    request_body = OrderRequest,
    responses(
        (status = 201, description = "Created: the order and its price.", body = CreatedOrder),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`); unknown dinners, styles, components and side dishes are invalid too.", body = ErrorEnvelope),
        (status = 409, description = "Out of stock (`out_of_stock`), or too many unpaid orders (`conflict`).", body = ErrorEnvelope),
        SignedOut, CrossSite, BodyRefusals,
    ),
)]
async fn create_order(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<(StatusCode, Json<CreatedOrder>)> {
    // `source` is part of the request: a voice client sends "voice", anything else is the GUI.
    let created = OrderService::create_order(&state.pool, customer.id, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// My orders, newest first (at most 100)
#[utoipa::path(
    get,
    path = "/api/orders",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The signed-in customer's orders.", body = Vec<OrderSummary>),
        SignedOut,
    ),
)]
async fn list_orders(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
) -> ApiResult<Json<Vec<OrderSummary>>> {
    Ok(Json(
        OrderService::list_orders(&state.pool, customer.id).await?,
    ))
}

/// One of my orders
#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    security(("session_cookie" = [])),
    params(OrderId),
    responses(
        (status = 200, description = "The order.", body = OrderView),
        BadId, SignedOut, NoSuchOrder,
    ),
)]
async fn get_order(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        OrderService::get_order(&state.pool, customer.id, id).await?,
    ))
}

/// Pay a pending order (mock card processor)
#[utoipa::path(
    post,
    path = "/api/orders/{id}/pay",
    security(("session_cookie" = [])),
    params(OrderId, IdempotencyKey),
    request_body = CardInput,
    responses(
        (status = 200, description = "Paid: the receipt.", body = PaymentReceipt),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`), the id is not a number, or the `Idempotency-Key` header is not 1–200 ASCII characters.", body = ErrorEnvelope),
        (status = 402, description = "The card was declined (`card_declined`, `insufficient_funds`, `expired_card`); the order stays pending.", body = ErrorEnvelope),
        (status = 409, description = "The order was cancelled (its payment time ran out), or the same key is still being processed (`conflict`). Paying a paid order again answers its receipt.", body = ErrorEnvelope),
        SignedOut, CrossSite, NoSuchOrder, BodyRefusals, KeyReused,
    ),
)]
async fn pay_order(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    Path(id): Path<i64>,
    headers: HeaderMap,
    ApiJson(card): ApiJson<CardInput>,
) -> ApiResult<Json<PaymentReceipt>> {
    let key = idempotency_key(&headers)?;
    Ok(Json(
        PaymentService::process_mock_payment(&state.pool, customer.id, id, &card, key.as_deref())
            .await?,
    ))
}

/// Cancel my order before the kitchen starts it
#[utoipa::path(
    post,
    path = "/api/orders/{id}/cancel",
    description = "Allowed while the order is pending or confirmed. The stock is released, and a paid order is refunded by the mock processor (once).",
    security(("session_cookie" = [])),
    params(OrderId),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled: the order, with its refund if it was paid.", body = OrderView),
        (status = 400, description = "`reason` is empty or over 200 characters, the body is not JSON, or the id is not a number.", body = ErrorEnvelope),
        (status = 409, description = "The order is being prepared, on the way, delivered or already cancelled.", body = ErrorEnvelope),
        SignedOut, CrossSite, NoSuchOrder, BodyRefusals,
    ),
)]
async fn cancel_order(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<CancelRequest>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        OrderService::cancel_order(&state.pool, customer.id, id, &req.reason).await?,
    ))
}

/// Server-sent events of one of my orders: `ready`, then `order` on each change of status.
async fn events(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    // 404 for someone else's order, before the stream opens.
    OrderService::get_order(&state.pool, customer.id, id).await?;
    Ok(state.events.sse(move |change| change.order_id == id))
}
