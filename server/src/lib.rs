//! The axum server: configuration, shared state, routes and start-up. `main.rs` only wires
//! these together so tests can start the same application on a random port.

pub mod api;
pub mod config;
pub mod events;
pub mod health;
pub mod jobs;
pub mod middleware;
pub mod startup;
pub mod state;
pub mod telemetry;
