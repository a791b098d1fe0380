//! `/api/auth/*`: sign-up, log-in, log-out, who am I.

use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use app::account::{LoginRequest, SignupRequest};
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

async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let (customer, token) = AuthService::login(&state.pool, &req.email, &req.password).await?;
    Ok(([(SET_COOKIE, session_cookie(&token))], Json(customer)).into_response())
}

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

async fn me(AuthCustomer(customer): AuthCustomer) -> impl IntoResponse {
    Json(customer)
}
