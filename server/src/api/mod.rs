//! The REST API. Each resource has its own router; all of them call the services in `app`.

pub mod auth;
pub mod checkout;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod orders;
pub mod staff;
pub mod voice;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(checkout::CheckoutRouter::router())
        .merge(orders::OrderRouter::router())
        .merge(staff::StaffRouter::router())
        .merge(voice::VoiceRouter::router())
        .merge(openapi::router())
}
