//! Starts the real application against a fresh PostgreSQL database of its own, on a random port.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use server::config::Config;
use server::startup::Application;
use sqlx::{Connection, Executor, PgConnection, PgPool};

pub const TEST_DB_PREFIX: &str = "mrdaebak_t_";

/// The PostgreSQL server tests use: `TEST_DATABASE_URL`'s server or the local default.
fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn create_database() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "{TEST_DB_PREFIX}{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let admin = admin_url();
    let mut conn = PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL must be running for integration tests");
    conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("admin url has a database");
    format!("{base}/{name}")
}

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app; `tweak` may change the configuration first (e.g. point Redis elsewhere).
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = create_database().await;
    let mut config = Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(database_url.clone()),
        "REDIS_URL" => Some(redis_url()),
        "LISTEN_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DATABASE_MAX_CONNECTIONS" => Some("5".to_owned()),
        "REDIS_TIMEOUT_MS" => Some("1000".to_owned()),
        _ => None,
    })
    .expect("test configuration");
    tweak(&mut config);
    let app = Application::build(&config)
        .await
        .expect("application starts");
    let address = format!("http://{}", app.addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let pool = server::startup::connect_pool(&database_url)
        .await
        .expect("connect to test database");
    TestApp {
        address,
        pool,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client"),
    }
}
