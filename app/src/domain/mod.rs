//! Pure types and rules shared by the browser and the server, each with its unit tests. Nothing
//! here imports another layer of the crate.

pub mod account;
pub mod i18n;
pub mod menu;
pub mod money;
pub mod order;
pub mod order_view;
pub mod payment;
pub mod pricing;
pub mod reservation;
pub mod staff;
pub mod text;
pub mod voice;
