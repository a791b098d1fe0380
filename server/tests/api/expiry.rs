//! Unpaid orders expire: cancelled, reservations released, stock back on the shelf.

use std::time::Duration;

use app::services::OrderService;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    card, error_of, line, one_chicken, order, spawn_app_with, unique_email, TestApp, CARD_DECLINED,
    CARD_OK,
};

/// A server whose own expiry job never fires during a test, so the test drives it.
async fn app_without_background_expiry() -> TestApp {
    spawn_app_with(|c| c.unpaid_order_timeout = Duration::from_secs(365 * 24 * 3600)).await
}

async fn backdate(app: &TestApp, order_id: i64, minutes: i32) {
    sqlx::query("UPDATE orders SET created_at = now() - make_interval(mins => $2) WHERE id = $1")
        .bind(order_id)
        .bind(minutes)
        .execute(&app.pool)
        .await
        .unwrap();
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(900);

#[tokio::test]
async fn an_unpaid_order_is_cancelled_and_its_stock_released() {
    let app = app_without_background_expiry().await;
    let customer = app.quick_customer(&unique_email("expire")).await;
    let before = app.inventory("gangnam").await;
    let request = order(
        "gangnam",
        json!([line("chicken", "original", 2)]),
        json!([{ "code": "fries", "quantity": 3 }]),
    );
    let order_id = app.create_order(&customer, request).await["order_id"]
        .as_i64()
        .unwrap();
    let reserved = app.inventory("gangnam").await;
    assert_eq!(reserved["fried_chicken"], before["fried_chicken"] - 2);
    assert_eq!(reserved["fries"], before["fries"] - 3);

    // Not old enough yet: nothing happens.
    assert_eq!(
        OrderService::expire_unpaid(&app.pool, FIFTEEN_MINUTES, 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.inventory("gangnam").await, reserved);

    backdate(&app, order_id, 20).await;
    assert_eq!(
        OrderService::expire_unpaid(&app.pool, FIFTEEN_MINUTES, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.order_status(order_id).await,
        ("cancelled".to_owned(), "pending".to_owned())
    );
    let reservations = app.reservations_of(order_id).await;
    assert_eq!(reservations.len(), 4);
    assert!(
        reservations.values().all(|(_, s)| s == "released"),
        "{reservations:?}"
    );
    assert_eq!(
        app.inventory("gangnam").await,
        before,
        "stock restored exactly"
    );

    // Running it again changes nothing (no double release).
    assert_eq!(
        OrderService::expire_unpaid(&app.pool, FIFTEEN_MINUTES, 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.inventory("gangnam").await, before);

    // Too late to pay: 409, and nothing is charged.
    let (status, err) = error_of(app.pay(&customer, order_id, card(CARD_OK), None).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["code"], "conflict");
    assert!(app.payments_of(order_id).await.is_empty());
    assert_eq!(
        app.order_status(order_id).await,
        ("cancelled".to_owned(), "pending".to_owned())
    );
    assert_eq!(app.inventory("gangnam").await, before);
}

#[tokio::test]
async fn expiry_spares_paid_and_recent_orders_and_takes_failed_ones() {
    let app = app_without_background_expiry().await;
    let customer = app.quick_customer(&unique_email("spare")).await;
    let start = app.inventory("hongdae").await;

    // Paid long ago: stays confirmed, its stock stays reserved for the kitchen.
    let receipt: serde_json::Value = app
        .checkout(&customer, one_chicken("hongdae"), card(CARD_OK))
        .await
        .json()
        .await
        .unwrap();
    let paid = receipt["order_id"].as_i64().unwrap();
    backdate(&app, paid, 60).await;
    // Declined long ago: still unpaid, so it expires like a pending one.
    let (_, err) = error_of(
        app.checkout(&customer, one_chicken("hongdae"), card(CARD_DECLINED))
            .await,
    )
    .await;
    let failed = err["order_id"].as_i64().unwrap();
    backdate(&app, failed, 60).await;
    // Pending but recent: stays.
    let recent = app.create_order(&customer, one_chicken("hongdae")).await["order_id"]
        .as_i64()
        .unwrap();
    backdate(&app, recent, 5).await;

    assert_eq!(
        OrderService::expire_unpaid(&app.pool, FIFTEEN_MINUTES, 100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.order_status(paid).await,
        ("confirmed".to_owned(), "paid".to_owned())
    );
    assert_eq!(
        app.order_status(failed).await,
        ("cancelled".to_owned(), "failed".to_owned())
    );
    assert_eq!(
        app.order_status(recent).await,
        ("pending".to_owned(), "pending".to_owned())
    );
    assert!(app
        .reservations_of(paid)
        .await
        .values()
        .all(|(_, s)| s == "reserved"));
    assert!(app
        .reservations_of(failed)
        .await
        .values()
        .all(|(_, s)| s == "released"));
    assert!(app
        .reservations_of(recent)
        .await
        .values()
        .all(|(_, s)| s == "reserved"));
    // Two dinners' worth of stock are still out: the paid one and the recent one.
    let now = app.inventory("hongdae").await;
    for ingredient in ["fried_chicken", "pickled_radish", "cola"] {
        assert_eq!(now[ingredient], start[ingredient] - 2, "{ingredient}");
    }
    // The seeded order history (paid, delivered) is untouched too.
    let seeded_cancelled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE order_status = 'cancelled' AND customer_id <> $1",
    )
    .bind(customer.customer_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(seeded_cancelled, 0);
}

#[tokio::test]
async fn expiry_honours_the_batch_size() {
    let app = app_without_background_expiry().await;
    let customer = app.quick_customer(&unique_email("batch")).await;
    let before = app.inventory("gangnam").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = app.create_order(&customer, one_chicken("gangnam")).await["order_id"]
            .as_i64()
            .unwrap();
        backdate(&app, id, 30).await;
        ids.push(id);
    }
    assert_eq!(
        OrderService::expire_unpaid(&app.pool, FIFTEEN_MINUTES, 2)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        OrderService::expire_unpaid(&app.pool, FIFTEEN_MINUTES, 2)
            .await
            .unwrap(),
        1
    );
    for id in ids {
        assert_eq!(app.order_status(id).await.0, "cancelled");
    }
    assert_eq!(app.inventory("gangnam").await, before);
}

#[tokio::test]
async fn the_server_expires_unpaid_orders_on_its_own() {
    // UNPAID_ORDER_TIMEOUT_SECS=1: the background job checks every second.
    let app = spawn_app_with(|c| c.unpaid_order_timeout = Duration::from_secs(1)).await;
    let customer = app.quick_customer(&unique_email("job")).await;
    let before = app.inventory("gangnam").await;
    let order_id = app.create_order(&customer, one_chicken("gangnam")).await["order_id"]
        .as_i64()
        .unwrap();
    let mut status = app.order_status(order_id).await;
    for _ in 0..100 {
        if status.0 == "cancelled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = app.order_status(order_id).await;
    }
    assert_eq!(status, ("cancelled".to_owned(), "pending".to_owned()));
    assert_eq!(app.inventory("gangnam").await, before);
    let (status, err) = error_of(app.pay(&customer, order_id, card(CARD_OK), None).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["code"], "conflict");
}
