//! EventService: the discount events a manager runs (DESIGN §5). Quotes and voice previews
//! read the events table on every request, so a change here prices the next quote.

use sqlx::{PgConnection, PgPool};

use crate::domain::staff::{EventInput, EventView, StaffRole};
use crate::domain::text::TextRule;
use crate::error::AppError;
use crate::services::orders::parse_time;
use crate::services::staff::StaffMember;

const TITLE_KO: TextRule = TextRule::line("title_ko", 100);
const TITLE_EN: TextRule = TextRule::line("title_en", 100);

pub struct EventService;

/// An event input that passed validation.
struct ValidEvent {
    title_ko: String,
    title_en: String,
    percent: i32,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    menus: Vec<String>,
}

fn validate(input: &EventInput) -> Result<ValidEvent, AppError> {
    if !(1..=100).contains(&input.discount_percent) {
        return Err(AppError::invalid(
            "discount_percent",
            "1에서 100 사이여야 합니다",
        ));
    }
    let from = parse_time("valid_from", &input.valid_from)?;
    let to = parse_time("valid_to", &input.valid_to)?;
    if to <= from {
        return Err(AppError::invalid("valid_to", "시작 시각보다 뒤여야 합니다"));
    }
    if input.menus.is_empty() {
        return Err(AppError::invalid("menus", "디너를 하나 이상 골라 주세요"));
    }
    Ok(ValidEvent {
        title_ko: TITLE_KO.check(&input.title_ko)?,
        title_en: TITLE_EN.check(&input.title_en)?,
        percent: input.discount_percent,
        from,
        to,
        menus: input.menus.clone(),
    })
}

fn manager_only(staff: &StaffMember) -> Result<(), AppError> {
    match staff.role {
        StaffRole::Manager => Ok(()),
        _ => Err(AppError::Forbidden(
            "이벤트는 매니저만 관리할 수 있습니다.".into(),
        )),
    }
}

impl EventService {
    /// Every event, newest first (staff of any role may look).
    pub async fn list(pool: &PgPool) -> Result<Vec<EventView>, AppError> {
        Ok(sqlx::query_as!(
            EventView,
            "SELECT e.id, e.title_ko, e.title_en, e.discount_percent, e.valid_from, \
                e.valid_to, e.active, coalesce((SELECT array_agg(m.code ORDER BY m.sort_order) \
                  FROM event_menus em JOIN menus m ON m.id = em.menu_id WHERE em.event_id = e.id), '{}') \
                AS \"menus!\" \
             FROM events e ORDER BY e.valid_to DESC, e.id DESC LIMIT 100",
        )
        .fetch_all(pool)
        .await?)
    }

    pub async fn create(
        pool: &PgPool,
        staff: &StaffMember,
        input: &EventInput,
    ) -> Result<EventView, AppError> {
        manager_only(staff)?;
        let event = validate(input)?;
        let mut tx = pool.begin().await?;
        let id = sqlx::query_scalar!(
            "INSERT INTO events (title_ko, title_en, discount_percent, valid_from, valid_to) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            event.title_ko,
            event.title_en,
            event.percent,
            event.from,
            event.to,
        )
        .fetch_one(&mut *tx)
        .await?;
        set_menus(&mut tx, id, &event.menus).await?;
        tx.commit().await?;
        tracing::info!(event = id, percent = event.percent, "event created");
        Self::one(pool, id).await
    }

    pub async fn update(
        pool: &PgPool,
        staff: &StaffMember,
        id: i64,
        input: &EventInput,
    ) -> Result<EventView, AppError> {
        manager_only(staff)?;
        let event = validate(input)?;
        let mut tx = pool.begin().await?;
        let updated = sqlx::query!(
            "UPDATE events SET title_ko = $2, title_en = $3, discount_percent = $4, \
             valid_from = $5, valid_to = $6 WHERE id = $1",
            id,
            event.title_ko,
            event.title_en,
            event.percent,
            event.from,
            event.to,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(not_found());
        }
        set_menus(&mut tx, id, &event.menus).await?;
        tx.commit().await?;
        Self::one(pool, id).await
    }

    /// Ends an event now: it prices nothing from here on.
    pub async fn end(pool: &PgPool, staff: &StaffMember, id: i64) -> Result<EventView, AppError> {
        manager_only(staff)?;
        let updated = sqlx::query!(
            "UPDATE events SET active = false, \
             valid_to = CASE WHEN valid_to > now() AND valid_from < now() THEN now() ELSE valid_to END \
             WHERE id = $1",
            id,
        )
        .execute(pool)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(not_found());
        }
        Self::one(pool, id).await
    }

    async fn one(pool: &PgPool, id: i64) -> Result<EventView, AppError> {
        sqlx::query_as!(
            EventView,
            "SELECT e.id, e.title_ko, e.title_en, e.discount_percent, e.valid_from, \
                e.valid_to, e.active, coalesce((SELECT array_agg(m.code ORDER BY m.sort_order) \
                  FROM event_menus em JOIN menus m ON m.id = em.menu_id WHERE em.event_id = e.id), '{}') \
                AS \"menus!\" \
             FROM events e WHERE e.id = $1",
            id,
        )
        .fetch_optional(pool)
        .await?
        .ok_or_else(not_found)
    }
}

fn not_found() -> AppError {
    AppError::NotFound("이벤트를 찾을 수 없습니다".into())
}

/// Replaces the dinners an event applies to; an unknown code is the caller's 400.
async fn set_menus(tx: &mut PgConnection, id: i64, menus: &[String]) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM event_menus WHERE event_id = $1", id)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query!(
        "INSERT INTO event_menus (event_id, menu_id) \
         SELECT $1, id FROM menus WHERE code = ANY($2) ON CONFLICT DO NOTHING",
        id,
        menus,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let distinct: std::collections::BTreeSet<&String> = menus.iter().collect();
    if inserted as usize != distinct.len() {
        return Err(AppError::invalid("menus", "알 수 없는 디너가 있습니다"));
    }
    Ok(())
}
