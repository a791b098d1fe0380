//! Many customers at once: stock is never oversold and a payment is never taken twice.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    card, line, one_chicken, order, spawn_app_with, unique_email, Session, TestApp, CARD_OK,
};

const STOCK: i32 = 10;
const CHECKOUTS: usize = 50;
const CUSTOMERS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_simultaneous_checkouts_sell_exactly_the_stock() {
    let app = spawn_app_with(|c| c.db_max_connections = 20).await;
    let mut customers = Vec::new();
    for i in 0..CUSTOMERS {
        customers.push(app.quick_customer(&unique_email(&format!("rush{i}"))).await);
    }
    // Exactly ten original chicken dinners (1 fried chicken, 1 radish, 1 cola each) fit.
    app.set_store_inventory("gangnam", STOCK).await;
    let hongdae = app.inventory("hongdae").await;
    let orders_before = app.count("orders").await;

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(CHECKOUTS));
    let tasks = (0..CHECKOUTS)
        .map(|i| {
            let app = app.clone();
            let customer = customers[i % CUSTOMERS].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let res = app
                    .checkout(&customer, one_chicken("gangnam"), card(CARD_OK))
                    .await;
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let results = futures_join_all(tasks).await;

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, body) in &results {
        *by_status.entry(status.as_u16()).or_default() += 1;
        match *status {
            StatusCode::OK => assert_eq!(body["card_masked"], "**** **** **** 4242"),
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "out_of_stock", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(
        by_status,
        BTreeMap::from([(200, STOCK as usize), (409, CHECKOUTS - STOCK as usize)])
    );

    let stock = app.inventory("gangnam").await;
    for ingredient in ["fried_chicken", "pickled_radish", "cola"] {
        assert_eq!(stock[ingredient], 0, "{ingredient} sold out, not below");
    }
    assert!(stock.values().all(|q| *q >= 0));
    assert_eq!(stock["steak"], STOCK, "other ingredients untouched");
    assert_eq!(
        app.inventory("hongdae").await,
        hongdae,
        "the other store untouched"
    );

    assert_eq!(app.count("orders").await, orders_before + STOCK as i64);
    let customer_ids: Vec<i64> = customers.iter().map(|c| c.customer_id).collect();
    let (total, paid, confirmed): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE payment_status = 'paid'), \
                count(*) FILTER (WHERE order_status = 'confirmed') \
         FROM orders WHERE customer_id = ANY($1)",
    )
    .bind(&customer_ids)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (total, paid, confirmed),
        (STOCK as i64, STOCK as i64, STOCK as i64)
    );
    let reservations: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT status, count(*), sum(quantity) FROM order_inventory_reservations GROUP BY status",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        reservations,
        vec![("reserved".to_owned(), 3 * STOCK as i64, 3 * STOCK as i64)]
    );
    let successes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM mock_payments WHERE status = 'success' AND transaction_id NOT LIKE 'txn_seed_%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(successes, STOCK as i64);
    let mut numbers: Vec<&str> = results
        .iter()
        .filter_map(|(_, b)| b["order_number"].as_str())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), STOCK as usize, "order numbers are unique");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_simultaneous_checkouts_never_deadlock_and_conserve_stock() {
    let app = spawn_app_with(|c| c.db_max_connections = 20).await;
    let customer = app.quick_customer(&unique_email("mixed")).await;
    app.set_store_inventory("hongdae", 12).await;
    let start = app.inventory("hongdae").await;

    // Orders that share ingredients in different combinations (steak, wine, cola, …), so
    // transactions lock overlapping stock rows.
    let mut chicken_cola = line("chicken", "soy_garlic", 2);
    chicken_cola["customizations"] = json!([{ "component": "cola", "quantity": 2 }]);
    let shapes = [
        order(
            "hongdae",
            json!([line("valentine", "grand", 1), line("french", "simple", 1)]),
            json!([]),
        ),
        order(
            "hongdae",
            json!([chicken_cola]),
            json!([{ "code": "cola", "quantity": 1 }]),
        ),
        order(
            "hongdae",
            json!([line("english", "deluxe", 1)]),
            json!([{ "code": "salad", "quantity": 1 }]),
        ),
        order(
            "hongdae",
            json!([line("champagne_feast", "grand", 1)]),
            json!([{ "code": "fries", "quantity": 2 }]),
        ),
        order(
            "hongdae",
            json!([line("french", "deluxe", 2), line("chicken", "original", 1)]),
            json!([]),
        ),
    ];
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(40));
    let tasks = (0..40)
        .map(|i| {
            let app = app.clone();
            let customer = customer.clone();
            let request = shapes[i % shapes.len()].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let res = app.checkout(&customer, request, card(CARD_OK)).await;
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let results = futures_join_all(tasks).await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    for (status, body) in &results {
        assert!(
            *status == StatusCode::OK
                || (*status == StatusCode::CONFLICT && body["error"]["code"] == "out_of_stock"),
            "{status}: {body}"
        );
    }
    assert!(ok >= 5, "at least the first of each shape fits: {ok}");
    assert!(ok < 40, "the stock cannot hold all 40: {ok}");

    // Every unit that left the shelf is a reservation of a paid order, and back.
    let taken: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT i.code, sum(r.quantity)::bigint FROM order_inventory_reservations r \
         JOIN ingredients i ON i.id = r.ingredient_id JOIN orders o ON o.id = r.order_id \
         WHERE r.status = 'reserved' AND o.payment_status = 'paid' GROUP BY i.code",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let now = app.inventory("hongdae").await;
    for (ingredient, initial) in &start {
        let left = now[ingredient];
        assert!(left >= 0, "{ingredient}");
        assert_eq!(
            i64::from(initial - left),
            taken.get(ingredient).copied().unwrap_or(0),
            "{ingredient}: units taken = units reserved by paid orders"
        );
    }
    assert_eq!(app.order_count_of(customer.customer_id).await, ok as i64);
    let stray: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_inventory_reservations r JOIN orders o ON o.id = r.order_id \
         WHERE r.status <> 'reserved' OR o.payment_status <> 'paid'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        stray, 0,
        "no reservation left behind by a rolled-back order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_pays_with_one_key_charge_once() {
    let app = spawn_app_with(|c| c.db_max_connections = 10).await;
    let customer = app.quick_customer(&unique_email("dup")).await;
    let order_id = app.create_order(&customer, one_chicken("gangnam")).await["order_id"]
        .as_i64()
        .unwrap();

    let receipts = pay_concurrently(&app, &customer, order_id, 20, Some("double-click")).await;
    let first = &receipts[0];
    assert!(first["transaction_id"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));
    for r in &receipts {
        assert_eq!(r, first, "every answer is the same receipt");
    }
    let payments = app.payments_of(order_id).await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0].0, "success");
    assert_eq!(
        app.order_status(order_id).await,
        ("confirmed".to_owned(), "paid".to_owned())
    );
    let keys: i64 =
        sqlx::query_scalar("SELECT count(*) FROM idempotency_keys WHERE customer_id = $1")
            .bind(customer.customer_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(keys, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_pays_without_a_key_charge_once() {
    let app = spawn_app_with(|c| c.db_max_connections = 10).await;
    let customer = app.quick_customer(&unique_email("nokey")).await;
    let order_id = app.create_order(&customer, one_chicken("gangnam")).await["order_id"]
        .as_i64()
        .unwrap();
    let receipts = pay_concurrently(&app, &customer, order_id, 20, None).await;
    let transaction_ids: std::collections::BTreeSet<&str> = receipts
        .iter()
        .map(|r| r["transaction_id"].as_str().unwrap())
        .collect();
    assert_eq!(transaction_ids.len(), 1, "{transaction_ids:?}");
    let payments = app.payments_of(order_id).await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0].0, "success");
}

/// Fires `n` pays of one order at once; every one must be a 200. Returns the receipts.
async fn pay_concurrently(
    app: &TestApp,
    customer: &Session,
    order_id: i64,
    n: usize,
    key: Option<&'static str>,
) -> Vec<Value> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks = (0..n)
        .map(|_| {
            let app = app.clone();
            let customer = customer.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let res = app.pay(&customer, order_id, card(CARD_OK), key).await;
                let status = res.status();
                let body: Value = res.json().await.unwrap();
                assert_eq!(status, StatusCode::OK, "{body}");
                body
            })
        })
        .collect();
    futures_join_all(tasks).await
}

/// Awaits every task, propagating a panic from any of them.
async fn futures_join_all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task panicked"));
    }
    out
}
