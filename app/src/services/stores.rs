//! The stores: where an order can be delivered from.

use sqlx::PgPool;

use crate::domain::order_view::Store;
use crate::error::AppError;

/// The open stores, in the order they were opened.
pub async fn active_stores(pool: &PgPool) -> Result<Vec<Store>, AppError> {
    Ok(sqlx::query_as!(
        Store,
        "SELECT code, name_ko, name_en, address FROM stores WHERE active ORDER BY id",
    )
    .fetch_all(pool)
    .await?)
}
