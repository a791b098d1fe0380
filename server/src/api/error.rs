//! `AppError` → HTTP, in one place: status from the error, body `{"error": {...}}`.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

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
        let mut response = (status, Json(err.to_body())).into_response();
        if let AppError::TooManyRequests {
            retry_after_secs, ..
        } = err
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;
    use app::domain::payment::DeclineCode;

    /// The browser reads REST errors back with `AppError::from_rest_response`: every error
    /// this module writes must come back as itself.
    #[tokio::test]
    async fn every_error_reads_back_as_itself() {
        let errors = [
            AppError::NotFound("주문을 찾을 수 없습니다.".into()),
            AppError::invalid("audio", "음성 파일이 비어 있습니다"),
            AppError::Unauthorized,
            AppError::BadCredentials,
            AppError::PaymentDeclined {
                decline_code: DeclineCode::InsufficientFunds,
                order_id: 7,
                order_number: "MD-20261124-000007".into(),
            },
            AppError::OutOfStock {
                field: None,
                ingredient: None,
            },
            AppError::OutOfStock {
                field: Some("lines[1]".into()),
                ingredient: Some("steak".into()),
            },
            AppError::Conflict("같은 주문이 이미 처리 중입니다.".into()),
            AppError::SoldOut("죄송합니다. 치킨 디너는 지금 품절입니다.".into()),
            AppError::IdempotencyKeyReused,
            AppError::SpeechNotRecognized,
            AppError::OrderNotUnderstood {
                session_id: "0b7c".into(),
                question: Some("어떤 디너를 주문하시겠어요?".into()),
            },
            AppError::OrderNotUnderstood {
                session_id: "0b7c".into(),
                question: None,
            },
            AppError::AiTimeout,
            AppError::AiUnavailable,
            AppError::UnsupportedMediaType {
                field: "audio".into(),
                message: "음성 파일이 아닙니다.".into(),
            },
            AppError::PayloadTooLarge {
                field: "audio".into(),
                limit_bytes: 10 * 1024 * 1024,
            },
            AppError::TooManyRequests {
                message: "잠시 후 다시 시도해 주세요.".into(),
                retry_after_secs: 42,
            },
            AppError::Forbidden("다른 사이트에서 보낸 요청은 받지 않습니다.".into()),
            AppError::MethodNotAllowed,
            AppError::Internal,
            AppError::Transport("boom".into()),
        ];
        for err in errors {
            let response = ApiError(err.clone()).into_response();
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body = String::from_utf8(bytes.to_vec()).unwrap();
            assert_eq!(AppError::from_rest_response(status, &body), err, "{body}");
        }
    }

    #[test]
    fn a_body_that_is_not_ours_falls_back_on_the_status() {
        let page = "<html>Gateway Timeout</html>";
        assert_eq!(AppError::from_rest_response(504, page), AppError::AiTimeout);
        assert_eq!(
            AppError::from_rest_response(503, ""),
            AppError::AiUnavailable
        );
        assert!(matches!(
            AppError::from_rest_response(502, page),
            AppError::Transport(_)
        ));
    }
}
