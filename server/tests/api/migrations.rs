use server::startup::MIGRATOR;
use sqlx::PgPool;

use crate::helpers::create_database;

async fn table_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn migrations_apply_revert_and_reapply_on_an_empty_database() {
    let url = create_database().await;
    let pool = PgPool::connect(&url).await.unwrap();
    assert_eq!(table_count(&pool).await, 0);

    MIGRATOR.run(&pool).await.unwrap();
    let tables = table_count(&pool).await;
    assert!(
        tables >= 21,
        "expected the whole schema, found {tables} tables"
    );
    // Running again is a no-op, not an error.
    MIGRATOR.run(&pool).await.unwrap();

    MIGRATOR.undo(&pool, 0).await.unwrap();
    assert_eq!(
        table_count(&pool).await,
        0,
        "down migrations leave no table behind"
    );

    MIGRATOR.run(&pool).await.unwrap();
    assert_eq!(table_count(&pool).await, tables);
    let dinners: i64 = sqlx::query_scalar("SELECT count(*) FROM menus")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(dinners, 5);
}

#[tokio::test]
async fn stock_can_never_go_negative() {
    let url = create_database().await;
    let pool = PgPool::connect(&url).await.unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let err =
        sqlx::query("UPDATE store_inventory SET quantity_on_hand = quantity_on_hand - 100000")
            .execute(&pool)
            .await
            .unwrap_err();
    let constraint = err
        .as_database_error()
        .and_then(|e| e.constraint())
        .map(str::to_owned);
    assert_eq!(
        constraint.as_deref(),
        Some("store_inventory_quantity_nonnegative")
    );
}
