//! Starts the real application against a fresh PostgreSQL database of its own, on a random port.

use std::collections::BTreeMap;
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

pub fn redis_url() -> String {
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

#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
    /// Stops the server (and closes its pool) when the last clone is dropped.
    _server: std::sync::Arc<StopOnDrop>,
}

/// The running server of one test: aborted, and its database connections closed, when the
/// test's `TestApp` goes away (PostgreSQL allows only so many connections).
struct StopOnDrop {
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    pool: PgPool,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.server.abort();
        let pool = self.pool.clone();
        server_runtime().spawn(async move { pool.close().await });
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime")
    })
}

/// AI queue names of this test alone, so no real worker (and no other test) takes its jobs.
#[derive(Debug, Clone)]
pub struct AiQueues {
    pub stt: String,
    pub llm: String,
}

impl AiQueues {
    pub fn private() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tag = format!(
            "{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        AiQueues {
            stt: format!("test:ai:queue:stt:{tag}"),
            llm: format!("test:ai:queue:llm:{tag}"),
        }
    }

    /// Points a configuration at these queues with the given answer timeout.
    pub fn configure(&self, config: &mut Config, timeout: std::time::Duration) {
        config.ai_timeout = timeout;
        config.ai_stt_queue = self.stt.clone();
        config.ai_llm_queue = self.llm.clone();
    }

    /// Jobs waiting on each queue: `(stt, llm)`.
    pub async fn lengths(&self) -> (i64, i64) {
        let mut conn = redis_connection().await;
        let stt: i64 = redis::cmd("LLEN")
            .arg(&self.stt)
            .query_async(&mut conn)
            .await
            .unwrap();
        let llm: i64 = redis::cmd("LLEN")
            .arg(&self.llm)
            .query_async(&mut conn)
            .await
            .unwrap();
        (stt, llm)
    }

    /// Deletes both queues.
    pub async fn delete(&self) {
        let mut conn = redis_connection().await;
        let _: i64 = redis::cmd("DEL")
            .arg(&self.stt)
            .arg(&self.llm)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

/// A fresh Redis connection of the test's own.
pub async fn redis_connection() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis must be running for integration tests")
}

/// Starts the app with private AI queues and the given answer timeout.
pub async fn spawn_app_with_ai(timeout: std::time::Duration) -> (TestApp, AiQueues) {
    let queues = AiQueues::private();
    let for_config = queues.clone();
    let app = spawn_app_with(move |c| for_config.configure(c, timeout)).await;
    (app, queues)
}

/// Starts the app; `tweak` may change the configuration first (e.g. point Redis elsewhere, or
/// use private AI queues: see [`AiQueues::configure`]).
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(create_database().await, tweak).await
}

/// A second server replica on the first one's database, as behind a load balancer.
pub async fn spawn_replica(first: &TestApp) -> TestApp {
    spawn_app_on(first.database_url.clone(), |_| {}).await
}

async fn spawn_app_on(database_url: String, tweak: impl FnOnce(&mut Config)) -> TestApp {
    // Each server counts log-in failures and voice requests under its own keys.
    let limit_prefix = format!(
        "test:limit:{}",
        database_url.rsplit('/').next().unwrap_or("")
    );
    let mut config = Config::from_lookup(|name| match name {
        "LIMIT_KEY_PREFIX" => Some(limit_prefix.clone()),
        "DATABASE_URL" => Some(database_url.clone()),
        "REDIS_URL" => Some(redis_url()),
        "LISTEN_ADDR" => Some("127.0.0.1:0".to_owned()),
        "DATABASE_MAX_CONNECTIONS" => Some("5".to_owned()),
        "REDIS_TIMEOUT_MS" => Some("1000".to_owned()),
        _ => None,
    })
    .expect("test configuration");
    tweak(&mut config);
    // The server lives on one long-lived multi-threaded runtime shared by all tests, as in
    // production, instead of on the test's own single-threaded runtime that ends with the test.
    let (addr, server_pool, server) = server_runtime()
        .spawn(async move {
            let app = Application::build(&config)
                .await
                .expect("application starts");
            let addr = app.addr();
            let pool = app.pool();
            (
                addr,
                pool,
                tokio::spawn(app.run_until(std::future::pending())),
            )
        })
        .await
        .expect("application task");
    let address = format!("http://{addr}");
    let pool = server::startup::connect_pool(&database_url)
        .await
        .expect("connect to test database");
    TestApp {
        address,
        database_url,
        pool,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A hung response fails its test instead of stalling the whole suite.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("http client"),
        _server: std::sync::Arc::new(StopOnDrop {
            server,
            pool: server_pool,
        }),
    }
}

// ---------------------------------------------------------------------------
// Customers, sessions and requests
// ---------------------------------------------------------------------------

/// The password of the seeded demo customers (`regular@`, `silver@`, `gold@`, `vip@daebak.test`).
pub const DEMO_PASSWORD: &str = "daebak1234";

/// A signed-in customer: the session cookie to send with every request (reqwest's cookie
/// store is not enabled, so the header is passed by hand).
#[derive(Debug, Clone)]
pub struct Session {
    pub customer_id: i64,
    pub email: String,
    pub cookie: String,
}

/// `daebak_session=…` out of a response's `Set-Cookie` headers.
pub fn session_cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with("daebak_session=") && pair.len() > "daebak_session=".len())
        .map(str::to_owned)
}

impl TestApp {
    /// Signs up a new customer through the API and keeps the session cookie.
    pub async fn signup(&self, email: &str) -> Session {
        let res = self
            .client
            .post(self.url("/api/auth/signup"))
            .json(&serde_json::json!({
                "email": email,
                "password": "correct horse battery",
                "name": "테스트 고객",
                "phone": "010-1234-5678",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::CREATED, "signup {email}");
        let cookie = session_cookie_of(&res).expect("signup sets the session cookie");
        let body: serde_json::Value = res.json().await.unwrap();
        Session {
            customer_id: body["id"].as_i64().expect("customer id"),
            email: email.to_owned(),
            cookie,
        }
    }

    /// Logs a customer in through the API.
    pub async fn login(&self, email: &str, password: &str) -> Session {
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK, "login {email}");
        let cookie = session_cookie_of(&res).expect("login sets the session cookie");
        let body: serde_json::Value = res.json().await.unwrap();
        Session {
            customer_id: body["id"].as_i64().expect("customer id"),
            email: email.to_owned(),
            cookie,
        }
    }

    /// A session for an existing customer, written straight into the database. Skips the
    /// password hash, which is slow in debug builds (the seeded demo hashes take seconds).
    pub async fn session_for(&self, email: &str) -> Session {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let token = format!(
            "test{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let customer_id: i64 = sqlx::query_scalar(
            "INSERT INTO customer_sessions (id, customer_id, expires_at) \
             SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex'), id, now() + interval '1 day' \
             FROM customers WHERE email = $2 RETURNING customer_id",
        )
        .bind(&token)
        .bind(email)
        .fetch_one(&self.pool)
        .await
        .expect("the customer exists");
        Session {
            customer_id,
            email: email.to_owned(),
            cookie: format!("daebak_session={token}"),
        }
    }

    /// A new customer (inserted directly, with an unusable password) and a session for them.
    pub async fn quick_customer(&self, email: &str) -> Session {
        sqlx::query(
            "INSERT INTO customers (email, password_hash, name, phone) VALUES ($1, 'x', '빠른 고객', '')",
        )
        .bind(email)
        .execute(&self.pool)
        .await
        .unwrap();
        self.session_for(email).await
    }

    pub async fn get_as(&self, session: Option<&Session>, path: &str) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(s) = session {
            req = req.header(reqwest::header::COOKIE, &s.cookie);
        }
        req.send().await.unwrap()
    }

    pub async fn post_as(
        &self,
        session: Option<&Session>,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(s) = session {
            req = req.header(reqwest::header::COOKIE, &s.cookie);
        }
        req.send().await.unwrap()
    }

    /// `POST /api/checkout/checkout`.
    pub async fn checkout(
        &self,
        session: &Session,
        order: serde_json::Value,
        card: serde_json::Value,
    ) -> reqwest::Response {
        self.post_as(
            Some(session),
            "/api/checkout/checkout",
            &serde_json::json!({ "order": order, "payment": card }),
        )
        .await
    }

    /// `POST /api/orders`: a pending order; panics unless it is created.
    pub async fn create_order(
        &self,
        session: &Session,
        order: serde_json::Value,
    ) -> serde_json::Value {
        let res = self.post_as(Some(session), "/api/orders", &order).await;
        let status = res.status();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(status, reqwest::StatusCode::CREATED, "create order: {body}");
        body
    }

    /// `POST /api/orders/{id}/pay`, with an optional `Idempotency-Key`.
    pub async fn pay(
        &self,
        session: &Session,
        order_id: i64,
        card: serde_json::Value,
        idempotency_key: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(&format!("/api/orders/{order_id}/pay")))
            .header(reqwest::header::COOKIE, &session.cookie)
            .json(&card);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    // -- database views ---------------------------------------------------------

    /// Sets every ingredient of `store` to `quantity` units.
    pub async fn set_store_inventory(&self, store: &str, quantity: i32) {
        let updated = sqlx::query(
            "UPDATE store_inventory SET quantity_on_hand = $2 \
             WHERE store_id = (SELECT id FROM stores WHERE code = $1)",
        )
        .bind(store)
        .bind(quantity)
        .execute(&self.pool)
        .await
        .unwrap()
        .rows_affected();
        assert!(updated > 0, "store {store} has inventory rows");
    }

    /// Sets one ingredient of `store` to `quantity` units.
    pub async fn set_ingredient_stock(&self, store: &str, ingredient: &str, quantity: i32) {
        let updated = sqlx::query(
            "UPDATE store_inventory SET quantity_on_hand = $3 \
             WHERE store_id = (SELECT id FROM stores WHERE code = $1) \
               AND ingredient_id = (SELECT id FROM ingredients WHERE code = $2)",
        )
        .bind(store)
        .bind(ingredient)
        .bind(quantity)
        .execute(&self.pool)
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(updated, 1, "{store}/{ingredient} has an inventory row");
    }

    /// Ingredient code → units on hand in `store`.
    pub async fn inventory(&self, store: &str) -> BTreeMap<String, i32> {
        sqlx::query_as::<_, (String, i32)>(
            "SELECT i.code, si.quantity_on_hand FROM store_inventory si \
             JOIN ingredients i ON i.id = si.ingredient_id \
             JOIN stores s ON s.id = si.store_id WHERE s.code = $1",
        )
        .bind(store)
        .fetch_all(&self.pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
    }

    /// `SELECT count(*) FROM {table}` (test-chosen table names only).
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Row counts of every table an order writes, in a fixed order.
    pub async fn order_table_counts(&self) -> Vec<(&'static str, i64)> {
        let mut counts = Vec::new();
        for table in [
            "orders",
            "order_items",
            "order_item_customizations",
            "order_side_dishes",
            "order_inventory_reservations",
            "mock_payments",
            "idempotency_keys",
        ] {
            counts.push((table, self.count(table).await));
        }
        counts
    }

    /// Rows of a customer's orders, excluding the seeded history.
    pub async fn order_count_of(&self, customer_id: i64) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM orders WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// `(order_status, payment_status)` of one order.
    pub async fn order_status(&self, order_id: i64) -> (String, String) {
        sqlx::query_as("SELECT order_status, payment_status FROM orders WHERE id = $1")
            .bind(order_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// `(status, error_code, card_masked, amount)` of an order's payment attempts, oldest first.
    pub async fn payments_of(&self, order_id: i64) -> Vec<(String, Option<String>, String, i64)> {
        sqlx::query_as(
            "SELECT status, error_code, card_masked, amount FROM mock_payments \
             WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }

    /// Ingredient code → `(quantity, status)` of an order's reservations.
    pub async fn reservations_of(&self, order_id: i64) -> BTreeMap<String, (i32, String)> {
        sqlx::query_as::<_, (String, i32, String)>(
            "SELECT i.code, r.quantity, r.status FROM order_inventory_reservations r \
             JOIN ingredients i ON i.id = r.ingredient_id WHERE r.order_id = $1",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(code, quantity, status)| (code, (quantity, status)))
        .collect()
    }
}

/// A unique email for a test customer.
pub fn unique_email(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}@example.test",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

pub const CARD_OK: &str = "4242 4242 4242 4242";
pub const CARD_DECLINED: &str = "4000 0000 0000 0002";
pub const CARD_INSUFFICIENT_FUNDS: &str = "4000 0000 0000 9995";
pub const CARD_EXPIRED: &str = "4000 0000 0000 0069";

/// A card form that passes validation (expiry far in the future).
pub fn card(number: &str) -> serde_json::Value {
    serde_json::json!({ "number": number, "expiry": "12/39", "cvv": "123", "holder": "Hong Gildong" })
}

pub fn delivery() -> serde_json::Value {
    serde_json::json!({
        "address": "서울특별시 강남구 테헤란로 152, 10층",
        "recipient": "홍길동",
        "phone": "010-1234-5678",
        "requested_at": null,
        "notes": null,
    })
}

/// An order request (`OrderRequest`) from its dinner lines and side dishes.
pub fn order(
    store: &str,
    lines: serde_json::Value,
    side_dishes: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "store": store,
        "lines": lines,
        "side_dishes": side_dishes,
        "delivery": delivery(),
    })
}

/// One dinner line without customizations or cake.
pub fn line(menu: &str, style: &str, quantity: i64) -> serde_json::Value {
    serde_json::json!({
        "menu": menu, "style": style, "quantity": quantity, "customizations": [], "cake": null,
    })
}

/// One original chicken dinner (fried_chicken 1, pickled_radish 1, cola 1), nothing else.
pub fn one_chicken(store: &str) -> serde_json::Value {
    order(
        store,
        serde_json::json!([line("chicken", "original", 1)]),
        serde_json::json!([]),
    )
}

/// Reads a JSON error body: `(code, field)`.
pub async fn error_of(res: reqwest::Response) -> (reqwest::StatusCode, serde_json::Value) {
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "error body: {body}");
    assert!(body["error"]["message"].is_string(), "error body: {body}");
    (status, body["error"].clone())
}
