//! Sign-up, login, logout and the current customer.

use leptos::prelude::*;

use crate::domain::account::Customer;
#[cfg(feature = "ssr")]
use crate::domain::account::SignupRequest;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::session;

#[server(prefix = "/api", endpoint = "account/signup")]
pub async fn signup(
    email: String,
    password: String,
    name: String,
    phone: String,
) -> Result<Customer, AppError> {
    use crate::services::auth::{session_cookie, AuthService};
    let ctx = crate::infra::context::app_context()?;
    let req = SignupRequest {
        email,
        password,
        name,
        phone,
    };
    let (customer, token) = AuthService::signup(&ctx.pool, &req).await?;
    session::set_cookie(&session_cookie(&token))?;
    session::adopt_guest_cart(&ctx, customer.id).await;
    Ok(customer)
}

#[server(prefix = "/api", endpoint = "account/login")]
pub async fn login(email: String, password: String) -> Result<Customer, AppError> {
    use crate::services::auth::{session_cookie, AuthService};
    let ctx = crate::infra::context::app_context()?;
    let client = crate::infra::context::client_addr();
    let (customer, token) =
        AuthService::login(&ctx.pool, &ctx.limits, client, &email, &password).await?;
    session::set_cookie(&session_cookie(&token))?;
    session::adopt_guest_cart(&ctx, customer.id).await;
    Ok(customer)
}

#[server(prefix = "/api", endpoint = "account/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::services::auth::{clear_session_cookie, AuthService};
    let ctx = crate::infra::context::app_context()?;
    if let Some(token) = session::request_token() {
        AuthService::logout(&ctx.pool, &token).await?;
    }
    session::set_cookie(&clear_session_cookie())
}

#[server(prefix = "/api", endpoint = "account/me")]
pub async fn current_customer() -> Result<Option<Customer>, AppError> {
    session::current_customer().await
}
