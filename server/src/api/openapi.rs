//! The REST API described in OpenAPI 3.1, generated from the Rust types (`utoipa`) and served at
//! `GET /api/openapi.json`. The operations are the `#[utoipa::path]` attributes on the handlers
//! in this module's siblings; the request and response types are the shared types in `app`.
//!
//! Some schemas here exist only for the description: the error envelope every `/api/*` error
//! answers with (written by `AppError::to_body`) and the audio upload.

use std::sync::LazyLock;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use app::services::auth::SESSION_COOKIE;

use super::{auth, checkout, orders, staff, voice};
use crate::state::AppState;

/// The name operations use for the session cookie in their `security` lists.
pub const SESSION_SECURITY: &str = "session_cookie";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mr. Daebak REST API",
        description = "Dinner ordering: accounts, orders and their payment, and voice ordering. \
                       Every error answers with the `ErrorEnvelope` body and the status of its \
                       error. State-changing requests from another site (CSRF) are refused with \
                       403; `/api/*` request bodies other than audio uploads hold at most 1 MiB."
    ),
    paths(
        auth::signup,
        auth::login,
        auth::logout,
        auth::me,
        checkout::checkout,
        orders::create,
        orders::list,
        orders::show,
        orders::pay,
        orders::cancel,
        staff::list,
        staff::change_status,
        staff::stock,
        staff::restock,
        staff::list_events,
        staff::create_event,
        staff::update_event,
        staff::end_event,
        voice::stt,
        voice::analyze,
        openapi_json,
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorBody,
        SttUpload,
        AudioBody,
        app::checkout::Quote,
        ai_protocol::OrderState,
        ai_protocol::Customization,
        ai_protocol::VoiceAnalysis,
        ai_protocol::Intent,
        ai_protocol::ConversationState,
    )),
    modifiers(&SessionCookie),
    tags(
        (name = "auth", description = "Sign-up, log-in, log-out and the signed-in customer"),
        (name = "orders", description = "Orders: create, pay, read"),
        (name = "checkout", description = "Create, reserve and pay an order in one call"),
        (name = "staff", description = "The restaurant's side: the kitchen board and status changes"),
        (name = "voice", description = "Voice ordering: speech to text, and the AI's proposal"),
        (name = "meta", description = "This description"),
    )
)]
pub struct ApiDoc;

/// The session cookie as an API key in a cookie.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SECURITY,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The session cookie that sign-up and log-in set (HttpOnly).",
            ))),
        );
    }
}

/// The description, built once.
static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    summary = "This OpenAPI 3.1 description of the REST API",
    responses((status = 200, description = "The OpenAPI document", body = Object)),
)]
async fn openapi_json() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&*DOC)
}

/// The body of every `/api/*` error answer.
#[derive(ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong: a stable `code` for programs, a `message` for people, and the details of
/// some errors.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// `invalid_input`, `unauthorized`, `bad_credentials`, `card_declined`,
    /// `insufficient_funds`, `expired_card`, `out_of_stock`, `conflict`,
    /// `idempotency_key_reused`, `speech_not_recognized`, `order_not_understood`, `ai_timeout`,
    /// `ai_unavailable`, `unsupported_media_type`, `payload_too_large`, `too_many_requests`,
    /// `forbidden`, `not_found`, `method_not_allowed` or `internal`.
    #[schema(examples("invalid_input"))]
    pub code: String,
    /// For people, in Korean.
    pub message: String,
    /// The request field at fault (`invalid_input`, `unsupported_media_type`,
    /// `payload_too_large`), e.g. `lines[0].quantity` or `Idempotency-Key`.
    #[schema(nullable = false)]
    pub field: Option<String>,
    /// A declined payment (402): the order, still pending, that can be paid again.
    #[schema(nullable = false)]
    pub order_id: Option<i64>,
    /// A declined payment (402).
    #[schema(nullable = false)]
    pub order_number: Option<String>,
    /// `order_not_understood` (422): the voice session to answer the question in.
    #[schema(nullable = false)]
    pub session_id: Option<String>,
    /// `order_not_understood` (422): the AI's clarifying question, if it has one.
    pub question: Option<String>,
    /// `payload_too_large` (413): the limit.
    #[schema(nullable = false)]
    pub limit_bytes: Option<u64>,
    /// `too_many_requests` (429): seconds to wait, as in `Retry-After`.
    #[schema(nullable = false)]
    pub retry_after_secs: Option<u64>,
}

/// The `multipart/form-data` form of `POST /api/voice/stt`.
#[derive(ToSchema)]
pub struct SttUpload {
    /// The recording: WAV, Ogg, WebM, MP4/M4A or MP3 (recognised by its bytes), at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    pub audio: Vec<u8>,
    /// `ko` or `en`; the `language` query parameter wins when both are given.
    #[schema(nullable = false, pattern = r"^(ko|en)$")]
    pub language: Option<String>,
}

/// A recording sent as the whole request body: WAV, Ogg, WebM, MP4/M4A or MP3 (recognised by
/// its bytes), at most 10 MB.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct AudioBody(pub Vec<u8>);

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    fn doc() -> Value {
        serde_json::to_value(ApiDoc::openapi()).expect("the description serialises")
    }

    fn property_names(doc: &Value, schema: &str) -> BTreeSet<String> {
        doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no schema {schema}"))
            .keys()
            .cloned()
            .collect()
    }

    /// The error envelope names every detail `AppError::to_body` writes.
    #[test]
    fn the_error_schema_covers_the_error_bodies() {
        use app::error::AppError;
        let doc = doc();
        let documented = property_names(&doc, "ErrorBody");
        let errors = [
            AppError::invalid("lines", "x"),
            AppError::PaymentDeclined {
                decline_code: app::payment::DeclineCode::CardDeclined,
                order_id: 1,
                order_number: "MD-1".into(),
            },
            AppError::OrderNotUnderstood {
                session_id: "s".into(),
                question: None,
            },
            AppError::PayloadTooLarge {
                field: "audio".into(),
                limit_bytes: 1,
            },
            AppError::TooManyRequests {
                message: "x".into(),
                retry_after_secs: 1,
            },
        ];
        for err in errors {
            let body = err.to_body();
            let written: BTreeSet<String> = body["error"]
                .as_object()
                .expect("an object")
                .keys()
                .cloned()
                .collect();
            assert!(written.is_subset(&documented), "{written:?}");
        }
    }
}
