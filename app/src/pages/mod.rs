//! One module per page, plus the pieces every page shares.

pub mod auth;
mod builder_fields;
mod cart_button;
mod dinner;
mod home;
pub mod lang;
mod layout;
mod live;
mod menu;
mod order_builder;
pub mod orders;
mod payment;
mod staff;
mod staff_events;
mod staff_stock;
mod voice_order;

pub use auth::{AccountPage, LoginPage, SignupPage};
pub use dinner::DinnerPage;
pub use home::HomePage;
pub use layout::{ErrorMessage, Header, NotFound};
pub use menu::MenuPage;
pub use order_builder::OrderBuilderPage;
pub use orders::{MyOrdersPage, OrderPage};
pub use payment::PaymentPage;
pub use staff::StaffBoardPage;
pub use staff_events::StaffEventsPage;
pub use staff_stock::StaffStockPage;

/// The time now. In the browser from `Date.now()`: chrono's own clock is not built for wasm32
/// and panics there.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    #[cfg(feature = "hydrate")]
    {
        chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now()
    }
}
