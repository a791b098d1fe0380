//! `/api/auth/*`: sign-up, log-in, log-out, who am I.

use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use app::domain::account::{LoginRequest, SignupRequest};
use app::infra::limits::ClientAddr;
use app::services::auth::{clear_session_cookie, session_cookie, token_from_cookie_header};
use app::services::AuthService;

use super::error::ApiResult;
use super::extract::{ApiJson, AuthCustomer};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
}

#[utoipa::path(
    post,
    path = "/api/auth/signup",
    tag = "auth",
    summary = "Create an account and sign in",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Signed up; the session cookie is set.", body = app::domain::account::Customer,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`), or the email is already registered.", body = super::openapi::ErrorEnvelope),
        super::openapi::CrossSite,
        super::openapi::BodyRefusals,
    ),
)]
async fn signup(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    let (customer, token) = AuthService::signup(&state.pool, &req).await?;
    Ok((
        StatusCode::CREATED,
        [(SET_COOKIE, session_cookie(&token))],
        Json(customer),
    )
        .into_response())
}

#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    summary = "Sign in",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = app::domain::account::Customer,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`).", body = super::openapi::ErrorEnvelope),
        (status = 401, description = "Wrong email or password (`bad_credentials`).", body = super::openapi::ErrorEnvelope),
        super::openapi::CrossSite,
        super::openapi::BodyRefusals,
        (status = 429, description = "Too many failed log-ins for this email or address.", body = super::openapi::ErrorEnvelope,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
async fn login(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let client = client.map(|Extension(addr)| addr);
    let (customer, token) = AuthService::login(
        &state.pool,
        &state.limits,
        client,
        &req.email,
        &req.password,
    )
    .await?;
    Ok(([(SET_COOKIE, session_cookie(&token))], Json(customer)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    summary = "Sign out",
    description = "Ends the session of the cookie, if any, and clears the cookie.",
    security((), ("session_cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared.",
            headers(("Set-Cookie" = String, description = "The cleared session cookie"))),
        super::openapi::CrossSite,
        super::openapi::BodyRefusals,
    ),
)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let token = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token_from_cookie_header);
    if let Some(token) = token {
        AuthService::logout(&state.pool, token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, clear_session_cookie())],
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    summary = "The signed-in customer",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The customer of the session.", body = app::domain::account::Customer),
        super::openapi::SignedOut,
    ),
)]
async fn me(AuthCustomer(customer): AuthCustomer) -> impl IntoResponse {
    Json(customer)
}
