//! The queue loop against a real Redis (REDIS_URL or 127.0.0.1:6379), one queue name per test.

use std::thread;
use std::time::{Duration, Instant};

use ai_protocol::{
    heartbeat_key, processing_list, result_key, workers_set, AiErrorCode, AiResult, Job, Outcome,
    Transcript, ATTEMPTS_HASH, MAX_ATTEMPTS,
};
use ai_queue::{new_worker_id, now_ms, run, Handler, RunStats, StopFlag, WorkerConfig};
use redis::Commands;
use serde::{Deserialize, Serialize};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn conn() -> redis::Connection {
    redis::Client::open(redis_url())
        .and_then(|c| c.get_connection())
        .expect("Redis must be running for the queue tests")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EchoJob {
    request_id: String,
    text: String,
    deadline_ms: u64,
}

impl Job for EchoJob {
    fn request_id(&self) -> &str {
        &self.request_id
    }
    fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }
}

#[derive(Default)]
struct Echo {
    seen: Vec<String>,
}

impl Handler for Echo {
    type Job = EchoJob;
    fn handle(&mut self, job: EchoJob) -> Outcome {
        self.seen.push(job.request_id.clone());
        Outcome::Transcript(Transcript {
            text: job.text.to_uppercase(),
            language: "en".into(),
            audio_ms: 0,
        })
    }
}

fn job(id: &str, deadline_ms: u64) -> String {
    serde_json::to_string(&EchoJob {
        request_id: id.into(),
        text: format!("hello {id}"),
        deadline_ms,
    })
    .unwrap()
}

fn unique(name: &str) -> String {
    format!("test:{name}:{}", new_worker_id())
}

fn stored(id: &str) -> Option<AiResult> {
    let raw: Option<String> = conn().get(result_key(id)).unwrap();
    raw.map(|r| serde_json::from_str(&r).unwrap())
}

/// Runs a worker on `queue` until every id in `wait_for` has a stored result (or 20 s pass).
fn run_until_answered(queue: &str, wait_for: &[String]) -> (Echo, RunStats) {
    let config = WorkerConfig::new(redis_url(), queue);
    let stop = StopFlag::default();
    let watcher = {
        let stop = stop.clone();
        let ids = wait_for.to_vec();
        thread::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20)
                && !ids.iter().all(|id| stored(id).is_some())
            {
                thread::sleep(Duration::from_millis(50));
            }
            stop.set();
        })
    };
    let mut echo = Echo::default();
    let stats = run(&config, &mut echo, &stop).expect("worker runs");
    watcher.join().unwrap();
    (echo, stats)
}

#[test]
fn a_job_is_answered_stored_and_acknowledged() {
    let queue = unique("answer");
    let id = unique("job");
    let _: () = conn().lpush(&queue, job(&id, now_ms() + 60_000)).unwrap();

    let (echo, stats) = run_until_answered(&queue, std::slice::from_ref(&id));

    assert_eq!(echo.seen, vec![id.clone()]);
    assert_eq!(stats.processed, 1);
    let result = stored(&id).expect("result stored");
    assert_eq!(result.request_id, id);
    match result.outcome {
        Outcome::Transcript(t) => assert_eq!(t.text, format!("HELLO {}", id.to_uppercase())),
        other => panic!("unexpected outcome {other:?}"),
    }
    let left: usize = conn().llen(&queue).unwrap();
    assert_eq!(left, 0);
    let attempts: Option<u32> = conn().hget(ATTEMPTS_HASH, &id).unwrap();
    assert_eq!(attempts, None, "attempt counter cleaned up");
}

#[test]
fn an_expired_job_is_dropped_without_processing() {
    let queue = unique("expired");
    let old = unique("old");
    let fresh = unique("fresh");
    // The consumer takes from the right: the expired job comes first.
    let _: () = conn().lpush(&queue, job(&old, now_ms() - 1)).unwrap();
    let _: () = conn()
        .lpush(&queue, job(&fresh, now_ms() + 60_000))
        .unwrap();

    let (echo, stats) = run_until_answered(&queue, std::slice::from_ref(&fresh));

    assert_eq!(echo.seen, vec![fresh]);
    assert_eq!(stats.expired, 1);
    assert!(stored(&old).is_none(), "an expired job gets no result");
}

#[test]
fn the_jobs_of_a_dead_worker_are_picked_up_again() {
    let queue = unique("dead");
    let dead = unique("dead-worker");
    let id = unique("orphan");
    let mut c = conn();
    // A worker that took the job and died: registered, job in its list, heartbeat gone.
    let _: () = c.sadd(workers_set(&queue), &dead).unwrap();
    let _: () = c
        .lpush(processing_list(&queue, &dead), job(&id, now_ms() + 60_000))
        .unwrap();
    let _: () = c.del(heartbeat_key(&dead)).unwrap();

    let (echo, stats) = run_until_answered(&queue, std::slice::from_ref(&id));

    assert_eq!(echo.seen, vec![id]);
    assert_eq!(stats.requeued, 1);
    let left: usize = c.llen(processing_list(&queue, &dead)).unwrap();
    assert_eq!(left, 0);
    let still_registered: bool = c.sismember(workers_set(&queue), &dead).unwrap();
    assert!(!still_registered);
}

#[test]
fn a_live_workers_jobs_are_left_alone() {
    let queue = unique("alive");
    let busy = unique("busy-worker");
    let theirs = unique("theirs");
    let mine = unique("mine");
    let mut c = conn();
    let _: () = c.sadd(workers_set(&queue), &busy).unwrap();
    let _: () = c.set_ex(heartbeat_key(&busy), 1, 30).unwrap();
    let _: () = c
        .lpush(
            processing_list(&queue, &busy),
            job(&theirs, now_ms() + 60_000),
        )
        .unwrap();
    let _: () = c.lpush(&queue, job(&mine, now_ms() + 60_000)).unwrap();

    let (echo, _) = run_until_answered(&queue, std::slice::from_ref(&mine));

    assert_eq!(echo.seen, vec![mine]);
    let left: usize = c.llen(processing_list(&queue, &busy)).unwrap();
    assert_eq!(left, 1, "a busy worker keeps its job");
    let _: () = c.del(heartbeat_key(&busy)).unwrap();
}

#[test]
fn malformed_and_poison_jobs_are_answered_with_an_error() {
    let queue = unique("bad");
    let malformed = unique("malformed");
    let poison = unique("poison");
    let mut c = conn();
    let _: () = c
        .lpush(
            &queue,
            format!(r#"{{"request_id":"{malformed}","text":5}}"#),
        )
        .unwrap();
    let _: () = c.hset(ATTEMPTS_HASH, &poison, MAX_ATTEMPTS).unwrap();
    let _: () = c.lpush(&queue, job(&poison, now_ms() + 60_000)).unwrap();

    let (echo, stats) = run_until_answered(&queue, &[malformed.clone(), poison.clone()]);

    assert!(echo.seen.is_empty(), "neither job reaches the handler");
    assert_eq!(stats.malformed, 1);
    for (id, code) in [
        (malformed, AiErrorCode::BadJob),
        (poison, AiErrorCode::Internal),
    ] {
        match stored(&id).expect("answered").outcome {
            Outcome::Failed(f) => assert_eq!(f.code, code),
            other => panic!("unexpected outcome {other:?}"),
        }
    }
}
