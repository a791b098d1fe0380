//! The mock card processor through the API (DESIGN §6, scenario 2a) and paying a pending order.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    card, error_of, one_chicken, spawn_app, unique_email, CARD_DECLINED, CARD_EXPIRED,
    CARD_INSUFFICIENT_FUNDS, CARD_OK,
};

#[tokio::test]
async fn a_declined_card_keeps_the_order_pending_and_it_can_be_paid_again() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("declined")).await;
    let before = app.inventory("gangnam").await;

    let res = app
        .checkout(&customer, one_chicken("gangnam"), card(CARD_DECLINED))
        .await;
    let (status, err) = error_of(res).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(err["code"], "card_declined");
    assert_eq!(err["message"], "결제에 실패했습니다. 다시 시도해 주세요.");
    let order_id = err["order_id"].as_i64().expect("the 402 names the order");
    let order_number = err["order_number"]
        .as_str()
        .expect("and its number")
        .to_owned();

    assert_eq!(
        app.order_status(order_id).await,
        ("pending".to_owned(), "failed".to_owned())
    );
    assert_eq!(
        app.payments_of(order_id).await,
        vec![(
            "failed".to_owned(),
            Some("card_declined".to_owned()),
            "**** **** **** 0002".to_owned(),
            28_000
        )]
    );
    // The stock stays reserved for the retry.
    let reservations = app.reservations_of(order_id).await;
    assert_eq!(reservations.len(), 3);
    assert!(
        reservations
            .values()
            .all(|(q, s)| *q == 1 && s == "reserved"),
        "{reservations:?}"
    );
    let after = app.inventory("gangnam").await;
    assert_eq!(after["fried_chicken"], before["fried_chicken"] - 1);

    // The owner sees it as failed, and pays again with a good card.
    let view: Value = app
        .get_as(Some(&customer), &format!("/api/orders/{order_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["payment_status"], "failed");
    assert_eq!(view["order_status"], "pending");

    let res = app.pay(&customer, order_id, card(CARD_OK), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let receipt: Value = res.json().await.unwrap();
    assert_eq!(receipt["order_id"], order_id);
    assert_eq!(receipt["order_number"], order_number.as_str());
    assert_eq!(receipt["amount"], 28_000);
    assert_eq!(
        receipt["message"],
        format!("주문이 완료되었습니다. 주문 번호: {order_number}")
    );
    assert_eq!(
        app.order_status(order_id).await,
        ("confirmed".to_owned(), "paid".to_owned())
    );
    let payments = app.payments_of(order_id).await;
    assert_eq!(payments.len(), 2);
    assert_eq!(
        payments[1],
        (
            "success".to_owned(),
            None,
            "**** **** **** 4242".to_owned(),
            28_000
        )
    );
    let reservations = app.reservations_of(order_id).await;
    assert!(
        reservations.values().all(|(_, s)| s == "reserved"),
        "{reservations:?}"
    );
    // Paying did not take the stock a second time.
    assert_eq!(app.inventory("gangnam").await, after);
}

#[tokio::test]
async fn each_test_card_declines_with_its_own_code() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("codes")).await;
    for (number, code, last4) in [
        (CARD_DECLINED, "card_declined", "0002"),
        (CARD_INSUFFICIENT_FUNDS, "insufficient_funds", "9995"),
        (CARD_EXPIRED, "expired_card", "0069"),
    ] {
        let (status, err) = error_of(
            app.checkout(&customer, one_chicken("hongdae"), card(number))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{number}");
        assert_eq!(err["code"], code);
        let order_id = err["order_id"].as_i64().unwrap();
        assert_eq!(
            app.order_status(order_id).await,
            ("pending".to_owned(), "failed".to_owned())
        );
        let payments = app.payments_of(order_id).await;
        assert_eq!(payments.len(), 1, "{number}");
        assert_eq!(payments[0].0, "failed");
        assert_eq!(payments[0].1.as_deref(), Some(code));
        assert_eq!(payments[0].2, format!("**** **** **** {last4}"));
        let message: Option<String> =
            sqlx::query_scalar("SELECT error_message FROM mock_payments WHERE order_id = $1")
                .bind(order_id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert!(message.is_some_and(|m| !m.is_empty()));

        // Paying the same order with another decline card records a second failure.
        let (status, err) = error_of(app.pay(&customer, order_id, card(number), None).await).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(err["code"], code);
        assert_eq!(err["order_id"], order_id);
        assert_eq!(app.payments_of(order_id).await.len(), 2);
    }
    // No full card number or CVV was stored anywhere in the payments.
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM mock_payments p \
         WHERE row_to_json(p)::text ~ '4000 ?0000 ?0000|\"123\"'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
    assert_eq!(app.order_count_of(customer.customer_id).await, 3);
}

#[tokio::test]
async fn a_bad_card_on_pay_is_400_and_charges_nothing() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("paybad")).await;
    let created = app.create_order(&customer, one_chicken("gangnam")).await;
    let order_id = created["order_id"].as_i64().unwrap();
    assert_eq!(created["pricing"]["final_price"], 28_000);
    assert!(created["order_number"]
        .as_str()
        .is_some_and(|n| n.starts_with("MD-")));
    assert_eq!(
        app.order_status(order_id).await,
        ("pending".to_owned(), "pending".to_owned())
    );
    let bad = |number: &str, expiry: &str, cvv: &str, holder: &str| json!({ "number": number, "expiry": expiry, "cvv": cvv, "holder": holder });
    for (card, field) in [
        (
            bad("4242 4242 4242 4241", "12/39", "123", "Hong"),
            "card_number",
        ),
        (bad("4242 4242 4242 4242", "01/20", "123", "Hong"), "expiry"),
        (bad("4242 4242 4242 4242", "12/39", "12", "Hong"), "cvv"),
        (bad("4242 4242 4242 4242", "12/39", "123", " "), "holder"),
    ] {
        let (status, err) = error_of(app.pay(&customer, order_id, card.clone(), None).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{card}");
        assert_eq!(err["code"], "invalid_input");
        assert_eq!(err["field"], field, "{card}: {err}");
    }
    assert!(
        app.payments_of(order_id).await.is_empty(),
        "nothing charged"
    );
    assert_eq!(
        app.order_status(order_id).await,
        ("pending".to_owned(), "pending".to_owned())
    );
}

#[tokio::test]
async fn another_customers_order_is_not_found() {
    let app = spawn_app().await;
    let owner = app.quick_customer(&unique_email("owner")).await;
    let other = app.quick_customer(&unique_email("other")).await;
    let created = app.create_order(&owner, one_chicken("gangnam")).await;
    let order_id = created["order_id"].as_i64().unwrap();

    let res = app
        .get_as(Some(&owner), &format!("/api/orders/{order_id}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let (status, err) = error_of(
        app.get_as(Some(&other), &format!("/api/orders/{order_id}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["code"], "not_found");
    let (status, err) = error_of(app.pay(&other, order_id, card(CARD_OK), None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["code"], "not_found");
    // A seeded order of the silver demo customer is just as invisible.
    let seeded: i64 = sqlx::query_scalar("SELECT min(id) FROM orders")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (status, _) = error_of(
        app.get_as(Some(&other), &format!("/api/orders/{seeded}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = error_of(app.get_as(Some(&other), "/api/orders/999999999").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert!(
        app.payments_of(order_id).await.is_empty(),
        "the stranger charged nothing"
    );
    assert_eq!(
        app.order_status(order_id).await,
        ("pending".to_owned(), "pending".to_owned())
    );
    let list: Value = app
        .get_as(Some(&other), "/api/orders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]), "the stranger's list is empty");
}

#[tokio::test]
async fn paying_a_paid_order_again_charges_nothing() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("twice")).await;
    let created = app.create_order(&customer, one_chicken("gangnam")).await;
    let order_id = created["order_id"].as_i64().unwrap();

    let first: Value = app
        .pay(&customer, order_id, card(CARD_OK), None)
        .await
        .json()
        .await
        .unwrap();
    let transaction_id = first["transaction_id"].as_str().unwrap().to_owned();
    for number in [CARD_OK, "5555 5555 5555 4444"] {
        let res = app.pay(&customer, order_id, card(number), None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let again: Value = res.json().await.unwrap();
        assert_eq!(again["transaction_id"], transaction_id.as_str());
        assert_eq!(again["approval_number"], first["approval_number"]);
        assert_eq!(again["amount"], 28_000);
        assert_eq!(again["card_masked"], "**** **** **** 4242");
    }
    let payments = app.payments_of(order_id).await;
    assert_eq!(payments.len(), 1, "one charge: {payments:?}");
    assert_eq!(payments[0].0, "success");
}

#[tokio::test]
async fn an_idempotency_key_replays_its_answer_and_belongs_to_one_order() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("idem")).await;
    let first_order = app.create_order(&customer, one_chicken("gangnam")).await["order_id"]
        .as_i64()
        .unwrap();
    let second_order = app.create_order(&customer, one_chicken("gangnam")).await["order_id"]
        .as_i64()
        .unwrap();

    // A declined attempt under a key is replayed as the same 402, without a new charge.
    let (status, err) = error_of(
        app.pay(&customer, first_order, card(CARD_DECLINED), Some("key-1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(err["code"], "card_declined");
    let (status, err) = error_of(
        app.pay(&customer, first_order, card(CARD_OK), Some("key-1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "replayed");
    assert_eq!(err["code"], "card_declined");
    assert_eq!(app.payments_of(first_order).await.len(), 1);

    // A fresh key pays.
    let res = app
        .pay(&customer, first_order, card(CARD_OK), Some("key-2"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let receipt: Value = res.json().await.unwrap();

    // The same key for another order is refused and charges nothing.
    let (status, err) = error_of(
        app.pay(&customer, second_order, card(CARD_OK), Some("key-2"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["code"], "idempotency_key_reused");
    assert!(app.payments_of(second_order).await.is_empty());
    assert_eq!(
        app.order_status(second_order).await,
        ("pending".to_owned(), "pending".to_owned())
    );

    // Replaying key-2 returns the same receipt.
    let again: Value = app
        .pay(&customer, first_order, card(CARD_OK), Some("key-2"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, receipt);
    let successes = app
        .payments_of(first_order)
        .await
        .into_iter()
        .filter(|p| p.0 == "success")
        .count();
    assert_eq!(successes, 1);
}

#[tokio::test]
async fn a_voice_order_is_created_pending_with_its_source_through_both_paths() {
    let app = spawn_app().await;
    let customer = app.quick_customer(&unique_email("voicesrc")).await;
    let source_of = |id: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT source FROM orders WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // REST: the request says "voice"; without `source` it is the GUI.
    let mut voice = one_chicken("gangnam");
    voice["source"] = json!("voice");
    let created = app.create_order(&customer, voice).await;
    let voice_id = created["order_id"].as_i64().unwrap();
    assert_eq!(source_of(voice_id).await, "voice");
    assert_eq!(
        app.order_status(voice_id).await,
        ("pending".to_owned(), "pending".to_owned())
    );
    let created = app.create_order(&customer, one_chicken("gangnam")).await;
    assert_eq!(
        source_of(created["order_id"].as_i64().unwrap()).await,
        "gui"
    );

    // The server function the voice page calls; the price is the server's, whatever is sent.
    let mut voice = one_chicken("gangnam");
    voice["source"] = json!("voice");
    voice["final_price"] = json!(10);
    let res = app
        .post_as(
            Some(&customer),
            "/api/create_order",
            &json!({ "order": voice }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pricing"]["final_price"], 28_000);
    assert_eq!(source_of(body["order_id"].as_i64().unwrap()).await, "voice");

    let mut unknown = one_chicken("gangnam");
    unknown["source"] = json!("phone");
    let (status, _) = error_of(app.post_as(Some(&customer), "/api/orders", &unknown).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
