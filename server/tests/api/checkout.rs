//! `POST /api/checkout/checkout`: the GUI's one-call order + payment (DESIGN §4–§6, §8).

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{card, error_of, line, order, spawn_app, unique_email, TestApp, CARD_OK};

/// Units each ingredient lost between two inventory snapshots (only the ones that changed).
fn used(before: &BTreeMap<String, i32>, after: &BTreeMap<String, i32>) -> BTreeMap<String, i32> {
    before
        .iter()
        .map(|(code, qty)| (code.clone(), qty - after[code]))
        .filter(|(_, d)| *d != 0)
        .collect()
}

fn owned(pairs: &[(&str, i32)]) -> BTreeMap<String, i32> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Checks a successful receipt against the order row and returns it.
async fn assert_paid_receipt(app: &TestApp, res: reqwest::Response, amount: i64) -> Value {
    let status = res.status();
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "checkout: {receipt}");
    let order_id = receipt["order_id"].as_i64().unwrap();
    let number = receipt["order_number"].as_str().unwrap();
    assert!(
        number.len() >= 18 && number.starts_with("MD-") && number.as_bytes()[11] == b'-',
        "order number {number}"
    );
    assert_eq!(
        receipt["message"],
        format!("주문이 완료되었습니다. 주문 번호: {number}")
    );
    assert_eq!(receipt["amount"], amount);
    assert_eq!(receipt["card_masked"], "**** **** **** 4242");
    assert!(receipt["transaction_id"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(receipt["approval_number"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    assert!(receipt["estimated_delivery_at"].is_string());
    let (stored_number, final_price, eta_ok): (String, i64, bool) = sqlx::query_as(
        "SELECT order_number, final_price, \
                estimated_delivery_at BETWEEN now() + interval '40 minutes' AND now() + interval '46 minutes' \
         FROM orders WHERE id = $1",
    )
    .bind(order_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored_number, number);
    assert_eq!(final_price, amount);
    assert!(eta_ok, "estimated delivery is about 45 minutes from now");
    assert_eq!(
        app.order_status(order_id).await,
        ("confirmed".to_owned(), "paid".to_owned())
    );
    receipt
}

#[tokio::test]
async fn checkout_creates_reserves_charges_and_consumes_stock() {
    let app = spawn_app().await;
    let customer = app.signup(&unique_email("happy")).await;
    let before = app.inventory("gangnam").await;
    let items_before = app.count("order_items").await;

    let mut chicken = line("chicken", "spicy", 2);
    chicken["customizations"] = json!([{ "component": "fried_chicken", "quantity": 2 }]);
    let request = order(
        "gangnam",
        json!([chicken]),
        json!([{ "code": "fries", "quantity": 1 }, { "code": "cola", "quantity": 1 }]),
    );
    let res = app.checkout(&customer, request, card(CARD_OK)).await;
    // (28,000 + 1,000 spicy + 15,000 extra chicken) × 2 + fries 4,000 + cola 2,000; regular: 0 %.
    let receipt = assert_paid_receipt(&app, res, 94_000).await;
    let order_id = receipt["order_id"].as_i64().unwrap();

    // orders
    let (customer_id, original, discount, final_price, source, recipient): (
        i64,
        i64,
        i64,
        i64,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT customer_id, original_price, discount_amount, final_price, source, recipient_name \
             FROM orders WHERE id = $1",
    )
    .bind(order_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(customer_id, customer.customer_id);
    assert_eq!((original, discount, final_price), (94_000, 0, 94_000));
    assert_eq!(source, "gui");
    assert_eq!(recipient, "홍길동");

    // order_items and order_item_customizations
    let items: Vec<(String, String, i32, i64, i64)> = sqlx::query_as(
        "SELECT m.code, s.code, i.quantity, i.unit_price, i.line_total FROM order_items i \
         JOIN menus m ON m.id = i.menu_id JOIN menu_styles s ON s.id = i.style_id \
         WHERE i.order_id = $1",
    )
    .bind(order_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        items,
        vec![("chicken".into(), "spicy".into(), 2, 44_000, 88_000)]
    );
    assert_eq!(app.count("order_items").await, items_before + 1);
    let customizations: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT ing.code, c.quantity, c.price_delta FROM order_item_customizations c \
         JOIN order_items i ON i.id = c.order_item_id \
         JOIN menu_components mc ON mc.id = c.component_id \
         JOIN ingredients ing ON ing.id = mc.ingredient_id WHERE i.order_id = $1",
    )
    .bind(order_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(customizations, vec![("fried_chicken".into(), 2, 15_000)]);

    // order_side_dishes
    let sides: Vec<(String, i32, i64, i64)> = sqlx::query_as(
        "SELECT d.code, s.quantity, s.unit_price, s.line_total FROM order_side_dishes s \
         JOIN side_dishes d ON d.id = s.side_dish_id WHERE s.order_id = $1 ORDER BY s.id",
    )
    .bind(order_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        sides,
        vec![
            ("fries".into(), 1, 4_000, 4_000),
            ("cola".into(), 1, 2_000, 2_000)
        ]
    );

    // order_inventory_reservations: one row per ingredient, reserved until the kitchen starts.
    let reservations = app.reservations_of(order_id).await;
    let expected: BTreeMap<String, (i32, String)> = [
        ("cola", 3), // 1 per dinner × 2 + 1 side
        ("fried_chicken", 4),
        ("fries", 1),
        ("pickled_radish", 2),
    ]
    .into_iter()
    .map(|(k, q)| (k.to_owned(), (q, "reserved".to_owned())))
    .collect();
    assert_eq!(reservations, expected);

    // store_inventory: exactly the components × quantity plus the side dishes, in that store.
    let after = app.inventory("gangnam").await;
    assert_eq!(
        used(&before, &after),
        owned(&[
            ("cola", 3),
            ("fried_chicken", 4),
            ("fries", 1),
            ("pickled_radish", 2)
        ])
    );
    assert_eq!(before["fried_chicken"], 200, "seeded stock");
    assert_eq!(after["fried_chicken"], 196);

    // mock_payments: one success, masked card only.
    let (status, transaction_id, amount, masked, holder, error_code): (
        String,
        Option<String>,
        i64,
        String,
        String,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT status, transaction_id, amount, card_masked, card_holder, error_code \
         FROM mock_payments WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(status, "success");
    assert_eq!(
        transaction_id.as_deref(),
        receipt["transaction_id"].as_str()
    );
    assert_eq!(amount, 94_000);
    assert_eq!(masked, "**** **** **** 4242");
    assert_eq!(holder, "Hong Gildong");
    assert_eq!(error_code, None);

    // The customer sees it in "my orders" and in detail.
    let list: Value = app
        .get_as(Some(&customer), "/api/orders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], order_id);
    assert_eq!(list[0]["payment_status"], "paid");
    assert_eq!(list[0]["final_price"], 94_000);
    let res = app
        .get_as(Some(&customer), &format!("/api/orders/{order_id}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["order_status"], "confirmed");
    assert_eq!(view["items"][0]["menu"], "chicken");
    assert_eq!(view["items"][0]["style_name_ko"], "매운 맛");
    assert_eq!(view["items"][0]["customizations"], "fried_chicken ×2");
    assert_eq!(view["side_dishes"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        view["delivery"]["address"],
        "서울특별시 강남구 테헤란로 152, 10층"
    );
}

#[tokio::test]
async fn checkout_takes_stock_from_the_chosen_store_only() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("hongdae")).await;
    let gangnam = app.inventory("gangnam").await;
    let hongdae = app.inventory("hongdae").await;
    let mut feast = line("champagne_feast", "deluxe", 1);
    feast["customizations"] = json!([{ "component": "steak", "quantity": 3 }, { "component": "coffee_pot", "quantity": 0 }]);
    feast["cake"] = json!({ "size": "mini", "flavor": "chocolate", "lettering": "사랑해" });
    let res = app
        .checkout(
            &customer,
            order("hongdae", json!([feast]), json!([])),
            card(CARD_OK),
        )
        .await;
    // 120,000 + 20,000 deluxe + 18,000 extra steak + 15,000 cake; the removed coffee pot is
    // not refunded; the expired champagne event does not apply.
    assert_paid_receipt(&app, res, 173_000).await;
    assert_eq!(app.inventory("gangnam").await, gangnam, "gangnam untouched");
    assert_eq!(
        used(&hongdae, &app.inventory("hongdae").await),
        owned(&[("baguette", 4), ("champagne", 1), ("steak", 3), ("wine", 2)])
    );
    let cake: (Option<String>, Option<String>, Option<String>, i64) = sqlx::query_as(
        "SELECT cake_size, cake_flavor, cake_lettering, cake_price FROM order_items i \
         JOIN orders o ON o.id = i.order_id WHERE o.customer_id = $1",
    )
    .bind(customer.customer_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        cake,
        (
            Some("mini".into()),
            Some("chocolate".into()),
            Some("사랑해".into()),
            15_000
        )
    );
}

#[tokio::test]
async fn prices_follow_tier_and_events() {
    let app = spawn_app().await;

    // A new (regular, 0 %) customer: the winter steak festival takes 10 % off a valentine dinner.
    let regular = app.quick_customer(&unique_email("valentine")).await;
    let res = app
        .checkout(
            &regular,
            order(
                "gangnam",
                json!([line("valentine", "simple", 1)]),
                json!([]),
            ),
            card(CARD_OK),
        )
        .await;
    assert_paid_receipt(&app, res, 43_200).await;

    // The silver demo customer (5 paid orders): 5 % everywhere, + 10 % on the valentine line.
    let silver = app.session_for("silver@daebak.test").await;
    let request = order(
        "gangnam",
        json!([
            line("valentine", "grand", 1),
            line("chicken", "original", 1)
        ]),
        json!([{ "code": "garlic_bread", "quantity": 1 }]),
    );
    let res = app.checkout(&silver, request, card(CARD_OK)).await;
    // 56,000 − 15 % (8,400) + 28,000 − 5 % (1,400) + 4,500 − 5 % (225) = 78,475 → 78,470.
    let receipt = assert_paid_receipt(&app, res, 78_470).await;
    let order_id = receipt["order_id"].as_i64().unwrap();
    let (original, discount, applied): (i64, i64, Value) = sqlx::query_as(
        "SELECT original_price, discount_amount, applied_discounts FROM orders WHERE id = $1",
    )
    .bind(order_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((original, discount), (88_500, 10_030));
    let amounts: Vec<(i64, i64)> = applied
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["percent"].as_i64().unwrap(),
                d["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        amounts,
        vec![(15, 8_400), (5, 1_400), (5, 225), (0, 5)],
        "valentine, chicken, side dishes, rounding: {applied}"
    );
    assert!(
        applied[0]["label_en"]
            .as_str()
            .is_some_and(|l| l.contains("Winter Steak Festival")),
        "{applied}"
    );
    let tier: String = sqlx::query_scalar("SELECT tier FROM customers WHERE id = $1")
        .bind(silver.customer_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(tier, "silver", "6 paid orders is still silver");
}

#[tokio::test]
async fn short_stock_is_409_and_creates_nothing() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("short")).await;
    app.set_ingredient_stock("gangnam", "fried_chicken", 1)
        .await;
    let before = app.inventory("gangnam").await;
    let tables_before = app.order_table_counts().await;

    // Two chicken dinners need two fried chickens; the store has one. Pickled radish and cola
    // (plenty) must not stay decremented either.
    let request = order(
        "gangnam",
        json!([line("chicken", "original", 2)]),
        json!([{ "code": "fries", "quantity": 2 }]),
    );
    let (status, err) = error_of(
        app.checkout(&customer, request.clone(), card(CARD_OK))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["code"], "out_of_stock");
    assert_eq!(
        err["message"],
        "선택하신 메뉴의 재료가 부족합니다. 다른 메뉴를 선택해 주세요."
    );
    // The same through the voice/payment-page route.
    let (status, err) = error_of(app.post_as(Some(&customer), "/api/orders", &request).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["code"], "out_of_stock");

    assert_eq!(app.inventory("gangnam").await, before, "stock unchanged");
    assert_eq!(
        app.order_table_counts().await,
        tables_before,
        "no rows anywhere"
    );
    assert_eq!(app.order_count_of(customer.customer_id).await, 0);

    // One dinner still fits, and takes the last chicken.
    let res = app
        .checkout(
            &customer,
            order(
                "gangnam",
                json!([line("chicken", "original", 1)]),
                json!([]),
            ),
            card(CARD_OK),
        )
        .await;
    assert_paid_receipt(&app, res, 28_000).await;
    assert_eq!(app.inventory("gangnam").await["fried_chicken"], 0);
}

#[tokio::test]
async fn invalid_orders_are_400_naming_the_field_and_create_nothing() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("invalid")).await;
    let before = app.inventory("gangnam").await;
    let tables_before = app.order_table_counts().await;

    let with_line = |l: Value| order("gangnam", json!([l]), json!([]));
    let mut long_cake = line("chicken", "original", 1);
    long_cake["cake"] = json!({ "size": "mini", "flavor": "cheese", "lettering": "가".repeat(31) });
    let mut too_many = line("chicken", "original", 1);
    too_many["customizations"] = json!([{ "component": "fried_chicken", "quantity": 11 }]);
    let mut foreign_component = line("valentine", "simple", 1);
    foreign_component["customizations"] = json!([{ "component": "cola", "quantity": 1 }]);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "quantity 11",
            with_line(line("chicken", "original", 11)),
            "lines[0].quantity",
            "quantity",
        ),
        (
            "quantity 0",
            with_line(line("chicken", "original", 0)),
            "lines[0].quantity",
            "quantity",
        ),
        (
            "component 11",
            with_line(too_many),
            "lines[0].customizations[0].quantity",
            "quantity",
        ),
        (
            "unknown menu",
            with_line(line("pizza", "simple", 1)),
            "menu",
            "pizza",
        ),
        (
            "no simple feast",
            with_line(line("champagne_feast", "simple", 1)),
            "style",
            "simple",
        ),
        (
            "chicken has no grand",
            with_line(line("chicken", "grand", 1)),
            "style",
            "grand",
        ),
        ("lettering 31", with_line(long_cake), "cake", "30"),
        (
            "foreign component",
            with_line(foreign_component),
            "customizations",
            "cola",
        ),
        (
            "unknown side dish",
            order(
                "gangnam",
                json!([line("chicken", "original", 1)]),
                json!([{ "code": "sushi", "quantity": 1 }]),
            ),
            "side_dishes",
            "sushi",
        ),
        ("unknown store", one_line_at("busan"), "store", "busan"),
        (
            "no dinner",
            order("gangnam", json!([]), json!([])),
            "lines",
            "",
        ),
        (
            "no address",
            {
                let mut o = with_line(line("chicken", "original", 1));
                o["delivery"]["address"] = json!("  ");
                o
            },
            "address",
            "",
        ),
    ];
    for (name, request, field, mentions) in cases {
        for path in ["/api/checkout/checkout", "/api/orders"] {
            let body = if path == "/api/orders" {
                request.clone()
            } else {
                json!({ "order": request.clone(), "payment": card(CARD_OK) })
            };
            let (status, err) = error_of(app.post_as(Some(&customer), path, &body).await).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{name} at {path}: {err}");
            assert_eq!(err["code"], "invalid_input", "{name} at {path}: {err}");
            // The checkout body nests the order under "order"; the field path says so.
            let expected = if path == "/api/orders" || !field.starts_with("lines[") {
                field.to_owned()
            } else {
                format!("order.{field}")
            };
            assert_eq!(err["field"], expected.as_str(), "{name} at {path}: {err}");
            let message = err["message"].as_str().unwrap();
            assert!(message.contains(mentions), "{name} at {path}: {message}");
        }
    }
    assert_eq!(
        app.order_table_counts().await,
        tables_before,
        "no rows anywhere"
    );
    assert_eq!(app.inventory("gangnam").await, before);
}

fn one_line_at(store: &str) -> Value {
    order(store, json!([line("chicken", "original", 1)]), json!([]))
}

#[tokio::test]
async fn a_bad_card_is_400_before_anything_is_created_or_charged() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("badcard")).await;
    let before = app.inventory("gangnam").await;
    let tables_before = app.order_table_counts().await;
    let bad = |number: &str, expiry: &str, cvv: &str| json!({ "number": number, "expiry": expiry, "cvv": cvv, "holder": "Hong" });
    for (card, field) in [
        (bad("4242 4242 4242 4241", "12/39", "123"), "card_number"),
        (bad("4242", "12/39", "123"), "card_number"),
        (bad("4242 4242 4242 4242", "01/20", "123"), "expiry"),
        (bad("4242 4242 4242 4242", "13/39", "123"), "expiry"),
        (bad("4242 4242 4242 4242", "12/39", "12"), "cvv"),
        (bad("4242 4242 4242 4242", "12/39", "12a"), "cvv"),
        // A decline card with a bad CVV is still a 400: the processor is never asked.
        (bad("4000 0000 0000 0002", "12/39", "1"), "cvv"),
    ] {
        let res = app
            .checkout(
                &customer,
                order(
                    "gangnam",
                    json!([line("chicken", "original", 1)]),
                    json!([]),
                ),
                card.clone(),
            )
            .await;
        let (status, err) = error_of(res).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{card}: {err}");
        assert_eq!(err["code"], "invalid_input", "{card}");
        assert_eq!(err["field"], field, "{card}: {err}");
    }
    assert_eq!(
        app.order_table_counts().await,
        tables_before,
        "no order, nothing charged"
    );
    assert_eq!(
        app.count("order_inventory_reservations").await,
        0,
        "no reservation"
    );
    assert_eq!(
        app.count("mock_payments").await,
        35,
        "only the seeded payments"
    );
    assert_eq!(app.inventory("gangnam").await, before, "stock unchanged");
}

#[tokio::test]
async fn unknown_json_shapes_are_400_not_500() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("shape")).await;
    for body in [json!({}), json!({ "order": {} }), json!([1, 2, 3])] {
        let (status, err) = error_of(
            app.post_as(Some(&customer), "/api/checkout/checkout", &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(err["code"], "invalid_input");
    }
    let res = app
        .client
        .post(app.url("/api/orders"))
        .header("Cookie", &customer.cookie)
        .header("Content-Type", "text/plain")
        .body("chicken please")
        .send()
        .await
        .unwrap();
    let (status, err) = error_of(res).await;
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{status}"
    );
    assert_eq!(err["field"], "Content-Type");
}

#[tokio::test]
async fn the_tier_rises_with_paid_orders() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("loyal")).await;
    let chicken = || {
        order(
            "gangnam",
            json!([line("chicken", "original", 1)]),
            json!([]),
        )
    };
    // Four paid orders at the regular rate, and one declined (which does not count).
    for _ in 0..4 {
        let res = app.checkout(&customer, chicken(), card(CARD_OK)).await;
        assert_paid_receipt(&app, res, 28_000).await;
    }
    let (status, _) = error_of(
        app.checkout(&customer, chicken(), card(crate::helpers::CARD_DECLINED))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    let me: Value = app
        .get_as(Some(&customer), "/api/auth/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tier"], "regular", "4 paid orders");
    // The fifth paid order is still priced as regular, and makes the customer silver.
    let res = app.checkout(&customer, chicken(), card(CARD_OK)).await;
    assert_paid_receipt(&app, res, 28_000).await;
    let me: Value = app
        .get_as(Some(&customer), "/api/auth/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tier"], "silver", "5 paid orders");
    // The sixth gets 5 %.
    let res = app.checkout(&customer, chicken(), card(CARD_OK)).await;
    assert_paid_receipt(&app, res, 26_600).await;
}

#[tokio::test]
async fn tier_plus_event_is_capped_at_30_percent_and_inactive_events_do_not_count() {
    let app = spawn_app().await;
    // A 20 % event on valentine: vip 15 % + 20 % is capped at 30 %.
    sqlx::query(
        "WITH e AS (INSERT INTO events (title_ko, title_en, discount_percent, valid_from, valid_to) \
                    VALUES ('테스트 이벤트', 'Test Event', 20, now() - interval '1 day', now() + interval '1 day') \
                    RETURNING id) \
         INSERT INTO event_menus (event_id, menu_id) SELECT e.id, m.id FROM e, menus m WHERE m.code = 'valentine'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let vip = app.session_for("vip@daebak.test").await;
    let res = app
        .checkout(
            &vip,
            order(
                "gangnam",
                // valentine 48,000 − 30 % = 33,600; chicken 28,000 − 15 % (the 20 % chicken
                // day event is inactive) = 23,800.
                json!([
                    line("valentine", "simple", 1),
                    line("chicken", "original", 1)
                ]),
                json!([]),
            ),
            card(CARD_OK),
        )
        .await;
    let receipt = assert_paid_receipt(&app, res, 57_400).await;
    let applied: Value = sqlx::query_scalar("SELECT applied_discounts FROM orders WHERE id = $1")
        .bind(receipt["order_id"].as_i64().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(applied[0]["percent"], 30, "{applied}");
    assert_eq!(applied[0]["amount"], 14_400);
    assert!(
        applied[0]["label_en"]
            .as_str()
            .unwrap()
            .contains("Test Event"),
        "{applied}"
    );
    assert_eq!(applied[1]["percent"], 15, "{applied}");
    assert_eq!(applied[1]["amount"], 4_200);
}

#[tokio::test]
async fn a_requested_delivery_time_sets_the_estimate_and_cannot_be_in_the_past() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("later")).await;
    let with_time = |at: &str| {
        let mut o = order(
            "gangnam",
            json!([line("chicken", "original", 1)]),
            json!([]),
        );
        o["delivery"]["requested_at"] = json!(at);
        o["delivery"]["notes"] = json!("문 앞에 놓아 주세요");
        o
    };
    let (status, err) = error_of(
        app.checkout(
            &customer,
            with_time("2020-01-01T18:00:00+09:00"),
            card(CARD_OK),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "requested_at");
    let (status, err) = error_of(
        app.checkout(&customer, with_time("tomorrow evening"), card(CARD_OK))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "requested_at");
    assert_eq!(app.order_count_of(customer.customer_id).await, 0);

    let later: String = sqlx::query_scalar(
        "SELECT to_char((now() + interval '3 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:00\"Z\"')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let res = app
        .checkout(&customer, with_time(&later), card(CARD_OK))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let receipt: Value = res.json().await.unwrap();
    let (eta_is_requested, notes): (bool, Option<String>) = sqlx::query_as(
        "SELECT estimated_delivery_at = requested_delivery_at AND requested_delivery_at = $2::timestamptz, notes \
         FROM orders WHERE id = $1",
    )
    .bind(receipt["order_id"].as_i64().unwrap())
    .bind(&later)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(eta_is_requested, "a later requested time is the estimate");
    assert_eq!(notes.as_deref(), Some("문 앞에 놓아 주세요"));
}

#[tokio::test]
async fn a_retried_checkout_with_the_same_key_creates_one_order() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("retry")).await;
    let before = app.inventory("gangnam").await;
    let send = || async {
        app.client
            .post(app.url("/api/checkout/checkout"))
            .header("Cookie", &customer.cookie)
            .header("Idempotency-Key", "attempt-1")
            .json(&json!({
                "order": order("gangnam", json!([line("chicken", "original", 1)]), json!([])),
                "payment": card(CARD_OK),
            }))
            .send()
            .await
            .unwrap()
    };
    let first = send().await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    // The browser retries the same attempt (double click, flaky network).
    let second = send().await;
    let status = second.status();
    let second: Value = second.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second, first, "the same receipt");
    assert_eq!(
        app.order_count_of(customer.customer_id).await,
        1,
        "one order"
    );
    let after = app.inventory("gangnam").await;
    assert_eq!(
        used(&before, &after),
        owned(&[("cola", 1), ("fried_chicken", 1), ("pickled_radish", 1)]),
        "one dinner's stock"
    );
}
