use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use app::services::limits::Limits;
use app::services::AiClient;
use app::ssr::{AppContext, RedisHandle};
use sqlx::PgPool;

/// Everything a handler may need, made once at start-up and cloned per request.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub redis: RedisHandle,
    pub ai: AiClient,
    pub limits: Limits,
    /// Order changes for the live pages.
    pub events: crate::events::OrderEvents,
    /// Served behind TLS (HSTS, `Secure` cookies).
    pub tls: bool,
}

impl AppState {
    /// The slice of state that server functions see.
    pub fn app_context(&self) -> AppContext {
        AppContext {
            pool: self.pool.clone(),
            redis: self.redis.clone(),
            ai: self.ai.clone(),
            limits: self.limits.clone(),
        }
    }
}
