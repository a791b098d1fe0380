//! Builds the application: pool, migrations, Redis, router, listener.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use app::infra::ai::{AiClient, AiConfig};
use app::infra::limits::Limits;
use app::infra::redis::{RedisHandle, RedisHandleError};
use app::{shell, App};

use crate::config::Config;
use crate::health::healthz;
use crate::middleware;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Database(#[source] sqlx::Error),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid REDIS_URL: {0}")]
    Redis(#[from] RedisHandleError),
    #[error("cannot read the Leptos configuration: {0}")]
    Leptos(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    pool: PgPool,
    events: crate::events::OrderEvents,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        let pool = PgPoolOptions::new()
            .max_connections(config.db_max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&config.database_url)
            .await
            .map_err(StartupError::Database)?;
        MIGRATOR.run(&pool).await?;

        let redis = RedisHandle::open(&config.redis_url, config.redis_timeout)?;
        if let Err(err) = redis.ping().await {
            // Start anyway: /healthz reports it, and the connection is retried on next use.
            tracing::warn!(error = %err, "redis is not reachable at start-up");
        }

        let mut leptos_options = get_configuration(None)
            .map_err(|e| StartupError::Leptos(e.to_string()))?
            .leptos_options;
        if leptos_options.output_name.is_empty() {
            // Set by cargo-leptos at build time; plain `cargo test` builds lack it.
            leptos_options.output_name = "mrdaebak".into();
        }
        leptos_options.site_addr = config.listen_addr;

        // Check often enough that an order never outlives its timeout by much.
        let every = (config.unpaid_order_timeout / 4)
            .clamp(Duration::from_secs(1), Duration::from_secs(30));
        let events = crate::events::OrderEvents::default();
        let background = vec![
            tokio::spawn(crate::jobs::expire_unpaid_orders(
                pool.clone(),
                config.unpaid_order_timeout,
                every,
            )),
            events.listen(pool.clone()),
        ];

        let ai = AiClient::new(
            redis.clone(),
            AiConfig {
                timeout: config.ai_timeout,
                stt_queue: config.ai_stt_queue.clone(),
                llm_queue: config.ai_llm_queue.clone(),
            },
        );
        let limits = Limits::new(redis.clone(), config.limits.clone());
        let state = AppState {
            leptos_options,
            pool: pool.clone(),
            redis,
            ai,
            limits,
            events: events.clone(),
            tls: config.tls,
        };
        let router = router(state);
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|source| StartupError::Bind {
                addr: config.listen_addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.listen_addr,
            source,
        })?;
        Ok(Application {
            listener,
            router,
            addr,
            pool,
            events,
            background,
        })
    }

    /// The bound address (port 0 in the config becomes a real port here).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's database pool (closing it stops the server's database work).
    pub fn pool(&self) -> PgPool {
        self.pool.clone()
    }

    /// Serves until `shutdown` resolves, lets in-flight requests finish, then stops the
    /// background jobs and closes the database pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let events = self.events.clone();
        let shutdown = async move {
            shutdown.await;
            // Open event streams never finish by themselves.
            events.close_streams();
        };
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        for job in self.background {
            job.abort();
        }
        self.pool.close().await;
        served
    }
}

/// The app's routes, listed once per process. Listing renders the app with resource loading
/// switched off by a process-wide flag (`leptos_server::SuppressResourceLoad`), so a second
/// listing while another router in the process serves pages left their resources unloaded and
/// those responses hung (the test suite builds many apps in one process).
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let context = state.app_context();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let context = context.clone();
                move || provide_context(context.clone())
            },
            move || shell(options.clone()),
        )
        // The 404 page renders the whole app (header, account link), so it needs the same
        // context as every other page.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(move || provide_context(context.clone()), shell))
        .layer(from_fn(middleware::api_body))
        .layer(from_fn(middleware::same_origin))
        .layer(from_fn(middleware::api_errors))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(from_fn(middleware::client_addr))
        .layer(CompressionLayer::new())
        .layer(
            // One INFO line per request (method, path, status, latency); bodies are never logged.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Exposed for tests that want the pool the server uses.
pub async fn connect_pool(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new().max_connections(5).connect(url).await
}
