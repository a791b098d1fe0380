//! What the AI is told besides the utterance: the customer's recent dinners and the events
//! running now. Failures only cost the recommendation, so they are logged, not returned.

use ai_protocol::{EventInfo, HistoryEntry};
use sqlx::PgPool;

use crate::services::DiscountService;

/// How many past dinners the AI sees.
const HISTORY_LIMIT: i64 = 10;

/// The dinners of the customer's last paid orders, most recent first (at most 10). A
/// failure only costs the recommendation, so it is logged and answered with no history.
pub async fn order_history(pool: &PgPool, customer_id: i64) -> Vec<HistoryEntry> {
    struct Row {
        menu: String,
        style: String,
        quantity: i32,
        ordered_at: chrono::DateTime<chrono::Utc>,
    }
    let rows = sqlx::query_as!(
        Row,
        "SELECT m.code AS menu, s.code AS style, i.quantity, o.created_at AS ordered_at \
             FROM orders o \
             JOIN order_items i ON i.order_id = o.id \
             JOIN menus m ON m.id = i.menu_id \
             JOIN menu_styles s ON s.id = i.style_id \
             WHERE o.customer_id = $1 AND o.payment_status = 'paid' \
             ORDER BY o.created_at DESC, o.id DESC, i.id \
             LIMIT $2",
        customer_id,
        HISTORY_LIMIT,
    )
    .fetch_all(pool)
    .await;
    match rows {
        Ok(rows) => rows
            .into_iter()
            .map(|row| HistoryEntry {
                menu: row.menu,
                style: row.style,
                quantity: u32::try_from(row.quantity).unwrap_or(1),
                ordered_at: row.ordered_at.to_rfc3339(),
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, customer_id, "cannot read the order history");
            Vec::new()
        }
    }
}

/// The events running now, one entry per dinner they apply to: the same events, from the
/// same query, that DiscountService prices with.
pub async fn active_events(pool: &PgPool) -> Vec<EventInfo> {
    let events = async {
        let mut conn = pool.acquire().await?;
        DiscountService::active_events(&mut conn).await
    };
    match events.await {
        Ok(events) => events
            .into_iter()
            .flat_map(|e| {
                let percent = u32::try_from(e.discount_percent).unwrap_or(0);
                e.menu_codes.into_iter().map(move |menu| EventInfo {
                    name: e.title_ko.clone(),
                    menu: Some(menu),
                    discount_percent: percent,
                })
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the active events");
            Vec::new()
        }
    }
}
