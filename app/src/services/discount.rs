//! DiscountService: the customer's tier and the events running now, fed to the pure pricing
//! function. The tier is counted from paid orders so it can never drift from the history.

use sqlx::PgConnection;

use crate::error::AppError;
use crate::menu::Menu;
use crate::order::{OrderDraft, Tier};
use crate::pricing::{price_order, ActiveEvent, PricingBreakdown};

pub struct DiscountService;

impl DiscountService {
    pub async fn customer_tier(
        conn: &mut PgConnection,
        customer_id: i64,
    ) -> Result<Tier, AppError> {
        let paid: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM orders WHERE customer_id = $1 AND payment_status = 'paid'",
        )
        .bind(customer_id)
        .fetch_one(conn)
        .await?;
        Ok(Tier::from_paid_orders(paid))
    }

    pub async fn active_events(conn: &mut PgConnection) -> Result<Vec<ActiveEvent>, AppError> {
        let rows: Vec<(i64, String, String, i32, Vec<String>)> = sqlx::query_as(
            "SELECT e.id, e.title_ko, e.title_en, e.discount_percent, \
                    array_agg(m.code ORDER BY m.code) \
             FROM events e JOIN event_menus em ON em.event_id = e.id JOIN menus m ON m.id = em.menu_id \
             WHERE e.active AND now() >= e.valid_from AND now() < e.valid_to \
             GROUP BY e.id ORDER BY e.id",
        )
        .fetch_all(conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, title_ko, title_en, percent, menu_codes)| ActiveEvent {
                    id,
                    title_ko,
                    title_en,
                    discount_percent: i64::from(percent),
                    menu_codes,
                },
            )
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
