//! Extractors: JSON bodies whose errors name the field, and the signed-in customer.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use app::account::Customer;
use app::error::AppError;
use app::services::auth::token_from_cookie_header;
use app::services::AuthService;

use super::error::ApiError;
use crate::state::AppState;

/// `Json<T>` whose rejection is a 400 in our error format (415 without a JSON content type).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(AppError::invalid(
                "Content-Type",
                "application/json이어야 합니다",
            ))),
            Err(rejection) => {
                // serde's message names the field and the problem, e.g. "order.lines[0].quantity:
                // quantity must be between 1 and 10".
                let detail = rejection.body_text();
                let detail = detail
                    .split_once(": ")
                    .map_or(detail.as_str(), |(_, rest)| rest)
                    .to_owned();
                Err(ApiError(AppError::invalid("body", detail)))
            }
        }
    }
}

/// The customer of the session cookie; 401 without one.
pub struct AuthCustomer(pub Customer);

impl FromRequestParts<AppState> for AuthCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(token_from_cookie_header)
            .ok_or(ApiError(AppError::Unauthorized))?;
        AuthService::customer_for_token(&state.pool, token)
            .await?
            .map(AuthCustomer)
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

/// The `Idempotency-Key` header, if sent.
pub fn idempotency_key(parts: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    match parts.get("idempotency-key") {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim().to_owned())).map_err(|_| {
            ApiError(AppError::invalid(
                "Idempotency-Key",
                "ASCII 문자여야 합니다",
            ))
        }),
    }
}
