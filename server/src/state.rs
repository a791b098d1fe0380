use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use app::infra::ai::AiClient;
use app::infra::context::AppContext;
use app::infra::limits::Limits;
use app::infra::redis::RedisHandle;
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
