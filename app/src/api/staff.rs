//! Server functions of the staff board and of a customer cancelling: thin wrappers over the
//! same services as `/api/staff/*` and `/api/orders/{id}/cancel`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::order_view::OrderView;
use crate::domain::staff::OrderStatus;
use crate::error::AppError;

/// The signed-in staff member's board: 401 signed out, 403 for a customer.
#[server(prefix = "/api", endpoint = "staff_orders")]
pub async fn staff_orders() -> Result<Vec<OrderView>, AppError> {
    use crate::services::{staff::StaffMember, StaffService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    StaffService::list_orders(&ctx.pool, &StaffMember::of(&account)?, None).await
}

#[server(prefix = "/api", endpoint = "move_order", input = Json)]
pub async fn move_order(
    order_id: i64,
    status: OrderStatus,
    reason: Option<String>,
) -> Result<OrderView, AppError> {
    use crate::services::{staff::StaffMember, StaffService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    let req = crate::domain::staff::StatusChangeRequest { status, reason };
    StaffService::change_status(&ctx.pool, &StaffMember::of(&account)?, order_id, &req).await
}

#[server(prefix = "/api", endpoint = "cancel_my_order", input = Json)]
pub async fn cancel_my_order(order_id: i64, reason: String) -> Result<OrderView, AppError> {
    use crate::services::OrderService;
    let (ctx, customer) = crate::api::session::signed_in().await?;
    OrderService::cancel_order(&ctx.pool, customer.id, order_id, &reason).await
}

#[server(prefix = "/api", endpoint = "staff_stock")]
pub async fn staff_stock(
    store: Option<String>,
) -> Result<crate::domain::staff::StoreStock, AppError> {
    use crate::services::{staff::StaffMember, StockService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    StockService::store_stock(&ctx.pool, &StaffMember::of(&account)?, store.as_deref()).await
}

#[server(prefix = "/api", endpoint = "restock", input = Json)]
pub async fn restock(
    req: crate::domain::staff::RestockRequest,
) -> Result<crate::domain::staff::StoreStock, AppError> {
    use crate::services::{staff::StaffMember, StockService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    StockService::restock(&ctx.pool, &StaffMember::of(&account)?, &req).await
}

#[server(prefix = "/api", endpoint = "staff_events")]
pub async fn staff_events() -> Result<Vec<crate::domain::staff::EventView>, AppError> {
    use crate::services::{staff::StaffMember, EventService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    StaffMember::of(&account)?;
    EventService::list(&ctx.pool).await
}

/// Creates an event, or edits event `id`.
#[server(prefix = "/api", endpoint = "save_event", input = Json)]
pub async fn save_event(
    id: Option<i64>,
    input: crate::domain::staff::EventInput,
) -> Result<crate::domain::staff::EventView, AppError> {
    use crate::services::{staff::StaffMember, EventService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    let staff = StaffMember::of(&account)?;
    match id {
        None => EventService::create(&ctx.pool, &staff, &input).await,
        Some(id) => EventService::update(&ctx.pool, &staff, id, &input).await,
    }
}

#[server(prefix = "/api", endpoint = "end_event", input = Json)]
pub async fn end_event(id: i64) -> Result<crate::domain::staff::EventView, AppError> {
    use crate::services::{staff::StaffMember, EventService};
    let (ctx, account) = crate::api::session::signed_in().await?;
    EventService::end(&ctx.pool, &StaffMember::of(&account)?, id).await
}
