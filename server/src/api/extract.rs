//! Extractors: JSON bodies whose errors name the field, and the signed-in customer.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use app::domain::account::Customer;
use app::error::AppError;
use app::infra::limits::{ClientAddr, VoiceCaller};
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
                let (field, message) = describe_json_error(&rejection.body_text());
                Err(ApiError(AppError::invalid(&field, message)))
            }
        }
    }
}

/// Splits axum's "Failed to deserialize …: order.lines[0].quantity: quantity must be between 1
/// and 10, got 11 at line 1 column 80" into the field path and the problem.
fn describe_json_error(text: &str) -> (String, String) {
    let detail = text
        .split_once("target type: ")
        .map_or(text, |(_, rest)| rest);
    match detail.split_once(": ") {
        Some((path, message)) if !path.is_empty() && !path.contains(' ') => {
            (path.to_owned(), message.to_owned())
        }
        _ => ("body".to_owned(), detail.to_owned()),
    }
}

/// The session token of the request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token_from_cookie_header)
}

/// The customer of the session cookie; 401 without one.
pub struct AuthCustomer(pub Customer);

impl FromRequestParts<AppState> for AuthCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let customer = MaybeAuthCustomer::from_request_parts(parts, state).await?.0;
        customer
            .map(AuthCustomer)
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

/// The customer of the session cookie, or `None` when signed out (or the session expired):
/// for endpoints that work for guests and do more for customers.
pub struct MaybeAuthCustomer(pub Option<Customer>);

impl FromRequestParts<AppState> for MaybeAuthCustomer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match session_token(&parts.headers) {
            None => Ok(MaybeAuthCustomer(None)),
            Some(token) => Ok(MaybeAuthCustomer(
                AuthService::customer_for_token(&state.pool, token).await?,
            )),
        }
    }
}

/// Who asks for voice work: the customer when signed in, and the client's address (the
/// limits count both).
pub struct Caller(pub VoiceCaller);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let customer = MaybeAuthCustomer::from_request_parts(parts, state).await?.0;
        let client = parts.extensions.get::<ClientAddr>().copied();
        Ok(Caller(VoiceCaller {
            customer_id: customer.map(|c| c.id),
            client,
        }))
    }
}

/// The `Idempotency-Key` header, if sent (the payment service checks its length). Read in the
/// handler, after the body, so a bad body is reported first.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim().to_owned())).map_err(|_| {
            ApiError(AppError::invalid(
                "Idempotency-Key",
                "ASCII 문자여야 합니다",
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_json_error;

    #[test]
    fn names_the_field_of_a_bad_value() {
        let (field, message) = describe_json_error(
            "Failed to deserialize the JSON body into the target type: order.lines[0].quantity: \
             quantity must be between 1 and 10, got 11 at line 1 column 80",
        );
        assert_eq!(field, "order.lines[0].quantity");
        assert!(
            message.starts_with("quantity must be between 1 and 10"),
            "{message}"
        );
        let (field, _) =
            describe_json_error("Failed to parse the request body as JSON: EOF while parsing");
        assert_eq!(field, "body");
    }
}
