//! The REST API described in OpenAPI 3.1, generated from the Rust types (`utoipa`) and served at
//! `GET /api/openapi.json`. The operations are the `#[utoipa::path]` attributes on the handlers
//! in this module's siblings; the request and response types are the shared types in `app`.
//!
//! The error envelope is the app's own `ErrorEnvelope`; the audio upload's schemas exist only for
//! the description.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

pub use app::error::{ErrorBody, ErrorEnvelope};
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
        app::domain::order_view::Quote,
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

/// The refusals that many operations share, each in the error envelope. Operations list these
/// types in `responses(...)` beside their own statuses.
fn refusals(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| (status.to_string(), error_response(description).into()))
        .collect()
}

fn error_response(description: &str) -> Response {
    let json = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ErrorEnvelope::name())))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/json", json)
        .build()
}

/// 401: the operation needs a signed-in caller.
pub struct SignedOut;

impl IntoResponses for SignedOut {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refusals(&[("401", "Not signed in, or the session expired.")])
    }
}

/// 403: a state-changing request from another site.
pub struct CrossSite;

impl IntoResponses for CrossSite {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refusals(&[("403", "A state-changing request from another site (CSRF).")])
    }
}

/// 413 and 415: what a JSON request body is refused for before its handler runs.
pub struct BodyRefusals;

impl IntoResponses for BodyRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refusals(&[
            ("413", "The body is over 1 MiB."),
            ("415", "A `text/*` body."),
        ])
    }
}

/// 429, 503 and 504: the voice pipeline is busy, down or slow.
pub struct VoiceRefusals;

impl IntoResponses for VoiceRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut map = refusals(&[
            (
                "503",
                "Voice ordering is unavailable right now (`ai_unavailable`); the GUI still works.",
            ),
            ("504", "The AI did not answer in time (`ai_timeout`)."),
        ]);
        let mut busy = error_response(
            "Too many voice requests in flight for this caller, or the AI queue is full.",
        );
        let retry_after = HeaderBuilder::new()
            .schema(u64::schema())
            .description(Some("Seconds to wait"))
            .build();
        busy.headers.insert("Retry-After".to_owned(), retry_after);
        map.insert("429".to_owned(), busy.into());
        map
    }
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
                decline_code: app::domain::payment::DeclineCode::CardDeclined,
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
            let body = serde_json::to_value(err.to_body()).expect("serialises");
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
