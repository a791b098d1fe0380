//! `VoiceRouter`: `POST /api/voice/stt` (a recording → its transcript) and
//! `POST /api/voice/analyze` (a transcript → the AI's proposal, priced). DESIGN §7, §8.
//!
//! Uploads are checked before anything is queued: at most 10 MB (413), audio by its first bytes
//! (415), `?language=ko|en` (400). The audio itself is never logged.

use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartError;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;

use app::domain::voice::{
    parse_language, SttResponse, VoiceAnalysisResponse, VoiceAnalyzeRequest, MAX_AUDIO_BYTES,
};
use app::error::AppError;
use app::services::VoiceService;

use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, Caller};
use super::openapi::{
    AudioBody, BadJson, BodyRefusals, CrossSite, ErrorEnvelope, SttUpload, VoiceRefusals,
};
use crate::state::AppState;

/// The upload route's body limit: the audio limit plus room for multipart framing (the audio
/// itself is held to [`MAX_AUDIO_BYTES`]).
const UPLOAD_BODY_LIMIT: usize = MAX_AUDIO_BYTES + 64 * 1024;

/// The `transcribe_voice` server function (base64 audio in JSON).
pub(crate) const TRANSCRIBE_FN_PATH: &str = "/api/voice_transcribe";
pub(crate) const TRANSCRIBE_FN_BODY_LIMIT: usize = MAX_AUDIO_BYTES.div_ceil(3) * 4 + 64 * 1024;

pub struct VoiceRouter;

impl VoiceRouter {
    pub fn router() -> Router<AppState> {
        Router::new()
            .route(
                "/api/voice/stt",
                post(voice_stt)
                    .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
                    .layer(axum::middleware::from_fn(reject_declared_oversize)),
            )
            .route("/api/voice/analyze", post(voice_analyze))
    }
}

pub(crate) fn too_large(field: &str) -> AppError {
    AppError::PayloadTooLarge {
        field: field.to_owned(),
        limit_bytes: MAX_AUDIO_BYTES as u64,
    }
}

#[derive(Debug, Deserialize)]
struct SttParams {
    language: Option<String>,
}

/// The recording and what the client said about it.
#[derive(Debug, Default)]
struct Upload {
    audio: Bytes,
    filename: Option<String>,
    mime_type: Option<String>,
    language: Option<String>,
}

/// Transcribe a recording
#[utoipa::path(
    post,
    path = "/api/voice/stt",
    description = "The recording is the whole body (`audio/*`, `video/webm`, `application/octet-stream`, or no `Content-Type`), or the `audio` field of a `multipart/form-data` form. Guests may use it; signed-in customers have their own limits.",
    security((), ("session_cookie" = [])),
    params(
        ("language" = Option<String>, Query, pattern = r"^(ko|en)$",
            description = "`ko` or `en`; without it the recogniser detects the language."),
    ),
    request_body(
        description = "The recording, at most 10 MB.",
        content(
            (SttUpload = "multipart/form-data"),
            (AudioBody = "audio/webm"),
            (AudioBody = "audio/ogg"),
            (AudioBody = "audio/wav"),
            (AudioBody = "audio/mp4"),
            (AudioBody = "audio/mpeg"),
            (AudioBody = "video/webm"),
            (AudioBody = "application/octet-stream"),
        ),
    ),
    responses(
        (status = 200, description = "The transcript.", body = SttResponse),
        (status = 400, description = "The `language` is not `ko` or `en`, the recording is empty, or the form has no `audio` field.", body = ErrorEnvelope),
        (status = 413, description = "The recording is over 10 MB (`error.limit_bytes`).", body = ErrorEnvelope),
        (status = 415, description = "Not audio in a format we accept (WAV, Ogg, WebM, MP4/M4A, MP3), or another `Content-Type`.", body = ErrorEnvelope),
        (status = 422, description = "No speech could be recognised (`speech_not_recognized`).", body = ErrorEnvelope),
        CrossSite, VoiceRefusals,
    ),
)]
async fn voice_stt(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<SttParams>, QueryRejection>,
    req: Request,
) -> ApiResult<Json<SttResponse>> {
    let Query(params) =
        params.map_err(|_| AppError::invalid("language", "ko 또는 en이어야 합니다"))?;
    // Checked before the body is read: a bad parameter costs no upload.
    let query_language = parse_language(params.language.as_deref()).map_err(AppError::from)?;
    let upload = read_upload(req, &state).await?;
    let language = match query_language {
        Some(lang) => Some(lang),
        None => parse_language(upload.language.as_deref()).map_err(AppError::from)?,
    };
    Ok(Json(
        VoiceService::transcribe(
            &state.app_context(),
            caller,
            &upload.audio,
            upload.filename.as_deref(),
            upload.mime_type.as_deref(),
            language.as_deref(),
        )
        .await?,
    ))
}

/// A raw audio body, or `multipart/form-data` with an `audio` file field (and optionally a
/// `language` field).
async fn read_upload(req: Request, state: &AppState) -> Result<Upload, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let essence = content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "multipart/form-data" => {
            let multipart = Multipart::from_request(req, state).await.map_err(|r| {
                AppError::invalid("body", format!("multipart 본문을 읽을 수 없습니다: {r}"))
            })?;
            read_multipart(multipart).await
        }
        // No Content-Type at all: the bytes themselves decide.
        "" | "application/octet-stream" | "video/webm" => read_raw(req, state, None).await,
        audio if audio.starts_with("audio/") => read_raw(req, state, content_type).await,
        _ => Err(AppError::UnsupportedMediaType {
            field: "Content-Type".into(),
            message: "audio/*, video/webm, application/octet-stream 또는 multipart/form-data로 \
                      보내 주세요"
                .into(),
        }
        .into()),
    }
}

async fn read_raw(
    req: Request,
    state: &AppState,
    mime_type: Option<String>,
) -> Result<Upload, ApiError> {
    let audio = Bytes::from_request(req, state)
        .await
        .map_err(|r: BytesRejection| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large("audio")
            } else {
                AppError::invalid("body", "본문을 읽을 수 없습니다")
            }
        })?;
    Ok(Upload {
        audio,
        mime_type,
        ..Upload::default()
    })
}

fn multipart_error(field: &str, err: &MultipartError) -> AppError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(field)
    } else {
        AppError::invalid(field, format!("multipart 본문을 읽을 수 없습니다: {err}"))
    }
}

async fn read_multipart(mut multipart: Multipart) -> Result<Upload, ApiError> {
    let mut upload: Option<Upload> = None;
    let mut language = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| multipart_error("audio", &e))?
    {
        match field.name() {
            Some("audio") if upload.is_none() => {
                let filename = field.file_name().map(str::to_owned);
                let mime_type = field.content_type().map(str::to_owned);
                let audio = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error("audio", &e))?;
                upload = Some(Upload {
                    audio,
                    filename,
                    mime_type,
                    language: None,
                });
            }
            Some("language") => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| multipart_error("language", &e))?;
                language = Some(text);
            }
            // Other fields are skipped unread.
            _ => {}
        }
    }
    let mut upload =
        upload.ok_or_else(|| AppError::invalid("audio", "audio 파일 필드가 필요합니다"))?;
    upload.language = language;
    Ok(upload)
}

/// Understand one utterance of a voice order
#[utoipa::path(
    post,
    path = "/api/voice/analyze",
    description = "Answers what the AI understood and, once the order names a dinner, a style and a quantity, the builder's draft priced for the caller. Send the answer's `session_id` with the next utterance to continue the session.",
    security((), ("session_cookie" = [])),
    request_body = VoiceAnalyzeRequest,
    responses(
        (status = 200, description = "The AI's proposal.", body = VoiceAnalysisResponse),
        (status = 404, description = "The session belongs to someone else.", body = ErrorEnvelope),
        (status = 422, description = "The AI did not understand the order well enough (`order_not_understood`, with `error.session_id` and `error.question`).", body = ErrorEnvelope),
        BadJson, CrossSite, BodyRefusals, VoiceRefusals,
    ),
)]
async fn voice_analyze(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(req): ApiJson<VoiceAnalyzeRequest>,
) -> ApiResult<Json<VoiceAnalysisResponse>> {
    Ok(Json(
        VoiceService::analyze(&state.app_context(), caller, &req).await?,
    ))
}

/// Past this much, an oversized upload is no longer read to its end: the connection is closed.
const DRAIN_CAP: usize = 4 * UPLOAD_BODY_LIMIT;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// The declared `Content-Length`, if any.
pub(crate) fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads and discards the rest of an upload we refuse (up to a cap and a time limit), so the
/// client, still sending, receives our 413 instead of a reset connection.
pub(crate) async fn drain(body: Body) {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut read = 0usize;
    let discard = async {
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |d| d.len());
            if read > DRAIN_CAP {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

/// An upload that declares more than the limit is answered 413 before it is parsed.
async fn reject_declared_oversize(req: Request, next: Next) -> Response {
    match declared_length(&req) {
        Some(n) if n > UPLOAD_BODY_LIMIT as u64 => {
            tracing::info!(declared = n, "voice upload over the limit");
            drain(req.into_body()).await;
            ApiError(too_large("audio")).into_response()
        }
        _ => next.run(req).await,
    }
}
