//! Consumes one AI queue with at-least-once delivery (DESIGN §7, §9).
//!
//! A job is moved atomically (`BLMOVE`) from the queue into this worker's processing list and
//! removed from there only in the same transaction that stores and publishes its result. A
//! worker keeps a heartbeat key alive from a separate thread; any worker that finds a registered
//! worker without a heartbeat moves that worker's in-flight jobs back to the head of the queue,
//! so a job survives a worker killed mid-job. Jobs past their deadline are dropped unprocessed:
//! nobody waits for their answer. The loop is synchronous on purpose: model inference blocks a
//! core anyway, and a plain thread keeps the heartbeat independent of it.

pub mod config;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ai_protocol::{
    heartbeat_key, processing_list, result_channel, result_key, workers_set, AiErrorCode,
    AiFailure, AiResult, Job, Outcome, ATTEMPTS_HASH, MAX_ATTEMPTS, RESULT_TTL_SECS,
};
use redis::{Commands, Direction};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// How often the heartbeat is refreshed, and how long it lives without a refresh.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
const HEARTBEAT_TTL_SECS: u64 = 8;
/// How long one `BLMOVE` waits, which bounds how late a stop request is noticed when idle.
const POLL_SECS: f64 = 1.0;
/// How often the queue is checked for dead workers' jobs.
const REAP_EVERY: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("could not install the signal handler: {0}")]
    Signal(#[from] std::io::Error),
}

/// Which queue to consume and who this worker is.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub redis_url: String,
    pub queue: String,
    pub worker_id: String,
}

impl WorkerConfig {
    pub fn new(redis_url: impl Into<String>, queue: &str) -> Self {
        WorkerConfig {
            redis_url: redis_url.into(),
            queue: queue.to_owned(),
            worker_id: new_worker_id(),
        }
    }
}

/// `host-pid-random`: unique across restarts and machines.
pub fn new_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    let mut bytes = [0u8; 4];
    // Without randomness the pid still tells workers on one host apart.
    let _ = getrandom::fill(&mut bytes);
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        u32::from_le_bytes(bytes)
    )
}

/// Does the work of one job. Called on the worker's thread, one job at a time.
pub trait Handler {
    type Job: Job + DeserializeOwned;
    fn handle(&mut self, job: Self::Job) -> Outcome;
}

/// Set by SIGTERM or Ctrl-C: the worker finishes its current job and stops. A second signal
/// exits at once.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn on_signals() -> std::io::Result<StopFlag> {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))?;
            signal_hook::flag::register(signal, Arc::clone(&flag))?;
        }
        Ok(StopFlag(flag))
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// What a worker did before it stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    pub processed: u64,
    pub expired: u64,
    pub malformed: u64,
    pub requeued: u64,
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // symphonia logs every probe at INFO (and a harmless EOF at ERROR for non-audio uploads).
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(
                "info,symphonia_core=error,symphonia_format_mkv=warn",
            )
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Consumes `config.queue` until `stop` is set. Redis outages are waited out (the in-flight
/// list is recovered on reconnect); only a stop ends the loop.
pub fn run<H: Handler>(
    config: &WorkerConfig,
    handler: &mut H,
    stop: &StopFlag,
) -> Result<RunStats, QueueError> {
    let client = redis::Client::open(config.redis_url.as_str())?;
    let mut stats = RunStats::default();
    let alive = StopFlag::default();
    let heartbeat = spawn_heartbeat(client.clone(), config.worker_id.clone(), alive.clone());
    tracing::info!(queue = %config.queue, worker_id = %config.worker_id, "worker started");

    while !stop.is_set() {
        match consume(&client, config, handler, stop, &mut stats) {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, "redis failed; reconnecting in 1 s");
                thread::sleep(Duration::from_secs(1));
            }
        }
    }

    alive.set();
    let _ = heartbeat.join();
    if let Ok(mut conn) = client.get_connection() {
        let _: redis::RedisResult<()> = redis::pipe()
            .srem(workers_set(&config.queue), &config.worker_id)
            .del(heartbeat_key(&config.worker_id))
            .query(&mut conn);
    }
    tracing::info!(?stats, worker_id = %config.worker_id, "worker stopped");
    Ok(stats)
}

fn spawn_heartbeat(
    client: redis::Client,
    worker_id: String,
    done: StopFlag,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let key = heartbeat_key(&worker_id);
        let mut conn = None;
        while !done.is_set() {
            if conn.is_none() {
                conn = client.get_connection().ok();
            }
            if let Some(c) = conn.as_mut() {
                let beat: redis::RedisResult<()> = c.set_ex(&key, 1, HEARTBEAT_TTL_SECS);
                if let Err(e) = beat {
                    tracing::warn!(error = %e, "heartbeat failed");
                    conn = None;
                }
            }
            // Sleep in small steps so a stop is not delayed by a whole period.
            let until = Instant::now() + HEARTBEAT_EVERY;
            while Instant::now() < until && !done.is_set() {
                thread::sleep(Duration::from_millis(100));
            }
        }
    })
}

/// One connection's worth of the loop; returns `Ok` only when stopped.
fn consume<H: Handler>(
    client: &redis::Client,
    config: &WorkerConfig,
    handler: &mut H,
    stop: &StopFlag,
    stats: &mut RunStats,
) -> Result<(), QueueError> {
    let mut conn = client.get_connection()?;
    let queue = config.queue.as_str();
    let processing = processing_list(queue, &config.worker_id);
    // Register before taking anything, with a heartbeat already set, so nobody reaps us.
    let _: () = conn.set_ex(heartbeat_key(&config.worker_id), 1, HEARTBEAT_TTL_SECS)?;
    let _: () = conn.sadd(workers_set(queue), &config.worker_id)?;
    // Jobs left in our own list by a lost connection go back to the head of the queue.
    stats.requeued += requeue(&mut conn, &processing, queue)?;
    let mut last_reap: Option<Instant> = None;

    while !stop.is_set() {
        if last_reap.is_none_or(|t| t.elapsed() >= REAP_EVERY) {
            stats.requeued += reap_dead_workers(&mut conn, queue, &config.worker_id)?;
            last_reap = Some(Instant::now());
        }
        let raw: Option<String> = conn.blmove(
            queue,
            &processing,
            Direction::Right,
            Direction::Left,
            POLL_SECS,
        )?;
        let Some(raw) = raw else { continue };
        process(&mut conn, config, &processing, &raw, handler, stats)?;
    }
    Ok(())
}

/// Moves every job of `from` back to the head (consuming end) of `queue`.
fn requeue(conn: &mut redis::Connection, from: &str, queue: &str) -> Result<u64, QueueError> {
    let mut moved = 0;
    loop {
        let job: Option<String> = conn.lmove(from, queue, Direction::Right, Direction::Right)?;
        if job.is_none() {
            return Ok(moved);
        }
        moved += 1;
    }
}

/// Gives the jobs of workers whose heartbeat expired back to the queue.
fn reap_dead_workers(
    conn: &mut redis::Connection,
    queue: &str,
    me: &str,
) -> Result<u64, QueueError> {
    let workers: Vec<String> = conn.smembers(workers_set(queue))?;
    let mut moved = 0;
    for worker in workers.iter().filter(|w| w.as_str() != me) {
        let alive: bool = conn.exists(heartbeat_key(worker))?;
        if alive {
            continue;
        }
        let n = requeue(conn, &processing_list(queue, worker), queue)?;
        if n > 0 {
            tracing::warn!(dead_worker = %worker, jobs = n, "re-queued the jobs of a dead worker");
        }
        moved += n;
        let _: () = conn.srem(workers_set(queue), worker)?;
    }
    Ok(moved)
}

/// Just enough of any job to answer it when the rest does not parse.
#[derive(Deserialize)]
struct JobId {
    request_id: String,
}

fn process<H: Handler>(
    conn: &mut redis::Connection,
    config: &WorkerConfig,
    processing: &str,
    raw: &str,
    handler: &mut H,
    stats: &mut RunStats,
) -> Result<(), QueueError> {
    let job = match serde_json::from_str::<H::Job>(raw) {
        Ok(job) => job,
        Err(e) => {
            stats.malformed += 1;
            tracing::error!(queue = %config.queue, error = %e, "malformed job");
            match serde_json::from_str::<JobId>(raw) {
                Ok(id) => {
                    let failure = failed(AiErrorCode::BadJob, format!("malformed job: {e}"));
                    finish(conn, config, processing, raw, &id.request_id, failure, 0)?;
                }
                Err(_) => {
                    let _: () = conn.lrem(processing, 1, raw)?;
                }
            }
            return Ok(());
        }
    };
    let request_id = job.request_id().to_owned();

    if now_ms() > job.deadline_ms() {
        stats.expired += 1;
        tracing::warn!(queue = %config.queue, %request_id, "dropped a job past its deadline");
        let _: () = redis::pipe()
            .lrem(processing, 1, raw)
            .hdel(ATTEMPTS_HASH, &request_id)
            .query(conn)?;
        return Ok(());
    }

    let attempts: u32 = conn.hincr(ATTEMPTS_HASH, &request_id, 1)?;
    if attempts > MAX_ATTEMPTS {
        tracing::error!(%request_id, attempts, "job failed every worker that took it; giving up");
        let failure = failed(
            AiErrorCode::Internal,
            format!("the job stopped {MAX_ATTEMPTS} workers; not retried"),
        );
        return finish(conn, config, processing, raw, &request_id, failure, 0);
    }

    let started = Instant::now();
    let outcome = handler.handle(job);
    let processing_ms = started.elapsed().as_millis() as u64;
    let kind = match &outcome {
        Outcome::Transcript(_) => "transcript",
        Outcome::Analysis(_) => "analysis",
        Outcome::Failed(f) => match f.code {
            AiErrorCode::NoSpeech => "no_speech",
            AiErrorCode::UnsupportedAudio => "unsupported_audio",
            AiErrorCode::BadJob => "bad_job",
            AiErrorCode::Internal => "internal",
        },
    };
    tracing::info!(queue = %config.queue, %request_id, processing_ms, outcome = kind, attempts, "job done");
    stats.processed += 1;
    finish(
        conn,
        config,
        processing,
        raw,
        &request_id,
        outcome,
        processing_ms,
    )
}

fn failed(code: AiErrorCode, message: String) -> Outcome {
    Outcome::Failed(AiFailure { code, message })
}

/// Stores, publishes and acknowledges in one transaction: a crash before it re-runs the job,
/// a crash after it loses nothing.
fn finish(
    conn: &mut redis::Connection,
    config: &WorkerConfig,
    processing: &str,
    raw: &str,
    request_id: &str,
    outcome: Outcome,
    processing_ms: u64,
) -> Result<(), QueueError> {
    let result = AiResult {
        request_id: request_id.to_owned(),
        worker_id: config.worker_id.clone(),
        processing_ms,
        outcome,
    };
    let json = serde_json::to_string(&result).map_err(|e| {
        redis::RedisError::from((
            redis::ErrorKind::TypeError,
            "result serialisation",
            e.to_string(),
        ))
    })?;
    let _: () = redis::pipe()
        .atomic()
        .set_ex(result_key(request_id), &json, RESULT_TTL_SECS)
        .publish(result_channel(request_id), &json)
        .lrem(processing, 1, raw)
        .hdel(ATTEMPTS_HASH, request_id)
        .query(conn)?;
    Ok(())
}
