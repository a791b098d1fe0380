//! `AppError` → HTTP, in one place: status from the error, body `{"error": {...}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use app::error::AppError;

/// Wraps the app's error so it can answer a REST request.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        let status = StatusCode::from_u16(err.status().as_u16())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({ "code": err.code(), "message": err.to_string() });
        if let Some(field) = err.field() {
            body["field"] = json!(field);
        }
        match &err {
            AppError::InvalidInput { field, message } => {
                body["message"] = json!(format!("{field}: {message}"));
            }
            AppError::PaymentDeclined {
                order_id,
                order_number,
                ..
            } => {
                body["order_id"] = json!(order_id);
                body["order_number"] = json!(order_number);
            }
            AppError::OrderNotUnderstood {
                session_id,
                question,
            } => {
                body["session_id"] = json!(session_id);
                body["question"] = json!(question);
            }
            AppError::PayloadTooLarge { limit_bytes, .. } => {
                body["limit_bytes"] = json!(limit_bytes);
            }
            _ => {}
        }
        (status, Json(json!({ "error": body }))).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
