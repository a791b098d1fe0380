//! `StaffRouter`: the kitchen board's orders, status changes, and its live stream. Every route
//! checks the role: anonymous 401, a customer 403, another store's order 404.

use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use app::domain::order_view::OrderView;
use app::domain::staff::{
    EventInput, EventView, OrderStatus, RestockRequest, StatusChangeRequest, StoreStock,
};
use app::error::AppError;
use app::services::staff::StaffMember;
use app::services::{EventService, StaffService, StockService};

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, AuthCustomer};
use super::openapi::{
    BadId, BodyRefusals, ErrorEnvelope, EventId, NoSuchEvent, NotManager, NotStaff, OrderId,
    SignedOut,
};
use crate::state::AppState;

pub struct StaffRouter;

impl StaffRouter {
    pub fn router() -> Router<AppState> {
        Router::new()
            .route("/api/staff/orders", get(staff_list_orders))
            .route("/api/staff/orders/{id}/status", post(staff_change_status))
            .route("/api/staff/events", get(events))
            .route("/api/staff/stock", get(staff_stock).post(staff_restock))
            .route(
                "/api/staff/menu-events",
                get(staff_list_events).post(staff_create_event),
            )
            .route("/api/staff/menu-events/{id}", put(staff_update_event))
            .route("/api/staff/menu-events/{id}/end", post(staff_end_event))
    }
}

/// The signed-in staff member: 401 without a session, 403 for a customer.
pub struct AuthStaff(pub StaffMember);

impl axum::extract::FromRequestParts<AppState> for AuthStaff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthCustomer(account) = AuthCustomer::from_request_parts(parts, state).await?;
        Ok(AuthStaff(StaffMember::of(&account)?))
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
}

/// The store's orders for the kitchen board, oldest first (at most 100)
#[utoipa::path(
    get,
    path = "/api/staff/orders",
    description = "Without `status`: everything confirmed, preparing or on the way, and what was delivered or cancelled in the last 12 hours. A manager sees every store.",
    security(("session_cookie" = [])),
    params(
        ("status" = Option<OrderStatus>, Query, description = "Only orders with this status."),
    ),
    responses(
        (status = 200, description = "The orders.", body = Vec<OrderView>),
        (status = 400, description = "`status` is not an order status.", body = ErrorEnvelope),
        SignedOut, NotStaff,
    ),
)]
async fn staff_list_orders(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<OrderView>>> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(code) => Some(OrderStatus::parse(code).ok_or_else(|| {
            AppError::invalid(
                "status",
                "pending, confirmed, preparing, delivering, delivered, cancelled 중 하나여야 합니다",
            )
        })?),
    };
    Ok(Json(
        StaffService::list_orders(&state.pool, &staff, status).await?,
    ))
}

/// Move an order forward, or cancel it with a reason
#[utoipa::path(
    post,
    path = "/api/staff/orders/{id}/status",
    description = "confirmed → preparing (kitchen), preparing → delivering (kitchen or delivery), delivering → delivered (delivery); a manager may make every move. Cancelling releases the stock and refunds a paid order.",
    security(("session_cookie" = [])),
    params(OrderId),
    request_body = StatusChangeRequest,
    responses(
        (status = 200, description = "The order as it is now.", body = OrderView),
        (status = 400, description = "A field is invalid (a cancel without `reason`, an unknown status), or the id is not a number.", body = ErrorEnvelope),
        (status = 403, description = "Not a staff account, a move this role may not make, or a request from another site (CSRF).", body = ErrorEnvelope),
        (status = 404, description = "No such order in this member's store.", body = ErrorEnvelope),
        (status = 409, description = "The move does not apply to the order as it is now (someone moved it first).", body = ErrorEnvelope),
        SignedOut, BodyRefusals,
    ),
)]
async fn staff_change_status(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<StatusChangeRequest>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        StaffService::change_status(&state.pool, &staff, id, &req).await?,
    ))
}

/// Server-sent events of the store's order changes (a manager: every store's).
async fn events(State(state): State<AppState>, AuthStaff(staff): AuthStaff) -> impl IntoResponse {
    state
        .events
        .sse(move |change| staff.sees_store(change.store_id))
}

#[derive(Debug, Deserialize)]
struct StockQuery {
    store: Option<String>,
}

/// A store's ingredients: units on hand and units reserved by orders not started
#[utoipa::path(
    get,
    path = "/api/staff/stock",
    security(("session_cookie" = [])),
    params(
        ("store" = Option<String>, Query, description = "The store's code; without it, the member's own store (a manager: the first)."),
    ),
    responses(
        (status = 200, description = "The store's stock.", body = StoreStock),
        (status = 404, description = "No such store, or another store than the member's own.", body = ErrorEnvelope),
        SignedOut, NotStaff,
    ),
)]
async fn staff_stock(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    Query(query): Query<StockQuery>,
) -> ApiResult<Json<StoreStock>> {
    Ok(Json(
        StockService::store_stock(&state.pool, &staff, query.store.as_deref()).await?,
    ))
}

/// Add units of an ingredient to a store (managers)
#[utoipa::path(
    post,
    path = "/api/staff/stock",
    security(("session_cookie" = [])),
    request_body = RestockRequest,
    responses(
        (status = 200, description = "The store's stock after the restock.", body = StoreStock),
        (status = 400, description = "`add` is not 1–10,000 (or would pass 1,000,000 on hand), the ingredient is unknown, or the body is not JSON.", body = ErrorEnvelope),
        (status = 404, description = "No such store.", body = ErrorEnvelope),
        SignedOut, NotManager, BodyRefusals,
    ),
)]
async fn staff_restock(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    ApiJson(req): ApiJson<RestockRequest>,
) -> ApiResult<Json<StoreStock>> {
    Ok(Json(
        StockService::restock(&state.pool, &staff, &req).await?,
    ))
}

/// The discount events, newest first (at most 100)
#[utoipa::path(
    get,
    path = "/api/staff/menu-events",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The events.", body = Vec<EventView>),
        SignedOut, NotStaff,
    ),
)]
async fn staff_list_events(
    State(state): State<AppState>,
    AuthStaff(_): AuthStaff,
) -> ApiResult<Json<Vec<EventView>>> {
    Ok(Json(EventService::list(&state.pool).await?))
}

/// Start a discount event (managers); quotes and voice previews use it at once
#[utoipa::path(
    post,
    path = "/api/staff/menu-events",
    security(("session_cookie" = [])),
    request_body = EventInput,
    responses(
        (status = 201, description = "Created.", body = EventView),
        (status = 400, description = "A field is invalid (named in `error.field`): a title, the rate (1–100), a time, `valid_to` not after `valid_from`, no or unknown dinners.", body = ErrorEnvelope),
        SignedOut, NotManager, BodyRefusals,
    ),
)]
async fn staff_create_event(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<(axum::http::StatusCode, Json<EventView>)> {
    let event = EventService::create(&state.pool, &staff, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(event)))
}

/// Edit a discount event (managers)
#[utoipa::path(
    put,
    path = "/api/staff/menu-events/{id}",
    security(("session_cookie" = [])),
    params(EventId),
    request_body = EventInput,
    responses(
        (status = 200, description = "The event as it is now.", body = EventView),
        (status = 400, description = "A field is invalid (named in `error.field`), or the id is not a number.", body = ErrorEnvelope),
        SignedOut, NotManager, NoSuchEvent, BodyRefusals,
    ),
)]
async fn staff_update_event(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<Json<EventView>> {
    Ok(Json(
        EventService::update(&state.pool, &staff, id, &input).await?,
    ))
}

/// End a discount event now (managers)
#[utoipa::path(
    post,
    path = "/api/staff/menu-events/{id}/end",
    security(("session_cookie" = [])),
    params(EventId),
    responses(
        (status = 200, description = "The event, ended.", body = EventView),
        BadId, SignedOut, NotManager, NoSuchEvent,
    ),
)]
async fn staff_end_event(
    State(state): State<AppState>,
    AuthStaff(staff): AuthStaff,
    Path(id): Path<i64>,
) -> ApiResult<Json<EventView>> {
    Ok(Json(EventService::end(&state.pool, &staff, id).await?))
}
