//! The voice panel above the builder: record or type, see the stages, the transcript, the
//! failure with what to do about it, and the AI's proposal.

use leptos::prelude::*;

use crate::domain::menu::Menu;
use crate::error::AppError;
use crate::pages::lang::use_lang;
use crate::pages::ErrorMessage;

use super::{attr_ms, choices, timer, Choice, Stage, VoiceController, MAX_RECORDING_MS};

#[component]
pub fn VoicePanel(voice: VoiceController, menu: StoredValue<Menu>) -> impl IntoView {
    let lang = use_lang();
    view! {
        <section class="voice-panel" data-testid="voice-panel"
            data-stage=move || voice.stage.get().code()
            data-active=move || voice.active.get().to_string()
            data-session=move || voice.session_id.get()
            data-recorded-at=move || attr_ms(voice.timing.get().recorded_at)
            data-preview-at=move || attr_ms(voice.timing.get().preview_at)>
            <h2>{move || lang.get().pick("음성 주문", "Voice order")}</h2>
            <VoiceControls voice />
            <VoiceMeter voice />
            {move || voice.stage.get().label(lang.get()).map(|text| {
                view! { <p class="voice-stage" role="status" data-testid="voice-stage-label">{text}</p> }
            })}
            {move || voice.mic_error.get().map(|e| view! {
                <p class="error" role="alert" data-testid="voice-mic-error" data-code=e.code()>
                    {move || e.message(lang.get())}
                </p>
            })}
            {move || voice.transcript.get().map(|t| view! {
                <p class="voice-transcript">
                    {move || lang.get().pick("들은 내용", "You said")} ": "
                    <q data-testid="voice-transcript">{t}</q>
                </p>
            })}
            <VoiceFailure voice />
            <VoiceProposal voice menu />
            {move || voice.active.get().then(|| view! {
                <button type="button" class="button link" data-testid="voice-leave"
                    on:click=move |_| voice.use_gui()>
                    {move || lang.get().pick("음성 주문 그만두기 (화면에서 계속)", "Stop voice ordering (continue in the form)")}
                </button>
            })}
        </section>
    }
    .into_any()
}

/// The record button (its words follow the stage), cancel, and the typed box.
#[component]
fn VoiceControls(voice: VoiceController) -> impl IntoView {
    let lang = use_lang();
    let typed = RwSignal::new(String::new());
    let on_typed = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = typed.get_untracked();
        if !text.trim().is_empty() {
            voice.send_text(text);
            typed.set(String::new());
        }
    };
    let record_label = move || {
        let l = lang.get();
        match voice.stage.get() {
            Stage::Recording => l.pick("■ 녹음 끝내기", "■ Stop recording"),
            Stage::Starting => l.pick("마이크 준비 중…", "Starting…"),
            _ if voice
                .error
                .with(|e| matches!(e, Some(AppError::SpeechNotRecognized))) =>
            {
                l.pick("🎤 다시 녹음하기", "🎤 Record again")
            }
            _ => l.pick("🎤 음성 주문", "🎤 Voice order"),
        }
    };
    view! {
        <div class="voice-controls">
            <button type="button" class="button primary voice-record" data-testid="voice-record"
                aria-pressed=move || (voice.stage.get() == Stage::Recording).to_string()
                on:click=move |_| voice.press_record()>
                {record_label}
            </button>
            {move || {
                let stage = voice.stage.get();
                stage.is_busy() || matches!(stage, Stage::Starting | Stage::Recording)
            }.then(|| view! {
                <button type="button" class="button" data-testid="voice-cancel"
                    on:click=move |_| voice.cancel()>
                    {move || lang.get().pick("취소", "Cancel")}
                </button>
            })}
            <form class="voice-text" on:submit=on_typed>
                <input type="text" data-testid="voice-text" maxlength="500"
                    aria-label=move || lang.get().pick("주문을 글로 입력", "Type your order")
                    placeholder=move || lang.get().pick("또는 입력하세요: 치킨 디너 두 개 매운 맛으로", "Or type: two spicy chicken dinners")
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev)) />
                <button type="submit" class="button" data-testid="voice-text-send"
                    disabled=move || typed.with(|t| t.trim().is_empty())>
                    {move || lang.get().pick("보내기", "Send")}
                </button>
            </form>
        </div>
    }
}

/// The level meter and the timer, while recording.
#[component]
fn VoiceMeter(voice: VoiceController) -> impl IntoView {
    let lang = use_lang();
    move || {
        (voice.stage.get() == Stage::Recording).then(|| {
            view! {
                <div class="voice-meter">
                    <meter min="0" max="1" low="0.02" high="0.5" optimum="0.2" data-testid="voice-level"
                        aria-label=move || lang.get().pick("입력 음량", "Input level")
                        value=move || f64::from(voice.level.get().min(1.0) * 4.0).min(1.0) />
                    <span class="voice-timer" data-testid="voice-timer">
                        {move || timer(voice.elapsed_ms.get())} " / " {timer(MAX_RECORDING_MS)}
                    </span>
                </div>
            }
        })
    }
}

/// The server's error, with what the customer can do about it.
#[component]
fn VoiceFailure(voice: VoiceController) -> impl IntoView {
    let lang = use_lang();
    move || {
        voice.error.get().map(|error| {
            let l = lang.get();
            let retryable = matches!(
                error,
                AppError::AiTimeout
                    | AppError::AiUnavailable
                    | AppError::Transport(_)
                    | AppError::Internal
            );
            let not_understood = matches!(error, AppError::OrderNotUnderstood { .. });
            view! {
                <div class="voice-failure" data-testid="voice-error">
                    <ErrorMessage error />
                    {move || voice.question.get().map(|q| view! {
                        <p class="voice-question" data-testid="voice-question">{q}</p>
                    })}
                    {retryable.then(|| view! {
                        <button type="button" class="button" data-testid="voice-retry"
                            on:click=move |_| voice.retry()>
                            {l.pick("다시 시도", "Try again")}
                        </button>
                    })}
                    {(not_understood || retryable).then(|| view! {
                        <button type="button" class="button" data-testid="voice-use-gui"
                            on:click=move |_| voice.use_gui()>
                            {l.pick("화면에서 직접 주문하기", "Order with the form instead")}
                        </button>
                    })}
                </div>
            }
        })
    }
}

/// The AI's proposal: its answer, the price, its questions and one-click choices.
#[component]
fn VoiceProposal(voice: VoiceController, menu: StoredValue<Menu>) -> impl IntoView {
    let lang = use_lang();
    move || {
        let l = lang.get();
        voice.proposal.get().map(|p| {
            let questions = p.analysis.additional_questions.clone();
            let options = menu.with_value(|m| choices(m, &p, l));
            let response = p.analysis.response.clone();
            let quote = p.quote.clone();
            view! {
                <div class="voice-proposal" data-testid="voice-proposal"
                    data-state=format!("{:?}", p.analysis.state).to_lowercase()
                    data-confidence=format!("{:.3}", p.analysis.confidence)>
                    {(!response.trim().is_empty()).then(|| view! {
                        <p class="voice-response" data-testid="voice-response">"🤖 " {response}</p>
                    })}
                    {quote.map(|q| view! {
                        <p class="voice-quote">{l.pick("예상 금액", "Estimated price")} " "
                            <strong data-testid="voice-quote">{l.price(q.pricing.final_price)}</strong></p>
                    })}
                    {questions.into_iter().map(|q| view! {
                        <p class="voice-question" data-testid="voice-question">{q}</p>
                    }).collect_view()}
                    {(!options.is_empty()).then(|| view! {
                        <div class="choices voice-choices">
                            {options.into_iter().map(|choice| view! { <ChoiceButton voice choice /> }).collect_view()}
                        </div>
                    })}
                    <p class="voice-hint">
                        {l.pick(
                            "아래 주문서에 반영했습니다. 직접 고치시거나 다시 말씀해 주세요 (예: \"세 개로 바꿔줘\").",
                            "The order form below now holds this order. Change it by hand or speak again (e.g. \"make it three\").",
                        )}
                    </p>
                </div>
            }
        })
    }
}

/// One answer to the AI's question, put into the builder with one click.
#[component]
fn ChoiceButton(voice: VoiceController, choice: Choice) -> impl IntoView {
    let builder = voice.builder;
    let (kind, code, label) = match choice {
        Choice::Style { code, label } => ("style", code, label),
        Choice::Dinner { code, label } => ("dinner", code, label),
    };
    let set = code.clone();
    let choose = move |_| {
        if kind == "style" {
            builder.style.set(set.clone());
        } else {
            builder.choose_dinner(set.clone());
        }
    };
    view! {
        <button type="button" class="button" data-testid="voice-choice"
            data-kind=kind data-code=code on:click=choose>
            {label}
        </button>
    }
}
