//! The restaurant's side as the browser and the server share it: staff roles, the order
//! lifecycle (DESIGN §4, §10) and who may move an order where.

use serde::{Deserialize, Serialize};

/// Why an order may not move: the first two are conflicts (409), the last is forbidden (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("조리가 시작된 주문은 취소할 수 없습니다.")]
    TooLateToCancel,
    #[error("주문 상태를 {}에서 {}(으)로 바꿀 수 없습니다.", .from.code(), .to.code())]
    NoSuchMove { from: OrderStatus, to: OrderStatus },
    #[error("이 작업을 할 권한이 없습니다.")]
    NotYourMove,
}

impl TransitionError {
    /// A move that does not exist or no longer applies (409), rather than a forbidden one.
    pub fn is_conflict(self) -> bool {
        self != TransitionError::NotYourMove
    }
}

/// A staff member's job. Kitchen and delivery staff belong to one store; a manager sees all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StaffRole {
    Kitchen,
    Delivery,
    Manager,
}

impl StaffRole {
    /// The role of an account's `role` column; `None` for a customer.
    pub fn parse(code: &str) -> Option<StaffRole> {
        match code {
            "kitchen" => Some(StaffRole::Kitchen),
            "delivery" => Some(StaffRole::Delivery),
            "manager" => Some(StaffRole::Manager),
            _ => None,
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Preparing,
    Delivering,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Preparing,
        OrderStatus::Delivering,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Preparing => "preparing",
            OrderStatus::Delivering => "delivering",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<OrderStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The one step forward the board offers, if any.
    pub fn next(self) -> Option<OrderStatus> {
        match self {
            OrderStatus::Confirmed => Some(OrderStatus::Preparing),
            OrderStatus::Preparing => Some(OrderStatus::Delivering),
            OrderStatus::Delivering => Some(OrderStatus::Delivered),
            _ => None,
        }
    }

    /// A customer may cancel until the kitchen starts.
    pub fn customer_may_cancel(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Confirmed)
    }
}

/// Who asks for a change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Customer,
    Staff(StaffRole),
}

/// Whether `actor` may move an order from `from` to `to`: 409 for a move that does not exist
/// (or no longer applies: someone else moved the order first), 403 for a move this role may
/// not make.
pub fn check_transition(
    actor: Actor,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<(), TransitionError> {
    use OrderStatus::*;
    use StaffRole::*;
    if actor == Actor::Customer
        && to == Cancelled
        && matches!(from, Preparing | Delivering | Delivered)
    {
        return Err(TransitionError::TooLateToCancel);
    }
    let allowed: &[Actor] = match (from, to) {
        (Confirmed, Preparing) => &[Actor::Staff(Kitchen), Actor::Staff(Manager)],
        (Preparing, Delivering) => &[
            Actor::Staff(Kitchen),
            Actor::Staff(Delivery),
            Actor::Staff(Manager),
        ],
        (Delivering, Delivered) => &[Actor::Staff(Delivery), Actor::Staff(Manager)],
        (Pending | Confirmed, Cancelled) => &[
            Actor::Customer,
            Actor::Staff(Kitchen),
            Actor::Staff(Manager),
        ],
        (Preparing, Cancelled) => &[Actor::Staff(Kitchen), Actor::Staff(Manager)],
        (Delivering, Cancelled) => &[Actor::Staff(Manager)],
        _ => return Err(TransitionError::NoSuchMove { from, to }),
    };
    if allowed.contains(&actor) {
        Ok(())
    } else {
        Err(TransitionError::NotYourMove)
    }
}

/// `POST /api/staff/orders/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusChangeRequest {
    pub status: OrderStatus,
    /// Required to cancel; at most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub reason: Option<String>,
}

/// `POST /api/orders/{id}/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CancelRequest {
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub reason: String,
}

/// One step of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub status: String,
    pub reason: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A mock refund of a cancelled, paid order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Refund {
    pub transaction_id: String,
    pub amount: crate::domain::money::Money,
    pub card_masked: String,
}

/// What the live streams send: an order changed (the client refetches what it shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderEvent {
    pub order_id: i64,
    pub store_id: i64,
    pub customer_id: i64,
    pub order_status: String,
    pub payment_status: String,
}

/// One ingredient of a store's stock. `reserved` units are already off the shelf, held by
/// orders the kitchen has not started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StockRow {
    pub ingredient: String,
    pub name_ko: String,
    pub name_en: String,
    pub unit_ko: String,
    pub unit_en: String,
    pub on_hand: i32,
    pub reserved: i64,
}

/// `GET /api/staff/stock`: a store's ingredients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StoreStock {
    pub store: String,
    pub store_name_ko: String,
    pub store_name_en: String,
    pub rows: Vec<StockRow>,
}

/// Most units one restock may add.
pub const MAX_RESTOCK: i32 = 10_000;

/// `POST /api/staff/stock`: a manager adds units of an ingredient to a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RestockRequest {
    pub store: String,
    pub ingredient: String,
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 10000))]
    pub add: i32,
}

/// A discount event as the manager sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventView {
    pub id: i64,
    pub title_ko: String,
    pub title_en: String,
    pub discount_percent: i32,
    pub valid_from: chrono::DateTime<chrono::Utc>,
    pub valid_to: chrono::DateTime<chrono::Utc>,
    pub active: bool,
    /// The dinners it applies to, by code.
    pub menus: Vec<String>,
}

/// `POST /api/staff/menu-events` and `PUT /api/staff/menu-events/{id}`. Times are RFC 3339, or
/// an `<input type=datetime-local>` value in Korea's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventInput {
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub title_ko: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub title_en: String,
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 100))]
    pub discount_percent: i32,
    pub valid_from: String,
    pub valid_to: String,
    pub menus: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const KITCHEN: Actor = Actor::Staff(StaffRole::Kitchen);
    const RIDER: Actor = Actor::Staff(StaffRole::Delivery);
    const MANAGER: Actor = Actor::Staff(StaffRole::Manager);

    #[test]
    fn the_board_moves_orders_forward_one_step() {
        assert!(check_transition(KITCHEN, Confirmed, Preparing).is_ok());
        assert!(check_transition(RIDER, Preparing, Delivering).is_ok());
        assert!(check_transition(RIDER, Delivering, Delivered).is_ok());
        assert_eq!(Confirmed.next(), Some(Preparing));
        assert_eq!(Delivered.next(), None);
    }

    #[test]
    fn a_move_that_does_not_exist_is_a_conflict() {
        for (from, to) in [
            (Delivered, Preparing),
            (Pending, Preparing),
            (Confirmed, Delivered),
            (Cancelled, Confirmed),
            (Delivered, Cancelled),
            (Preparing, Preparing),
        ] {
            let err = check_transition(MANAGER, from, to).unwrap_err();
            assert!(err.is_conflict(), "{from:?} → {to:?}");
        }
    }

    #[test]
    fn roles_keep_to_their_part() {
        let forbidden =
            |a, f, t| check_transition(a, f, t).unwrap_err() == TransitionError::NotYourMove;
        assert!(forbidden(RIDER, Confirmed, Preparing));
        assert!(forbidden(KITCHEN, Delivering, Delivered));
        assert!(forbidden(Actor::Customer, Confirmed, Preparing));
        assert!(forbidden(RIDER, Confirmed, Cancelled));
        assert!(forbidden(KITCHEN, Delivering, Cancelled));
        assert!(check_transition(MANAGER, Delivering, Cancelled).is_ok());
    }

    #[test]
    fn customers_cancel_until_the_kitchen_starts() {
        assert!(check_transition(Actor::Customer, Pending, Cancelled).is_ok());
        assert!(check_transition(Actor::Customer, Confirmed, Cancelled).is_ok());
        let err = check_transition(Actor::Customer, Preparing, Cancelled).unwrap_err();
        assert!(err.is_conflict());
        assert!(err.to_string().contains("취소할 수 없습니다"));
        assert!(Confirmed.customer_may_cancel() && !Preparing.customer_may_cancel());
    }

    #[test]
    fn statuses_round_trip_their_codes() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.code()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
        }
        assert_eq!(StaffRole::parse("customer"), None);
    }
}
