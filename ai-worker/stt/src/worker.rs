//! The queue side: an `ai:queue:stt` job in, an [`Outcome`] out.

use std::time::Instant;

use ai_protocol::{AiErrorCode, AiFailure, Outcome, SttJob};
use base64::Engine as _;

use crate::pipeline::SttPipeline;

/// Handles [`SttJob`]s for `ai_queue::run`; the model stays loaded between jobs.
#[derive(Debug)]
pub struct SttHandler {
    pipeline: SttPipeline,
}

impl SttHandler {
    pub fn new(pipeline: SttPipeline) -> Self {
        Self { pipeline }
    }
}

impl ai_queue::Handler for SttHandler {
    type Job = SttJob;

    fn handle(&mut self, job: SttJob) -> Outcome {
        job_outcome(&mut self.pipeline, &job)
    }
}

/// The job → outcome mapping, without the queue (what the handler and the tests call).
pub fn job_outcome(pipeline: &mut SttPipeline, job: &SttJob) -> Outcome {
    let started = Instant::now();
    let bytes = match base64::engine::general_purpose::STANDARD.decode(job.audio_b64.trim()) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(request_id = %job.request_id, error = %e, "bad base64 in job");
            return Outcome::Failed(AiFailure {
                code: AiErrorCode::BadJob,
                message: format!("audio_b64 is not valid base64: {e}"),
            });
        }
    };
    // The MIME type is the better hint (browsers set it); the file name is a fallback.
    let hint = job
        .mime_type
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .or(job.filename.as_deref());
    let outcome = match pipeline.process(&bytes, hint, job.language.as_deref()) {
        Ok(out) => Outcome::Transcript(out.transcript()),
        Err(e) => Outcome::Failed(e.failure()),
    };
    let total_ms = started.elapsed().as_millis() as u64;
    match &outcome {
        Outcome::Failed(f) => tracing::info!(
            request_id = %job.request_id,
            bytes = bytes.len(),
            total_ms,
            code = ?f.code,
            message = %f.message,
            "stt job failed"
        ),
        _ => {
            tracing::info!(request_id = %job.request_id, bytes = bytes.len(), total_ms, "stt job done")
        }
    }
    outcome
}
