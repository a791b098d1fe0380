//! The signed-in customer of the request being served, and the cookies of the answer.

use crate::domain::account::Customer;
use crate::error::AppError;
use crate::infra::context::AppContext;
use crate::services::auth::{token_from_cookie_header, AuthService};
use crate::services::cart::CartOwner;
use leptos::prelude::*;

/// The session token of the request being served.
pub fn request_token() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
    token_from_cookie_header(header).map(str::to_owned)
}

pub async fn current_customer() -> Result<Option<Customer>, AppError> {
    let Some(token) = request_token() else {
        return Ok(None);
    };
    let ctx = crate::infra::context::app_context()?;
    AuthService::customer_for_token(&ctx.pool, &token).await
}

/// The server context and the signed-in customer, or 401: what every customer-only
/// server function starts with.
pub async fn signed_in() -> Result<(AppContext, Customer), AppError> {
    let ctx = crate::infra::context::app_context()?;
    let token = request_token().ok_or(AppError::Unauthorized)?;
    let customer = AuthService::customer_for_token(&ctx.pool, &token)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok((ctx, customer))
}

pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::Internal)?;
    use_context::<leptos_axum::ResponseOptions>()
        .ok_or(AppError::Internal)?
        .append_header(http::header::SET_COOKIE, value);
    Ok(())
}

/// The cart token of a guest's request, if it has one.
fn request_cart_token() -> Option<String> {
    use crate::services::auth::cookie_value;
    use crate::services::cart::CART_COOKIE;
    let parts = use_context::<http::request::Parts>()?;
    let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
    cookie_value(header, CART_COOKIE).map(str::to_owned)
}

/// Whose cart this request reads: the signed-in customer's, else the guest's by its cookie
/// (`None`: a guest without one). With `give_guest_one`, a guest without a cart cookie gets one.
pub async fn cart_owner(give_guest_one: bool) -> Result<Option<CartOwner>, AppError> {
    use crate::services::cart::{cart_cookie, new_guest_token};
    if let Some(customer) = current_customer().await? {
        return Ok(Some(CartOwner::Customer(customer.id)));
    }
    if let Some(token) = request_cart_token() {
        return Ok(Some(CartOwner::Guest(token)));
    }
    if !give_guest_one {
        return Ok(None);
    }
    let token = new_guest_token()?;
    set_cookie(&cart_cookie(&token))?;
    Ok(Some(CartOwner::Guest(token)))
}

/// After a sign-in: the guest's cart, if any, joins the customer's, and its cookie goes. A
/// failure keeps the guest's cart as it was and does not stop the sign-in.
pub async fn adopt_guest_cart(ctx: &AppContext, customer_id: i64) {
    use crate::services::cart::clear_cart_cookie;
    use crate::services::CartService;
    let Some(token) = request_cart_token() else {
        return;
    };
    let adopted = CartService::adopt(&ctx.pool, &token, customer_id).await;
    if let Err(err) = adopted.and_then(|()| set_cookie(&clear_cart_cookie())) {
        tracing::warn!(error = %err, customer_id, "guest cart not carried over");
    }
}
