//! DiscountService: the customer's tier and the events running now, fed to the pure pricing
//! function. The tier is counted from paid orders so it can never drift from the history.

use sqlx::PgConnection;

use crate::domain::menu::Menu;
use crate::domain::order::{OrderDraft, Tier};
use crate::domain::pricing::{price_order, ActiveEvent, PricingBreakdown};
use crate::error::AppError;

pub struct DiscountService;

impl DiscountService {
    pub async fn customer_tier(
        conn: &mut PgConnection,
        customer_id: i64,
    ) -> Result<Tier, AppError> {
        let paid = sqlx::query_scalar!(
            "SELECT count(*) AS \"count!\" FROM orders WHERE customer_id = $1 AND payment_status = 'paid'",
            customer_id,
        )
        .fetch_one(conn)
        .await?;
        Ok(Tier::from_paid_orders(paid))
    }

    pub async fn active_events(conn: &mut PgConnection) -> Result<Vec<ActiveEvent>, AppError> {
        let rows = sqlx::query!(
            "SELECT e.id, e.title_ko, e.title_en, e.discount_percent, \
                    array_agg(m.code ORDER BY m.code) AS \"menu_codes!\" \
             FROM events e JOIN event_menus em ON em.event_id = e.id JOIN menus m ON m.id = em.menu_id \
             WHERE e.active AND now() >= e.valid_from AND now() < e.valid_to \
             GROUP BY e.id ORDER BY e.id",
        )
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ActiveEvent {
                id: row.id,
                title_ko: row.title_ko,
                title_en: row.title_en,
                discount_percent: i64::from(row.discount_percent),
                menu_codes: row.menu_codes,
            })
            .collect())
    }

    /// Prices a draft for a customer (a guest pays the regular rate).
    pub async fn calculate_order_pricing(
        conn: &mut PgConnection,
        customer_id: Option<i64>,
        menu: &Menu,
        draft: &OrderDraft,
    ) -> Result<PricingBreakdown, AppError> {
        let tier = match customer_id {
            Some(id) => Self::customer_tier(&mut *conn, id).await?,
            None => Tier::Regular,
        };
        let events = Self::active_events(conn).await?;
        Ok(price_order(menu, draft, tier, &events)?)
    }
}
