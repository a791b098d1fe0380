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

/// Asserts a 400 that names `field`.
async fn assert_invalid(res: reqwest::Response, field: &str) {
    let (status, err) = error_of(res).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some(field))
    );
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

    for path in [
        "/api/staff/orders",
        "/api/staff/events",
        "/api/staff/stock",
        "/api/staff/menu-events",
    ] {
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
    let restock = json!({ "store": "gangnam", "ingredient": "steak", "add": 1 });
    let posts = [
        (status_path.clone(), forward.clone()),
        ("/api/staff/stock".to_owned(), restock),
        ("/api/staff/menu-events".to_owned(), json!({})),
        ("/api/staff/menu-events/1/end".to_owned(), json!({})),
    ];
    for (path, body) in &posts {
        let (status, _) = error_of(app.post_as(None, path, body).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        let (status, _) = error_of(app.post_as(Some(&customer), path, body).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    for who in [None, Some(&customer)] {
        let mut req = app
            .client
            .put(app.url("/api/staff/menu-events/1"))
            .json(&json!({}));
        if let Some(s) = who {
            req = req.header(reqwest::header::COOKIE, &s.cookie);
        }
        let expected =
            [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN][usize::from(who.is_some())];
        assert_eq!(req.send().await.unwrap().status(), expected);
    }

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
    let res = app
        .get_as(Some(&kitchen), "/api/staff/orders?status=cooking")
        .await;
    assert_invalid(res, "status").await;
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
    let res = move_to(&app, &kitchen, order_id, json!({ "status": "cancelled" })).await;
    assert_invalid(res, "reason").await;

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
async fn staff_moving_one_order_at_once_exactly_one_wins() {
    let app = spawn_app().await;
    let (_, order_id) = paid_order(&app, "gangnam").await;
    let kitchen = app.session_for(KITCHEN).await;
    let manager = app.session_for(MANAGER).await;
    let forward = json!({ "status": "preparing" });
    // Ten clicks at once, from two people: one moves the order, the rest find it moved.
    let clicks = (0..10).map(|i| {
        let who = if i % 2 == 0 { &kitchen } else { &manager };
        move_to(&app, who, order_id, forward.clone())
    });
    let mut statuses: Vec<StatusCode> = futures::future::join_all(clicks)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    statuses.sort();
    statuses.dedup_by(|a, b| a == b && *a == StatusCode::CONFLICT);
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
    let res = app
        .post_as(Some(&customer), &path, &json!({ "reason": " " }))
        .await;
    assert_invalid(res, "reason").await;
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

/// `POST /api/menu` (the menu server function): dinner code → (sold out at, sold out everywhere).
async fn sold_out_marks(app: &TestApp) -> std::collections::BTreeMap<String, (Vec<String>, bool)> {
    let menu: Value = app
        .client
        .post(app.url("/api/menu"))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    menu["dinners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let at = serde_json::from_value(d["sold_out_at"].clone()).unwrap();
            (
                d["code"].as_str().unwrap().to_owned(),
                (at, d["sold_out"].as_bool().unwrap()),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_stock_page_shows_reservations_and_only_a_manager_restocks() {
    let app = spawn_app().await;
    let kitchen = app.session_for(KITCHEN).await;
    let manager = app.session_for(MANAGER).await;
    let (customer, order_id) = paid_order(&app, "gangnam").await;
    let on_hand = |stock: &Value, code: &str| -> (i64, i64) {
        let row = stock["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ingredient"] == code)
            .unwrap();
        (
            row["on_hand"].as_i64().unwrap(),
            row["reserved"].as_i64().unwrap(),
        )
    };
    let stock: Value = app
        .get_as(Some(&kitchen), "/api/staff/stock")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stock["store"], "gangnam");
    let (before, reserved) = on_hand(&stock, "fried_chicken");
    assert_eq!(reserved, 1, "the paid order holds one");
    move_to(&app, &kitchen, order_id, json!({ "status": "preparing" })).await;
    let stock: Value = app
        .get_as(Some(&kitchen), "/api/staff/stock")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        on_hand(&stock, "fried_chicken"),
        (before, 0),
        "consumed, no longer reserved"
    );

    let (status, _) = error_of(
        app.get_as(Some(&kitchen), "/api/staff/stock?store=hongdae")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = error_of(app.get_as(Some(&customer), "/api/staff/stock").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let add = |add: i64, ingredient: &str| json!({ "store": "gangnam", "ingredient": ingredient, "add": add });
    let (status, _) = error_of(
        app.post_as(Some(&kitchen), "/api/staff/stock", &add(5, "fried_chicken"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, field) in [
        (add(0, "fried_chicken"), "add"),
        (add(10_001, "fried_chicken"), "add"),
        (add(5, "truffle"), "ingredient"),
    ] {
        let res = app.post_as(Some(&manager), "/api/staff/stock", &body).await;
        assert_invalid(res, field).await;
    }
    let res = app
        .post_as(Some(&manager), "/api/staff/stock", &add(5, "fried_chicken"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let stock: Value = res.json().await.unwrap();
    assert_eq!(on_hand(&stock, "fried_chicken").0, before + 5);
}

#[tokio::test]
async fn a_dinner_is_sold_out_where_an_ingredient_runs_short() {
    let app = spawn_app().await;
    assert_eq!(sold_out_marks(&app).await["chicken"], (vec![], false));
    app.set_ingredient_stock("gangnam", "fried_chicken", 0)
        .await;
    assert_eq!(
        sold_out_marks(&app).await["chicken"],
        (vec!["gangnam".to_owned()], false)
    );
    app.set_ingredient_stock("hongdae", "fried_chicken", 0)
        .await;
    let marks = sold_out_marks(&app).await;
    assert_eq!(
        marks["chicken"],
        (vec!["gangnam".to_owned(), "hongdae".to_owned()], true)
    );
    assert_eq!(
        marks["valentine"],
        (vec![], false),
        "other dinners are unaffected"
    );
    // A restock brings it back.
    let manager = app.session_for(MANAGER).await;
    let body = json!({ "store": "hongdae", "ingredient": "fried_chicken", "add": 3 });
    assert_eq!(
        app.post_as(Some(&manager), "/api/staff/stock", &body)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        sold_out_marks(&app).await["chicken"],
        (vec!["gangnam".to_owned()], false)
    );
}

/// `POST /api/quote` (the builder's live price) of one simple French dinner for a guest.
async fn french_quote(app: &TestApp) -> i64 {
    let draft = json!({ "draft": { "lines": [{ "menu": "french", "style": "simple", "quantity": 1 }], "side_dishes": [] } });
    let quote: Value = app
        .post_as(None, "/api/quote", &draft)
        .await
        .json()
        .await
        .unwrap();
    quote["pricing"]["final_price"]
        .as_i64()
        .unwrap_or_else(|| panic!("{quote}"))
}

#[tokio::test]
async fn a_managers_event_prices_the_next_quote_and_ending_it_stops() {
    let app = spawn_app().await;
    let manager = app.session_for(MANAGER).await;
    let kitchen = app.session_for(KITCHEN).await;
    let before = french_quote(&app).await;
    let now = chrono::Utc::now();
    let event = |percent: i64, menus: Value| {
        json!({
            "title_ko": "프렌치 위크", "title_en": "French week", "discount_percent": percent,
            "valid_from": (now - chrono::Duration::hours(1)).to_rfc3339(),
            "valid_to": (now + chrono::Duration::days(1)).to_rfc3339(), "menus": menus,
        })
    };
    let (status, _) = error_of(
        app.post_as(
            Some(&kitchen),
            "/api/staff/menu-events",
            &event(20, json!(["french"])),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, field) in [
        (event(0, json!(["french"])), "discount_percent"),
        (event(20, json!([])), "menus"),
        (event(20, json!(["ramen"])), "menus"),
        (
            {
                let mut e = event(20, json!(["french"]));
                e["valid_to"] = e["valid_from"].clone();
                e
            },
            "valid_to",
        ),
        (
            {
                let mut e = event(20, json!(["french"]));
                e["valid_from"] = json!("next tuesday");
                e
            },
            "valid_from",
        ),
        (
            {
                let mut e = event(20, json!(["french"]));
                e["title_ko"] = json!(" ");
                e
            },
            "title_ko",
        ),
    ] {
        let res = app
            .post_as(Some(&manager), "/api/staff/menu-events", &body)
            .await;
        assert_invalid(res, field).await;
    }
    assert_eq!(french_quote(&app).await, before, "nothing was created");

    let res = app
        .post_as(
            Some(&manager),
            "/api/staff/menu-events",
            &event(20, json!(["french"])),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["menus"], json!(["french"]));
    let discounted = french_quote(&app).await;
    assert!(discounted < before, "{discounted} < {before}");

    // Edited to 50 %: the cap (DESIGN §5, 30 % in all) still applies.
    let res = app
        .client
        .put(app.url(&format!("/api/staff/menu-events/{id}")))
        .header(reqwest::header::COOKIE, &manager.cookie)
        .json(&event(50, json!(["french"])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let capped = french_quote(&app).await;
    assert!(
        capped >= before * 70 / 100 && capped < discounted,
        "{capped}"
    );

    let res = app
        .post_as(
            Some(&manager),
            &format!("/api/staff/menu-events/{id}/end"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        french_quote(&app).await,
        before,
        "an ended event prices nothing"
    );
    let listed: Value = app
        .get_as(Some(&kitchen), "/api/staff/menu-events")
        .await
        .json()
        .await
        .unwrap();
    let ended = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap();
    assert_eq!(ended["active"], false);
}

#[tokio::test]
async fn stopping_the_server_ends_its_open_event_streams() {
    let url = crate::helpers::create_database().await;
    let config = server::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "REDIS_URL" => Some(crate::helpers::redis_url()),
        "LISTEN_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DATABASE_MAX_CONNECTIONS" => Some("5".to_owned()),
        _ => None,
    })
    .unwrap();
    let app = server::startup::Application::build(&config).await.unwrap();
    let address = format!("http://{}", app.addr());
    sqlx::query(
        "INSERT INTO customer_sessions (id, customer_id, expires_at) \
         SELECT encode(sha256(convert_to('stop-test', 'UTF8')), 'hex'), id, now() + interval '1 day' \
         FROM customers WHERE email = $1",
    )
    .bind(KITCHEN)
    .execute(&app.pool())
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut stream = reqwest::Client::new()
        .get(format!("{address}/api/staff/events"))
        .header(reqwest::header::COOKIE, "daebak_session=stop-test")
        .send()
        .await
        .unwrap();
    let ready = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&ready).contains("event: ready"));

    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(finished.is_ok(), "the server stopped with a stream open");
    // A `resync` sent before the end (the listener's connection closed first) may still
    // arrive, and nothing else; then the stream must end.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            let text = String::from_utf8_lossy(&chunk);
            assert!(
                text.starts_with("event: resync"),
                "after the stop: {text:?}"
            );
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream stayed open after the server stopped"
    );
}
