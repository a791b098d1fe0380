//! VoiceService: a recording becomes a transcript, a transcript becomes a priced proposal
//! (DESIGN §7, §8). The AI's answer is checked against the live menu and priced by the same
//! DiscountService as a GUI order; the session's order in progress lives in Redis.

use std::time::Instant;

use ai_protocol::{
    AiErrorCode, AiFailure, AiResult, LlmJob, MenuCatalog, OrderState, Outcome, VoiceAnalysis,
};
use serde::{Deserialize, Serialize};

use crate::domain::menu::Menu;
use crate::domain::order::OrderDraft;
use crate::domain::order_view::Quote;
use crate::domain::voice::{
    order_draft, parse_language, AudioFormat, SttResponse, ValidAnalyzeRequest,
    VoiceAnalysisResponse, VoiceAnalyzeRequest, MAX_AUDIO_BYTES,
};
use crate::error::AppError;
use crate::infra::context::AppContext;
use crate::infra::limits::VoiceCaller;
use crate::infra::redis::RedisHandle;
use crate::services::menu::load_menu;
use crate::services::DiscountService;

pub struct VoiceService;

/// How long a voice session keeps its order after the last utterance.
pub const SESSION_TTL_SECS: u64 = 30 * 60;

/// Redis key of a voice session.
pub fn session_key(session_id: &str) -> String {
    format!("voice:session:{session_id}")
}

/// What a voice session keeps between utterances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceSession {
    /// The customer who started it; `None` for a guest. Nobody else may continue it.
    pub customer_id: Option<i64>,
    pub order_state: Option<OrderState>,
}

fn session_unavailable(err: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %err, "voice session store unavailable");
    AppError::AiUnavailable
}

async fn redis_cmd<T: redis::FromRedisValue>(
    redis: &RedisHandle,
    cmd: redis::Cmd,
) -> Result<T, AppError> {
    let mut conn = redis.connection().await.map_err(session_unavailable)?;
    let limit = redis.timeout();
    tokio::time::timeout(limit, cmd.query_async::<T>(&mut conn))
        .await
        .map_err(|_| session_unavailable(format!("no answer within {limit:?}")))?
        .map_err(session_unavailable)
}

/// The session's order so far. A session of another customer is not found (404); an expired
/// or unknown one is `None`, and the caller starts a new session.
pub async fn load_session(
    redis: &RedisHandle,
    session_id: &str,
    customer_id: Option<i64>,
) -> Result<Option<VoiceSession>, AppError> {
    let raw: Option<String> = redis_cmd(
        redis,
        redis::cmd("GET").arg(session_key(session_id)).to_owned(),
    )
    .await?;
    let Some(raw) = raw else {
        return Ok(None);
    };
    let session: VoiceSession = match serde_json::from_str(&raw) {
        Ok(session) => session,
        Err(err) => {
            tracing::warn!(error = %err, session_id, "unreadable voice session; starting over");
            return Ok(None);
        }
    };
    if session.customer_id != customer_id {
        tracing::warn!(session_id, "voice session of another customer");
        return Err(AppError::NotFound(
            "음성 주문 세션을 찾을 수 없습니다.".into(),
        ));
    }
    Ok(Some(session))
}

pub async fn save_session(
    redis: &RedisHandle,
    session_id: &str,
    session: &VoiceSession,
) -> Result<(), AppError> {
    let json = serde_json::to_string(session).map_err(|_| AppError::Internal)?;
    let cmd = redis::cmd("SET")
        .arg(session_key(session_id))
        .arg(json)
        .arg("EX")
        .arg(SESSION_TTL_SECS)
        .to_owned();
    redis_cmd::<()>(redis, cmd).await
}

/// A worker's failure as the customer sees it.
fn failure(kind: &str, request_id: &str, f: &AiFailure) -> AppError {
    match f.code {
        AiErrorCode::NoSpeech => {
            tracing::info!(request_id, kind, message = %f.message, "no speech recognised");
            AppError::SpeechNotRecognized
        }
        AiErrorCode::UnsupportedAudio => {
            tracing::info!(request_id, kind, message = %f.message, "audio not decodable");
            AppError::UnsupportedMediaType {
                field: "audio".into(),
                message:
                    "음성 파일을 읽을 수 없습니다. WAV, WebM, Ogg, MP3, M4A 파일을 보내 주세요."
                        .into(),
            }
        }
        AiErrorCode::BadJob | AiErrorCode::Internal => {
            tracing::error!(request_id, kind, code = ?f.code, message = %f.message, "AI job failed");
            AppError::Internal
        }
    }
}

fn unexpected(kind: &str, result: &AiResult) -> AppError {
    tracing::error!(request_id = %result.request_id, kind, "AI worker answered with the wrong kind of result");
    AppError::Internal
}

impl VoiceService {
    /// Checks the upload (size, container), queues it and waits for the transcript.
    /// 4a (no speech) → 422, undecodable → 415, no answer in time → 504.
    pub async fn transcribe(
        ctx: &AppContext,
        caller: VoiceCaller,
        audio: &[u8],
        filename: Option<&str>,
        mime_type: Option<&str>,
        language: Option<&str>,
    ) -> Result<SttResponse, AppError> {
        if audio.is_empty() {
            return Err(AppError::invalid("audio", "음성 파일이 비어 있습니다"));
        }
        if audio.len() > MAX_AUDIO_BYTES {
            return Err(AppError::PayloadTooLarge {
                field: "audio".into(),
                limit_bytes: MAX_AUDIO_BYTES as u64,
            });
        }
        let format = AudioFormat::sniff(audio).ok_or_else(|| AppError::UnsupportedMediaType {
            field: "audio".into(),
            message: "음성 파일이 아닙니다. WAV, WebM, Ogg, MP3, M4A 파일을 보내 주세요.".into(),
        })?;
        let language = parse_language(language)?;
        let filename = filename.filter(|f| !f.is_empty() && f.len() <= 255);
        // The browser's label when it names audio (it may carry the codec), else the container's.
        let mime_type = mime_type
            .filter(|m| m.len() <= 100 && (m.starts_with("audio/") || m.starts_with("video/")))
            .unwrap_or(format.mime_type());

        let ai = &ctx.ai;
        let _permit = ctx
            .limits
            .voice_permit(caller, ai.queue_depth(true).await)
            .await?;
        let started = Instant::now();
        let pending = ai
            .send_stt_request(audio, filename, Some(mime_type), language.as_deref())
            .await?;
        let request_id = pending.request_id().to_owned();
        tracing::info!(%request_id, bytes = audio.len(), ?format, "transcription requested");
        let result = ai.wait_for_response(pending, ai.timeout()).await?;
        let transcript = match &result.outcome {
            Outcome::Transcript(t) => t,
            Outcome::Failed(f) => return Err(failure("stt", &request_id, f)),
            Outcome::Analysis(_) => return Err(unexpected("stt", &result)),
        };
        let text = transcript.text.trim();
        tracing::info!(
            %request_id,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            audio_ms = transcript.audio_ms,
            chars = text.chars().count(),
            "transcribed"
        );
        if text.is_empty() {
            return Err(AppError::SpeechNotRecognized);
        }
        Ok(SttResponse {
            transcript: text.to_owned(),
            language: transcript.language.clone(),
            audio_ms: transcript.audio_ms,
        })
    }

    /// Understands one utterance in its session and, once the order is complete, prices it.
    /// 4b (not understood, confidence < 0.7) → 422 with the AI's question; an answer that does
    /// not fit the live menu is our failure (500) and is never priced.
    pub async fn analyze(
        ctx: &AppContext,
        caller: VoiceCaller,
        req: &VoiceAnalyzeRequest,
    ) -> Result<VoiceAnalysisResponse, AppError> {
        let req = req.validate()?;
        let customer_id = caller.customer_id;
        let _permit = ctx
            .limits
            .voice_permit(caller, ctx.ai.queue_depth(false).await)
            .await?;
        let started = Instant::now();
        let (session_id, previous) =
            resume_session(ctx, req.session_id.as_ref(), customer_id).await?;
        let menu = load_menu(&ctx.pool).await?;
        let catalog = menu.catalog();
        let previous = order_in_progress(req.order_state.clone(), previous, &catalog)?;
        let (request_id, analysis) = ask_llm(
            ctx,
            &req,
            &session_id,
            previous.clone(),
            &catalog,
            customer_id,
        )
        .await?;
        if !analysis.is_confident() {
            return Err(not_understood(
                ctx,
                session_id,
                customer_id,
                previous,
                &analysis,
                &request_id,
            )
            .await);
        }
        let draft = checked_draft(&analysis, &catalog, &menu, &req, &request_id)?;
        let session = VoiceSession {
            customer_id,
            order_state: Some(analysis.order_state.clone()),
        };
        save_session(&ctx.redis, &session_id, &session).await?;
        let quote = match &draft {
            None => None,
            Some(draft) => Some(price(ctx, customer_id, &menu, draft, &request_id).await?),
        };
        tracing::info!(
            %request_id,
            %session_id,
            confidence = analysis.confidence,
            state = ?analysis.state,
            final_price = quote.as_ref().map(|q| q.pricing.final_price.won()),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "order analysed"
        );
        Ok(VoiceAnalysisResponse {
            session_id,
            transcript: req.transcript,
            analysis,
            order_draft: draft,
            quote,
        })
    }
}

/// The session to continue and its order so far; a new session when it expired or none was
/// given.
async fn resume_session(
    ctx: &AppContext,
    requested: Option<&String>,
    customer_id: Option<i64>,
) -> Result<(String, Option<OrderState>), AppError> {
    if let Some(id) = requested {
        if let Some(session) = load_session(&ctx.redis, id, customer_id).await? {
            return Ok((id.clone(), session.order_state));
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Some(old) = requested {
        tracing::info!(old_session = %old, new_session = %id, "voice session expired; new one started");
    }
    Ok((id, None))
}

/// The page's order (hand edits included) wins over the session's: it is what the customer
/// sees. It must fit the menu like anything else that reaches the model.
fn order_in_progress(
    from_page: Option<OrderState>,
    from_session: Option<OrderState>,
    catalog: &MenuCatalog,
) -> Result<Option<OrderState>, AppError> {
    let Some(state) = from_page else {
        return Ok(from_session);
    };
    state.check(catalog).map_err(|mismatch| {
        AppError::invalid("order_state", format!("메뉴와 맞지 않습니다: {mismatch}"))
    })?;
    Ok(Some(state))
}

/// Sends the utterance with its context to the worker and waits for the analysis.
async fn ask_llm(
    ctx: &AppContext,
    req: &ValidAnalyzeRequest,
    session_id: &str,
    previous: Option<OrderState>,
    catalog: &MenuCatalog,
    customer_id: Option<i64>,
) -> Result<(String, VoiceAnalysis), AppError> {
    let history = async {
        match customer_id {
            Some(id) => super::voice_context::order_history(&ctx.pool, id).await,
            None => Vec::new(),
        }
    };
    let (user_history, events) =
        tokio::join!(history, super::voice_context::active_events(&ctx.pool));
    let pending = ctx
        .ai
        .send_llm_request(LlmJob {
            language: req.language.clone(),
            order_state: previous,
            user_history,
            events,
            ..LlmJob::local(req.transcript.clone(), catalog.clone())
        })
        .await?;
    let request_id = pending.request_id().to_owned();
    tracing::info!(%request_id, %session_id, "order analysis requested");
    let result = ctx.ai.wait_for_response(pending, ctx.ai.timeout()).await?;
    match result.outcome {
        Outcome::Analysis(a) => Ok((request_id, *a)),
        Outcome::Failed(ref f) => Err(failure("llm", &request_id, f)),
        Outcome::Transcript(_) => Err(unexpected("llm", &result)),
    }
}

/// 4b: the order so far stays as it was, and the customer answers the model's question next.
async fn not_understood(
    ctx: &AppContext,
    session_id: String,
    customer_id: Option<i64>,
    previous: Option<OrderState>,
    analysis: &VoiceAnalysis,
    request_id: &str,
) -> AppError {
    tracing::info!(
        %request_id,
        confidence = analysis.confidence,
        intent = ?analysis.intent,
        "order not understood"
    );
    let session = VoiceSession {
        customer_id,
        order_state: previous,
    };
    if let Err(err) = save_session(&ctx.redis, &session_id, &session).await {
        return err;
    }
    let question = analysis
        .additional_questions
        .first()
        .cloned()
        .or_else(|| Some(analysis.response.clone()).filter(|r| !r.trim().is_empty()));
    AppError::OrderNotUnderstood {
        session_id,
        question,
    }
}

/// The model's order as a draft, once it fits the live menu and a store can make it. The
/// server trusts no one: every code and quantity is checked.
fn checked_draft(
    analysis: &VoiceAnalysis,
    catalog: &MenuCatalog,
    menu: &Menu,
    req: &ValidAnalyzeRequest,
    request_id: &str,
) -> Result<Option<OrderDraft>, AppError> {
    if let Err(mismatch) = analysis.order_state.check(catalog) {
        tracing::error!(%request_id, %mismatch, "AI answer does not fit the menu");
        return Err(AppError::Internal);
    }
    let draft = order_draft(&analysis.order_state).map_err(|err| {
        tracing::error!(%request_id, error = %err, "AI answer cannot become an order");
        AppError::Internal
    })?;
    if let Some(draft) = &draft {
        sold_out_check(menu, draft, req.language.as_deref())?;
    }
    Ok(draft)
}

/// The draft priced as a GUI order would be.
async fn price(
    ctx: &AppContext,
    customer_id: Option<i64>,
    menu: &Menu,
    draft: &OrderDraft,
    request_id: &str,
) -> Result<Quote, AppError> {
    let mut conn = ctx.pool.acquire().await?;
    let pricing = DiscountService::calculate_order_pricing(&mut conn, customer_id, menu, draft)
        .await
        .map_err(|err| match err {
            // Already checked against the menu: a pricing complaint is ours.
            AppError::InvalidInput { field, message } => {
                tracing::error!(%request_id, %field, %message, "voice draft cannot be priced");
                AppError::Internal
            }
            other => other,
        })?;
    let discounts = pricing.applied_discounts(menu);
    Ok(Quote { pricing, discounts })
}

/// Voice never offers a dinner no store can make now: it says that it is sold out (409).
fn sold_out_check(menu: &Menu, draft: &OrderDraft, language: Option<&str>) -> Result<(), AppError> {
    let gone = draft
        .lines
        .iter()
        .filter_map(|line| menu.dinner(&line.menu))
        .find(|dinner| dinner.sold_out);
    match (gone, language) {
        (None, _) => Ok(()),
        (Some(d), Some("en")) => Err(AppError::SoldOut(format!(
            "Sorry, the {} is sold out right now. Please choose another dinner.",
            d.name_en
        ))),
        (Some(d), _) => Err(AppError::SoldOut(format!(
            "죄송합니다. {}는 지금 품절입니다. 다른 디너를 골라 주세요.",
            d.name_ko
        ))),
    }
}
