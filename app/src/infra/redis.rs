//! The process's one Redis connection.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

/// One Redis connection for the whole process, made on first use so the server can start (and
/// report itself degraded on /healthz) while Redis is down. Once made, the manager reconnects
/// by itself.
#[derive(Clone)]
pub struct RedisHandle {
    client: redis::Client,
    connection: Arc<OnceCell<ConnectionManager>>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHandle").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RedisHandleError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
}

impl RedisHandle {
    pub fn open(url: &str, timeout: Duration) -> Result<Self, RedisHandleError> {
        Ok(RedisHandle {
            client: redis::Client::open(url)?,
            connection: Arc::new(OnceCell::new()),
            timeout,
        })
    }

    /// The client the handle was opened with, for connections that cannot be shared (pub/sub).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// How long a connection or a single command may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The shared connection, connecting first if no connection was made yet.
    pub async fn connection(&self) -> Result<ConnectionManager, RedisHandleError> {
        let manager = self
            .connection
            .get_or_try_init(|| async {
                let connect = ConnectionManager::new(self.client.clone());
                tokio::time::timeout(self.timeout, connect)
                    .await
                    .map_err(|_| RedisHandleError::Timeout(self.timeout))?
                    .map_err(RedisHandleError::from)
            })
            .await?;
        Ok(manager.clone())
    }

    /// PING with a deadline, for health checks.
    pub async fn ping(&self) -> Result<(), RedisHandleError> {
        let mut conn = self.connection().await?;
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        tokio::time::timeout(self.timeout, ping)
            .await
            .map_err(|_| RedisHandleError::Timeout(self.timeout))??;
        Ok(())
    }
}
