//! Voice ordering on the order page (DESIGN §1, §7, §8): record or type an order, watch it go
//! through the stages, and get the AI's proposal in the same builder the GUI uses, priced by
//! the server. The microphone, the upload and the waiting live in `browser` (hydrate only);
//! this module holds the state every render shares and the panel that shows it.

// The server only renders the panel; recording, uploading and applying answers happen in the
// browser, so much of the state below is used by the hydrate build alone.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;

use crate::domain::i18n::Lang;
use crate::domain::menu::{Menu, Named};
use crate::domain::voice::{OrderState, VoiceAnalysisResponse};
use crate::error::AppError;
use crate::pages::builder_fields::BuilderFields;

#[cfg(feature = "hydrate")]
mod browser;
mod panel;

pub use panel::VoicePanel;

/// Longest recording; the customer can stop earlier by pressing again.
pub const MAX_RECORDING_MS: f64 = 15_000.0;
/// Quiet this long after speech ends the recording by itself.
pub const SILENCE_STOP_MS: f64 = 1_200.0;
/// Loudness (RMS of the samples, 0..1) that counts as speech rather than room noise.
pub const SPEECH_LEVEL: f32 = 0.02;

/// Where a voice turn is; shown to the customer and in `data-stage` for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    Idle,
    /// Asking the browser for the microphone (a permission prompt may be open).
    Starting,
    Recording,
    Uploading,
    /// The upload has arrived; the server waits for the recogniser.
    Recognising,
    /// The transcript is known; the server waits for the order model.
    Understanding,
    /// A proposal is in the builder.
    Done,
    Failed,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Idle => "idle",
            Stage::Starting => "starting",
            Stage::Recording => "recording",
            Stage::Uploading => "uploading",
            Stage::Recognising => "recognising",
            Stage::Understanding => "understanding",
            Stage::Done => "done",
            Stage::Failed => "failed",
        }
    }

    /// The AI (or the upload) is working: the customer may cancel.
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            Stage::Uploading | Stage::Recognising | Stage::Understanding
        )
    }

    fn label(self, l: Lang) -> Option<&'static str> {
        Some(match self {
            Stage::Starting => l.pick("마이크 준비 중…", "Starting the microphone…"),
            Stage::Recording => l.pick(
                "듣고 있어요. 말씀을 마치면 잠시 기다리거나 버튼을 다시 누르세요.",
                "Listening. Pause when you are done, or press the button again.",
            ),
            Stage::Uploading => l.pick("음성을 보내는 중…", "Uploading your recording…"),
            Stage::Recognising => l.pick("음성을 인식하는 중…", "Recognising your speech…"),
            Stage::Understanding => l.pick("주문 내용을 이해하는 중…", "Understanding your order…"),
            Stage::Idle | Stage::Done | Stage::Failed => return None,
        })
    }
}

/// Why the microphone could not be used. The page stays usable: the typed box and the builder
/// need no microphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MicError {
    /// The customer or the browser refused access.
    Denied,
    /// No microphone is connected.
    NotFound,
    /// Another program holds the microphone.
    Busy,
    /// This browser cannot record (no MediaRecorder, insecure page).
    Unsupported,
    /// The recording broke off.
    Failed,
}

impl MicError {
    pub fn code(self) -> &'static str {
        match self {
            MicError::Denied => "mic_denied",
            MicError::NotFound => "mic_not_found",
            MicError::Busy => "mic_busy",
            MicError::Unsupported => "mic_unsupported",
            MicError::Failed => "mic_failed",
        }
    }

    pub fn message(self, l: Lang) -> &'static str {
        match self {
            MicError::Denied => l.pick(
                "마이크 사용이 허용되지 않았습니다. 브라우저 설정에서 마이크를 허용하시거나, 주문을 글로 입력하시거나, 아래 화면에서 직접 주문해 주세요.",
                "Microphone access was denied. Allow it in your browser settings, type your order instead, or use the order form below.",
            ),
            MicError::NotFound => l.pick(
                "마이크를 찾을 수 없습니다. 주문을 글로 입력하시거나 아래 화면에서 직접 주문해 주세요.",
                "No microphone was found. Type your order instead, or use the order form below.",
            ),
            MicError::Busy => l.pick(
                "다른 프로그램이 마이크를 사용 중입니다. 잠시 후 다시 시도하시거나 아래 화면에서 직접 주문해 주세요.",
                "Another program is using the microphone. Try again shortly, or use the order form below.",
            ),
            MicError::Unsupported => l.pick(
                "이 브라우저에서는 음성 녹음을 할 수 없습니다. 주문을 글로 입력하시거나 아래 화면에서 직접 주문해 주세요.",
                "This browser cannot record audio. Type your order instead, or use the order form below.",
            ),
            MicError::Failed => l.pick(
                "녹음이 중단되었습니다. 다시 시도해 주세요.",
                "The recording stopped unexpectedly. Please try again.",
            ),
        }
    }
}

/// `performance.now()` stamps of the last turn, exposed as data attributes so the end-to-end
/// suite can measure end of recording → preview on screen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timing {
    pub recorded_at: Option<f64>,
    pub preview_at: Option<f64>,
}

/// The voice side of the order page. Every field is a signal, so the controller is `Copy` and
/// event handlers and the browser tasks share it.
#[derive(Clone, Copy)]
pub struct VoiceController {
    pub stage: RwSignal<Stage>,
    /// Microphone loudness while recording, 0..1.
    pub level: RwSignal<f32>,
    pub elapsed_ms: RwSignal<f64>,
    pub transcript: RwSignal<Option<String>>,
    pub proposal: RwSignal<Option<VoiceAnalysisResponse>>,
    pub error: RwSignal<Option<AppError>>,
    pub mic_error: RwSignal<Option<MicError>>,
    /// The AI's clarifying question after 4b.
    pub question: RwSignal<Option<String>>,
    pub session_id: RwSignal<Option<String>>,
    /// The builder holds a voice proposal: confirming creates a pending voice order.
    pub active: RwSignal<bool>,
    pub stop_requested: RwSignal<bool>,
    /// Bumped by every new turn and by cancel; a task whose number is stale touches nothing.
    pub generation: RwSignal<u64>,
    pub timing: RwSignal<Timing>,
    pub builder: BuilderFields,
    /// The builder's order as the next utterance's starting point (`None` while it is invalid).
    pub builder_state: Memo<Option<OrderState>>,
    /// Puts a proposal's order into the builder's cart.
    pub take_order: Callback<OrderState>,
    #[cfg(feature = "hydrate")]
    handles: browser::Handles,
}

impl VoiceController {
    pub fn new(
        builder: BuilderFields,
        builder_state: Memo<Option<OrderState>>,
        take_order: Callback<OrderState>,
    ) -> Self {
        VoiceController {
            stage: RwSignal::new(Stage::Idle),
            level: RwSignal::new(0.0),
            elapsed_ms: RwSignal::new(0.0),
            transcript: RwSignal::new(None),
            proposal: RwSignal::new(None),
            error: RwSignal::new(None),
            mic_error: RwSignal::new(None),
            question: RwSignal::new(None),
            session_id: RwSignal::new(None),
            active: RwSignal::new(false),
            stop_requested: RwSignal::new(false),
            generation: RwSignal::new(0),
            timing: RwSignal::new(Timing::default()),
            builder,
            builder_state,
            take_order,
            #[cfg(feature = "hydrate")]
            handles: browser::Handles::new(),
        }
    }

    /// True while `generation` is still this turn's. A disposed page (the customer navigated
    /// away) counts as stale, so a late answer is dropped instead of panicking.
    pub fn is_current(&self, generation: u64) -> bool {
        self.generation.try_get_untracked() == Some(generation)
    }

    /// Starts a turn: stale tasks stop, the last turn's messages go.
    fn begin(&self) -> u64 {
        let generation = self.generation.get_untracked() + 1;
        self.generation.set(generation);
        #[cfg(feature = "hydrate")]
        self.handles.abort();
        self.error.set(None);
        self.mic_error.set(None);
        self.question.set(None);
        self.stop_requested.set(false);
        self.level.set(0.0);
        self.elapsed_ms.set(0.0);
        generation
    }

    /// The microphone button: starts a recording, or ends the one in progress.
    pub fn press_record(self) {
        match self.stage.get_untracked() {
            Stage::Recording => self.stop_requested.set(true),
            // The permission prompt is open; a second press must not ask twice.
            Stage::Starting => {}
            _ => {
                let generation = self.begin();
                // Set here, not in the task: the page shows the new turn from the click on.
                self.stage.set(Stage::Starting);
                self.transcript.set(None);
                self.timing.set(Timing::default());
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(browser::record_turn(self, generation));
                #[cfg(not(feature = "hydrate"))]
                let _ = generation;
            }
        }
    }

    /// The typed box: the text goes to the order model as if it had been said.
    pub fn send_text(self, text: String) {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let generation = self.begin();
        self.stage.set(Stage::Understanding);
        self.transcript.set(Some(text.clone()));
        self.timing.set(Timing::default());
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(browser::understand(self, generation, text, None));
        #[cfg(not(feature = "hydrate"))]
        let _ = generation;
    }

    /// After a timeout or a network failure: the same recording or text again.
    pub fn retry(self) {
        let generation = self.begin();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(browser::retry(self, generation));
        #[cfg(not(feature = "hydrate"))]
        let _ = generation;
    }

    /// Stops whatever runs; a late answer is ignored. The builder keeps what it had.
    pub fn cancel(self) {
        self.begin();
        self.stage.set(Stage::Idle);
    }

    /// Leaves voice ordering for the GUI builder (4b, or by choice): the builder keeps what
    /// the AI filled in, the next voice order starts a new session.
    pub fn use_gui(self) {
        self.cancel();
        self.active.set(false);
        self.proposal.set(None);
        self.session_id.set(None);
        self.transcript.set(None);
        #[cfg(feature = "hydrate")]
        browser::focus_builder();
    }

    /// A proposal arrived: it fills the builder, whose live quote then shows the server price.
    pub fn apply(&self, response: VoiceAnalysisResponse) {
        self.session_id.set(Some(response.session_id.clone()));
        self.transcript.set(Some(response.transcript.clone()));
        self.take_order.run(response.analysis.order_state.clone());
        self.active.set(true);
        self.stage.set(Stage::Done);
        self.proposal.set(Some(response));
    }

    pub fn fail(&self, error: AppError) {
        if let AppError::OrderNotUnderstood {
            session_id,
            question,
        } = &error
        {
            // 4b: the session goes on, so the customer can simply answer the question.
            self.session_id.set(Some(session_id.clone()));
            self.question.set(question.clone());
        }
        self.error.set(Some(error));
        self.stage.set(Stage::Failed);
    }
}

fn timer(ms: f64) -> String {
    let secs = (ms / 1000.0).floor() as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn attr_ms(t: Option<f64>) -> Option<String> {
    t.map(|t| format!("{t:.1}"))
}

/// A proposal's suggestion the customer can take with one click.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    Dinner { code: String, label: String },
    Style { code: String, label: String },
}

/// The AI's `recommended_menu` and `alternatives` (dinner or style codes of the live menu) as
/// buttons; codes the menu does not know are dropped.
fn choices(menu: &Menu, proposal: &VoiceAnalysisResponse, l: Lang) -> Vec<Choice> {
    let analysis = &proposal.analysis;
    let dinner = analysis
        .order_state
        .menu
        .as_deref()
        .and_then(|m| menu.dinner(m));
    let mut out: Vec<Choice> = Vec::new();
    let codes = analysis
        .alternatives
        .iter()
        .chain(analysis.recommended_menu.iter());
    for code in codes {
        let choice =
            if let Some(style) = dinner.and_then(|d| d.styles.iter().find(|s| &s.code == code)) {
                Choice::Style {
                    code: code.clone(),
                    label: style.name(l).to_owned(),
                }
            } else if let Some(d) = menu.dinner(code) {
                if analysis.order_state.menu.as_deref() == Some(code.as_str()) {
                    continue;
                }
                Choice::Dinner {
                    code: code.clone(),
                    label: d.name(l).to_owned(),
                }
            } else {
                continue;
            };
        if !out.contains(&choice) {
            out.push(choice);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_reads_minutes_and_seconds() {
        assert_eq!(timer(0.0), "0:00");
        assert_eq!(timer(3_999.0), "0:03");
        assert_eq!(timer(MAX_RECORDING_MS), "0:15");
        assert_eq!(timer(61_000.0), "1:01");
    }

    #[test]
    fn busy_stages_can_be_cancelled() {
        assert!(Stage::Uploading.is_busy());
        assert!(Stage::Recognising.is_busy());
        assert!(Stage::Understanding.is_busy());
        assert!(!Stage::Recording.is_busy());
        assert!(!Stage::Done.is_busy());
    }
}
