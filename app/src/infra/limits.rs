//! Abuse limits: failed logins per account and per client address, and voice requests in
//! flight per customer. The counters live in Redis so that every server replica sees the same
//! ones. If Redis cannot be reached the limits are not enforced (logged): a cache outage must
//! not lock every customer out. Password hashing stays bounded by its own semaphore either way.

use std::net::IpAddr;
use std::time::Duration;

use redis::AsyncCommands;

use crate::error::AppError;
use crate::infra::redis::RedisHandle;

/// The client's address, put in each request's extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Who sends a voice request, for the in-flight limit: the customer, or else the address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoiceCaller {
    pub customer_id: Option<i64>,
    pub client: Option<ClientAddr>,
}

impl VoiceCaller {
    fn key(&self) -> String {
        match (self.customer_id, self.client) {
            (Some(id), _) => format!("customer:{id}"),
            (None, Some(ClientAddr(ip))) => format!("client:{ip}"),
            (None, None) => "anonymous".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LimitConfig {
    /// Prefix of every counter key (tests give each server its own).
    pub prefix: String,
    pub login_failures_per_account: u32,
    pub login_failures_per_client: u32,
    /// The window both login counters count in.
    pub login_window: Duration,
    /// Voice requests one customer may have waiting on the AI at once.
    pub voice_in_flight_per_customer: u32,
    /// Jobs the AI queue may hold before new voice requests are turned away.
    pub voice_queue_depth: u32,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            prefix: "limit".into(),
            login_failures_per_account: 20,
            login_failures_per_client: 100,
            login_window: Duration::from_secs(60),
            voice_in_flight_per_customer: 2,
            voice_queue_depth: 32,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    redis: RedisHandle,
    config: std::sync::Arc<LimitConfig>,
}

fn too_many(retry_after_secs: u64) -> AppError {
    AppError::TooManyRequests {
        message: format!(
            "로그인 시도가 너무 많습니다. {retry_after_secs}초 후에 다시 시도해 주세요."
        ),
        retry_after_secs: retry_after_secs.max(1),
    }
}

impl Limits {
    pub fn new(redis: RedisHandle, config: LimitConfig) -> Self {
        Limits {
            redis,
            config: std::sync::Arc::new(config),
        }
    }

    fn login_keys(&self, email: &str, client: Option<ClientAddr>) -> Vec<(String, u32)> {
        let p = &self.config.prefix;
        let mut keys = vec![(
            format!("{p}:login:account:{email}"),
            self.config.login_failures_per_account,
        )];
        if let Some(ClientAddr(ip)) = client {
            keys.push((
                format!("{p}:login:client:{ip}"),
                self.config.login_failures_per_client,
            ));
        }
        keys
    }

    /// 429 once an account or a client has failed too often within the window.
    pub async fn check_login(
        &self,
        email: &str,
        client: Option<ClientAddr>,
    ) -> Result<(), AppError> {
        let Ok(mut conn) = self.connection().await else {
            return Ok(());
        };
        for (key, max) in self.login_keys(email, client) {
            let counted: redis::RedisResult<(Option<u32>, i64)> = redis::pipe()
                .get(&key)
                .ttl(&key)
                .query_async(&mut conn)
                .await;
            match counted {
                Ok((Some(n), ttl)) if n >= max => return Err(too_many(ttl.max(1) as u64)),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "login limit not checked"),
            }
        }
        Ok(())
    }

    /// Counts one failed login against the account and the client.
    pub async fn record_login_failure(&self, email: &str, client: Option<ClientAddr>) {
        let Ok(mut conn) = self.connection().await else {
            return;
        };
        let window = self.config.login_window.as_secs().max(1) as i64;
        for (key, _) in self.login_keys(email, client) {
            // NX: the window starts at the first failure and is not pushed back by later ones.
            let counted: redis::RedisResult<()> = redis::pipe()
                .incr(&key, 1)
                .ignore()
                .cmd("EXPIRE")
                .arg(&key)
                .arg(window)
                .arg("NX")
                .ignore()
                .query_async(&mut conn)
                .await;
            if let Err(err) = counted {
                tracing::warn!(error = %err, "login failure not counted");
            }
        }
    }

    /// Takes one of the customer's voice slots, or answers 429 when they are all in use or the
    /// AI queue is full. The slot is given back when the permit is dropped.
    pub async fn voice_permit(
        &self,
        who: VoiceCaller,
        queue_depth: i64,
    ) -> Result<VoicePermit, AppError> {
        if queue_depth >= i64::from(self.config.voice_queue_depth) {
            return Err(AppError::TooManyRequests {
                message: "음성 주문 요청이 많아 지금은 받을 수 없습니다. 잠시 후 다시 시도하시거나 화면에서 직접 주문해 주세요.".into(),
                retry_after_secs: 5,
            });
        }
        let key = format!("{}:voice:{}", self.config.prefix, who.key());
        let Ok(mut conn) = self.connection().await else {
            return Ok(VoicePermit { slot: None });
        };
        // The expiry frees a slot whose holder died without giving it back.
        let taken: redis::RedisResult<(u32,)> = redis::pipe()
            .incr(&key, 1)
            .expire(&key, 120)
            .ignore()
            .query_async(&mut conn)
            .await;
        let in_flight = match taken {
            Ok((n,)) => n,
            Err(err) => {
                tracing::warn!(error = %err, "voice limit not checked");
                return Ok(VoicePermit { slot: None });
            }
        };
        let permit = VoicePermit {
            slot: Some((conn, key)),
        };
        if in_flight > self.config.voice_in_flight_per_customer {
            return Err(AppError::TooManyRequests {
                message: "이미 처리 중인 음성 주문이 있습니다. 끝난 뒤에 다시 시도해 주세요."
                    .into(),
                retry_after_secs: 5,
            });
        }
        Ok(permit)
    }

    async fn connection(&self) -> Result<redis::aio::ConnectionManager, ()> {
        self.redis.connection().await.map_err(|err| {
            tracing::warn!(error = %err, "redis unavailable: abuse limits not enforced");
        })
    }
}

/// One voice request in flight; dropping it frees the slot.
pub struct VoicePermit {
    slot: Option<(redis::aio::ConnectionManager, String)>,
}

impl Drop for VoicePermit {
    fn drop(&mut self) {
        if let Some((mut conn, key)) = self.slot.take() {
            tokio::spawn(async move {
                let freed: redis::RedisResult<i64> = conn.decr(&key, 1).await;
                if let Err(err) = freed {
                    tracing::warn!(error = %err, "voice slot not freed (expires by itself)");
                }
            });
        }
    }
}
