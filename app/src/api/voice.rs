//! The voice server functions the app's own pages call; the work is `services::VoiceService`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
use crate::domain::voice::MAX_AUDIO_BYTES;
use crate::domain::voice::{SttResponse, VoiceAnalysisResponse, VoiceAnalyzeRequest};
use crate::error::AppError;

/// Understands one utterance of a voice session and, once the order is complete, prices it
/// (DESIGN §7). Works signed out; a signed-in customer's history informs the proposal.
#[server(prefix = "/api", endpoint = "voice_analyze", input = Json)]
pub async fn analyze_voice(req: VoiceAnalyzeRequest) -> Result<VoiceAnalysisResponse, AppError> {
    use crate::services::VoiceService;
    let ctx = crate::infra::context::app_context()?;
    let customer = crate::api::session::current_customer().await?;
    let caller = crate::infra::limits::VoiceCaller {
        customer_id: customer.map(|c| c.id),
        client: crate::infra::context::client_addr(),
    };
    VoiceService::analyze(&ctx, caller, &req).await
}

/// Transcribes a recording sent as base64 (standard alphabet). The REST endpoint
/// `POST /api/voice/stt` takes the raw bytes or a multipart upload instead.
#[server(prefix = "/api", endpoint = "voice_transcribe", input = Json)]
pub async fn transcribe_voice(
    audio_b64: String,
    filename: Option<String>,
    mime_type: Option<String>,
    language: Option<String>,
) -> Result<SttResponse, AppError> {
    use base64::Engine;

    use crate::services::VoiceService;
    // Checked before decoding so an oversized upload costs no memory.
    if audio_b64.len() > MAX_AUDIO_BYTES.div_ceil(3) * 4 {
        return Err(AppError::PayloadTooLarge {
            field: "audio_b64".into(),
            limit_bytes: MAX_AUDIO_BYTES as u64,
        });
    }
    let audio = base64::engine::general_purpose::STANDARD
        .decode(audio_b64.trim())
        .map_err(|_| AppError::invalid("audio_b64", "base64 형식이 아닙니다"))?;
    let ctx = crate::infra::context::app_context()?;
    let customer = crate::api::session::current_customer().await?;
    let caller = crate::infra::limits::VoiceCaller {
        customer_id: customer.map(|c| c.id),
        client: crate::infra::context::client_addr(),
    };
    VoiceService::transcribe(
        &ctx,
        caller,
        &audio,
        filename.as_deref(),
        mime_type.as_deref(),
        language.as_deref(),
    )
    .await
}
