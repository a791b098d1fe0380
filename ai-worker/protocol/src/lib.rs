//! The wire protocol between the server (`AiClient`) and the `ai-worker` processes (DESIGN §7).
//!
//! Serde only, so that the server, the `app` crate (and its WASM build) use the same types
//! without pulling in llama.cpp or whisper.cpp.
//!
//! Delivery: the client subscribes to [`result_channel`], then `LPUSH`es the job onto a queue.
//! A worker moves it atomically (`BLMOVE`) into its own [`processing_list`], so a job survives a
//! worker that dies mid-job; when done it stores the result under [`result_key`] (with a TTL)
//! and publishes it on [`result_channel`], so a waiter that missed the message still finds it.

use serde::{Deserialize, Serialize};

pub mod amounts;
pub mod analysis;
pub mod menu;

pub use analysis::{
    ConversationState, Customization, Intent, MenuMismatch, OrderLine, OrderState, VoiceAnalysis,
    CONFIDENCE_THRESHOLD,
};
pub use menu::{MenuCatalog, MenuComponent, MenuDinner, MenuSideDish, MenuStyle};

/// Speech-to-text jobs.
pub const STT_QUEUE: &str = "ai:queue:stt";
/// Order-understanding jobs.
pub const LLM_QUEUE: &str = "ai:queue:llm";
/// Set of live worker ids per queue, used to find the processing lists of dead workers.
pub const WORKERS_PREFIX: &str = "ai:workers";
/// How long a stored result stays readable, in seconds.
pub const RESULT_TTL_SECS: u64 = 300;

/// Channel on which the result of `request_id` is published.
pub fn result_channel(request_id: &str) -> String {
    format!("ai:result:{request_id}")
}

/// Key under which the result of `request_id` is stored for late readers.
pub fn result_key(request_id: &str) -> String {
    format!("ai:result-store:{request_id}")
}

/// A worker's in-flight list for `queue`.
pub fn processing_list(queue: &str, worker_id: &str) -> String {
    format!("{queue}:processing:{worker_id}")
}

/// Set of the workers consuming `queue`.
pub fn workers_set(queue: &str) -> String {
    format!("{WORKERS_PREFIX}:{queue}")
}

/// A worker's liveness key (expires when the worker stops refreshing it).
pub fn heartbeat_key(worker_id: &str) -> String {
    format!("ai:worker-alive:{worker_id}")
}

/// Delivery attempts per job, so a job that kills every worker is not retried forever.
pub const ATTEMPTS_HASH: &str = "ai:attempts";
/// After this many deliveries a job is answered with [`AiErrorCode::Internal`].
pub const MAX_ATTEMPTS: u32 = 3;

/// What every job carries.
pub trait Job {
    fn request_id(&self) -> &str;
    /// Unix time in milliseconds after which nobody waits for the answer.
    fn deadline_ms(&self) -> u64;
}

/// Audio to transcribe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SttJob {
    pub request_id: String,
    /// The uploaded bytes, base64 (standard alphabet, padded).
    pub audio_b64: String,
    pub filename: Option<String>,
    pub mime_type: Option<String>,
    /// `ko`, `en`, or `None` to let whisper detect it.
    pub language: Option<String>,
    pub deadline_ms: u64,
}

/// A transcript to understand, with everything the prompt needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmJob {
    pub request_id: String,
    pub transcript: String,
    pub language: Option<String>,
    /// The voice session's order so far; `None` on its first utterance.
    pub order_state: Option<OrderState>,
    pub user_history: Vec<HistoryEntry>,
    pub events: Vec<EventInfo>,
    pub menu: MenuCatalog,
    pub deadline_ms: u64,
}

impl LlmJob {
    /// A job answered in-process (CLI, evaluation, tests, warm-up): no queue deadline, no
    /// history or events; set the other fields with struct update syntax. A client that queues
    /// a job starts from it too, and gives the job its own id and deadline.
    pub fn local(transcript: impl Into<String>, menu: MenuCatalog) -> Self {
        LlmJob {
            request_id: "local".into(),
            transcript: transcript.into(),
            language: None,
            order_state: None,
            user_history: vec![],
            events: vec![],
            menu,
            deadline_ms: u64::MAX,
        }
    }
}

impl Job for SttJob {
    fn request_id(&self) -> &str {
        &self.request_id
    }
    fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }
}

impl Job for LlmJob {
    fn request_id(&self) -> &str {
        &self.request_id
    }
    fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }
}

/// One dinner the customer ordered before (most recent first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub menu: String,
    pub style: String,
    pub quantity: u32,
    /// RFC 3339 time of the order (empty where unknown, as in evaluation files).
    #[serde(default)]
    pub ordered_at: String,
}

/// An event discount running now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInfo {
    pub name: String,
    /// The dinner it applies to; `None` for every dinner.
    pub menu: Option<String>,
    pub discount_percent: u32,
}

/// A transcription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub text: String,
    /// The language whisper used (given or detected).
    pub language: String,
    /// Length of the decoded audio.
    pub audio_ms: u64,
}

/// Why a job failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AiErrorCode {
    /// No speech in the audio (DESIGN §8 4a).
    NoSpeech,
    /// Bytes that are not audio in a format we decode.
    UnsupportedAudio,
    /// The job itself is malformed (bad base64, empty transcript, …).
    BadJob,
    /// The model or the worker failed.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiFailure {
    pub code: AiErrorCode,
    pub message: String,
}

/// What a job produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Transcript(Transcript),
    Analysis(Box<VoiceAnalysis>),
    Failed(AiFailure),
}

/// The message published on [`result_channel`] and stored under [`result_key`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiResult {
    pub request_id: String,
    pub worker_id: String,
    /// Time the worker spent on the job.
    pub processing_ms: u64,
    pub outcome: Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_design() {
        assert_eq!(result_channel("r1"), "ai:result:r1");
        assert_eq!(
            processing_list(STT_QUEUE, "w1"),
            "ai:queue:stt:processing:w1"
        );
    }

    #[test]
    fn results_use_snake_case_tags() {
        let result = AiResult {
            request_id: "r1".into(),
            worker_id: "w1".into(),
            processing_ms: 12,
            outcome: Outcome::Failed(AiFailure {
                code: AiErrorCode::NoSpeech,
                message: "no speech".into(),
            }),
        };
        let json = serde_json::to_string(&result).unwrap();
        assert!(
            json.contains(r#""outcome":{"failed":{"code":"no_speech""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<AiResult>(&json).unwrap(), result);
    }
}
