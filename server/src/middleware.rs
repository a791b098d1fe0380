//! What every request passes through, outermost first: the client's address, security
//! headers, the `/api/*` error contract, cross-site request refusal, and body limits.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;
use app::infra::limits::ClientAddr;

use crate::api::error::ApiError;
use crate::api::voice::{declared_length, drain, too_large, TRANSCRIBE_FN_BODY_LIMIT};
use crate::state::AppState;

/// The most any `/api/*` request body may hold, except the audio uploads.
pub const API_BODY_LIMIT: usize = 1024 * 1024;
/// Server functions mark their error answers with this header (server_fn's own name).
const SERVER_FN_ERROR: HeaderName = HeaderName::from_static("serverfnerror");
/// Routes that set their own, larger limit (audio).
const VOICE_UPLOAD_PATH: &str = "/api/voice/stt";

/// Records the peer address for the log-in limits (`ClientAddr`).
pub async fn client_addr(mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        let ip = addr.ip();
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// Headers every answer carries. Pages set their own CSP with the page's nonce (`app::shell`);
/// anything else may not be framed at all.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "microphone=(self), camera=(), geolocation=()",
    );
    if is_api {
        // Private JSON (orders, receipts, the session's customer) must not sit in any cache.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.tls {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
        secure_cookies(headers);
    }
    res
}

/// Behind TLS, every cookie we set is `Secure`.
fn secure_cookies(headers: &mut axum::http::HeaderMap) {
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| {
            let v = v.to_str().ok()?;
            let secure = if v.contains("; Secure") {
                v.to_owned()
            } else {
                format!("{v}; Secure")
            };
            HeaderValue::from_str(&secure).ok()
        })
        .collect();
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
}

/// Every `/api/*` error answer is the JSON error body with the status of its error: server
/// functions (which answer 500 for every error) get their error's status, and answers made
/// outside our handlers (unknown path, wrong method, a path that does not parse) get the body.
pub async fn api_errors(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.headers().contains_key(SERVER_FN_ERROR) {
        return server_fn_error(res).await;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let is_error = res.status().is_client_error() || res.status().is_server_error();
    if !is_error || is_json {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut answer = ApiError(error_for_status(parts.status, &text)).into_response();
    // Keep what the framework said about the method (`Allow`).
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

/// A server function's error, re-answered with its own status (and `Retry-After`).
async fn server_fn_error(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 256 * 1024).await else {
        return ApiError(AppError::Internal).into_response();
    };
    let err = AppError::from_body(&String::from_utf8_lossy(&bytes)).unwrap_or(AppError::Internal);
    parts.status =
        StatusCode::from_u16(err.status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let AppError::TooManyRequests {
        retry_after_secs, ..
    } = err
    {
        parts
            .headers
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// Our error for an answer the framework made itself.
fn error_for_status(status: StatusCode, text: &str) -> AppError {
    let detail = text.trim().chars().take(300).collect::<String>();
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound("요청한 API를 찾을 수 없습니다.".into()),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
            field: "body".into(),
            limit_bytes: API_BODY_LIMIT as u64,
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType {
            field: "Content-Type".into(),
            message: "지원하지 않는 형식입니다".into(),
        },
        StatusCode::UNAUTHORIZED => AppError::Unauthorized,
        // Path and query rejections: axum's text names the part that did not parse.
        s if s.is_client_error() => AppError::invalid("path", detail),
        _ => AppError::Internal,
    }
}

/// Refuses a state-changing request sent by another site (CSRF): a browser says where a
/// request comes from in `Sec-Fetch-Site`, or else in `Origin`. Clients that send neither
/// (curl, other servers) are not browsers acting for a signed-in victim.
pub async fn same_origin(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if unsafe_method && is_cross_site(&req) {
        tracing::info!(path = %req.uri().path(), "cross-site request refused");
        return ApiError(AppError::Forbidden(
            "다른 사이트에서 보낸 요청은 받지 않습니다.".into(),
        ))
        .into_response();
    }
    next.run(req).await
}

fn is_cross_site(req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    let host = header("host").unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    origin_host != Some(host) || host.is_empty()
}

/// Server functions and REST routes read their whole body; this bounds it (413, named), and
/// refuses text bodies: a cross-site page can send `text/plain` without asking first.
pub async fn api_body(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || path == VOICE_UPLOAD_PATH || *req.method() == Method::GET {
        return next.run(req).await;
    }
    let (limit, field) = if path == crate::api::voice::TRANSCRIBE_FN_PATH {
        (TRANSCRIBE_FN_BODY_LIMIT, "audio_b64")
    } else {
        (API_BODY_LIMIT, "body")
    };
    if is_text_body(&req) {
        return ApiError(AppError::UnsupportedMediaType {
            field: "Content-Type".into(),
            message: "application/json 또는 폼 형식이어야 합니다".into(),
        })
        .into_response();
    }
    if declared_length(&req).is_some_and(|n| n > limit as u64) {
        drain(req.into_body()).await;
        return too_large_body(field, limit);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large_body(field, limit),
    }
}

fn is_text_body(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/"))
}

fn too_large_body(field: &str, limit: usize) -> Response {
    let err = match field {
        "audio_b64" => too_large(field),
        _ => AppError::PayloadTooLarge {
            field: field.to_owned(),
            limit_bytes: limit as u64,
        },
    };
    ApiError(err).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut req = Request::builder().method("POST").uri("/api/account/login");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(Body::empty()).unwrap()
    }

    #[test]
    fn a_request_from_another_site_is_cross_site() {
        assert!(is_cross_site(&post(&[
            ("host", "daebak.test"),
            ("origin", "https://evil.test")
        ])));
        assert!(is_cross_site(&post(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&post(&[
            ("host", "daebak.test"),
            ("origin", "null")
        ])));
    }

    #[test]
    fn our_own_pages_and_plain_clients_are_not() {
        assert!(!is_cross_site(&post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!is_cross_site(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_cross_site(&post(&[("host", "daebak.test")])));
    }

    #[test]
    fn framework_answers_become_our_errors() {
        assert_eq!(
            error_for_status(StatusCode::NOT_FOUND, "").code(),
            "not_found"
        );
        let err = error_for_status(
            StatusCode::BAD_REQUEST,
            "Invalid URL: Cannot parse `abc` to a `i64`",
        );
        assert_eq!(err.field(), Some("path"));
        assert_eq!(
            error_for_status(StatusCode::METHOD_NOT_ALLOWED, "").status(),
            405
        );
    }
}
