//! `OrderRouter`: create a pending order, pay it (idempotently), read one or all of mine.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};

use app::order::{CreatedOrder, OrderRequest, OrderSummary, OrderView, PaymentReceipt};
use app::payment::CardInput;
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
    }
}

async fn create(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<(StatusCode, Json<CreatedOrder>)> {
    // `source` is part of the request: a voice client sends "voice", anything else is the GUI.
    let created = OrderService::create_order(&state.pool, customer.id, &req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
) -> ApiResult<Json<Vec<OrderSummary>>> {
    Ok(Json(
        OrderService::list_orders(&state.pool, customer.id).await?,
    ))
}

async fn show(
    State(state): State<AppState>,
    AuthCustomer(customer): AuthCustomer,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        OrderService::get_order(&state.pool, customer.id, id).await?,
    ))
}

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
