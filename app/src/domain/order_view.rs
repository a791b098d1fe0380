//! Placed orders as customers and staff see them: views, receipts, quotes and stores.

use serde::{Deserialize, Serialize};

use super::money::Money;
use super::order::{DeliveryDetails, OrderRequest};
use super::payment::CardInput;
use super::pricing::{AppliedDiscount, PricingBreakdown};

/// A live price for the builder: the breakdown and the discounts in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Quote {
    pub pricing: PricingBreakdown,
    pub discounts: Vec<AppliedDiscount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub address: String,
}

/// A dinner line of a placed order, with the names for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderItemView {
    pub menu: String,
    pub menu_name_ko: String,
    pub menu_name_en: String,
    pub style: String,
    pub style_name_ko: String,
    pub style_name_en: String,
    pub quantity: i32,
    pub unit_price: Money,
    pub line_total: Money,
    /// Human-readable customizations, e.g. `steak ×2`.
    pub customizations: String,
    pub cake: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderSideDishView {
    pub code: String,
    pub name_ko: String,
    pub name_en: String,
    pub quantity: i32,
    pub line_total: Money,
}

/// An order as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderView {
    pub id: i64,
    pub order_number: String,
    pub store_name_ko: String,
    pub store_name_en: String,
    pub order_status: String,
    pub payment_status: String,
    pub source: String,
    pub items: Vec<OrderItemView>,
    pub side_dishes: Vec<OrderSideDishView>,
    pub discounts: Vec<AppliedDiscount>,
    pub original_price: Money,
    pub discount_amount: Money,
    pub final_price: Money,
    pub delivery: DeliveryDetails,
    pub estimated_delivery_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Every change of status after the order was placed, oldest first.
    #[serde(default)]
    pub history: Vec<crate::domain::staff::StatusChange>,
    /// The mock refund of a cancelled, paid order.
    #[serde(default)]
    pub refund: Option<crate::domain::staff::Refund>,
}

/// What `create_order` answers: the order exists, pending payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedOrder {
    pub order_id: i64,
    pub order_number: String,
    pub pricing: PricingBreakdown,
}

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PaymentReceipt {
    pub order_id: i64,
    pub order_number: String,
    pub transaction_id: String,
    pub approval_number: String,
    pub amount: Money,
    pub card_masked: String,
    pub estimated_delivery_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `주문이 완료되었습니다. 주문 번호: …`
    pub message: String,
}

impl PaymentReceipt {
    pub fn success_message(order_number: &str) -> String {
        format!("주문이 완료되었습니다. 주문 번호: {order_number}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutRequest {
    pub order: OrderRequest,
    pub payment: CardInput,
}

/// A row of "my orders".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderSummary {
    pub id: i64,
    pub order_number: String,
    pub order_status: String,
    pub payment_status: String,
    pub final_price: Money,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The dinner lines in a few words: `발렌타인 디너 × 1, 치킨 디너 × 2`.
    #[serde(default)]
    pub dinners_ko: String,
    #[serde(default)]
    pub dinners_en: String,
}
