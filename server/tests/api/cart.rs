//! Orders of several dinner lines and the cart (issue #20): per-line pricing, stock shared by
//! the lines of many checkouts at once, a shortfall that names its line, and the cart kept in
//! the database (read through either replica, carried over at sign-in, emptied by checkout).

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    card, error_of, line, order, spawn_app, spawn_app_with, spawn_replica, unique_email, Session,
    TestApp, CARD_OK,
};

const SHORT_MESSAGE: &str = "선택하신 메뉴의 재료가 부족합니다. 다른 메뉴를 선택해 주세요.";

// ---------------------------------------------------------------------------
// Calling the cart's server functions
// ---------------------------------------------------------------------------

/// `name=value` of the `Set-Cookie` header for cookie `name` (the value may be empty: a
/// clearing cookie), and whether it clears the cookie (`Max-Age=0`).
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, bool)> {
    let prefix = format!("{name}=");
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&prefix))
        .map(|v| {
            let pair = v.split(';').next().unwrap_or_default().trim().to_owned();
            (pair, v.contains("Max-Age=0"))
        })
}

/// `POST /api/cart` (the `get_cart` server function: url-encoded, no arguments).
async fn get_cart(app: &TestApp, cookie: Option<&str>) -> Value {
    let mut req = app
        .client
        .post(app.url("/api/cart"))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body("");
    if let Some(cookie) = cookie {
        req = req.header(reqwest::header::COOKIE, cookie);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "get_cart: {body}");
    body
}

/// `POST /api/cart_save` with `{"draft": draft}`.
async fn save_cart(app: &TestApp, cookie: Option<&str>, draft: &Value) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/cart_save"))
        .json(&json!({ "draft": draft }));
    if let Some(cookie) = cookie {
        req = req.header(reqwest::header::COOKIE, cookie);
    }
    req.send().await.unwrap()
}

/// Saves a guest's first cart; answers the `daebak_cart=…` cookie it was given.
async fn save_guest_cart(app: &TestApp, draft: &Value) -> String {
    let res = save_cart(app, None, draft).await;
    let given = set_cookie(&res, "daebak_cart");
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "save_cart: {body}");
    assert_eq!(body.trim(), "null");
    let (cookie, cleared) = given.expect("a guest's first save gives a cart cookie");
    assert!(!cleared && cookie.len() > "daebak_cart=".len(), "{cookie}");
    cookie
}

/// Saves a signed-in customer's cart (200, `null`, no guest cookie).
async fn save_customer_cart(app: &TestApp, customer: &Session, draft: &Value) {
    let res = save_cart(app, Some(&customer.cookie), draft).await;
    assert!(
        set_cookie(&res, "daebak_cart").is_none(),
        "a signed-in customer needs no cart cookie"
    );
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "save_cart: {body}");
}

/// A cart draft as `get_cart` answers it: every field of each line spelled out.
fn draft(lines: Vec<Value>, side_dishes: Value) -> Value {
    json!({ "lines": lines, "side_dishes": side_dishes })
}

fn empty_cart() -> Value {
    draft(vec![], json!([]))
}

/// The `menu` of each line of a cart.
fn menus(cart: &Value) -> Vec<&str> {
    cart["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("a cart: {cart}"))
        .iter()
        .map(|l| l["menu"].as_str().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------
// Pricing of several lines
// ---------------------------------------------------------------------------

/// A running event of `percent` on `menu` only.
async fn add_event(app: &TestApp, title: &str, percent: i64, menu: &str) {
    sqlx::query(
        "WITH e AS (INSERT INTO events (title_ko, title_en, discount_percent, valid_from, valid_to) \
                    VALUES ($1, $1, $2, now() - interval '1 day', now() + interval '1 day') \
                    RETURNING id) \
         INSERT INTO event_menus (event_id, menu_id) SELECT e.id, m.id FROM e, menus m WHERE m.code = $3",
    )
    .bind(title)
    .bind(percent as i32)
    .bind(menu)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn three_lines_are_discounted_line_by_line_and_only_the_event_line_is_capped() {
    let app = spawn_app().await;
    // 20 % on the English dinner only. The seeded chicken event is inactive and the champagne
    // one expired, so the other two lines get the VIP rate alone.
    add_event(&app, "Cart Test English Week", 20, "english").await;
    let vip = app.session_for("vip@daebak.test").await;
    let lines = json!([
        line("chicken", "spicy", 2),
        line("english", "deluxe", 1),
        line("champagne_feast", "grand", 1),
    ]);
    let sides = json!([{ "code": "garlic_bread", "quantity": 1 }]);
    // chicken (28,000 + 1,000) × 2 = 58,000 at 15 % = 8,700
    // english 42,000 + 15,000 = 57,000 at 15 + 20 → 30 % = 17,100
    // champagne feast 120,000 + 10,000 = 130,000 at 15 % = 19,500
    // garlic bread 4,500 at 15 % = 675
    // 249,500 − 45,975 = 203,525 → 203,520 (5 원 rounded away).
    let (original, final_price) = (249_500, 203_520);

    // The builder's live price (the `quote` server function) for the signed-in VIP.
    let res = app
        .post_as(
            Some(&vip),
            "/api/quote",
            &json!({ "draft": { "lines": lines, "side_dishes": sides } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let quote: Value = res.json().await.unwrap();
    let pricing = &quote["pricing"];
    assert_eq!(pricing["tier"], "vip", "{pricing}");
    let per_line: Vec<(i64, i64, i64)> = pricing["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line_total"].as_i64().unwrap(),
                l["discount_percent"].as_i64().unwrap(),
                l["discount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_line,
        vec![
            (58_000, 15, 8_700),
            (57_000, 30, 17_100),
            (130_000, 15, 19_500)
        ],
        "{pricing}"
    );
    assert!(pricing["lines"][0]["event"].is_null(), "{pricing}");
    assert_eq!(pricing["lines"][1]["event"]["discount_percent"], 20);
    assert!(pricing["lines"][2]["event"].is_null(), "{pricing}");
    assert_eq!(pricing["side_dishes"][0]["discount"], 675);
    assert_eq!(pricing["original_price"], original);
    assert_eq!(pricing["final_price"], final_price);
    assert_eq!(pricing["discount_amount"], original - final_price);

    // The REST checkout charges the same and stores the breakdown.
    let res = app
        .checkout(&vip, order("gangnam", lines, sides), card(CARD_OK))
        .await;
    let status = res.status();
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["amount"], final_price);
    let order_id = receipt["order_id"].as_i64().unwrap();
    let (stored_original, stored_discount, stored_final, applied): (i64, i64, i64, Value) =
        sqlx::query_as(
            "SELECT original_price, discount_amount, final_price, applied_discounts \
             FROM orders WHERE id = $1",
        )
        .bind(order_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        (stored_original, stored_discount, stored_final),
        (original, original - final_price, final_price)
    );
    let discounts: Vec<(i64, i64)> = applied
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
        discounts,
        vec![(15, 8_700), (30, 17_100), (15, 19_500), (15, 675), (0, 5)],
        "chicken, english (capped), champagne feast, side dishes, rounding: {applied}"
    );
    let english = applied[1]["label_ko"].as_str().unwrap();
    assert!(
        english.contains("Cart Test English Week") && english.contains("최대 30%"),
        "{english}"
    );
    for i in [0, 2] {
        let label = applied[i]["label_en"].as_str().unwrap();
        assert!(
            !label.contains("Cart Test"),
            "no event on line {i}: {label}"
        );
    }
    let items: Vec<(String, String, i32, i64, i64)> = sqlx::query_as(
        "SELECT m.code, s.code, i.quantity, i.unit_price, i.line_total FROM order_items i \
         JOIN menus m ON m.id = i.menu_id JOIN menu_styles s ON s.id = i.style_id \
         WHERE i.order_id = $1 ORDER BY i.id",
    )
    .bind(order_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        items,
        vec![
            ("chicken".into(), "spicy".into(), 2, 29_000, 58_000),
            ("english".into(), "deluxe".into(), 1, 57_000, 57_000),
            (
                "champagne_feast".into(),
                "grand".into(),
                1,
                130_000,
                130_000
            ),
        ]
    );
}

// ---------------------------------------------------------------------------
// Stock shared by the lines of many orders
// ---------------------------------------------------------------------------

/// Three dinners that each take one steak, so an order takes three.
fn three_steak_lines() -> Value {
    json!([
        line("valentine", "simple", 1),
        line("french", "grand", 1),
        line("english", "deluxe", 1),
    ])
}

/// What one order of `three_steak_lines` takes from the shelves.
fn three_steak_needs() -> BTreeMap<String, i32> {
    [
        ("wine", 2),
        ("steak", 3),
        ("coffee", 1),
        ("salad", 1),
        ("scrambled_eggs", 1),
        ("bacon", 2),
        ("bread", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

const FITTING: usize = 10;
const CHECKOUTS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_three_line_checkouts_at_once_sell_exactly_the_ten_that_fit() {
    let app = spawn_app_with(|c| c.db_max_connections = 20).await;
    let mut customers = Vec::new();
    for i in 0..CHECKOUTS {
        customers.push(
            app.quick_customer(&unique_email(&format!("lines{i}")))
                .await,
        );
    }
    // Steak for exactly ten orders; everything else is plentiful. Wine (a lower ingredient id
    // than steak) is taken first, so every failed order must give its wine back.
    app.set_ingredient_stock("gangnam", "steak", 3 * FITTING as i32)
        .await;
    let before = app.inventory("gangnam").await;
    let hongdae = app.inventory("hongdae").await;
    let tables_before = app.order_table_counts().await;

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(CHECKOUTS));
    let tasks: Vec<_> = customers
        .iter()
        .map(|customer| {
            let app = app.clone();
            let customer = customer.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let request = order("gangnam", three_steak_lines(), json!([]));
                let res = app.checkout(&customer, request, card(CARD_OK)).await;
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("checkout task"));
    }

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, body) in &results {
        *by_status.entry(status.as_u16()).or_default() += 1;
        match *status {
            StatusCode::OK => assert_eq!(body["card_masked"], "**** **** **** 4242"),
            StatusCode::CONFLICT => {
                let err = &body["error"];
                assert_eq!(err["code"], "out_of_stock", "{body}");
                assert_eq!(err["ingredient"], "steak", "{body}");
                // Steak goes three at a time from 30: a failed order found none left.
                assert_eq!(err["field"], "lines[0]", "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        by_status,
        BTreeMap::from([(200, FITTING), (409, CHECKOUTS - FITTING)])
    );

    // Exactly ten orders' needs left the shelves, none went below zero.
    let after = app.inventory("gangnam").await;
    assert!(after.values().all(|q| *q >= 0), "{after:?}");
    let used: BTreeMap<String, i32> = before
        .iter()
        .map(|(code, q)| (code.clone(), q - after[code]))
        .filter(|(_, d)| *d != 0)
        .collect();
    let expected: BTreeMap<String, i32> = three_steak_needs()
        .into_iter()
        .map(|(k, v)| (k, v * FITTING as i32))
        .collect();
    assert_eq!(used, expected, "ten orders' worth, nothing half-taken");
    assert_eq!(after["steak"], 0);
    assert_eq!(app.inventory("hongdae").await, hongdae);

    // Rows of the ten orders only.
    let tables_after = app.order_table_counts().await;
    let grown: BTreeMap<&str, i64> = tables_before
        .iter()
        .zip(&tables_after)
        .map(|((table, b), (_, a))| (*table, a - b))
        .collect();
    let ten = FITTING as i64;
    assert_eq!(
        grown,
        BTreeMap::from([
            ("orders", ten),
            ("order_items", 3 * ten),
            ("order_item_customizations", 0),
            ("order_side_dishes", 0),
            ("order_inventory_reservations", 7 * ten),
            ("mock_payments", ten),
            ("idempotency_keys", 0),
        ])
    );
    let customer_ids: Vec<i64> = customers.iter().map(|c| c.customer_id).collect();
    let reserved: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT i.code, count(DISTINCT r.order_id), sum(r.quantity)::bigint \
         FROM order_inventory_reservations r JOIN ingredients i ON i.id = r.ingredient_id \
         JOIN orders o ON o.id = r.order_id \
         WHERE o.customer_id = ANY($1) AND r.status = 'reserved' AND o.payment_status = 'paid' \
         GROUP BY i.code ORDER BY i.code",
    )
    .bind(&customer_ids)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let expected: Vec<(String, i64, i64)> = three_steak_needs()
        .into_iter()
        .map(|(code, units)| (code, ten, i64::from(units) * ten))
        .collect();
    assert_eq!(reserved, expected, "each paid order reserved all it took");
}

#[tokio::test]
async fn a_shortfall_names_the_line_and_the_ingredient_and_writes_nothing() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("shortline")).await;
    // (what runs short, units on hand, the order, the part named)
    let cases: Vec<(&str, i32, Value, &str)> = vec![
        (
            // Steak: 1 for the first line, 1 + 2 = 3 > 2 at the second.
            "steak",
            2,
            order(
                "gangnam",
                json!([
                    line("valentine", "simple", 1),
                    line("english", "simple", 2),
                    line("french", "simple", 1),
                ]),
                json!([]),
            ),
            "lines[1]",
        ),
        (
            // The second line needs no steak; the third is the one past the shelf.
            "steak",
            1,
            order(
                "gangnam",
                json!([
                    line("english", "simple", 1),
                    line("chicken", "original", 1),
                    line("valentine", "simple", 1),
                ]),
                json!([]),
            ),
            "lines[2]",
        ),
        (
            // Two steaks in the champagne feast itself.
            "steak",
            1,
            order(
                "gangnam",
                json!([
                    line("champagne_feast", "grand", 1),
                    line("chicken", "original", 1),
                ]),
                json!([]),
            ),
            "lines[0]",
        ),
        (
            // The dinner's cola fits; the side-dish cola does not.
            "cola",
            1,
            order(
                "gangnam",
                json!([line("chicken", "original", 1)]),
                json!([{ "code": "cola", "quantity": 1 }]),
            ),
            "side_dishes",
        ),
    ];
    for (ingredient, on_hand, request, field) in cases {
        app.set_store_inventory("gangnam", 100).await;
        app.set_ingredient_stock("gangnam", ingredient, on_hand)
            .await;
        let stock = app.inventory("gangnam").await;
        let tables = app.order_table_counts().await;
        let checkout = json!({ "order": request, "payment": card(CARD_OK) });
        for (path, body) in [
            ("/api/orders", request.clone()),
            ("/api/checkout/checkout", checkout.clone()),
            // The server function the checkout page calls.
            (
                "/api/checkout",
                json!({ "request": checkout, "idempotency_key": null }),
            ),
        ] {
            let (status, err) = error_of(app.post_as(Some(&customer), path, &body).await).await;
            assert_eq!(status, StatusCode::CONFLICT, "{path}: {err}");
            assert_eq!(err["code"], "out_of_stock", "{path}: {err}");
            assert_eq!(err["message"], SHORT_MESSAGE, "{path}: {err}");
            assert_eq!(err["field"], field, "{path}: {err}");
            assert_eq!(err["ingredient"], ingredient, "{path}: {err}");
            assert_eq!(
                app.inventory("gangnam").await,
                stock,
                "{path}: stock unchanged"
            );
            assert_eq!(app.order_table_counts().await, tables, "{path}: no rows");
        }
    }
    assert_eq!(app.order_count_of(customer.customer_id).await, 0);
}

// ---------------------------------------------------------------------------
// The cart
// ---------------------------------------------------------------------------

/// A cart with a changed component, a cake and side dishes: every field must survive.
fn full_cart() -> Value {
    let mut valentine = line("valentine", "deluxe", 2);
    valentine["customizations"] = json!([{ "component": "wine", "quantity": 3 }]);
    valentine["cake"] = json!({ "size": "mini", "flavor": "chocolate", "lettering": "사랑해" });
    draft(
        vec![valentine, line("chicken", "soy_garlic", 1)],
        json!([{ "code": "fries", "quantity": 2 }, { "code": "cola", "quantity": 1 }]),
    )
}

#[tokio::test]
async fn a_cart_saved_through_one_replica_is_read_through_the_other() {
    let a = spawn_app().await;
    let b = spawn_replica(&a).await;

    // A guest: the cookie from A finds the cart on B.
    assert_eq!(get_cart(&b, None).await, empty_cart(), "no cookie, no cart");
    let guest = save_guest_cart(&a, &full_cart()).await;
    assert_eq!(get_cart(&b, Some(&guest)).await, full_cart());
    assert_eq!(
        get_cart(&b, Some("daebak_cart=someone-elses")).await,
        empty_cart(),
        "an unknown token finds nothing"
    );
    // A change through B is what A reads.
    let smaller = draft(vec![line("french", "grand", 1)], json!([]));
    let res = save_cart(&b, Some(&guest), &smaller).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        set_cookie(&res, "daebak_cart").is_none(),
        "a guest with a cart keeps its cookie"
    );
    assert_eq!(get_cart(&a, Some(&guest)).await, smaller);

    // A signed-in customer: saved through A, read through B; the guest's cart is another one.
    let customer = a.quick_customer(&unique_email("cart")).await;
    assert_eq!(get_cart(&b, Some(&customer.cookie)).await, empty_cart());
    save_customer_cart(&a, &customer, &full_cart()).await;
    assert_eq!(get_cart(&b, Some(&customer.cookie)).await, full_cart());
    assert_eq!(get_cart(&b, Some(&guest)).await, smaller);

    // Adding a dinner through B appends it; A sees three lines.
    let res = b
        .post_as(
            Some(&customer),
            "/api/cart_add",
            &json!({ "line": line("english", "simple", 1) }),
        )
        .await;
    let status = res.status();
    let count: Value = res.json().await.unwrap();
    assert_eq!((status, count), (StatusCode::OK, json!(3)));
    let cart = get_cart(&a, Some(&customer.cookie)).await;
    assert_eq!(menus(&cart), ["valentine", "chicken", "english"]);
    assert_eq!(cart["side_dishes"], full_cart()["side_dishes"]);

    let stored: Vec<(Option<i64>, bool)> = sqlx::query_as(
        "SELECT customer_id, guest_token IS NOT NULL FROM carts ORDER BY customer_id NULLS FIRST",
    )
    .fetch_all(&a.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        vec![(None, true), (Some(customer.customer_id), false)],
        "one cart each"
    );
    let token = guest.trim_start_matches("daebak_cart=");
    let raw_token_stored: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM carts WHERE guest_token = $1)")
            .bind(token)
            .fetch_one(&a.pool)
            .await
            .unwrap();
    assert!(!raw_token_stored, "only the token's hash is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dinners_added_at_once_are_all_kept() {
    // Two tabs, a double click, two replicas: every add reads the cart and writes it back.
    let a = spawn_app().await;
    let b = spawn_replica(&a).await;
    let customer = a.quick_customer(&unique_email("tabs")).await;
    let dinners = [
        ("chicken", "original"),
        ("chicken", "spicy"),
        ("valentine", "simple"),
        ("french", "grand"),
        ("english", "deluxe"),
        ("champagne_feast", "grand"),
    ];
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(dinners.len()));
    let tasks: Vec<_> = dinners
        .iter()
        .enumerate()
        .map(|(i, (menu, style))| {
            let app = if i % 2 == 0 { a.clone() } else { b.clone() };
            let customer = customer.clone();
            let barrier = barrier.clone();
            let body = json!({ "line": line(menu, style, 1) });
            tokio::spawn(async move {
                barrier.wait().await;
                let res = app.post_as(Some(&customer), "/api/cart_add", &body).await;
                let status = res.status();
                let body = res.text().await.unwrap();
                assert_eq!(status, StatusCode::OK, "{body}");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("add task");
    }
    let cart = get_cart(&a, Some(&customer.cookie)).await;
    let mut added: Vec<(&str, &str)> = cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["menu"].as_str().unwrap(), l["style"].as_str().unwrap()))
        .collect();
    added.sort_unstable();
    let mut expected = dinners.to_vec();
    expected.sort_unstable();
    assert_eq!(added, expected, "no add lost to another: {cart}");
}

/// `POST /api/account/login` (the server function: url-encoded) with extra cookies.
async fn login_fn(app: &TestApp, email: &str, password: &str, cookie: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/account/login"))
        .header(reqwest::header::COOKIE, cookie)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guest_cart_joins_the_customers_own_at_login_and_signup() {
    let a = spawn_app().await;
    let b = spawn_replica(&a).await;
    // A customer with a cart of their own, from an earlier visit.
    let email = unique_email("merge");
    let earlier = a.signup(&email).await;
    save_customer_cart(
        &a,
        &earlier,
        &draft(
            vec![line("valentine", "simple", 1)],
            json!([{ "code": "fries", "quantity": 7 }]),
        ),
    )
    .await;
    // Signed out, they fill a guest cart through A, then log in through B.
    let guest = save_guest_cart(
        &a,
        &draft(
            vec![line("chicken", "original", 1), line("french", "grand", 1)],
            json!([{ "code": "fries", "quantity": 6 }, { "code": "cola", "quantity": 1 }]),
        ),
    )
    .await;
    let res = login_fn(&b, &email, "correct horse battery", &guest).await;
    let session = crate::helpers::session_cookie_of(&res);
    let cleared = set_cookie(&res, "daebak_cart");
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "login: {body}");
    let session = session.expect("login sets the session cookie");
    assert_eq!(
        cleared.map(|(_, cleared)| cleared),
        Some(true),
        "the guest cookie is cleared"
    );

    let cart = get_cart(&a, Some(&session)).await;
    assert_eq!(menus(&cart), ["valentine", "chicken", "french"], "{cart}");
    assert_eq!(
        cart["side_dishes"],
        json!([{ "code": "cola", "quantity": 1 }, { "code": "fries", "quantity": 10 }]),
        "side dishes added up, at most 10"
    );
    assert_eq!(
        get_cart(&a, Some(&guest)).await,
        empty_cart(),
        "the guest cart is gone"
    );
    let guests: i64 =
        sqlx::query_scalar("SELECT count(*) FROM carts WHERE guest_token IS NOT NULL")
            .fetch_one(&a.pool)
            .await
            .unwrap();
    assert_eq!(guests, 0);

    // Logging in again with the stale cookie changes nothing.
    let res = login_fn(&a, &email, "correct horse battery", &guest).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(get_cart(&a, Some(&session)).await, cart);

    // A guest who signs up (the server function) keeps the cart as the new customer's.
    let guest = save_guest_cart(&b, &draft(vec![line("english", "grand", 1)], json!([]))).await;
    let new_email = unique_email("merge-new");
    let res = a
        .client
        .post(a.url("/api/account/signup"))
        .header(reqwest::header::COOKIE, &guest)
        .form(&[
            ("email", new_email.as_str()),
            ("password", "correct horse battery"),
            ("name", "새 고객"),
            ("phone", "010-1234-5678"),
        ])
        .send()
        .await
        .unwrap();
    let session = crate::helpers::session_cookie_of(&res);
    let cleared = set_cookie(&res, "daebak_cart");
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "signup: {body}");
    assert_eq!(cleared.map(|(_, c)| c), Some(true));
    let cart = get_cart(&b, Some(&session.unwrap())).await;
    assert_eq!(menus(&cart), ["english"]);
}

#[tokio::test]
async fn the_checkout_server_function_empties_the_cart_and_only_once_ordered() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("emptied")).await;
    let lines = json!([
        line("chicken", "original", 1),
        line("valentine", "simple", 1)
    ]);
    let cart = draft(lines.as_array().unwrap().clone(), json!([]));
    save_customer_cart(&app, &customer, &cart).await;
    let call = |request: Value| json!({ "request": request, "idempotency_key": null });
    let checkout = json!({ "order": order("gangnam", lines, json!([])), "payment": card(CARD_OK) });

    // Short of steak: no order, and the cart stays.
    app.set_ingredient_stock("gangnam", "steak", 0).await;
    let (status, err) = error_of(
        app.post_as(Some(&customer), "/api/checkout", &call(checkout.clone()))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["field"], "lines[1]", "{err}");
    assert_eq!(get_cart(&app, Some(&customer.cookie)).await, cart);

    // The REST checkout leaves the cart alone.
    app.set_ingredient_stock("gangnam", "steak", 10).await;
    let res = app
        .post_as(Some(&customer), "/api/checkout/checkout", &checkout)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(get_cart(&app, Some(&customer.cookie)).await, cart);

    // The server function's order empties it.
    let res = app
        .post_as(Some(&customer), "/api/checkout", &call(checkout))
        .await;
    let status = res.status();
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["amount"], 28_000 + 48_000 - 4_800);
    assert_eq!(get_cart(&app, Some(&customer.cookie)).await, empty_cart());
    assert_eq!(app.order_count_of(customer.customer_id).await, 2);

    // So does an order made to be paid later (the `create_order` server function).
    save_customer_cart(&app, &customer, &cart).await;
    let res = app
        .post_as(
            Some(&customer),
            "/api/create_order",
            &json!({ "order": order("gangnam", json!([line("chicken", "original", 1)]), json!([])) }),
        )
        .await;
    let status = res.status();
    let created: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{created}");
    assert!(created["order_id"].is_i64(), "{created}");
    assert_eq!(get_cart(&app, Some(&customer.cookie)).await, empty_cart());
}

#[tokio::test]
async fn a_bad_cart_is_400_naming_the_field_and_keeps_the_saved_one() {
    let app = spawn_app().await;
    let good = draft(
        vec![line("chicken", "original", 1), line("french", "simple", 1)],
        json!([]),
    );
    let guest = save_guest_cart(&app, &good).await;
    let customer = app.quick_customer(&unique_email("badcart")).await;
    save_customer_cart(&app, &customer, &good).await;

    let mut foreign = line("valentine", "simple", 1);
    foreign["customizations"] = json!([{ "component": "cola", "quantity": 1 }]);
    let mut twice = line("chicken", "original", 1);
    twice["customizations"] = json!([
        { "component": "cola", "quantity": 2 },
        { "component": "cola", "quantity": 3 },
    ]);
    let ok = || line("chicken", "original", 1);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown dinner on line 1",
            draft(vec![ok(), line("pizza", "simple", 1)], json!([])),
            "lines[1].menu",
        ),
        (
            "no such style on line 2",
            draft(vec![ok(), ok(), line("chicken", "grand", 1)], json!([])),
            "lines[2].style",
        ),
        (
            "foreign component on line 0",
            draft(vec![foreign], json!([])),
            "lines[0].customizations",
        ),
        ("eleven lines", draft(vec![ok(); 11], json!([])), "lines"),
        (
            "unknown side dish",
            draft(vec![ok()], json!([{ "code": "sushi", "quantity": 1 }])),
            "side_dishes",
        ),
    ];
    for (name, bad, field) in cases {
        for (who, cookie) in [
            ("guest", guest.as_str()),
            ("customer", customer.cookie.as_str()),
        ] {
            let (status, err) = error_of(save_cart(&app, Some(cookie), &bad).await).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{name} ({who}): {err}");
            assert_eq!(err["code"], "invalid_input", "{name} ({who}): {err}");
            assert_eq!(err["field"], field, "{name} ({who}): {err}");
            assert_eq!(
                get_cart(&app, Some(cookie)).await,
                good,
                "{name} ({who}): the saved cart stays"
            );
        }
    }
    // Refused too, though the field they name is not the line's (today: `customizations`
    // for a component named twice, `arguments` for a quantity the JSON decoder refuses).
    let refused = [
        draft(vec![ok(), twice], json!([])),
        draft(vec![ok(), line("chicken", "original", 11)], json!([])),
    ];
    for bad in refused {
        let (status, err) = error_of(save_cart(&app, Some(&customer.cookie), &bad).await).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_input")),
            "{bad}: {err}"
        );
        assert_eq!(get_cart(&app, Some(&customer.cookie)).await, good, "{bad}");
    }
    // Adding an unknown dinner is refused and adds nothing (the field names the index the line
    // would have had in the cart).
    let (status, err) = error_of(
        app.post_as(
            Some(&customer),
            "/api/cart_add",
            &json!({ "line": line("pizza", "simple", 1) }),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("lines[2].menu")),
        "{err}"
    );
    assert_eq!(get_cart(&app, Some(&customer.cookie)).await, good);
    // Adding an eleventh line to a full cart is refused the same way.
    let full = draft(vec![ok(); 10], json!([]));
    save_customer_cart(&app, &customer, &full).await;
    let (status, err) = error_of(
        app.post_as(Some(&customer), "/api/cart_add", &json!({ "line": ok() }))
            .await,
    )
    .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("lines")),
        "{err}"
    );
    assert_eq!(get_cart(&app, Some(&customer.cookie)).await, full);
}
