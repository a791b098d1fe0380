//! The signed-in customer of the request being served, and the cookies of the answer.

use crate::domain::account::Customer;
use crate::error::AppError;
use crate::infra::context::AppContext;
use crate::services::auth::{token_from_cookie_header, AuthService};
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
