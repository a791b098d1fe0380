//! Server functions of the cart: read it, replace it, add a dinner to it. Guests have a cart
//! too (by cookie); it joins the customer's cart at sign-in.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::order::{LineDraft, OrderDraft};
use crate::error::AppError;

/// The caller's cart; empty when there is none.
#[server(prefix = "/api", endpoint = "cart")]
pub async fn get_cart() -> Result<OrderDraft, AppError> {
    use crate::services::CartService;
    let ctx = crate::infra::context::app_context()?;
    match crate::api::session::cart_owner(false).await? {
        Some(owner) => CartService::load(&ctx.pool, &owner).await,
        None => Ok(OrderDraft::default()),
    }
}

/// Replaces the caller's cart (the builder saves every change).
#[server(prefix = "/api", endpoint = "cart_save", input = Json)]
pub async fn save_cart(draft: OrderDraft) -> Result<(), AppError> {
    use crate::services::CartService;
    let ctx = crate::infra::context::app_context()?;
    let owner = crate::api::session::cart_owner(true)
        .await?
        .ok_or(AppError::Internal)?;
    CartService::save(&ctx.pool, &owner, &draft).await
}

/// Adds one dinner line to the caller's cart (the menu and dinner pages); answers how many
/// lines the cart holds now.
#[server(prefix = "/api", endpoint = "cart_add", input = Json)]
pub async fn add_to_cart(line: LineDraft) -> Result<usize, AppError> {
    use crate::services::CartService;
    let ctx = crate::infra::context::app_context()?;
    let owner = crate::api::session::cart_owner(true)
        .await?
        .ok_or(AppError::Internal)?;
    CartService::add_line(&ctx.pool, &owner, line).await
}
