//! The `ai:queue:llm` handler.

use ai_protocol::{AiErrorCode, AiFailure, LlmJob, Outcome, VoiceAnalysis};

use crate::compose;
use crate::llm::{LlmError, QwenLlmService};

impl QwenLlmService {
    /// The seed's entry point: one utterance (with its session's order so far) → an analysis.
    pub fn analyze_voice_order(&mut self, job: &LlmJob) -> Result<VoiceAnalysis, LlmError> {
        let decoded = self.decode(job)?;
        tracing::info!(
            request_id = %job.request_id,
            ms = decoded.millis,
            prompt_tokens = decoded.prompt_tokens,
            generated_tokens = decoded.generated_tokens,
            model_passes = decoded.model_passes,
            "analysed"
        );
        Ok(compose::analysis(job, &decoded))
    }
}

pub struct LlmHandler {
    pub service: QwenLlmService,
}

impl ai_queue::Handler for LlmHandler {
    type Job = LlmJob;

    fn handle(&mut self, job: LlmJob) -> Outcome {
        if job.transcript.trim().is_empty() {
            return Outcome::Failed(AiFailure {
                code: AiErrorCode::BadJob,
                message: "the transcript is empty".into(),
            });
        }
        match self.service.analyze_voice_order(&job) {
            Ok(analysis) => Outcome::Analysis(Box::new(analysis)),
            Err(e) => {
                tracing::error!(request_id = %job.request_id, error = %e, "analysis failed");
                Outcome::Failed(AiFailure {
                    code: AiErrorCode::Internal,
                    message: e.to_string(),
                })
            }
        }
    }
}
