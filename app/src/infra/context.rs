//! Server-only context handed to every server function by the axum binary.

use sqlx::PgPool;

use super::redis::RedisHandle;

/// What server functions need from the running server. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppContext {
    pub pool: PgPool,
    pub redis: RedisHandle,
    /// The AI worker queues (voice ordering).
    pub ai: crate::infra::ai::AiClient,
    pub limits: crate::infra::limits::Limits,
}

/// The server's context, from inside a server function or a page being rendered. An error, not
/// a panic, if a route forgot to provide it: a panic inside a render task hangs the response.
pub fn app_context() -> Result<AppContext, crate::error::AppError> {
    leptos::prelude::use_context::<AppContext>().ok_or_else(|| {
        tracing::error!("AppContext is not provided on this route");
        crate::error::AppError::Internal
    })
}

/// The address of the client whose request is being served, as the server recorded it.
pub fn client_addr() -> Option<crate::infra::limits::ClientAddr> {
    leptos::prelude::use_context::<http::request::Parts>()?
        .extensions
        .get::<crate::infra::limits::ClientAddr>()
        .copied()
}
