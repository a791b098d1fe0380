//! OrderService: turns a priced request into rows, reserving stock in the same transaction.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::menu::{Dinner, Menu};
use crate::domain::money::Money;
use crate::domain::order::{
    DeliveryDetails, LineDraft, OrderRequest, SideDishDraft, ADDRESS, LETTERING, NOTES, PHONE,
    RECIPIENT, STORE,
};
use crate::domain::order_view::{CreatedOrder, OrderSummary, OrderView};
use crate::domain::pricing::{PricedLine, PricingBreakdown};
use crate::domain::reservation::{Needs, OrderPart};
use crate::domain::staff::{Actor, OrderStatus};
use crate::error::AppError;
use crate::services::lifecycle::{record, release_stock, Transition};
use crate::services::menu::load_menu;
use crate::services::order_view::{load_order_view, OrderScope};
use crate::services::DiscountService;

pub struct OrderService;

/// Most dinner lines or side-dish lines one order may have.
pub(crate) const MAX_LINES: usize = 10;
/// Unpaid orders one customer may hold at once: each reserves stock until paid or expired.
pub const MAX_PENDING_ORDERS: i64 = 5;
/// Kitchen and delivery time when the customer asks for "as soon as possible".
pub const DEFAULT_DELIVERY_MINUTES: i64 = 45;

/// A request whose free-text fields passed validation.
struct ValidDelivery {
    address: String,
    recipient: String,
    phone: String,
    requested_at: Option<DateTime<Utc>>,
    notes: Option<String>,
}

/// How far ahead a delivery may be booked.
const MAX_DAYS_AHEAD: i64 = 14;

fn parse_requested_at(raw: &str) -> Result<DateTime<Utc>, AppError> {
    parse_time("requested_at", raw)
}

/// Accepts RFC 3339, or the `YYYY-MM-DDTHH:MM` of an `<input type=datetime-local>` in Korea's time.
pub(crate) fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let kst = chrono::FixedOffset::east_opt(9 * 3600).ok_or(AppError::Internal)?;
    NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|naive| kst.from_local_datetime(&naive).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid(field, "날짜와 시간 형식이 올바르지 않습니다"))
}

fn validate_delivery(d: &DeliveryDetails) -> Result<ValidDelivery, AppError> {
    let requested_at = match d.requested_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let t = parse_requested_at(raw)?;
            if t < Utc::now() - chrono::Duration::minutes(1) {
                return Err(AppError::invalid(
                    "requested_at",
                    "지난 시간은 선택할 수 없습니다",
                ));
            }
            if t > Utc::now() + chrono::Duration::days(MAX_DAYS_AHEAD) {
                return Err(AppError::invalid(
                    "requested_at",
                    format!("{MAX_DAYS_AHEAD}일 이내로 선택해 주세요"),
                ));
            }
            Some(t)
        }
    };
    let notes = NOTES.check(d.notes.as_deref().unwrap_or(""))?;
    Ok(ValidDelivery {
        address: ADDRESS.check(&d.address)?,
        recipient: RECIPIENT.check(&d.recipient)?,
        phone: PHONE.check(&d.phone)?,
        requested_at,
        notes: (!notes.is_empty()).then_some(notes),
    })
}

/// Shape checks the pricing function does not make.
fn validate_shape(req: &OrderRequest) -> Result<(), AppError> {
    STORE.check(&req.store)?;
    if req.lines.is_empty() {
        return Err(AppError::invalid("lines", "디너를 하나 이상 선택해 주세요"));
    }
    validate_lines(&req.lines, &req.side_dishes)
}

/// The checks of an order's lines that need no menu: at most 10 lines of each kind, no
/// component or side dish named twice, lettering within its rule. Shared with the cart.
pub(crate) fn validate_lines(
    lines: &[LineDraft],
    side_dishes: &[SideDishDraft],
) -> Result<(), AppError> {
    if lines.len() > MAX_LINES || side_dishes.len() > MAX_LINES {
        return Err(AppError::invalid(
            "lines",
            "한 주문에 최대 10줄까지 담을 수 있습니다",
        ));
    }
    for line in lines {
        let mut seen = std::collections::HashSet::new();
        if !line
            .customizations
            .iter()
            .all(|c| seen.insert(c.component.as_str()))
        {
            return Err(AppError::invalid(
                "customizations",
                "같은 구성품이 두 번 지정되었습니다",
            ));
        }
        if let Some(cake) = &line.cake {
            LETTERING.check(&cake.lettering)?;
        }
    }
    let mut seen = std::collections::HashSet::new();
    if !side_dishes.iter().all(|s| seen.insert(s.code.as_str())) {
        return Err(AppError::invalid(
            "side_dishes",
            "같은 곁들임 메뉴가 두 번 지정되었습니다",
        ));
    }
    Ok(())
}

fn missing(field: &str) -> AppError {
    // The pricing step already checked every code against the menu; a miss here means the
    // menu changed in between.
    AppError::invalid(field, "메뉴가 변경되었습니다. 다시 시도해 주세요")
}

type Needed = Needs;

/// The id of the active store `code` names (400 for any other).
async fn active_store_id(tx: &mut PgConnection, code: &str) -> Result<i64, AppError> {
    sqlx::query_scalar!("SELECT id FROM stores WHERE code = $1 AND active", code)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::invalid("store", format!("알 수 없는 매장입니다: '{code}'")))
}

/// The order's own row, pending payment; answers its id and number.
async fn insert_order(
    tx: &mut PgConnection,
    customer_id: i64,
    store_id: i64,
    pricing: &PricingBreakdown,
    applied: &serde_json::Value,
    delivery: &ValidDelivery,
    source: &str,
) -> Result<(i64, String), AppError> {
    let row = sqlx::query!(
        "INSERT INTO orders (customer_id, store_id, original_price, discount_amount, final_price, \
            applied_discounts, delivery_address, recipient_name, recipient_phone, \
            requested_delivery_at, notes, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id, order_number",
        customer_id,
        store_id,
        pricing.original_price.won(),
        pricing.discount_amount.won(),
        pricing.final_price.won(),
        applied,
        delivery.address,
        delivery.recipient,
        delivery.phone,
        delivery.requested_at,
        delivery.notes,
        source,
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok((row.id, row.order_number))
}

/// One dinner line with its customizations; adds the ingredients it uses to `needed`.
async fn insert_line(
    tx: &mut PgConnection,
    menu: &Menu,
    order_id: i64,
    line: &LineDraft,
    priced: &PricedLine,
    needed: &mut Needed,
) -> Result<(), AppError> {
    let dinner = menu.dinner(&line.menu).ok_or_else(|| missing("menu"))?;
    let style = dinner
        .styles
        .iter()
        .find(|s| s.code == line.style)
        .ok_or_else(|| missing("style"))?;
    let cake = line.cake.as_ref();
    let item_id = sqlx::query_scalar!(
        "INSERT INTO order_items (order_id, menu_id, style_id, quantity, unit_price, line_total, \
            cake_size, cake_flavor, cake_lettering, cake_price) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        order_id,
        dinner.id,
        style.id,
        i32::from(line.quantity.get()),
        priced.unit_price.won(),
        priced.line_total.won(),
        cake.map(|c| &c.size),
        cake.map(|c| &c.flavor),
        cake.map(|c| c.lettering.trim()).filter(|l| !l.is_empty()),
        priced.cake_price.won(),
    )
    .fetch_one(&mut *tx)
    .await?;
    insert_components(tx, dinner, item_id, line, needed).await
}

/// The line's components: a row for each one the customer changed, and every unit it uses
/// added to `needed`.
async fn insert_components(
    tx: &mut PgConnection,
    dinner: &Dinner,
    item_id: i64,
    line: &LineDraft,
    needed: &mut Needed,
) -> Result<(), AppError> {
    for component in &dinner.components {
        let custom = line
            .customizations
            .iter()
            .find(|c| c.component == component.code);
        let per_dinner = custom.map_or(i64::from(component.default_quantity), |c| {
            i64::from(c.quantity.get())
        });
        if let Some(custom) = custom {
            let extra = per_dinner - i64::from(component.default_quantity);
            let delta = component.extra_unit_price.won() * extra.max(0);
            sqlx::query!(
                "INSERT INTO order_item_customizations (order_item_id, component_id, quantity, price_delta) \
                 VALUES ($1, $2, $3, $4)",
                item_id,
                component.component_id,
                i32::from(custom.quantity.get()),
                delta,
            )
            .execute(&mut *tx)
            .await?;
        }
        needed.add(
            component.ingredient_id,
            per_dinner * i64::from(line.quantity.get()),
        );
    }
    Ok(())
}

/// The side-dish lines; adds the portions to `needed`.
async fn insert_side_dishes(
    tx: &mut PgConnection,
    menu: &Menu,
    order_id: i64,
    req: &OrderRequest,
    pricing: &PricingBreakdown,
    needed: &mut Needed,
) -> Result<(), AppError> {
    needed.begin(OrderPart::SideDishes);
    for (side, priced) in req.side_dishes.iter().zip(&pricing.side_dishes) {
        let dish = menu
            .side_dishes
            .iter()
            .find(|d| d.code == side.code)
            .ok_or_else(|| missing("side_dishes"))?;
        sqlx::query!(
            "INSERT INTO order_side_dishes (order_id, side_dish_id, quantity, unit_price, line_total) \
             VALUES ($1, $2, $3, $4, $5)",
            order_id,
            dish.id,
            i32::from(side.quantity.get()),
            priced.unit_price.won(),
            priced.line_total.won(),
        )
        .execute(&mut *tx)
        .await?;
        needed.add(dish.ingredient_id, i64::from(side.quantity.get()));
    }
    Ok(())
}

/// The 409 of a shortfall of one ingredient, naming the part of the order that ran short.
fn shortfall(ingredient_id: i64, on_hand: i64, code: Option<String>, needed: &Needed) -> AppError {
    let part = needed.short_part(ingredient_id, on_hand);
    tracing::info!(
        ingredient_id,
        on_hand,
        ?part,
        "not enough stock; order rolled back"
    );
    AppError::OutOfStock {
        field: part.map(OrderPart::field),
        ingredient: code,
    }
}

/// Takes the units off the store's shelves and records the reservations. The shelves are
/// locked in ingredient order (so two checkouts cannot deadlock) and read in one statement;
/// any shortfall is 409 (the caller's transaction then rolls everything back); one more
/// statement takes every ingredient and records its reservation.
async fn reserve_stock(
    tx: &mut PgConnection,
    order_id: i64,
    store_id: i64,
    needed: Needed,
) -> Result<(), AppError> {
    let totals = needed.totals();
    if totals.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = totals.keys().copied().collect();
    let shelves = sqlx::query!(
        "SELECT si.ingredient_id, si.quantity_on_hand, i.code FROM store_inventory si \
         JOIN ingredients i ON i.id = si.ingredient_id \
         WHERE si.store_id = $1 AND si.ingredient_id = ANY($2) \
         ORDER BY si.ingredient_id FOR UPDATE OF si",
        store_id,
        &ids,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut units = Vec::with_capacity(ids.len());
    for (&ingredient_id, &quantity) in &totals {
        let shelf = shelves.iter().find(|s| s.ingredient_id == ingredient_id);
        let on_hand = shelf.map_or(0, |s| i64::from(s.quantity_on_hand));
        if on_hand < quantity {
            let code = shelf.map(|s| s.code.clone());
            return Err(shortfall(ingredient_id, on_hand, code, &needed));
        }
        units.push(i32::try_from(quantity).map_err(|_| AppError::Internal)?);
    }
    sqlx::query!(
        "WITH need AS (SELECT * FROM unnest($3::bigint[], $4::int[]) AS n(ingredient_id, quantity)), \
              taken AS ( \
                UPDATE store_inventory si SET quantity_on_hand = si.quantity_on_hand - need.quantity \
                FROM need WHERE si.store_id = $2 AND si.ingredient_id = need.ingredient_id \
                RETURNING si.ingredient_id, need.quantity) \
         INSERT INTO order_inventory_reservations (order_id, store_id, ingredient_id, quantity) \
         SELECT $1, $2, taken.ingredient_id, taken.quantity FROM taken",
        order_id,
        store_id,
        &ids,
        &units,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

impl OrderService {
    /// Prices and stores an order with `payment_status = 'pending'`, reserving its ingredients
    /// from the store. One transaction: on any shortfall nothing is written (409, 2b).
    #[tracing::instrument(
        skip(pool, req),
        fields(store = %req.store, lines = req.lines.len(), source = req.source.code())
    )]
    pub async fn create_order(
        pool: &PgPool,
        customer_id: i64,
        req: &OrderRequest,
    ) -> Result<CreatedOrder, AppError> {
        // The menu is read before the transaction: one connection per order, never two.
        let menu = load_menu(pool).await?;
        let mut tx = pool.begin().await?;
        let created = Self::create_order_in(&mut tx, &menu, customer_id, req).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// `create_order` inside the caller's transaction: checkout pays in the same one.
    pub(crate) async fn create_order_in(
        tx: &mut PgConnection,
        menu: &Menu,
        customer_id: i64,
        req: &OrderRequest,
    ) -> Result<CreatedOrder, AppError> {
        validate_shape(req)?;
        let delivery = validate_delivery(&req.delivery)?;
        Self::check_pending_cap(tx, customer_id).await?;
        let store_id = active_store_id(tx, &req.store).await?;
        let pricing = DiscountService::calculate_order_pricing(
            &mut *tx,
            Some(customer_id),
            menu,
            &req.draft(),
        )
        .await?;
        let applied = serde_json::to_value(pricing.applied_discounts(menu))
            .map_err(|_| AppError::Internal)?;
        let source = req.source.code();
        let (order_id, order_number) = insert_order(
            tx,
            customer_id,
            store_id,
            &pricing,
            &applied,
            &delivery,
            source,
        )
        .await?;

        let mut needed = Needed::default();
        for (i, (line, priced)) in req.lines.iter().zip(&pricing.lines).enumerate() {
            needed.begin(OrderPart::Line(i));
            insert_line(tx, menu, order_id, line, priced, &mut needed).await?;
        }
        insert_side_dishes(tx, menu, order_id, req, &pricing, &mut needed).await?;
        reserve_stock(tx, order_id, store_id, needed).await?;
        tracing::info!(order_id, %order_number, final_price = pricing.final_price.won(), "order created");
        Ok(CreatedOrder {
            order_id,
            order_number,
            pricing,
        })
    }

    /// 409 when the customer already holds `MAX_PENDING_ORDERS` unpaid orders. The customer's
    /// row lock makes one customer's concurrent orders count one another.
    async fn check_pending_cap(tx: &mut PgConnection, customer_id: i64) -> Result<(), AppError> {
        sqlx::query!(
            "SELECT id FROM customers WHERE id = $1 FOR UPDATE",
            customer_id,
        )
        .fetch_optional(&mut *tx)
        .await?;
        let pending = sqlx::query_scalar!(
            "SELECT count(*) AS \"count!\" FROM orders WHERE customer_id = $1 \
             AND payment_status IN ('pending', 'failed') AND order_status <> 'cancelled'",
            customer_id,
        )
        .fetch_one(&mut *tx)
        .await?;
        if pending >= MAX_PENDING_ORDERS {
            return Err(AppError::Conflict(format!(
                "결제하지 않은 주문이 {pending}건 있습니다. 한 번에 {MAX_PENDING_ORDERS}건까지 \
                 둘 수 있으니, 먼저 결제하시거나 15분 뒤 자동 취소된 후 다시 주문해 주세요."
            )));
        }
        Ok(())
    }

    /// Prices a draft without storing anything (the builder's live price).
    pub async fn quote(
        pool: &PgPool,
        customer_id: Option<i64>,
        draft: &crate::domain::order::OrderDraft,
    ) -> Result<(Menu, PricingBreakdown), AppError> {
        let menu = load_menu(pool).await?;
        let mut conn = pool.acquire().await?;
        let pricing =
            DiscountService::calculate_order_pricing(&mut conn, customer_id, &menu, draft).await?;
        Ok((menu, pricing))
    }

    /// One order of one customer; someone else's order is simply not found.
    pub async fn get_order(
        pool: &PgPool,
        customer_id: i64,
        order_id: i64,
    ) -> Result<OrderView, AppError> {
        load_order_view(pool, order_id, OrderScope::Customer(customer_id)).await
    }

    /// Cancels one of the customer's orders before the kitchen starts it: its stock goes back
    /// and a paid order is refunded (once, however many requests race).
    pub async fn cancel_order(
        pool: &PgPool,
        customer_id: i64,
        order_id: i64,
        reason: &str,
    ) -> Result<OrderView, AppError> {
        let scope = OrderScope::Customer(customer_id);
        let change = Transition {
            actor: Actor::Customer,
            by: customer_id,
            to: OrderStatus::Cancelled,
            reason: Some(reason),
        };
        change.run(pool, order_id, scope).await
    }

    pub async fn list_orders(
        pool: &PgPool,
        customer_id: i64,
    ) -> Result<Vec<OrderSummary>, AppError> {
        Ok(sqlx::query_as!(
            OrderSummary,
            "SELECT o.id, o.order_number, o.order_status, o.payment_status, \
                    o.final_price AS \"final_price: Money\", o.created_at, \
                    coalesce(d.ko, '') AS \"dinners_ko!\", coalesce(d.en, '') AS \"dinners_en!\" \
             FROM orders o LEFT JOIN LATERAL ( \
                 SELECT string_agg(m.name_ko || ' × ' || oi.quantity, ', ' ORDER BY oi.id) AS ko, \
                        string_agg(m.name_en || ' × ' || oi.quantity, ', ' ORDER BY oi.id) AS en \
                 FROM order_items oi JOIN menus m ON m.id = oi.menu_id WHERE oi.order_id = o.id \
             ) d ON true \
             WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT 100",
            customer_id,
        )
        .fetch_all(pool)
        .await?)
    }

    /// Cancels pending orders left unpaid longer than `unpaid_for` and puts their reserved
    /// stock back. `SKIP LOCKED` lets every server replica run this at once safely; an order
    /// being paid right now is locked by the payment and skipped.
    pub async fn expire_unpaid(
        pool: &PgPool,
        unpaid_for: Duration,
        batch: i64,
    ) -> Result<u64, AppError> {
        let mut tx = pool.begin().await?;
        let expired = sqlx::query_scalar!(
            "UPDATE orders SET order_status = 'cancelled' WHERE id IN ( \
                SELECT id FROM orders \
                WHERE order_status = 'pending' AND payment_status <> 'paid' \
                  AND created_at < now() - make_interval(secs => $1) \
                ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
            unpaid_for.as_secs_f64(),
            batch,
        )
        .fetch_all(&mut *tx)
        .await?;
        if expired.is_empty() {
            return Ok(0);
        }
        release_stock(&mut tx, &expired).await?;
        for &order_id in &expired {
            record(
                &mut tx,
                order_id,
                Some(OrderStatus::Pending),
                OrderStatus::Cancelled,
                None,
                Some("결제 시간 초과"),
            )
            .await?;
        }
        tx.commit().await?;
        tracing::info!(
            count = expired.len(),
            "cancelled unpaid orders and released their stock"
        );
        Ok(expired.len() as u64)
    }
}
