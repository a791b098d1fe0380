//! The browser half of voice ordering (hydrate only): the microphone, the recording with its
//! level and silence detection, the upload with its stages, and the turn that ties them
//! together. After every await the turn checks its generation, so a cancelled (or newer) turn
//! never touches the page and a late answer is dropped.

use js_sys::{Array, Promise};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, Blob, BlobEvent, BlobPropertyBag, DomException, FormData,
    MediaRecorder, MediaRecorderOptions, MediaStream, MediaStreamConstraints, MediaStreamTrack,
    XmlHttpRequest, XmlHttpRequestResponseType,
};

use super::{MicError, Stage, VoiceController, MAX_RECORDING_MS, SILENCE_STOP_MS, SPEECH_LEVEL};
use crate::api::voice::analyze_voice;
use crate::domain::voice::{SttResponse, VoiceAnalyzeRequest};
use crate::error::AppError;

/// Containers MediaRecorder may write that the worker decodes, best first (Chromium writes
/// WebM, Firefox Ogg, Safari MP4).
const MIME_TYPES: [&str; 3] = [
    "audio/webm;codecs=opus",
    "audio/ogg;codecs=opus",
    "audio/mp4",
];
/// How often the level, the timer and the stop conditions are looked at.
const TICK_MS: i32 = 50;

/// What the last turn sent, for "try again".
enum LastInput {
    Audio(Blob),
    Text {
        transcript: String,
        language: Option<String>,
    },
}

/// Browser objects a turn leaves behind for the next one (not `Send`: local storage).
#[derive(Clone, Copy)]
pub struct Handles {
    upload: StoredValue<Option<XmlHttpRequest>, LocalStorage>,
    last: StoredValue<Option<LastInput>, LocalStorage>,
}

impl Handles {
    pub fn new() -> Self {
        Handles {
            upload: StoredValue::new_local(None),
            last: StoredValue::new_local(None),
        }
    }

    /// Aborts an upload in flight (the server drops the request; nothing was queued yet, or
    /// the queued job's answer is simply never read).
    pub fn abort(&self) {
        if let Some(Some(xhr)) = self.upload.try_update_value(Option::take) {
            let _ = xhr.abort();
        }
    }
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_default()
}

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        let scheduled = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .ok()
        });
        if scheduled.is_none() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// After the next paint: the moment the customer can see what was just rendered.
fn stamp_preview(voice: VoiceController, generation: u64) {
    request_animation_frame(move || {
        if voice.is_current(generation) {
            voice.timing.update(|t| t.preview_at = Some(now()));
        }
    });
}

/// Puts the keyboard in the builder's first field (the GUI takes over).
pub fn focus_builder() {
    let field = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("builder-dinner"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(field) = field {
        field.scroll_into_view();
        let _ = field.focus();
    }
}

fn mic_error(err: &JsValue) -> MicError {
    match err.dyn_ref::<DomException>().map(|e| e.name()).as_deref() {
        Some("NotAllowedError" | "SecurityError" | "PermissionDeniedError") => MicError::Denied,
        Some("NotFoundError" | "OverconstrainedError" | "DevicesNotFoundError") => {
            MicError::NotFound
        }
        Some("NotReadableError" | "AbortError" | "TrackStartError") => MicError::Busy,
        Some("TypeError" | "NotSupportedError") => MicError::Unsupported,
        _ => MicError::Failed,
    }
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Loudness of the microphone, for the meter and for "stop after silence".
struct Meter {
    context: AudioContext,
    analyser: AnalyserNode,
    samples: Vec<f32>,
}

impl Meter {
    fn new(stream: &MediaStream) -> Result<Meter, JsValue> {
        let context = AudioContext::new()?;
        // Created on a click, but after the permission prompt: make sure it runs.
        let _ = context.resume();
        let source = context.create_media_stream_source(stream)?;
        let analyser = context.create_analyser()?;
        analyser.set_fft_size(2048);
        source.connect_with_audio_node(&analyser)?;
        let samples = vec![0.0; analyser.fft_size() as usize];
        Ok(Meter {
            context,
            analyser,
            samples,
        })
    }

    /// RMS of the last ~40 ms, 0..1.
    fn level(&mut self) -> f32 {
        self.analyser.get_float_time_domain_data(&mut self.samples);
        let sum: f32 = self.samples.iter().map(|s| s * s).sum();
        (sum / self.samples.len().max(1) as f32).sqrt()
    }
}

/// One recording: the microphone stream, the MediaRecorder writing it and the level meter.
/// Dropping it releases the microphone (the browser's recording indicator goes off).
struct Recorder {
    stream: MediaStream,
    recorder: MediaRecorder,
    chunks: Array,
    _on_data: Closure<dyn FnMut(BlobEvent)>,
    meter: Option<Meter>,
}

impl Recorder {
    async fn start() -> Result<Recorder, MicError> {
        let window = web_sys::window().ok_or(MicError::Unsupported)?;
        let has_recorder =
            js_sys::Reflect::has(&window, &JsValue::from_str("MediaRecorder")).unwrap_or(false);
        // `navigator.mediaDevices` is missing on insecure pages and old browsers.
        let devices = window
            .navigator()
            .media_devices()
            .ok()
            .filter(|d| !d.is_undefined() && !d.is_null())
            .ok_or(MicError::Unsupported)?;
        if !has_recorder {
            return Err(MicError::Unsupported);
        }
        let constraints = MediaStreamConstraints::new();
        constraints.set_audio(&JsValue::TRUE);
        let asked = devices
            .get_user_media_with_constraints(&constraints)
            .map_err(|e| mic_error(&e))?;
        let stream: MediaStream = JsFuture::from(asked)
            .await
            .map_err(|e| mic_error(&e))?
            .dyn_into()
            .map_err(|_| MicError::Failed)?;

        let options = MediaRecorderOptions::new();
        if let Some(mime) = MIME_TYPES
            .iter()
            .find(|m| MediaRecorder::is_type_supported(m))
        {
            options.set_mime_type(mime);
        }
        let recorder = match MediaRecorder::new_with_media_stream_and_media_recorder_options(
            &stream, &options,
        ) {
            Ok(recorder) => recorder,
            Err(_) => {
                stop_tracks(&stream);
                return Err(MicError::Unsupported);
            }
        };
        let chunks = Array::new();
        let sink = chunks.clone();
        let on_data = Closure::<dyn FnMut(BlobEvent)>::new(move |event: BlobEvent| {
            if let Some(data) = event.data().filter(|d| d.size() > 0.0) {
                sink.push(&data);
            }
        });
        recorder.set_ondataavailable(Some(on_data.as_ref().unchecked_ref()));
        // The meter is a help, not a need: without it the customer stops by pressing again.
        let meter = Meter::new(&stream).ok();
        let recording = Recorder {
            stream,
            recorder,
            chunks,
            _on_data: on_data,
            meter,
        };
        recording.recorder.start().map_err(|_| MicError::Failed)?;
        Ok(recording)
    }

    fn level(&mut self) -> Option<f32> {
        self.meter.as_mut().map(Meter::level)
    }

    /// Stops recording and hands back everything recorded as one blob.
    async fn finish(self) -> Result<Blob, MicError> {
        let stopped = Promise::new(&mut |resolve, reject| {
            self.recorder.set_onstop(Some(&resolve));
            self.recorder.set_onerror(Some(&reject));
        });
        self.recorder.stop().map_err(|_| MicError::Failed)?;
        // `dataavailable` fires before `stop`, so every chunk is in by now.
        JsFuture::from(stopped)
            .await
            .map_err(|_| MicError::Failed)?;
        let options = BlobPropertyBag::new();
        options.set_type(&self.recorder.mime_type());
        Blob::new_with_blob_sequence_and_options(&self.chunks, &options)
            .map_err(|_| MicError::Failed)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Detach first: a late event must not call the closure freed with `self`.
        self.recorder.set_ondataavailable(None);
        self.recorder.set_onstop(None);
        self.recorder.set_onerror(None);
        let _ = self.recorder.stop();
        stop_tracks(&self.stream);
        if let Some(meter) = &self.meter {
            let _ = meter.context.close();
        }
    }
}

fn filename_for(mime: &str) -> &'static str {
    if mime.starts_with("audio/ogg") {
        "voice.ogg"
    } else if mime.starts_with("audio/mp4") {
        "voice.m4a"
    } else {
        "voice.webm"
    }
}

fn transport(_: JsValue) -> AppError {
    AppError::Transport("음성을 보낼 수 없습니다.".into())
}

/// `POST /api/voice/stt` as multipart. XMLHttpRequest rather than fetch because it reports the
/// end of the upload (`on_sent`: from then on the server is recognising) and can be aborted.
/// No language is sent: the recogniser detects it, since a customer may speak English on the
/// Korean page (a wrong hint turns English speech into Korean nonsense).
async fn upload(
    voice: VoiceController,
    blob: &Blob,
    on_sent: impl FnMut() + 'static,
) -> Result<SttResponse, AppError> {
    let form = FormData::new().map_err(transport)?;
    form.append_with_blob_and_filename("audio", blob, filename_for(&blob.type_()))
        .map_err(transport)?;
    let xhr = XmlHttpRequest::new().map_err(transport)?;
    xhr.open_with_async("POST", "/api/voice/stt", true)
        .map_err(transport)?;
    xhr.set_response_type(XmlHttpRequestResponseType::Text);
    let sent = Closure::<dyn FnMut()>::new(on_sent);
    let progress = xhr.upload().ok();
    if let Some(progress) = &progress {
        progress.set_onload(Some(sent.as_ref().unchecked_ref()));
    }
    let done = Promise::new(&mut |resolve, reject| {
        xhr.set_onload(Some(&resolve));
        xhr.set_onerror(Some(&reject));
        xhr.set_onabort(Some(&reject));
    });
    xhr.send_with_opt_form_data(Some(&form))
        .map_err(transport)?;
    voice.handles.upload.set_value(Some(xhr.clone()));
    let outcome = JsFuture::from(done).await;
    if let Some(progress) = &progress {
        progress.set_onload(None);
    }
    drop(sent);
    let _ = voice.handles.upload.try_update_value(|slot| {
        if slot.as_ref() == Some(&xhr) {
            *slot = None;
        }
    });
    outcome.map_err(|_| AppError::Transport("네트워크 오류로 음성을 보내지 못했습니다.".into()))?;
    let status = xhr.status().map_err(transport)?;
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    if status == 200 {
        serde_json::from_str(&body)
            .map_err(|_| AppError::Transport("음성 인식 결과를 읽을 수 없습니다.".into()))
    } else {
        Err(AppError::from_rest_response(status, &body))
    }
}

/// Shows a microphone failure and goes back to idle, unless a newer turn has started.
fn fail_mic(voice: VoiceController, generation: u64, err: MicError) {
    if voice.is_current(generation) {
        voice.mic_error.set(Some(err));
        voice.stage.set(Stage::Idle);
    }
}

/// One spoken turn: record until the customer stops, falls silent after speaking, or the
/// maximum length; then upload and understand.
pub async fn record_turn(voice: VoiceController, generation: u64) {
    voice.stage.set(Stage::Starting);
    let mut recorder = match Recorder::start().await {
        Ok(recorder) => recorder,
        Err(err) => return fail_mic(voice, generation, err),
    };
    if !voice.is_current(generation) {
        return;
    }
    voice.stage.set(Stage::Recording);
    let started = now();
    let mut last_speech: Option<f64> = None;
    loop {
        sleep(TICK_MS).await;
        if !voice.is_current(generation) {
            return;
        }
        let t = now();
        let elapsed = t - started;
        voice.elapsed_ms.set(elapsed);
        if let Some(level) = recorder.level() {
            voice.level.set(level);
            if level >= SPEECH_LEVEL {
                last_speech = Some(t);
            }
        }
        let quiet_after_speech = last_speech.is_some_and(|s| t - s >= SILENCE_STOP_MS);
        if voice.stop_requested.get_untracked() || quiet_after_speech || elapsed >= MAX_RECORDING_MS
        {
            break;
        }
    }
    voice.timing.update(|t| t.recorded_at = Some(now()));
    voice.level.set(0.0);
    let audio = match recorder.finish().await {
        Ok(audio) => audio,
        Err(err) => return fail_mic(voice, generation, err),
    };
    if !voice.is_current(generation) {
        return;
    }
    voice
        .handles
        .last
        .set_value(Some(LastInput::Audio(audio.clone())));
    transcribe(voice, generation, audio).await;
}

async fn transcribe(voice: VoiceController, generation: u64, audio: Blob) {
    voice.stage.set(Stage::Uploading);
    let on_sent = move || {
        if voice.is_current(generation) {
            voice.stage.set(Stage::Recognising);
        }
    };
    let result = upload(voice, &audio, on_sent).await;
    if !voice.is_current(generation) {
        return;
    }
    match result {
        Ok(stt) => {
            voice.transcript.set(Some(stt.transcript.clone()));
            understand(voice, generation, stt.transcript, Some(stt.language)).await;
        }
        Err(err) => voice.fail(err),
    }
}

/// The transcript (spoken or typed) goes to the order model in the current session, with the
/// builder's order as its starting point once the builder holds a voice order.
pub async fn understand(
    voice: VoiceController,
    generation: u64,
    transcript: String,
    language: Option<String>,
) {
    voice.stage.set(Stage::Understanding);
    voice.handles.last.set_value(Some(LastInput::Text {
        transcript: transcript.clone(),
        language: language.clone(),
    }));
    // A session's order, or a cart the customer filled by hand (one line as the page opens,
    // its style unpicked, is no order yet).
    let order_state = voice
        .builder_state
        .get_untracked()
        .filter(|s| voice.active.get_untracked() || s.style.is_some() || !s.more_lines.is_empty());
    let request = VoiceAnalyzeRequest {
        transcript,
        session_id: voice.session_id.get_untracked(),
        language,
        order_state,
    };
    let result = analyze_voice(request).await;
    if !voice.is_current(generation) {
        return;
    }
    match result {
        Ok(response) => {
            voice.apply(response);
            stamp_preview(voice, generation);
        }
        Err(err) => voice.fail(err),
    }
}

/// Sends the last recording or transcript again.
pub async fn retry(voice: VoiceController, generation: u64) {
    let last = voice.handles.last.with_value(|last| match last {
        Some(LastInput::Audio(audio)) => Some(LastInput::Audio(audio.clone())),
        Some(LastInput::Text {
            transcript,
            language,
        }) => Some(LastInput::Text {
            transcript: transcript.clone(),
            language: language.clone(),
        }),
        None => None,
    });
    match last {
        Some(LastInput::Audio(audio)) => transcribe(voice, generation, audio).await,
        Some(LastInput::Text {
            transcript,
            language,
        }) => understand(voice, generation, transcript, language).await,
        None => voice.stage.set(Stage::Idle),
    }
}
