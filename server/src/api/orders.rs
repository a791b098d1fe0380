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
use crate::state::AppState;

pub struct OrderRouter;

impl OrderRouter {
    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/api/orders", post(create).get(list))
            .route("/api/orders/{id}", get(show))
            .route("/api/orders/{id}/pay", post(pay))
            .route("/api/orders/{id}/cancel", post(cancel))
            .route("/api/orders/{id}/events", get(events))
    }
}

#[utoipa::path(
    post,
    path = "/api/orders",
    operation_id = "create_order",
    tag = "orders",
    summary = "Create an order, pending payment",
    description = "Prices the order on the server (tier and event discounts) and reserves its ingredients.",
    security(("session_cookie" = [])),
    request_body = OrderRequest,
    responses(
        (status = 201, description = "Created: the order and its price.", body = CreatedOrder),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`); unknown dinners, styles, components and side dishes are invalid too.", body = super::openapi::ErrorEnvelope),
        super::openapi::SignedOut,
        super::openapi::CrossSite,
        (status = 409, description = "Out of stock (`out_of_stock`), or too many unpaid orders (`conflict`).", body = super::openapi::ErrorEnvelope),
        super::openapi::BodyRefusals,
    ),
)]
async fn create(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<(StatusCode, Json<CreatedOrder>)> {
    // `source` is part of the request: a voice client sends "voice", anything else is the GUI.
    let created = OrderService::create_order(&state.pool, customer.id, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/api/orders",
    operation_id = "list_orders",
    tag = "orders",
    summary = "My orders, newest first (at most 100)",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The signed-in customer's orders.", body = Vec<OrderSummary>),
        super::openapi::SignedOut,
    ),
)]
async fn list(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
) -> ApiResult<Json<Vec<OrderSummary>>> {
    Ok(Json(
        OrderService::list_orders(&state.pool, customer.id).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/orders/{id}",
    operation_id = "get_order",
    tag = "orders",
    summary = "One of my orders",
    security(("session_cookie" = [])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The order's id."),
    ),
    responses(
        (status = 200, description = "The order.", body = OrderView),
        (status = 400, description = "The id is not a number.", body = super::openapi::ErrorEnvelope),
        super::openapi::SignedOut,
        (status = 404, description = "No such order of the signed-in customer.", body = super::openapi::ErrorEnvelope),
    ),
)]
async fn show(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        OrderService::get_order(&state.pool, customer.id, id).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/orders/{id}/pay",
    operation_id = "pay_order",
    tag = "orders",
    summary = "Pay a pending order (mock card processor)",
    security(("session_cookie" = [])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The order's id."),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 200,
            pattern = r"^[!-~]([ -~]*[!-~])?$",
            description = "Makes a retry safe: the same key with the same body answers the first result again."),
    ),
    request_body = CardInput,
    responses(
        (status = 200, description = "Paid: the receipt.", body = PaymentReceipt),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`), the id is not a number, or the `Idempotency-Key` header is not 1–200 ASCII characters.", body = super::openapi::ErrorEnvelope),
        super::openapi::SignedOut,
        (status = 402, description = "The card was declined (`card_declined`, `insufficient_funds`, `expired_card`); the order stays pending.", body = super::openapi::ErrorEnvelope),
        super::openapi::CrossSite,
        (status = 404, description = "No such order of the signed-in customer.", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The order was cancelled (its payment time ran out), or the same key is still being processed (`conflict`). Paying a paid order again answers its receipt.", body = super::openapi::ErrorEnvelope),
        super::openapi::BodyRefusals,
        (status = 422, description = "The `Idempotency-Key` was used for a different request (`idempotency_key_reused`).", body = super::openapi::ErrorEnvelope),
    ),
)]
async fn pay(
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

#[utoipa::path(
    post,
    path = "/api/orders/{id}/cancel",
    operation_id = "cancel_order",
    tag = "orders",
    summary = "Cancel my order before the kitchen starts it",
    description = "Allowed while the order is pending or confirmed. The stock is released, and a paid order is refunded by the mock processor (once).",
    security(("session_cookie" = [])),
    params(
        ("id" = i64, Path, minimum = 1, description = "The order's id."),
    ),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled: the order, with its refund if it was paid.", body = OrderView),
        (status = 400, description = "`reason` is empty or over 200 characters, the body is not JSON, or the id is not a number.", body = super::openapi::ErrorEnvelope),
        super::openapi::SignedOut,
        super::openapi::CrossSite,
        (status = 404, description = "No such order of the signed-in customer.", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The order is being prepared, on the way, delivered or already cancelled.", body = super::openapi::ErrorEnvelope),
        super::openapi::BodyRefusals,
    ),
)]
async fn cancel(
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
