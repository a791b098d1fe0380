//! The REST API described in OpenAPI 3.1, generated from the Rust types (`utoipa`) and served at
//! `GET /api/openapi.json`. The operations are the `#[utoipa::path]` attributes on the handlers
//! in this module's siblings; the request and response types are the shared types in `app`.
//! Each operation's id is its handler's name, its tag the handler's module as `paths(...)`
//! names it, and its summary the first line of the handler's doc comment (utoipa's defaults).
//!
//! The error envelope is the app's own `ErrorEnvelope`; the audio upload's schemas exist only for
//! the description.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

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
        orders::create_order,
        orders::list_orders,
        orders::get_order,
        orders::pay_order,
        orders::cancel_order,
        staff::staff_list_orders,
        staff::staff_change_status,
        staff::staff_stock,
        staff::staff_restock,
        staff::staff_list_events,
        staff::staff_create_event,
        staff::staff_update_event,
        staff::staff_end_event,
        voice::voice_stt,
        voice::voice_analyze,
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

/// Declares a response type per refusal that several operations share, each in the error
/// envelope: one wording wherever the refusal is documented.
macro_rules! refusal_types {
    ($($(#[$doc:meta])* $name:ident: $($status:literal => $description:literal),+;)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                refusals(&[$(($status, $description)),+])
            }
        }
    )+};
}

// Who may call.
refusal_types! {
    /// 401: the operation needs a signed-in caller.
    SignedOut: "401" => "Not signed in, or the session expired.";
    /// 403: a state-changing request from another site.
    CrossSite: "403" => "A state-changing request from another site (CSRF).";
    /// 403: staff only.
    NotStaff: "403" => "Not a staff account.";
    /// 403: managers only, and the operation changes state.
    NotManager: "403" => "Not a manager, or a request from another site (CSRF).";
}

// What the request names or sends.
refusal_types! {
    /// 400: a JSON body whose fields are checked.
    BadJson: "400" => "A field is invalid (named in `error.field`), or the body is not JSON \
                       (`application/json`).";
    /// 400: the only input is the path's id.
    BadId: "400" => "The id is not a number.";
    /// 404: an order id that is not the caller's.
    NoSuchOrder: "404" => "No such order of the signed-in customer.";
    /// 404: a discount event id that does not exist.
    NoSuchEvent: "404" => "No such event.";
    /// 413 and 415: what a JSON request body is refused for before its handler runs.
    BodyRefusals: "413" => "The body is over 1 MiB.", "415" => "A `text/*` body.";
    /// 422: an `Idempotency-Key` sent again with another request.
    KeyReused: "422" => "The `Idempotency-Key` was used for a different request \
                         (`idempotency_key_reused`).";
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

/// `{id}` in an order's path.
pub struct OrderId;

impl IntoParams for OrderId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![path_id("The order's id.")]
    }
}

/// `{id}` in a discount event's path.
pub struct EventId;

impl IntoParams for EventId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![path_id("The event's id.")]
    }
}

/// A row's id in the path: a whole number from 1.
fn path_id(description: &str) -> Parameter {
    let id = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1));
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(id))
        .build()
}

/// The `Idempotency-Key` header of the payments (read by `extract::idempotency_key`).
pub struct IdempotencyKey;

impl IntoParams for IdempotencyKey {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let key = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(200))
            .pattern(Some(r"^[!-~]([ -~]*[!-~])?$"));
        vec![ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes a retry safe: the same key with the same body answers the first result \
                 again.",
            ))
            .schema(Some(key))
            .build()]
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
