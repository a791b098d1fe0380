//! Sign-up, log-in, log-out, and that every customer endpoint needs a session.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    card, error_of, one_chicken, session_cookie_of, spawn_app, unique_email, Session, CARD_OK,
    DEMO_PASSWORD,
};

#[tokio::test]
async fn signup_starts_a_session_that_logout_ends() {
    let app = spawn_app().await;
    let email = unique_email("signup");
    let session = app.signup(&email).await;
    assert!(session.cookie.len() > "daebak_session=".len() + 32);

    let res = app.get_as(Some(&session), "/api/auth/me").await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["id"], session.customer_id);
    assert_eq!(me["email"], session.email.as_str());
    assert_eq!(session.email, email);
    assert_eq!(me["name"], "테스트 고객");
    assert_eq!(me["tier"], "regular");
    // Only a hash of the token is stored, never the token itself.
    let token = session.cookie.trim_start_matches("daebak_session=");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM customer_sessions WHERE id = $1")
        .bind(token)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "the raw token is not a session id");

    let res = app
        .post_as(Some(&session), "/api/auth/logout", &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cleared.starts_with("daebak_session=;") && cleared.contains("Max-Age=0"),
        "logout clears the cookie: {cleared}"
    );
    let (status, err) = error_of(app.get_as(Some(&session), "/api/auth/me").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["code"], "unauthorized");
}

#[tokio::test]
async fn signup_rejects_a_taken_email_and_bad_fields() {
    let app = spawn_app().await;
    let email = unique_email("taken");
    app.signup(&email).await;
    let body = |email: &str, password: &str| json!({ "email": email, "password": password, "name": "김중복", "phone": "" });

    let res = app
        .post_as(
            None,
            "/api/auth/signup",
            &body(&email.to_uppercase(), "another password"),
        )
        .await;
    assert!(
        session_cookie_of(&res).is_none(),
        "no session for a failed signup"
    );
    let (status, err) = error_of(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(err["field"], "email");

    let (status, err) = error_of(
        app.post_as(
            None,
            "/api/auth/signup",
            &body("not-an-email", "long enough"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "email");

    let (status, err) = error_of(
        app.post_as(
            None,
            "/api/auth/signup",
            &body(&unique_email("short"), "short"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "password");

    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM customers WHERE email = $1")
        .bind(&email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(customers, 1);
}

#[tokio::test]
async fn demo_customers_log_in_with_their_tier_and_wrong_passwords_do_not() {
    let app = spawn_app().await;
    let silver = app.login("silver@daebak.test", DEMO_PASSWORD).await;
    let me: Value = app
        .get_as(Some(&silver), "/api/auth/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "silver@daebak.test");
    assert_eq!(me["tier"], "silver");

    // (A wrong password is checked against a fresh customer: the seeded hashes are slow to
    // verify in debug builds.)
    let fresh = app.signup(&unique_email("wrongpw")).await;
    for (email, password) in [
        (fresh.email.as_str(), "wrong horse battery"),
        ("nobody@daebak.test", DEMO_PASSWORD),
        ("", ""),
    ] {
        let res = app
            .post_as(
                None,
                "/api/auth/login",
                &json!({ "email": email, "password": password }),
            )
            .await;
        assert!(session_cookie_of(&res).is_none());
        let (status, err) = error_of(res).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{email}");
        assert_eq!(err["code"], "bad_credentials", "{email}");
    }
    let again = app.login(&fresh.email, "correct horse battery").await;
    assert_eq!(again.customer_id, fresh.customer_id);
    assert_ne!(again.cookie, fresh.cookie, "a new session per log-in");
    let me: Value = app
        .get_as(Some(&again), "/api/auth/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tier"], "regular");
}

#[tokio::test]
async fn customer_endpoints_need_a_live_session() {
    let app = spawn_app().await;
    let forged = Session {
        customer_id: 1,
        email: "forged@example.test".into(),
        cookie: format!("daebak_session={}", "ab".repeat(32)),
    };
    let orders_before = app.count("orders").await;
    let checkout = json!({ "order": one_chicken("gangnam"), "payment": card(CARD_OK) });
    for session in [None, Some(&forged)] {
        for (method, path, body) in [
            ("GET", "/api/auth/me", Value::Null),
            ("GET", "/api/orders", Value::Null),
            ("GET", "/api/orders/1", Value::Null),
            ("POST", "/api/orders", one_chicken("gangnam")),
            ("POST", "/api/orders/1/pay", card(CARD_OK)),
            ("POST", "/api/checkout/checkout", checkout.clone()),
        ] {
            let res = if method == "GET" {
                app.get_as(session, path).await
            } else {
                app.post_as(session, path, &body).await
            };
            let (status, err) = error_of(res).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(err["code"], "unauthorized", "{method} {path}");
        }
    }
    assert_eq!(
        app.count("orders").await,
        orders_before,
        "nothing was created"
    );
    assert_eq!(
        app.count("mock_payments").await,
        35,
        "only the seeded payments"
    );
}
