//! Typed configuration from the environment (and `.env`), with defaults that work on a
//! developer's machine.

use std::net::SocketAddr;
use std::time::Duration;

use app::infra::limits::LimitConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub redis_url: String,
    pub listen_addr: SocketAddr,
    /// A `tracing` filter such as `info` or `server=debug,tower_http=debug`.
    pub log_filter: String,
    pub db_max_connections: u32,
    pub redis_timeout: Duration,
    /// A pending order unpaid this long is cancelled and its stock released.
    pub unpaid_order_timeout: Duration,
    /// How long a voice request waits for the AI worker before answering 504.
    pub ai_timeout: Duration,
    /// The Redis list speech-to-text jobs are pushed onto (the worker's `--stt-queue`).
    pub ai_stt_queue: String,
    /// The Redis list order-understanding jobs are pushed onto (the worker's `--llm-queue`).
    pub ai_llm_queue: String,
    /// Log-in, voice and pending-order limits.
    pub limits: LimitConfig,
    /// Served behind TLS: adds HSTS and marks cookies `Secure` (`TLS_ENABLED=true`).
    pub tls: bool,
}

// Debug hides credentials that URLs may carry.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen_addr", &self.listen_addr)
            .field("log_filter", &self.log_filter)
            .field("db_max_connections", &self.db_max_connections)
            .field("ai_timeout", &self.ai_timeout)
            .field("ai_stt_queue", &self.ai_stt_queue)
            .field("ai_llm_queue", &self.ai_llm_queue)
            .field("limits", &self.limits)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/mrdaebak";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
pub const DEFAULT_AI_TIMEOUT_SECS: u64 = 30;

impl Config {
    /// Reads `.env` if present, then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let listen = get("LISTEN_ADDR")
            .or_else(|| get("LEPTOS_SITE_ADDR"))
            .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
        let ai_timeout_secs = match get("AI_TIMEOUT_SECS") {
            None => DEFAULT_AI_TIMEOUT_SECS,
            Some(v) => match parse::<u64>("AI_TIMEOUT_SECS", &v)? {
                0 => {
                    return Err(ConfigError::Invalid {
                        name: "AI_TIMEOUT_SECS",
                        message: "\"0\": must be at least 1".into(),
                    })
                }
                secs => secs,
            },
        };
        Ok(Config {
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            redis_url: get("REDIS_URL").unwrap_or_else(|| DEFAULT_REDIS_URL.to_owned()),
            listen_addr: parse("LISTEN_ADDR", &listen)?,
            log_filter: get("RUST_LOG")
                .unwrap_or_else(|| "info,sqlx=warn,tower_http=info".to_owned()),
            db_max_connections: get("DATABASE_MAX_CONNECTIONS")
                .map(|v| parse("DATABASE_MAX_CONNECTIONS", &v))
                .transpose()?
                .unwrap_or(20),
            redis_timeout: Duration::from_millis(
                get("REDIS_TIMEOUT_MS")
                    .map(|v| parse("REDIS_TIMEOUT_MS", &v))
                    .transpose()?
                    .unwrap_or(2000),
            ),
            unpaid_order_timeout: Duration::from_secs(
                get("UNPAID_ORDER_TIMEOUT_SECS")
                    .map(|v| parse("UNPAID_ORDER_TIMEOUT_SECS", &v))
                    .transpose()?
                    .unwrap_or(15 * 60),
            ),
            ai_timeout: Duration::from_secs(ai_timeout_secs),
            ai_stt_queue: queue_name(&get, "AI_STT_QUEUE", ai_protocol::STT_QUEUE)?,
            ai_llm_queue: queue_name(&get, "AI_LLM_QUEUE", ai_protocol::LLM_QUEUE)?,
            limits: limits(&get)?,
            tls: get("TLS_ENABLED")
                .map(|v| parse("TLS_ENABLED", &v))
                .transpose()?
                .unwrap_or(false),
        })
    }
}

/// The abuse limits, each overridable by its own variable.
fn limits(get: &impl Fn(&str) -> Option<String>) -> Result<LimitConfig, ConfigError> {
    fn or<T: std::str::FromStr>(
        get: &impl Fn(&str) -> Option<String>,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        get(name).map_or(Ok(default), |v| parse(name, &v))
    }
    let d = LimitConfig::default();
    Ok(LimitConfig {
        prefix: or(get, "LIMIT_KEY_PREFIX", d.prefix)?,
        login_failures_per_account: or(
            get,
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            d.login_failures_per_account,
        )?,
        login_failures_per_client: or(
            get,
            "LOGIN_MAX_FAILURES_PER_CLIENT",
            d.login_failures_per_client,
        )?,
        login_window: d.login_window,
        voice_in_flight_per_customer: or(
            get,
            "VOICE_MAX_IN_FLIGHT_PER_CUSTOMER",
            d.voice_in_flight_per_customer,
        )?,
        voice_queue_depth: or(get, "VOICE_MAX_QUEUE_DEPTH", d.voice_queue_depth)?,
    })
}

/// A queue name from the environment, or the protocol's default.
fn queue_name(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    match get(name).map(|v| v.trim().to_owned()) {
        None => Ok(default.to_owned()),
        Some(v) if v.is_empty() || v.contains(char::is_whitespace) => Err(ConfigError::Invalid {
            name,
            message: format!("{v:?}: a queue name must be non-empty without spaces"),
        }),
        Some(v) => Ok(v),
    }
}

fn parse<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| ConfigError::Invalid {
        name,
        message: format!("{value:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_work_locally() {
        let c = from(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.redis_url, DEFAULT_REDIS_URL);
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.db_max_connections, 20);
        assert_eq!(c.unpaid_order_timeout, Duration::from_secs(900));
        assert_eq!(c.ai_timeout, Duration::from_secs(30));
        assert_eq!(c.ai_stt_queue, "ai:queue:stt");
        assert_eq!(c.ai_llm_queue, "ai:queue:llm");
    }

    #[test]
    fn ai_settings_come_from_the_environment() {
        let c = from(&[
            ("AI_TIMEOUT_SECS", "5"),
            ("AI_STT_QUEUE", "test:stt"),
            ("AI_LLM_QUEUE", "test:llm"),
        ])
        .unwrap();
        assert_eq!(c.ai_timeout, Duration::from_secs(5));
        assert_eq!(
            (c.ai_stt_queue.as_str(), c.ai_llm_queue.as_str()),
            ("test:stt", "test:llm")
        );
        for bad in [
            ("AI_TIMEOUT_SECS", "0"),
            ("AI_TIMEOUT_SECS", "soon"),
            ("AI_STT_QUEUE", " "),
        ] {
            let err = from(&[bad]).unwrap_err();
            assert!(err.to_string().contains(bad.0), "{err}");
        }
    }

    #[test]
    fn listen_addr_prefers_its_own_variable() {
        let c = from(&[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
            ("LISTEN_ADDR", "0.0.0.0:8080"),
        ])
        .unwrap();
        assert_eq!(c.listen_addr.to_string(), "0.0.0.0:8080");
        let c = from(&[("LEPTOS_SITE_ADDR", "127.0.0.1:4000")]).unwrap();
        assert_eq!(c.listen_addr.port(), 4000);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = from(&[("LISTEN_ADDR", "nowhere")]).unwrap_err();
        assert!(err.to_string().contains("LISTEN_ADDR"), "{err}");
        let err = from(&[("DATABASE_MAX_CONNECTIONS", "-3")]).unwrap_err();
        assert!(
            err.to_string().contains("DATABASE_MAX_CONNECTIONS"),
            "{err}"
        );
    }

    #[test]
    fn debug_hides_urls() {
        let c = from(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
    }
}
