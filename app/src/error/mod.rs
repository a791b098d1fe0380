//! The one error type that crosses the wire between server functions and the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::payment::{CardError, DeclineCode};
use crate::domain::pricing::PricingError;
use crate::domain::staff::TransitionError;
use crate::domain::text::TextError;

mod body;
mod english;

pub use body::{ErrorBody, ErrorEnvelope};

/// A failure a page can show: a stable `code` for tests and logic, a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    #[error("로그인이 필요합니다.")]
    Unauthorized,
    #[error("이메일 또는 비밀번호가 올바르지 않습니다.")]
    BadCredentials,
    /// 2a: the card was declined; the order stays pending and can be paid again.
    #[error("결제에 실패했습니다. 다시 시도해 주세요.")]
    PaymentDeclined {
        decline_code: DeclineCode,
        order_id: i64,
        order_number: String,
    },
    /// 2b: nothing was created. `field` names the part of the order that ran short
    /// (`lines[1]`, `side_dishes`) and `ingredient` the ingredient's code, where known.
    #[error("선택하신 메뉴의 재료가 부족합니다. 다른 메뉴를 선택해 주세요.")]
    OutOfStock {
        field: Option<String>,
        ingredient: Option<String>,
    },
    #[error("{0}")]
    Conflict(String),
    /// A dinner no open store can make right now; the message names it.
    #[error("{0}")]
    SoldOut(String),
    #[error("Idempotency-Key: 이 키는 다른 요청에 이미 사용되었습니다.")]
    IdempotencyKeyReused,
    /// 4a: the audio held no speech the recogniser could read.
    #[error("음성을 인식할 수 없습니다. 다시 시도해 주세요.")]
    SpeechNotRecognized,
    /// 4b: the AI did not understand the order well enough (confidence < 0.7); the page offers
    /// the GUI. `question` is the AI's clarifying question, `session_id` the voice session to
    /// answer it in.
    #[error("주문 내용을 이해할 수 없습니다. 다시 말씀해 주세요.")]
    OrderNotUnderstood {
        session_id: String,
        question: Option<String>,
    },
    /// The AI worker did not answer in time; the GUI still works.
    #[error("AI 응답이 지연되고 있습니다. 잠시 후 다시 시도하시거나 화면에서 직접 주문해 주세요.")]
    AiTimeout,
    /// The AI queue (Redis) cannot be reached.
    #[error("음성 주문을 지금 사용할 수 없습니다. 잠시 후 다시 시도하시거나 화면에서 직접 주문해 주세요.")]
    AiUnavailable,
    /// An upload that is not audio in a format we accept.
    #[error("{field}: {message}")]
    UnsupportedMediaType { field: String, message: String },
    /// An upload over the size limit.
    #[error("{field}: 파일이 너무 큽니다. 최대 {}MB까지 보낼 수 있습니다.", .limit_bytes / (1024 * 1024))]
    PayloadTooLarge { field: String, limit_bytes: u64 },
    /// Too many attempts (logins, voice requests): try again after `retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    /// A state-changing request from another site (CSRF), or a page the caller may not see.
    #[error("{0}")]
    Forbidden(String),
    #[error("이 주소는 이 HTTP 메서드를 받지 않습니다.")]
    MethodNotAllowed,
    /// Something went wrong on our side; details are in the server log, never in the response.
    #[error("일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요.")]
    Internal,
    /// The server-function transport itself failed (network, decoding).
    #[error("서버와 통신할 수 없습니다: {0}")]
    Transport(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::Unauthorized => "unauthorized",
            AppError::BadCredentials => "bad_credentials",
            AppError::PaymentDeclined { decline_code, .. } => decline_code.code(),
            AppError::OutOfStock { .. } => "out_of_stock",
            AppError::Conflict(_) => "conflict",
            AppError::SoldOut(_) => "sold_out",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::SpeechNotRecognized => "speech_not_recognized",
            AppError::OrderNotUnderstood { .. } => "order_not_understood",
            AppError::AiTimeout => "ai_timeout",
            AppError::AiUnavailable => "ai_unavailable",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Forbidden(_) => "forbidden",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
            AppError::PaymentDeclined { .. } => StatusCode::PAYMENT_REQUIRED,
            AppError::OutOfStock { .. } | AppError::Conflict(_) | AppError::SoldOut(_) => {
                StatusCode::CONFLICT
            }
            AppError::IdempotencyKeyReused
            | AppError::SpeechNotRecognized
            | AppError::OrderNotUnderstood { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::AiTimeout => StatusCode::GATEWAY_TIMEOUT,
            AppError::AiUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => StatusCode::BAD_GATEWAY,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl AppError {
    /// The request field at fault, if the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::InvalidInput { field, .. }
            | AppError::UnsupportedMediaType { field, .. }
            | AppError::PayloadTooLarge { field, .. } => Some(field),
            AppError::OutOfStock { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// Domain errors display as `field: message`; the field travels separately on the wire.
pub(crate) fn field_error(field: &str, shown: String) -> AppError {
    let message = match shown.split_once(": ") {
        Some((_, message)) => message.to_owned(),
        None => shown,
    };
    AppError::invalid(field, message)
}

impl From<PricingError> for AppError {
    fn from(err: PricingError) -> Self {
        field_error(err.field(), err.to_string())
    }
}

impl From<TextError> for AppError {
    fn from(err: TextError) -> Self {
        field_error(err.field(), err.to_string())
    }
}

impl From<TransitionError> for AppError {
    fn from(err: TransitionError) -> Self {
        if err.is_conflict() {
            AppError::Conflict(err.to_string())
        } else {
            AppError::Forbidden(err.to_string())
        }
    }
}

impl From<CardError> for AppError {
    fn from(err: CardError) -> Self {
        field_error(err.field(), err.to_string())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The caller's arguments did not decode: their fault, not a transport failure.
            ServerFnErrorErr::Args(message) => AppError::invalid("arguments", message),
            // On the server, the only thing decoded is the request (the JSON codec reports
            // its arguments this way); in the browser it is our answer, so a transport fault.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(message) => AppError::invalid("arguments", message),
            ServerFnErrorErr::MissingArg(name) => AppError::invalid(&name, "필수 항목입니다"),
            other => AppError::Transport(other.to_string()),
        }
    }

    // Server functions answer with the same body as the REST routes (`to_body`).
    fn ser(&self) -> leptos::server_fn::Bytes {
        let body = serde_json::to_vec(&self.to_body()).unwrap_or_default();
        leptos::server_fn::Bytes::from(body)
    }

    fn de(data: leptos::server_fn::Bytes) -> Self {
        let text = String::from_utf8_lossy(&data);
        AppError::from_body(&text)
            .unwrap_or_else(|| AppError::Transport("서버의 응답을 읽을 수 없습니다".into()))
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        // The database's words stay in the log: they can leak schema details.
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voice_errors_have_stable_codes_and_statuses() {
        let cases = [
            (AppError::SpeechNotRecognized, "speech_not_recognized", 422),
            (
                AppError::OrderNotUnderstood {
                    session_id: "s".into(),
                    question: None,
                },
                "order_not_understood",
                422,
            ),
            (AppError::AiTimeout, "ai_timeout", 504),
            (AppError::AiUnavailable, "ai_unavailable", 503),
            (
                AppError::UnsupportedMediaType {
                    field: "audio".into(),
                    message: "x".into(),
                },
                "unsupported_media_type",
                415,
            ),
            (
                AppError::PayloadTooLarge {
                    field: "audio".into(),
                    limit_bytes: 10 * 1024 * 1024,
                },
                "payload_too_large",
                413,
            ),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.status().as_u16(), status, "{code}");
        }
    }

    #[test]
    fn server_functions_write_and_read_the_rest_body() {
        let errors = [
            AppError::invalid("holder", "제어 문자(NUL 등)는 입력할 수 없습니다"),
            AppError::TooManyRequests {
                message: "잠시 후".into(),
                retry_after_secs: 7,
            },
            AppError::PaymentDeclined {
                decline_code: DeclineCode::InsufficientFunds,
                order_id: 3,
                order_number: "MD-1".into(),
            },
            AppError::Internal,
        ];
        for err in errors {
            let bytes = err.ser();
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(body["error"]["code"], err.code());
            assert_eq!(AppError::de(bytes), err);
        }
        assert!(matches!(
            AppError::de("<html>502</html>".into()),
            AppError::Transport(_)
        ));
    }

    #[test]
    fn arguments_that_do_not_decode_are_the_callers_400() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("invalid digit".into()));
        assert_eq!(
            (err.status().as_u16(), err.field()),
            (400, Some("arguments"))
        );
        let err = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("order_id".into()));
        assert_eq!(err.field(), Some("order_id"));
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert_eq!(err.code(), "transport");
    }

    #[test]
    fn voice_messages_follow_design_section_8() {
        assert_eq!(
            AppError::SpeechNotRecognized.to_string(),
            "음성을 인식할 수 없습니다. 다시 시도해 주세요."
        );
        let err = AppError::OrderNotUnderstood {
            session_id: "s".into(),
            question: Some("어떤 디너를 원하세요?".into()),
        };
        assert_eq!(
            err.to_string(),
            "주문 내용을 이해할 수 없습니다. 다시 말씀해 주세요."
        );
        let err = AppError::PayloadTooLarge {
            field: "audio".into(),
            limit_bytes: 10 * 1024 * 1024,
        };
        assert!(err.to_string().contains("10MB"), "{err}");
        assert_eq!(err.field(), Some("audio"));
    }
}
