//! `/api/auth/*`: sign-up, log-in, log-out, who am I.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use app::domain::account::{Customer, LoginRequest, SignupRequest};
use app::infra::limits::ClientAddr;
use app::services::auth::{clear_session_cookie, session_cookie};
use app::services::AuthService;

use super::error::ApiResult;
use super::extract::{session_token, ApiJson, AuthCustomer};
use super::openapi::{BadJson, BodyRefusals, CrossSite, ErrorEnvelope, SignedOut};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
}

/// Create an account and sign in
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Signed up; the session cookie is set.", body = Customer,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 400, description = "A field is invalid (named in `error.field`), or the body is not JSON (`application/json`), or the email is already registered.", body = ErrorEnvelope),
        CrossSite, BodyRefusals,
    ),
)]
async fn signup(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SignupRequest>,
) -> ApiResult<Response> {
    let (customer, token) = AuthService::signup(&state.pool, &req).await?;
    Ok(signed_in(StatusCode::CREATED, customer, &token))
}

/// Sign in
#[utoipa::path(
    post,
    path = "/api/auth/login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = Customer,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 401, description = "Wrong email or password (`bad_credentials`).", body = ErrorEnvelope),
        (status = 429, description = "Too many failed log-ins for this email or address.", body = ErrorEnvelope,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        BadJson, CrossSite, BodyRefusals,
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
    Ok(signed_in(StatusCode::OK, customer, &token))
}

/// The customer, with the cookie of the session that sign-up or log-in started.
fn signed_in(status: StatusCode, customer: Customer, token: &str) -> Response {
    let cookie = [(SET_COOKIE, session_cookie(token))];
    (status, cookie, Json(customer)).into_response()
}

/// Sign out
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    description = "Ends the session of the cookie, if any, and clears the cookie.",
    security((), ("session_cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared.",
            headers(("Set-Cookie" = String, description = "The cleared session cookie"))),
        CrossSite, BodyRefusals,
    ),
)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = session_token(&headers) {
        AuthService::logout(&state.pool, token).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, clear_session_cookie())],
    )
        .into_response())
}

/// The signed-in customer
#[utoipa::path(
    get,
    path = "/api/auth/me",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The customer of the session.", body = Customer),
        SignedOut,
    ),
)]
async fn me(AuthCustomer(customer): AuthCustomer) -> impl IntoResponse {
    Json(customer)
}
