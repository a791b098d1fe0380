//! AiClient: the server's side of the Redis AI queues (DESIGN §7).
//!
//! A request never misses its answer: the client SUBSCRIBEs to the request's result channel on a
//! connection of its own *before* it LPUSHes the job, then waits for the published message while
//! also reading the stored result key (right away and every 250 ms), so a message lost between a
//! worker and this process is still found. Every job carries a deadline (now + timeout); workers
//! drop jobs whose deadline passed, and a job still queued when the wait times out is withdrawn.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ai_protocol::{result_channel, result_key, AiResult, LlmJob, SttJob, LLM_QUEUE, STT_QUEUE};
use base64::Engine;
use futures::StreamExt;
use redis::aio::PubSub;
use tracing::Instrument;

use crate::error::AppError;
use crate::infra::redis::{RedisHandle, RedisHandleError};

/// How often the stored result is checked while waiting for the published one.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// Where the jobs go and how long an answer may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiConfig {
    pub timeout: Duration,
    pub stt_queue: String,
    pub llm_queue: String,
}

impl Default for AiConfig {
    fn default() -> Self {
        AiConfig {
            timeout: Duration::from_secs(30),
            stt_queue: STT_QUEUE.to_owned(),
            llm_queue: LLM_QUEUE.to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AiClientError {
    #[error("the AI queue is unreachable: {0}")]
    Unavailable(#[from] RedisHandleError),
    #[error("no answer to request {request_id} within {waited:?}")]
    Timeout {
        request_id: String,
        waited: Duration,
    },
    #[error("cannot encode the job: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("malformed result for request {request_id}: {source}")]
    Malformed {
        request_id: String,
        #[source]
        source: serde_json::Error,
    },
}

impl From<AiClientError> for AppError {
    fn from(err: AiClientError) -> Self {
        match err {
            AiClientError::Timeout { .. } => {
                tracing::warn!(error = %err, "AI worker did not answer in time");
                AppError::AiTimeout
            }
            AiClientError::Unavailable(_) => {
                tracing::error!(error = %err, "AI queue unavailable");
                AppError::AiUnavailable
            }
            AiClientError::Encode(_) | AiClientError::Malformed { .. } => {
                tracing::error!(error = %err, "AI protocol error");
                AppError::Internal
            }
        }
    }
}

/// A queued job whose answer has not been read yet. Holds the subscription made before the job
/// was pushed; dropping it unsubscribes.
pub struct PendingResult {
    request_id: String,
    queue: String,
    /// The queued JSON, to withdraw the job if nobody took it before the deadline.
    job: String,
    pubsub: PubSub,
    sent_at: Instant,
}

impl std::fmt::Debug for PendingResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingResult")
            .field("request_id", &self.request_id)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl PendingResult {
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    pub fn queue(&self) -> &str {
        &self.queue
    }
}

/// The AI worker queues. Cheap to clone; shares the process's Redis connection for commands and
/// opens one short-lived pub/sub connection per request.
#[derive(Clone)]
pub struct AiClient {
    redis: RedisHandle,
    config: Arc<AiConfig>,
}

impl std::fmt::Debug for AiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AiClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl AiClient {
    pub fn new(redis: RedisHandle, config: AiConfig) -> Self {
        AiClient {
            redis,
            config: Arc::new(config),
        }
    }

    /// How long a request waits for its answer.
    pub fn timeout(&self) -> Duration {
        self.config.timeout
    }

    pub fn config(&self) -> &AiConfig {
        &self.config
    }

    /// Jobs waiting on the speech (`stt`) or understanding queue; 0 if Redis cannot say (the
    /// push itself then reports the outage).
    pub async fn queue_depth(&self, stt: bool) -> i64 {
        let queue = if stt {
            &self.config.stt_queue
        } else {
            &self.config.llm_queue
        };
        let Ok(mut conn) = self.redis.connection().await else {
            return 0;
        };
        let len = redis::cmd("LLEN").arg(queue).to_owned();
        tokio::time::timeout(self.redis.timeout(), len.query_async::<i64>(&mut conn))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(0)
    }

    fn deadline_ms(&self) -> u64 {
        let timeout = u64::try_from(self.config.timeout.as_millis()).unwrap_or(u64::MAX);
        now_ms().saturating_add(timeout)
    }

    /// Queues audio for transcription. The audio is never logged.
    pub async fn send_stt_request(
        &self,
        audio: &[u8],
        filename: Option<&str>,
        mime_type: Option<&str>,
        language: Option<&str>,
    ) -> Result<PendingResult, AiClientError> {
        let request_id = new_request_id();
        let job = SttJob {
            request_id: request_id.clone(),
            audio_b64: base64::engine::general_purpose::STANDARD.encode(audio),
            filename: filename.map(str::to_owned),
            mime_type: mime_type.map(str::to_owned),
            language: language.map(str::to_owned),
            deadline_ms: self.deadline_ms(),
        };
        let json = serde_json::to_string(&job).map_err(AiClientError::Encode)?;
        drop(job);
        let span = tracing::info_span!("stt_request", %request_id, bytes = audio.len());
        self.enqueue(&self.config.stt_queue, request_id, json)
            .instrument(span)
            .await
    }

    /// Queues a transcript for order understanding. The job's id and deadline are this
    /// client's: whatever `job` carries in them is replaced.
    pub async fn send_llm_request(&self, job: LlmJob) -> Result<PendingResult, AiClientError> {
        let request_id = new_request_id();
        let job = LlmJob {
            request_id: request_id.clone(),
            deadline_ms: self.deadline_ms(),
            ..job
        };
        let json = serde_json::to_string(&job).map_err(AiClientError::Encode)?;
        let span = tracing::info_span!("llm_request", %request_id);
        self.enqueue(&self.config.llm_queue, request_id, json)
            .instrument(span)
            .await
    }

    /// Subscribes to the result channel, then pushes the job: in this order, a worker can never
    /// publish before someone listens.
    async fn enqueue(
        &self,
        queue: &str,
        request_id: String,
        job: String,
    ) -> Result<PendingResult, AiClientError> {
        let limit = self.redis.timeout();
        let mut pubsub = tokio::time::timeout(limit, self.redis.client().get_async_pubsub())
            .await
            .map_err(|_| RedisHandleError::Timeout(limit))?
            .map_err(RedisHandleError::from)?;
        tokio::time::timeout(limit, pubsub.subscribe(result_channel(&request_id)))
            .await
            .map_err(|_| RedisHandleError::Timeout(limit))?
            .map_err(RedisHandleError::from)?;
        let mut conn = self.redis.connection().await?;
        let cmd = redis::cmd("LPUSH").arg(queue).arg(&job).to_owned();
        let depth: i64 = tokio::time::timeout(limit, cmd.query_async(&mut conn))
            .await
            .map_err(|_| RedisHandleError::Timeout(limit))?
            .map_err(RedisHandleError::from)?;
        tracing::info!(%queue, depth, "AI job queued");
        Ok(PendingResult {
            request_id,
            queue: queue.to_owned(),
            job,
            pubsub,
            sent_at: Instant::now(),
        })
    }

    /// Waits up to `timeout` for the answer: the published message, or the stored result if the
    /// message never arrives. On timeout a job nobody took yet is withdrawn from its queue.
    pub async fn wait_for_response(
        &self,
        mut pending: PendingResult,
        timeout: Duration,
    ) -> Result<AiResult, AiClientError> {
        let span = tracing::info_span!(
            "ai_wait",
            request_id = %pending.request_id,
            queue = %pending.queue
        );
        async move {
            let started = Instant::now();
            let key = result_key(&pending.request_id);
            let deadline = tokio::time::sleep(timeout);
            tokio::pin!(deadline);
            // The first tick is immediate: the key is read right after subscribing and pushing.
            let mut poll = tokio::time::interval(POLL_EVERY);
            poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut listening = true;
            let mut messages = pending.pubsub.on_message();
            let result = loop {
                tokio::select! {
                    biased;
                    message = messages.next(), if listening => match message {
                        Some(message) => {
                            let payload = message.get_payload_bytes();
                            if let Some(result) = decode(&pending.request_id, payload)? {
                                break Ok((result, "pubsub"));
                            }
                        }
                        None => {
                            // The subscription connection dropped: the stored result remains.
                            tracing::warn!("result subscription closed; polling the result key");
                            listening = false;
                        }
                    },
                    _ = poll.tick() => {
                        if let Some(result) = self.stored_result(&key, &pending.request_id).await? {
                            break Ok((result, "store"));
                        }
                    }
                    _ = &mut deadline => {
                        break Err(AiClientError::Timeout {
                            request_id: pending.request_id.clone(),
                            waited: started.elapsed(),
                        });
                    }
                }
            };
            drop(messages);
            match result {
                Ok((result, via)) => {
                    tracing::info!(
                        via,
                        worker_id = %result.worker_id,
                        processing_ms = result.processing_ms,
                        total_ms = u64::try_from(pending.sent_at.elapsed().as_millis()).unwrap_or(u64::MAX),
                        "AI result received"
                    );
                    self.forget(&key).await;
                    Ok(result)
                }
                Err(err) => {
                    if let AiClientError::Timeout { .. } = err {
                        self.withdraw(&pending).await;
                    }
                    Err(err)
                }
            }
        }
        .instrument(span)
        .await
    }

    /// The stored result, if the worker already answered. A Redis hiccup here is not fatal:
    /// the published message may still arrive, and the next poll tries again.
    async fn stored_result(
        &self,
        key: &str,
        request_id: &str,
    ) -> Result<Option<AiResult>, AiClientError> {
        let limit = self.redis.timeout();
        let read = async {
            let mut conn = self.redis.connection().await?;
            let cmd = redis::cmd("GET").arg(key).to_owned();
            let value: Option<Vec<u8>> = tokio::time::timeout(limit, cmd.query_async(&mut conn))
                .await
                .map_err(|_| RedisHandleError::Timeout(limit))??;
            Ok::<_, RedisHandleError>(value)
        };
        match read.await {
            Ok(Some(bytes)) => decode(request_id, &bytes),
            Ok(None) => Ok(None),
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the stored AI result");
                Ok(None)
            }
        }
    }

    /// Removes a result once read (it would expire anyway).
    async fn forget(&self, key: &str) {
        let limit = self.redis.timeout();
        if let Ok(mut conn) = self.redis.connection().await {
            let cmd = redis::cmd("DEL").arg(key).to_owned();
            let _ = tokio::time::timeout(limit, cmd.query_async::<i64>(&mut conn)).await;
        }
    }

    /// Takes a timed-out job back off its queue if no worker took it yet, so an idle or absent
    /// worker pool does not pile up jobs nobody waits for.
    async fn withdraw(&self, pending: &PendingResult) {
        let limit = self.redis.timeout();
        let Ok(mut conn) = self.redis.connection().await else {
            return;
        };
        let cmd = redis::cmd("LREM")
            .arg(&pending.queue)
            .arg(1)
            .arg(&pending.job)
            .to_owned();
        match tokio::time::timeout(limit, cmd.query_async::<i64>(&mut conn)).await {
            Ok(Ok(removed)) => tracing::info!(removed, "timed-out AI job withdrawn"),
            Ok(Err(err)) => tracing::warn!(error = %err, "cannot withdraw the timed-out AI job"),
            Err(_) => tracing::warn!("withdrawing the timed-out AI job timed out"),
        }
    }
}

/// A result for this request, `None` for someone else's (never expected on our channel).
fn decode(request_id: &str, payload: &[u8]) -> Result<Option<AiResult>, AiClientError> {
    let result: AiResult =
        serde_json::from_slice(payload).map_err(|source| AiClientError::Malformed {
            request_id: request_id.to_owned(),
            source,
        })?;
    if result.request_id != request_id {
        tracing::warn!(other = %result.request_id, "ignoring a result for another request");
        return Ok(None);
    }
    Ok(Some(result))
}
