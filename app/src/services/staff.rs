//! StaffService: the kitchen board's orders and the status changes staff make.

use sqlx::PgPool;

use crate::domain::account::Customer;
use crate::domain::order_view::OrderView;
use crate::domain::staff::{Actor, OrderStatus, StaffRole, StatusChangeRequest};
use crate::error::AppError;
use crate::services::lifecycle::Transition;
use crate::services::order_view::{load_order_view, OrderScope};

/// A signed-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: i64,
    pub role: StaffRole,
    /// `None` for a manager, who sees every store.
    pub store_id: Option<i64>,
}

impl StaffMember {
    /// The staff member an account is; 403 for a customer.
    pub fn of(account: &Customer) -> Result<StaffMember, AppError> {
        let role = account
            .staff_role()
            .ok_or_else(|| AppError::Forbidden("직원만 볼 수 있는 페이지입니다.".into()))?;
        Ok(StaffMember {
            id: account.id,
            role,
            store_id: account.store_id,
        })
    }

    pub fn scope(&self) -> OrderScope {
        OrderScope::Store(self.store_id)
    }

    /// Whether a change of an order of `store_id` concerns this member's board.
    pub fn sees_store(&self, store_id: i64) -> bool {
        self.store_id.is_none_or(|own| own == store_id)
    }
}

/// Most orders the board lists at once.
const BOARD_LIMIT: i64 = 100;

pub struct StaffService;

impl StaffService {
    /// The store's paid orders with `status`, or without one the board's: everything between
    /// confirmed and on the way, and what was delivered or cancelled in the last 12 hours.
    /// Oldest first, the order the kitchen works in.
    pub async fn list_orders(
        pool: &PgPool,
        staff: &StaffMember,
        status: Option<OrderStatus>,
    ) -> Result<Vec<OrderView>, AppError> {
        let (customer, store) = staff.scope().binds();
        let ids = sqlx::query_scalar!(
            "SELECT o.id FROM orders o \
             WHERE o.payment_status <> 'pending' AND o.payment_status <> 'failed' \
               AND ($2::bigint IS NULL OR o.customer_id = $2) \
               AND ($3::bigint IS NULL OR o.store_id = $3) \
               AND CASE WHEN $1::text IS NOT NULL THEN o.order_status = $1 \
                        ELSE o.order_status IN ('confirmed', 'preparing', 'delivering') \
                             OR o.updated_at > now() - interval '12 hours' END \
             ORDER BY o.created_at, o.id LIMIT $4",
            status.map(OrderStatus::code),
            customer,
            store,
            BOARD_LIMIT,
        )
        .fetch_all(pool)
        .await?;
        let mut orders = Vec::with_capacity(ids.len());
        for id in ids {
            orders.push(load_order_view(pool, id, staff.scope()).await?);
        }
        Ok(orders)
    }

    /// Moves one of the store's orders; the answer is the order as it is now.
    pub async fn change_status(
        pool: &PgPool,
        staff: &StaffMember,
        order_id: i64,
        req: &StatusChangeRequest,
    ) -> Result<OrderView, AppError> {
        let change = Transition {
            actor: Actor::Staff(staff.role),
            by: staff.id,
            to: req.status,
            reason: req.reason.as_deref(),
        };
        change.run(pool, order_id, staff.scope()).await
    }
}
