//! `GET /api/openapi.json`: the OpenAPI 3.1 description covers every REST route.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every REST route, as (method, path in OpenAPI form). The two event streams
/// (`/api/staff/events`, `/api/orders/{id}/events`) are server-sent events, not REST.
const ROUTES: [(&str, &str); 20] = [
    ("post", "/api/auth/signup"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/me"),
    ("post", "/api/checkout/checkout"),
    ("post", "/api/orders"),
    ("get", "/api/orders"),
    ("get", "/api/orders/{id}"),
    ("post", "/api/orders/{id}/pay"),
    ("post", "/api/orders/{id}/cancel"),
    ("get", "/api/staff/orders"),
    ("post", "/api/staff/orders/{id}/status"),
    ("get", "/api/staff/stock"),
    ("post", "/api/staff/stock"),
    ("get", "/api/staff/menu-events"),
    ("post", "/api/staff/menu-events"),
    ("put", "/api/staff/menu-events/{id}"),
    ("post", "/api/staff/menu-events/{id}/end"),
    ("post", "/api/voice/stt"),
    ("post", "/api/voice/analyze"),
];

async fn fetch_doc() -> Value {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    res.json().await.unwrap()
}

/// Every `$ref` in `value`, e.g. `#/components/schemas/Customer`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_description_is_openapi_3_1_and_covers_every_rest_route() {
    let doc = fetch_doc().await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi: {version:?}");

    let paths = doc["paths"].as_object().expect("paths");
    let missing: Vec<String> = ROUTES
        .iter()
        .filter(|(method, path)| paths.get(*path).and_then(|p| p.get(*method)).is_none())
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(missing.is_empty(), "not described: {missing:?}");

    // Each operation answers its errors with the error envelope.
    for (method, path) in ROUTES {
        let op = &paths[path][method];
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success response"
        );
        for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorEnvelope",
                "{method} {path} {status}"
            );
        }
    }
}

#[tokio::test]
async fn the_description_documents_auth_errors_and_bounds() {
    let doc = fetch_doc().await;
    let paths = &doc["paths"];

    // The session cookie is an API key in a cookie, and the customer routes need it.
    let scheme = &doc["components"]["securitySchemes"]["session_cookie"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "cookie");
    assert_eq!(scheme["name"], app::services::auth::SESSION_COOKIE);
    for (method, path) in [
        ("get", "/api/auth/me"),
        ("get", "/api/orders"),
        ("post", "/api/orders/{id}/pay"),
    ] {
        assert_eq!(
            paths[path][method]["security"][0]["session_cookie"],
            serde_json::json!([]),
            "{method} {path}"
        );
        assert!(
            paths[path][method]["responses"]["401"].is_object(),
            "{method} {path}"
        );
    }

    let statuses = |method: &str, path: &str| -> Vec<String> {
        paths[path][method]["responses"]
            .as_object()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert!(statuses("post", "/api/auth/login").contains(&"429".to_owned()));
    for status in ["400", "401", "402", "404", "409", "422"] {
        assert!(
            statuses("post", "/api/orders/{id}/pay").contains(&status.to_owned()),
            "pay: {status}"
        );
    }
    for status in ["413", "415", "422", "503", "504"] {
        assert!(
            statuses("post", "/api/voice/stt").contains(&status.to_owned()),
            "stt: {status}"
        );
    }
    let upload = &paths["/api/voice/stt"]["post"]["requestBody"]["content"];
    assert!(upload["multipart/form-data"].is_object(), "{upload}");

    // Request bounds a fuzzer can respect: 1 to 10 of a dinner.
    let schemas = &doc["components"]["schemas"];
    let quantity = &schemas["LineDraft"]["properties"]["quantity"];
    assert_eq!(quantity["minimum"], 1, "{quantity}");
    assert_eq!(quantity["maximum"], 10, "{quantity}");

    // The error envelope.
    let body = &schemas["ErrorBody"];
    let required: Vec<&str> = body["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(required, ["code", "message"]);
    for field in [
        "field",
        "order_id",
        "order_number",
        "session_id",
        "question",
        "limit_bytes",
    ] {
        assert!(body["properties"][field].is_object(), "ErrorBody.{field}");
    }

    // Every reference points at a schema the document defines.
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas[name].is_object(), "dangling $ref {r}");
    }
}
