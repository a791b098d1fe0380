//! The findings of the hardening probe, each reproduced: bad input is a named 400 (never a 500
//! or a half-made order), every `/api/*` error is the JSON body, log-ins are limited, cross-site
//! writes are refused, and the security headers are there.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    card, error_of, one_chicken, spawn_app, spawn_app_with, unique_email, AiQueues, CARD_OK,
    DEMO_PASSWORD,
};

fn nul_card() -> Value {
    let mut c = card(CARD_OK);
    c["holder"] = json!("Te\u{0}ster");
    c
}

#[tokio::test]
async fn a_nul_card_holder_makes_no_order_and_the_retry_gets_the_same_answer() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("nul")).await;
    let before = app.inventory("gangnam").await;
    let body = json!({ "order": one_chicken("gangnam"), "payment": nul_card() });
    let mut answers = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(app.url("/api/checkout/checkout"))
            .header("cookie", &customer.cookie)
            .header("Idempotency-Key", "nul-key-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        answers.push(error_of(res).await);
    }
    assert_eq!(answers[0], answers[1], "the key keeps its answer");
    assert_eq!(answers[0].0, StatusCode::BAD_REQUEST);
    assert_eq!(answers[0].1["field"], "holder");
    // The server function the checkout page calls behaves the same.
    let (status, err) = error_of(
        app.post_as(
            Some(&customer),
            "/api/checkout",
            &json!({ "request": body, "idempotency_key": "nul-key-2" }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("holder"))
    );
    // A key is stored too: a NUL in it is the caller's 400, not our 500.
    let valid = json!({ "order": one_chicken("gangnam"), "payment": card(CARD_OK) });
    let (status, err) = error_of(
        app.post_as(
            Some(&customer),
            "/api/checkout",
            &json!({ "request": valid, "idempotency_key": "k\u{0}" }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("Idempotency-Key"))
    );
    assert_eq!(app.order_count_of(customer.customer_id).await, 0);
    assert_eq!(app.inventory("gangnam").await, before, "nothing reserved");
}

#[tokio::test]
async fn every_text_field_refuses_control_characters_by_name() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("ctl")).await;
    type Spoil = fn(&mut Value);
    let cases: [(&str, Spoil); 7] = [
        ("store", |o| o["store"] = json!("gang\u{0}nam")),
        ("address", |o| o["delivery"]["address"] = json!("서울\u{0}")),
        ("recipient", |o| {
            o["delivery"]["recipient"] = json!("홍\u{0}")
        }),
        ("phone", |o| o["delivery"]["phone"] = json!("010\u{0}")),
        ("notes", |o| o["delivery"]["notes"] = json!("문 앞\u{0}")),
        (
            "cake",
            |o| {
                o["lines"][0]["cake"] =
                    json!({ "size": "small", "flavor": "chocolate", "lettering": "축\u{0}" })
            },
        ),
        ("requested_at", |o| {
            o["delivery"]["requested_at"] = json!("2999-01-01T18:00:00+09:00")
        }),
    ];
    for (field, spoil) in cases {
        let mut order = one_chicken("gangnam");
        spoil(&mut order);
        let (status, err) =
            error_of(app.post_as(Some(&customer), "/api/orders", &order).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {err}");
        assert_eq!(err["field"], field, "{err}");
    }
    let signup = |email: &str, name: &str| json!({ "email": email, "password": "longenough1", "name": name, "phone": "" });
    for (body, field) in [
        (signup("a\u{0}@b.kr", "홍길동"), "email"),
        (signup(&unique_email("ok"), "홍\u{0}길동"), "name"),
    ] {
        let (status, err) = error_of(app.post_as(None, "/api/auth/signup", &body).await).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field))
        );
    }
    let login = json!({ "email": "regular\u{0}@daebak.test", "password": DEMO_PASSWORD });
    let (status, err) = error_of(app.post_as(None, "/api/auth/login", &login).await).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email"))
    );
    assert_eq!(app.order_count_of(customer.customer_id).await, 0);
}

/// POSTs a raw body to a path with a content type.
async fn raw(
    app: &crate::helpers::TestApp,
    cookie: Option<&str>,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn server_functions_answer_malformed_arguments_with_typed_400s() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("sfn")).await;
    let cookie = Some(customer.cookie.as_str());
    let json_type = "application/json";
    let form = "application/x-www-form-urlencoded";
    let eleven = json!({ "draft": { "lines": [{ "menu": "chicken", "style": "original", "quantity": 11 }] } });
    let cases = [
        ("/api/quote", json_type, eleven.to_string(), 400),
        ("/api/quote", json_type, "{\"draft\":".to_owned(), 400),
        ("/api/quote", json_type, "{}".to_owned(), 400),
        ("/api/order", form, "order_id=abc".to_owned(), 400),
        ("/api/order", form, String::new(), 400),
        (
            "/api/pay_order",
            json_type,
            json!({ "order_id": "x" }).to_string(),
            400,
        ),
        (
            "/api/create_order",
            json_type,
            json!({ "order": 5 }).to_string(),
            400,
        ),
        (
            "/api/account/login",
            form,
            "email=a%00b&password=x".to_owned(),
            400,
        ),
        ("/api/set_language", form, "lang=xx".to_owned(), 400),
        ("/api/create_order", "text/plain", "{}".to_owned(), 415),
    ];
    for (path, content_type, body, expected) in cases {
        let res = raw(&app, cookie, path, content_type, body.clone()).await;
        let (status, err) = error_of(res).await;
        assert_eq!(status.as_u16(), expected, "{path} {body}: {err}");
    }
    let huge = format!("{{\"draft\":\"{}\"}}", "x".repeat(20 * 1024 * 1024));
    let (status, err) = error_of(raw(&app, cookie, "/api/quote", json_type, huge).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["code"], "payload_too_large");
}

#[tokio::test]
async fn every_api_error_is_the_json_body() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("json")).await;
    let get = |path: &'static str| {
        app.client
            .get(app.url(path))
            .header("cookie", &customer.cookie)
            .send()
    };
    let (status, err) = error_of(get("/api/orders/abc").await.unwrap()).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("path"))
    );
    let (status, _) = error_of(get("/api/orders/99999999999999999999").await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, err) = error_of(get("/api/xyz").await.unwrap()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let res = app
        .client
        .delete(app.url("/api/orders"))
        .send()
        .await
        .unwrap();
    let (status, _) = error_of(res).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let big = json!({ "store": "x".repeat(3 * 1024 * 1024) }).to_string();
    let res = raw(
        &app,
        Some(&customer.cookie),
        "/api/orders",
        "application/json",
        big,
    )
    .await;
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body"))
    );
}

#[tokio::test]
async fn the_21st_wrong_login_within_a_minute_is_429() {
    let app = spawn_app().await;
    let email = unique_email("guess");
    app.signup(&email).await;
    let wrong = json!({ "email": email, "password": "wrong password" });
    for attempt in 1..=20 {
        let (status, err) = error_of(app.post_as(None, "/api/auth/login", &wrong).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {err}");
    }
    let res = app.post_as(None, "/api/auth/login", &wrong).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests"))
    );
    // The right password waits too, and the server function counts the same attempts.
    let right = json!({ "email": email, "password": "correct horse battery" });
    let (status, _) = error_of(app.post_as(None, "/api/auth/login", &right).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let form = format!("email={email}&password=x");
    let res = raw(
        &app,
        None,
        "/api/account/login",
        "application/x-www-form-urlencoded",
        form,
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn known_and_unknown_emails_take_the_same_time() {
    let app = spawn_app_with(|c| {
        c.limits.login_failures_per_account = 1_000;
        c.limits.login_failures_per_client = 1_000;
    })
    .await;
    let login = |email: &'static str| {
        let app = app.clone();
        async move {
            let body = json!({ "email": email, "password": "not the password" });
            let started = Instant::now();
            let res = app.post_as(None, "/api/auth/login", &body).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            started.elapsed()
        }
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Interleaved, so a busy moment of the machine falls on both.
    for _ in 0..40 {
        known.push(login("regular@daebak.test").await);
        unknown.push(login("nobody-here@daebak.test").await);
    }
    // The fastest answer of each is the server's own time: the other tests of this binary,
    // running beside it, only ever add to an answer (their medians were 20-30 % apart either
    // way from one run to the next, both paths being the same work).
    let fastest = |v: &[Duration]| v.iter().min().map_or(0.0, Duration::as_secs_f64);
    let (k, u) = (fastest(&known), fastest(&unknown));
    let ratio = k.max(u) / k.min(u);
    println!(
        "login fastest: known {:.1} ms, unknown {:.1} ms",
        k * 1e3,
        u * 1e3
    );
    assert!(ratio <= 1.2, "known {k:.4}s vs unknown {u:.4}s");
}

#[tokio::test]
async fn a_cross_site_form_login_is_refused() {
    let app = spawn_app().await;
    let form = format!("email=regular%40daebak.test&password={DEMO_PASSWORD}");
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let res = app
            .client
            .post(app.url("/api/account/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(form.clone())
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("set-cookie").is_none(), "{header}");
        let (status, err) = error_of(res).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
    }
    // The site's own form, from its own origin, still signs in.
    let res = app
        .client
        .post(app.url("/api/account/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", app.address.as_str())
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("set-cookie").is_some());
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn pages_and_the_api_carry_the_security_headers() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/payment/1")).send().await.unwrap();
    let csp = header(&page, "content-security-policy").to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&page, "referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    let html = page.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the page's CSP names a nonce");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry it"
    );

    let api = app
        .client
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&api, "cache-control"), "no-store");
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert!(api.headers().get("strict-transport-security").is_none());

    // Behind TLS: HSTS, and the session cookie is Secure.
    let tls = spawn_app_with(|c| c.tls = true).await;
    let res = tls
        .post_as(
            None,
            "/api/auth/login",
            &json!({ "email": "regular@daebak.test", "password": DEMO_PASSWORD }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, "strict-transport-security").starts_with("max-age="));
    assert!(header(&res, "set-cookie").contains("; Secure"));
}

#[tokio::test]
async fn a_customer_holds_at_most_five_unpaid_orders() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("hoard")).await;
    for _ in 0..5 {
        app.create_order(&customer, one_chicken("gangnam")).await;
    }
    let (status, err) = error_of(
        app.post_as(Some(&customer), "/api/orders", &one_chicken("gangnam"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(err["message"].as_str().unwrap().contains("5건"), "{err}");
    assert_eq!(app.order_count_of(customer.customer_id).await, 5);
}

#[tokio::test]
async fn voice_requests_past_the_limits_are_429_not_a_wait() {
    let queues = AiQueues::private();
    let app = spawn_app_with(|c| {
        queues.configure(c, Duration::from_secs(3));
        c.limits.voice_in_flight_per_customer = 1;
    })
    .await;
    let analyze = json!({ "transcript": "프렌치 디너 하나" });
    // No worker: the first request waits on the queue; a second one at once is turned away.
    let first = {
        let app = app.clone();
        let analyze = analyze.clone();
        tokio::spawn(async move { app.post_as(None, "/api/voice/analyze", &analyze).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let (status, err) = error_of(app.post_as(None, "/api/voice/analyze", &analyze).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(first.await.unwrap().status(), StatusCode::GATEWAY_TIMEOUT);
    queues.delete().await;

    // A full queue turns everyone away at once.
    let full = AiQueues::private();
    let app = spawn_app_with(|c| {
        full.configure(c, Duration::from_secs(3));
        c.limits.voice_queue_depth = 0;
    })
    .await;
    let (status, _) = error_of(app.post_as(None, "/api/voice/analyze", &analyze).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    full.delete().await;
}

/// The peak resident memory of a process, from `/proc` (Linux).
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::test]
async fn thirty_two_concurrent_logins_keep_the_server_under_400_mb() {
    // The real server binary in a process of its own, so its memory is its own.
    let database_url = crate::helpers::create_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", &database_url)
        .env("REDIS_URL", crate::helpers::redis_url())
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("LIMIT_KEY_PREFIX", format!("test:limit:mem:{port}"))
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("server binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "server answered /healthz");
    let idle = peak_rss_mb(server.id());
    let logins: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}/api/auth/login");
            tokio::spawn(async move {
                let body = json!({ "email": "regular@daebak.test", "password": DEMO_PASSWORD });
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    for login in logins {
        let answer = login.await.unwrap();
        assert!(matches!(answer, Ok(StatusCode::OK)), "{answer:?}");
    }
    let peak = peak_rss_mb(server.id());
    let _ = server.kill();
    let _ = server.wait();
    println!("server memory: {idle:.0} MB before, peak {peak:.0} MB after 32 concurrent logins");
    assert!(peak < 400.0, "peak {peak:.0} MB");
}

/// The server writes a page's head after the page has rendered, where the thread may have no
/// reactive arena: reading a signal there panicked and dropped the connection. Unknown pages,
/// many at once on several worker threads, must each get their 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_pages_asked_for_at_once_all_answer_404() {
    let app = spawn_app().await;
    for round in 0..4 {
        let asks = (0..32).map(|i| {
            let client = reqwest::Client::new();
            let url = format!("{}/api/QUOTE{round}x{i}", app.address);
            async move { client.head(&url).send().await.map(|r| r.status()) }
        });
        for answer in futures::future::join_all(asks).await {
            assert_eq!(answer.expect("an answer"), StatusCode::NOT_FOUND);
        }
    }
}
