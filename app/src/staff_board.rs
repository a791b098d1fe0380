//! Server functions of the staff board and of a customer cancelling: thin wrappers over the
//! same services as `/api/staff/*` and `/api/orders/{id}/cancel`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::order::OrderView;
use crate::staff::OrderStatus;

/// The signed-in staff member's board: 401 signed out, 403 for a customer.
#[server(prefix = "/api", endpoint = "staff_orders")]
pub async fn staff_orders() -> Result<Vec<OrderView>, AppError> {
    use crate::services::{staff::StaffMember, StaffService};
    let (ctx, account) = crate::account::ssr::signed_in().await?;
    StaffService::list_orders(&ctx.pool, &StaffMember::of(&account)?, None).await
}

#[server(prefix = "/api", endpoint = "move_order", input = Json)]
pub async fn move_order(
    order_id: i64,
    status: OrderStatus,
    reason: Option<String>,
) -> Result<OrderView, AppError> {
    use crate::services::{staff::StaffMember, StaffService};
    let (ctx, account) = crate::account::ssr::signed_in().await?;
    let req = crate::staff::StatusChangeRequest { status, reason };
    StaffService::change_status(&ctx.pool, &StaffMember::of(&account)?, order_id, &req).await
}

#[server(prefix = "/api", endpoint = "cancel_my_order", input = Json)]
pub async fn cancel_my_order(order_id: i64, reason: String) -> Result<OrderView, AppError> {
    use crate::services::OrderService;
    let (ctx, customer) = crate::account::ssr::signed_in().await?;
    OrderService::cancel_order(&ctx.pool, customer.id, order_id, &reason).await
}
