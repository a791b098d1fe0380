//! StockService: a store's ingredients for the staff, restocking by a manager, and which
//! dinners a store can no longer make (sold out).

use sqlx::PgPool;

use crate::domain::staff::{RestockRequest, StaffRole, StockRow, StoreStock, MAX_RESTOCK};
use crate::error::AppError;
use crate::services::staff::StaffMember;

pub struct StockService;

/// The most units of one ingredient a store may hold.
const MAX_ON_HAND: i32 = 1_000_000;

struct StoreRow {
    id: i64,
    code: String,
    name_ko: String,
    name_en: String,
}

/// The store `code` names, if this member may see it (404 otherwise); without a code, the
/// member's own store, or the first store for a manager.
async fn visible_store(
    pool: &PgPool,
    staff: &StaffMember,
    code: Option<&str>,
) -> Result<StoreRow, AppError> {
    let store = sqlx::query_as!(
        StoreRow,
        "SELECT id, code, name_ko, name_en FROM stores \
         WHERE ($1::text IS NULL OR code = $1) AND ($2::bigint IS NULL OR id = $2) \
         ORDER BY id LIMIT 1",
        code.filter(|c| !c.is_empty()),
        staff.store_id,
    )
    .fetch_optional(pool)
    .await?;
    store.ok_or_else(|| AppError::NotFound("매장을 찾을 수 없습니다".into()))
}

impl StockService {
    pub async fn store_stock(
        pool: &PgPool,
        staff: &StaffMember,
        store: Option<&str>,
    ) -> Result<StoreStock, AppError> {
        let store = visible_store(pool, staff, store).await?;
        let rows = sqlx::query_as!(
            StockRow,
            "SELECT i.code AS ingredient, i.name_ko, i.name_en, i.unit_ko, i.unit_en, \
                    si.quantity_on_hand AS on_hand, \
                    coalesce((SELECT sum(r.quantity) FROM order_inventory_reservations r \
                              WHERE r.store_id = si.store_id AND r.ingredient_id = si.ingredient_id \
                                AND r.status = 'reserved'), 0)::bigint AS \"reserved!\" \
             FROM store_inventory si JOIN ingredients i ON i.id = si.ingredient_id \
             WHERE si.store_id = $1 ORDER BY i.id",
            store.id,
        )
        .fetch_all(pool)
        .await?;
        Ok(StoreStock {
            store: store.code,
            store_name_ko: store.name_ko,
            store_name_en: store.name_en,
            rows,
        })
    }

    /// Adds units to one ingredient of a store (managers only); answers the store's stock.
    pub async fn restock(
        pool: &PgPool,
        staff: &StaffMember,
        req: &RestockRequest,
    ) -> Result<StoreStock, AppError> {
        if staff.role != StaffRole::Manager {
            return Err(AppError::Forbidden(
                "재고는 매니저만 채울 수 있습니다.".into(),
            ));
        }
        if !(1..=MAX_RESTOCK).contains(&req.add) {
            return Err(AppError::invalid(
                "add",
                format!("1에서 {MAX_RESTOCK} 사이여야 합니다"),
            ));
        }
        let store = visible_store(pool, staff, Some(&req.store)).await?;
        let ingredient =
            sqlx::query_scalar!("SELECT id FROM ingredients WHERE code = $1", req.ingredient)
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| AppError::invalid("ingredient", "알 수 없는 재료입니다"))?;
        let updated = sqlx::query!(
            "UPDATE store_inventory SET quantity_on_hand = quantity_on_hand + $3 \
             WHERE store_id = $1 AND ingredient_id = $2 AND quantity_on_hand <= $4::integer - $3",
            store.id,
            ingredient,
            req.add,
            MAX_ON_HAND,
        )
        .execute(pool)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(AppError::invalid(
                "add",
                format!("한 재료의 재고는 {MAX_ON_HAND}개를 넘을 수 없습니다"),
            ));
        }
        tracing::info!(store = %store.code, ingredient = %req.ingredient, add = req.add, "restocked");
        Self::store_stock(pool, staff, Some(&store.code)).await
    }
}
