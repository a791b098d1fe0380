//! The one error body of every `/api/*` answer, REST and server functions alike: the server
//! writes it from an `AppError` and the browser reads the same type back.

use serde::{Deserialize, Serialize};

use super::AppError;
use crate::domain::payment::DeclineCode;
use crate::domain::voice::MAX_AUDIO_BYTES;

/// The body of every `/api/*` error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong: a stable `code` for programs, a `message` for people, and the details of
/// some errors.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// `invalid_input`, `unauthorized`, `bad_credentials`, `card_declined`,
    /// `insufficient_funds`, `expired_card`, `out_of_stock`, `conflict`, `sold_out`,
    /// `idempotency_key_reused`, `speech_not_recognized`, `order_not_understood`, `ai_timeout`,
    /// `ai_unavailable`, `unsupported_media_type`, `payload_too_large`, `too_many_requests`,
    /// `forbidden`, `not_found`, `method_not_allowed` or `internal`.
    #[cfg_attr(feature = "ssr", schema(examples("invalid_input")))]
    pub code: String,
    /// For people, in Korean; pages show the message of the `code` in their own language.
    pub message: String,
    /// The request field at fault (`invalid_input`, `unsupported_media_type`,
    /// `payload_too_large`), e.g. `lines[0].quantity` or `Idempotency-Key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub field: Option<String>,
    /// A declined payment (402): the order, still pending, that can be paid again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub order_id: Option<i64>,
    /// A declined payment (402).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub order_number: Option<String>,
    /// `order_not_understood` (422): the voice session to answer the question in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub session_id: Option<String>,
    /// `order_not_understood` (422): the AI's clarifying question, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub question: Option<String>,
    /// `payload_too_large` (413): the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub limit_bytes: Option<u64>,
    /// `out_of_stock` (409): the code of the ingredient that ran short (`field` names the line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false, examples("steak")))]
    pub ingredient: Option<String>,
    /// `too_many_requests` (429): seconds to wait, as in `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    pub retry_after_secs: Option<u64>,
}

impl AppError {
    /// The body this error answers with.
    pub fn to_body(&self) -> ErrorEnvelope {
        let mut body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            field: self.field().map(str::to_owned),
            ..ErrorBody::default()
        };
        match self {
            AppError::PaymentDeclined {
                order_id,
                order_number,
                ..
            } => {
                body.order_id = Some(*order_id);
                body.order_number = Some(order_number.clone());
            }
            AppError::OrderNotUnderstood {
                session_id,
                question,
            } => {
                body.session_id = Some(session_id.clone());
                body.question = question.clone();
            }
            AppError::PayloadTooLarge { limit_bytes, .. } => body.limit_bytes = Some(*limit_bytes),
            AppError::OutOfStock { ingredient, .. } => body.ingredient = ingredient.clone(),
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => body.retry_after_secs = Some(*retry_after_secs),
            _ => {}
        }
        ErrorEnvelope { error: body }
    }

    /// Reads a REST answer back into the error it was made from, for the browser's own REST
    /// calls (the voice upload). A body that is not ours (a proxy's page) falls back on the
    /// status.
    pub fn from_rest_response(status: u16, body: &str) -> AppError {
        AppError::from_body(body).unwrap_or_else(|| match status {
            413 => AppError::PayloadTooLarge {
                field: "audio".into(),
                limit_bytes: MAX_AUDIO_BYTES as u64,
            },
            503 => AppError::AiUnavailable,
            504 => AppError::AiTimeout,
            _ => AppError::Transport(format!("HTTP {status}")),
        })
    }

    /// The error an error body (`to_body`) was written from; `None` if it is not ours.
    pub fn from_body(body: &str) -> Option<AppError> {
        let envelope: ErrorEnvelope = serde_json::from_str(body).ok()?;
        Some(AppError::from(envelope.error))
    }
}

impl From<ErrorBody> for AppError {
    fn from(b: ErrorBody) -> Self {
        let field = b.field.clone().unwrap_or_default();
        // `InvalidInput` and friends travel as `field: message`; the variant keeps them apart.
        let message = match b.message.strip_prefix(&format!("{field}: ")) {
            Some(rest) if !field.is_empty() => rest.to_owned(),
            _ => b.message.clone(),
        };
        let decline =
            serde_json::from_value::<DeclineCode>(serde_json::Value::String(b.code.clone()));
        if let Ok(decline_code) = decline {
            return AppError::PaymentDeclined {
                decline_code,
                order_id: b.order_id.unwrap_or_default(),
                order_number: b.order_number.unwrap_or_default(),
            };
        }
        match b.code.as_str() {
            "not_found" => AppError::NotFound(b.message),
            "invalid_input" => AppError::InvalidInput { field, message },
            "unsupported_media_type" => AppError::UnsupportedMediaType { field, message },
            "payload_too_large" => AppError::PayloadTooLarge {
                field,
                limit_bytes: b.limit_bytes.unwrap_or(MAX_AUDIO_BYTES as u64),
            },
            "out_of_stock" => AppError::OutOfStock {
                field: b.field,
                ingredient: b.ingredient,
            },
            "order_not_understood" => AppError::OrderNotUnderstood {
                session_id: b.session_id.unwrap_or_default(),
                question: b.question,
            },
            "too_many_requests" => AppError::TooManyRequests {
                message: b.message,
                retry_after_secs: b.retry_after_secs.unwrap_or(60),
            },
            code => AppError::from_code(code, b.message),
        }
    }
}

impl AppError {
    /// The errors whose body holds nothing but their code and message.
    fn from_code(code: &str, message: String) -> AppError {
        match code {
            "unauthorized" => AppError::Unauthorized,
            "bad_credentials" => AppError::BadCredentials,
            "conflict" => AppError::Conflict(message),
            "sold_out" => AppError::SoldOut(message),
            "idempotency_key_reused" => AppError::IdempotencyKeyReused,
            "speech_not_recognized" => AppError::SpeechNotRecognized,
            "ai_timeout" => AppError::AiTimeout,
            "ai_unavailable" => AppError::AiUnavailable,
            "forbidden" => AppError::Forbidden(message),
            "method_not_allowed" => AppError::MethodNotAllowed,
            "internal" => AppError::Internal,
            _ => {
                let shown = AppError::Transport(String::new()).to_string();
                let detail = message.strip_prefix(&shown).unwrap_or(&message);
                AppError::Transport(detail.to_owned())
            }
        }
    }
}
