//! The restaurant's side (DESIGN §10): staff roles, the order lifecycle under concurrency,
//! customer cancellations with refunds, and live events across server replicas.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    card, error_of, one_chicken, spawn_app, spawn_replica, unique_email, Session, TestApp, CARD_OK,
};

const KITCHEN: &str = "kitchen@daebak.test";
const RIDER: &str = "rider@daebak.test";
const MANAGER: &str = "manager@daebak.test";

/// A paid (confirmed) one-chicken order of a new customer at `store`.
async fn paid_order(app: &TestApp, store: &str) -> (Session, i64) {
    let customer = app.quick_customer(&unique_email("staff")).await;
    let res = app
        .checkout(&customer, one_chicken(store), card(CARD_OK))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let receipt: Value = res.json().await.unwrap();
    (customer, receipt["order_id"].as_i64().unwrap())
}

async fn move_to(app: &TestApp, staff: &Session, order_id: i64, body: Value) -> reqwest::Response {
    app.post_as(
        Some(staff),
        &format!("/api/staff/orders/{order_id}/status"),
        &body,
    )
    .await
}

/// A kitchen worker of another store, inserted directly.
async fn hongdae_kitchen(app: &TestApp) -> Session {
    let email = unique_email("hongdae-kitchen");
    sqlx::query(
        "INSERT INTO customers (email, password_hash, name, role, store_id) \
         VALUES ($1, 'x', '홍대 주방', 'kitchen', (SELECT id FROM stores WHERE code = 'hongdae'))",
    )
    .bind(&email)
    .execute(&app.pool)
    .await
    .unwrap();
    app.session_for(&email).await
}

#[tokio::test]
async fn every_staff_route_checks_the_role_and_the_store() {
    let app = spawn_app().await;
    let (customer, order_id) = paid_order(&app, "gangnam").await;
    let other_store = hongdae_kitchen(&app).await;
    let forward = json!({ "status": "preparing" });
    let status_path = format!("/api/staff/orders/{order_id}/status");

    for path in ["/api/staff/orders", "/api/staff/events"] {
        let (status, err) = error_of(app.get_as(None, path).await).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{path}"
        );
        let (status, err) = error_of(app.get_as(Some(&customer), path).await).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{path}"
        );
    }
    let (status, _) = error_of(app.post_as(None, &status_path, &forward).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = error_of(app.post_as(Some(&customer), &status_path, &forward).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Staff of another store neither see nor move the order.
    let theirs: Value = app
        .get_as(Some(&other_store), "/api/staff/orders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, json!([]));
    let (status, err) =
        error_of(move_to(&app, &other_store, order_id, forward.clone()).await).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(app.order_status(order_id).await.0, "confirmed");

    // The store's own kitchen and the manager see it.
    for email in [KITCHEN, MANAGER] {
        let staff = app.session_for(email).await;
        let board: Value = app
            .get_as(Some(&staff), "/api/staff/orders?status=confirmed")
            .await
            .json()
            .await
            .unwrap();
        let ids: Vec<i64> = board
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["id"].as_i64())
            .collect();
        assert_eq!(ids, vec![order_id], "{email}");
    }
    let kitchen = app.session_for(KITCHEN).await;
    let (status, err) = error_of(
        app.get_as(Some(&kitchen), "/api/staff/orders?status=cooking")
            .await,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
}

#[tokio::test]
async fn an_order_goes_from_confirmed_to_delivered_and_no_step_can_be_skipped() {
    let app = spawn_app().await;
    let (customer, order_id) = paid_order(&app, "gangnam").await;
    let kitchen = app.session_for(KITCHEN).await;
    let rider = app.session_for(RIDER).await;

    // Illegal from confirmed, for anyone: skipping ahead, or back to pending.
    for to in ["delivering", "delivered", "pending", "confirmed"] {
        let (status, err) =
            error_of(move_to(&app, &kitchen, order_id, json!({ "status": to })).await).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "→ {to}"
        );
    }
    // The rider may not start the kitchen's work.
    let (status, _) =
        error_of(move_to(&app, &rider, order_id, json!({ "status": "preparing" })).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let steps = [
        (&kitchen, "preparing"),
        (&rider, "delivering"),
        (&rider, "delivered"),
    ];
    for (who, to) in steps {
        let res = move_to(&app, who, order_id, json!({ "status": to })).await;
        assert_eq!(res.status(), StatusCode::OK, "→ {to}");
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["order_status"], to);
    }
    // Preparing consumed the stock.
    let reservations = app.reservations_of(order_id).await;
    assert!(
        reservations.values().all(|(_, s)| s == "consumed"),
        "{reservations:?}"
    );
    // Delivered is final: nothing moves it back, not even a manager, and a customer cannot cancel.
    let manager = app.session_for(MANAGER).await;
    for to in ["preparing", "delivering", "cancelled"] {
        let body = json!({ "status": to, "reason": "테스트" });
        let (status, _) = error_of(move_to(&app, &manager, order_id, body).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "delivered → {to}");
    }
    let cancel = app
        .post_as(
            Some(&customer),
            &format!("/api/orders/{order_id}/cancel"),
            &json!({ "reason": "늦었어요" }),
        )
        .await;
    let (status, err) = error_of(cancel).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["message"], "조리가 시작된 주문은 취소할 수 없습니다.");

    // The history records each step, who made it, and the customer's page shows it.
    let history: Vec<(Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT h.from_status, h.to_status, c.email FROM order_status_history h \
         LEFT JOIN customers c ON c.id = h.changed_by WHERE h.order_id = $1 ORDER BY h.id",
    )
    .bind(order_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let s = |v: &str| v.to_owned();
    assert_eq!(
        history,
        vec![
            (Some(s("pending")), s("confirmed"), None),
            (Some(s("confirmed")), s("preparing"), Some(s(KITCHEN))),
            (Some(s("preparing")), s("delivering"), Some(s(RIDER))),
            (Some(s("delivering")), s("delivered"), Some(s(RIDER))),
        ]
    );
    let view: Value = app
        .get_as(Some(&customer), &format!("/api/orders/{order_id}"))
        .await
        .json()
        .await
        .unwrap();
    let timeline: Vec<&str> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(
        timeline,
        ["confirmed", "preparing", "delivering", "delivered"]
    );
}

#[tokio::test]
async fn a_staff_cancel_needs_a_reason_and_puts_the_stock_back() {
    let app = spawn_app().await;
    let (_, order_id) = paid_order(&app, "gangnam").await;
    let kitchen = app.session_for(KITCHEN).await;
    let (status, err) =
        error_of(move_to(&app, &kitchen, order_id, json!({ "status": "cancelled" })).await).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason"))
    );

    let before = app.inventory("gangnam").await;
    let body = json!({ "status": "cancelled", "reason": "재료 불량" });
    let res = move_to(&app, &kitchen, order_id, body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = res.json().await.unwrap();
    assert_eq!(
        (
            view["order_status"].as_str(),
            view["payment_status"].as_str()
        ),
        (Some("cancelled"), Some("refunded"))
    );
    assert_eq!(view["history"][1]["reason"], "재료 불량");
    let after = app.inventory("gangnam").await;
    assert_eq!(after["fried_chicken"], before["fried_chicken"] + 1);
}

#[tokio::test]
async fn two_staff_moving_one_order_at_once_exactly_one_wins() {
    let app = spawn_app().await;
    let (_, order_id) = paid_order(&app, "gangnam").await;
    let kitchen = app.session_for(KITCHEN).await;
    let manager = app.session_for(MANAGER).await;
    let forward = json!({ "status": "preparing" });
    let (a, b) = tokio::join!(
        move_to(&app, &kitchen, order_id, forward.clone()),
        move_to(&app, &manager, order_id, forward.clone()),
    );
    let mut statuses = vec![a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT]);
    let steps: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_status_history WHERE order_id = $1 AND to_status = 'preparing'",
    )
    .bind(order_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(steps, 1);
}

#[tokio::test]
async fn twenty_cancels_at_once_release_the_stock_and_refund_exactly_once() {
    let app = spawn_app().await;
    let before = app.inventory("gangnam").await;
    let (customer, order_id) = paid_order(&app, "gangnam").await;
    let path = format!("/api/orders/{order_id}/cancel");
    let body = json!({ "reason": "일정이 바뀌었어요" });
    let answers =
        futures::future::join_all((0..20).map(|_| app.post_as(Some(&customer), &path, &body)))
            .await;
    let mut ok = 0;
    for res in answers {
        match res.status() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(app.inventory("gangnam").await, before, "every unit is back");
    let payments = app.payments_of(order_id).await;
    let statuses: Vec<&str> = payments.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(statuses, ["success", "refunded"]);
    assert_eq!(
        (payments[1].2.as_str(), payments[1].3),
        ("**** **** **** 4242", payments[0].3)
    );
    assert_eq!(
        app.order_status(order_id).await,
        ("cancelled".to_owned(), "refunded".to_owned())
    );
    let view: Value = app
        .get_as(Some(&customer), &format!("/api/orders/{order_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["refund"]["amount"], payments[0].3);

    // Someone else's order is not found, and an empty reason is named.
    let stranger = app.quick_customer(&unique_email("stranger")).await;
    let (status, _) = error_of(app.post_as(Some(&stranger), &path, &body).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, err) = error_of(
        app.post_as(Some(&customer), &path, &json!({ "reason": " " }))
            .await,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason"))
    );
}

#[tokio::test]
async fn an_unpaid_order_cancelled_by_its_customer_is_not_refunded() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("unpaid")).await;
    let created = app.create_order(&customer, one_chicken("gangnam")).await;
    let order_id = created["order_id"].as_i64().unwrap();
    let res = app
        .post_as(
            Some(&customer),
            &format!("/api/orders/{order_id}/cancel"),
            &json!({ "reason": "실수" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.order_status(order_id).await,
        ("cancelled".to_owned(), "pending".to_owned())
    );
    assert!(app.payments_of(order_id).await.is_empty());
    let reservations = app.reservations_of(order_id).await;
    assert!(
        reservations.values().all(|(_, s)| s == "released"),
        "{reservations:?}"
    );
}

/// Reads a server-sent-event stream until an `order` event for `order_id` with `status`.
async fn wait_for_event(mut res: reqwest::Response, order_id: i64, status: &str) -> Vec<String> {
    let mut text = String::new();
    let wanted = format!("\"order_id\":{order_id}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {status} event for order {order_id} in: {text}"))
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        let found = text.split("\n\n").any(|event| {
            event.contains("event: order")
                && event.contains(&wanted)
                && event.contains(&format!("\"order_status\":\"{status}\""))
        });
        if found {
            return text.split("\n\n").map(str::to_owned).collect();
        }
    }
}

/// Opens an event stream and waits for its `ready`, so what follows is surely seen.
async fn open_stream(app: &TestApp, who: &Session, path: &str) -> reqwest::Response {
    let mut res = app.get_as(Some(who), path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert!(res.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let first = tokio::time::timeout(Duration::from_secs(10), res.chunk())
        .await
        .expect("ready in time")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: ready"));
    res
}

#[tokio::test]
async fn both_replicas_stream_a_change_made_through_either() {
    let first = spawn_app().await;
    let second = spawn_replica(&first).await;
    let (customer, order_id) = paid_order(&first, "gangnam").await;
    let kitchen = first.session_for(KITCHEN).await;
    let rider = first.session_for(RIDER).await;
    let order_path = format!("/api/orders/{order_id}/events");

    let board_1 = open_stream(&first, &kitchen, "/api/staff/events").await;
    let board_2 = open_stream(&second, &kitchen, "/api/staff/events").await;
    let customer_1 = open_stream(&first, &customer, &order_path).await;
    let customer_2 = open_stream(&second, &customer, &order_path).await;
    // Made through the second replica; every stream of both hears it.
    let res = move_to(
        &second,
        &kitchen,
        order_id,
        json!({ "status": "preparing" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    for stream in [board_1, board_2, customer_1, customer_2] {
        wait_for_event(stream, order_id, "preparing").await;
    }

    // And one made through the first replica reaches the second.
    let board_2 = open_stream(&second, &rider, "/api/staff/events").await;
    let res = move_to(&first, &rider, order_id, json!({ "status": "delivering" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    wait_for_event(board_2, order_id, "delivering").await;

    // A customer's stream of someone else's order does not open.
    let stranger = first.quick_customer(&unique_email("peek")).await;
    let (status, _) = error_of(second.get_as(Some(&stranger), &order_path).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_new_paid_order_reaches_the_board_of_its_store_only() {
    let app = spawn_app().await;
    let kitchen = app.session_for(KITCHEN).await;
    let other_store = hongdae_kitchen(&app).await;
    let board = open_stream(&app, &kitchen, "/api/staff/events").await;
    let mut other_board = open_stream(&app, &other_store, "/api/staff/events").await;
    let (_, order_id) = paid_order(&app, "gangnam").await;
    wait_for_event(board, order_id, "confirmed").await;
    // The other store's stream stays quiet about it (only keep-alives, if anything).
    let heard = tokio::time::timeout(Duration::from_millis(500), other_board.chunk()).await;
    if let Ok(Ok(Some(chunk))) = heard {
        assert!(!String::from_utf8_lossy(&chunk).contains("event: order"));
    }
}
