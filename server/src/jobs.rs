//! Background duties of the server process.

use std::time::Duration;

use app::services::OrderService;
use sqlx::PgPool;

/// Cancels orders left unpaid longer than `unpaid_for` and releases their stock, every
/// `every`. Safe in every replica: the query skips rows another process holds.
pub async fn expire_unpaid_orders(pool: PgPool, unpaid_for: Duration, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Ends when the pool is closed at shutdown.
    while !pool.is_closed() {
        tick.tick().await;
        if let Err(err) = OrderService::expire_unpaid(&pool, unpaid_for, 500).await {
            tracing::warn!(error = %err, "expiring unpaid orders failed; retrying next tick");
        }
    }
}
