//! The server functions the pages call: each checks the caller, calls a service and returns.
//! The REST routes of `server/` call the same services.

pub mod account;
pub mod cart;
pub mod checkout;
pub mod i18n;
pub mod menu;
#[cfg(feature = "ssr")]
pub mod session;
pub mod staff;
pub mod voice;
