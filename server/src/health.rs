//! `GET /healthz`: is the server able to reach what it depends on?

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub postgres: &'static str,
    pub redis: &'static str,
}

const DB_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db = async {
        let ping = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&state.pool);
        matches!(tokio::time::timeout(DB_TIMEOUT, ping).await, Ok(Ok(1)))
    };
    let redis = async { state.redis.ping().await };
    let (db_ok, redis_result) = tokio::join!(db, redis);
    if let Err(err) = &redis_result {
        tracing::warn!(error = %err, "health check: redis unreachable");
    }
    if !db_ok {
        tracing::warn!("health check: postgres unreachable");
    }
    let redis_ok = redis_result.is_ok();
    let label = |ok: bool| if ok { "ok" } else { "unreachable" };
    let all_ok = db_ok && redis_ok;
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if all_ok { "ok" } else { "degraded" },
            postgres: label(db_ok),
            redis: label(redis_ok),
        }),
    )
}
