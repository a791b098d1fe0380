//! whisper.cpp (through whisper-rs) with the settings that make short spoken orders fast and
//! stable on a small CPU.

use std::collections::HashMap;
use std::ffi::c_int;
use std::path::PathBuf;
use std::time::Instant;

use ai_protocol::MenuCatalog;
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperError,
    WhisperState,
};

use crate::audio::Audio16k;
use crate::bias::{self, PhraseBias};
use crate::prompt::{initial_prompt, normalise_words, PromptChoice, PromptPieces};
use crate::score;
use crate::vad::is_blank_transcript;

pub const DEFAULT_MODEL_PATH: &str = "models/ggml-base.bin";

/// Threads beyond four barely speed up the base model and starve the server next to it.
const MAX_DEFAULT_THREADS: usize = 4;

/// What the customers of this shop speak; detection picks among these (see
/// [`SttConfig::languages`]).
pub const DEFAULT_LANGUAGES: [&str; 2] = ["ko", "en"];

/// One encoder position covers 20 ms (two 10 ms mel frames); the model's full window is 1500.
const AUDIO_CTX_MS_PER_POSITION: usize = 20;
const AUDIO_CTX_FULL: usize = 1500;
/// Shrinking `audio_ctx` to the clip is the big CPU win (the encoder dominates): on the 3 s
/// samples, 1500 → 192 positions took whisper from ~11 s to ~2 s on a busy 2-core machine with
/// the same words. Below ~3 s of context the Korean prompt started leaking into the transcript
/// ("… 간장 마늘이 있어요"), so keep 192 (3.84 s) as the floor, plus a little headroom after
/// the speech.
const AUDIO_CTX_MIN: usize = 192;
const AUDIO_CTX_HEADROOM: usize = 32;
const AUDIO_CTX_ROUND: usize = 64;

/// Off: on the spoken tune split the bonus completed misheard names into the wrong dinner
/// ("프렌타인" → "프렌치 디너" for 발렌타인), so understanding got worse although more names
/// came out whole (docs/voice-pipeline.md).
pub const DEFAULT_BIAS: f32 = 0.0;

/// A menu name in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub en: String,
    pub ko: String,
}

/// The menu words whisper should spell our way. Whisper's initial prompt conditions spelling
/// and word choice: without it the base model writes "to French dinners in brand style" and
/// "a konga", and loops on Korean ("보충을 보충을 …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuVocabulary {
    pub dinners: Vec<Term>,
    pub styles: Vec<Term>,
    pub sides: Vec<Term>,
    /// What dinners are made of; only menu-aware decoding uses them (see `bias`).
    pub components: Vec<Term>,
}

impl Default for MenuVocabulary {
    /// The seed menu (DESIGN §3), for when no live menu is at hand.
    fn default() -> Self {
        let terms = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(en, ko)| Term {
                    en: en.to_string(),
                    ko: ko.to_string(),
                })
                .collect()
        };
        Self {
            dinners: terms(&[
                ("Valentine Dinner", "발렌타인 디너"),
                ("French Dinner", "프렌치 디너"),
                ("English Dinner", "잉글리시 디너"),
                ("Champagne Feast Dinner", "샴페인 축제 디너"),
                ("Chicken Dinner", "치킨 디너"),
            ]),
            styles: terms(&[
                ("Simple", "심플"),
                ("Grand", "그랜드"),
                ("Deluxe", "디럭스"),
                ("Original", "오리지널"),
                ("Spicy", "매운 맛"),
                ("Soy Garlic", "간장 마늘"),
            ]),
            sides: terms(&[
                ("Fries", "감자튀김"),
                ("Salad", "샐러드"),
                ("Cheese Balls", "치즈볼"),
                ("Garlic Bread", "마늘빵"),
                ("Corn Soup", "콘수프"),
                ("Cola", "콜라"),
            ]),
            components: terms(&[
                ("Wine", "와인"),
                ("Steak", "스테이크"),
                ("Coffee", "커피"),
                ("Salad", "샐러드"),
                ("Scrambled Eggs", "스크램블 에그"),
                ("Bacon", "베이컨"),
                ("Bread", "빵"),
                ("Champagne", "샴페인"),
                ("Baguette", "바게트빵"),
                ("Coffee Pot", "커피 포트"),
                ("Fried Chicken", "후라이드 치킨"),
                ("Pickled Radish", "치킨무"),
                ("Cola", "콜라"),
            ]),
        }
    }
}

impl MenuVocabulary {
    /// Dinner, style and side-dish names from the live menu.
    pub fn from_menu(menu: &MenuCatalog) -> Self {
        fn push(list: &mut Vec<Term>, en: &str, ko: &str) {
            let term = Term {
                en: en.trim().to_string(),
                ko: ko.trim().to_string(),
            };
            if !list.contains(&term) {
                list.push(term);
            }
        }
        let mut v = Self {
            dinners: Vec::new(),
            styles: Vec::new(),
            sides: Vec::new(),
            components: Vec::new(),
        };
        for d in &menu.dinners {
            push(&mut v.dinners, &d.name_en, &d.name_ko);
            for s in &d.styles {
                push(&mut v.styles, &s.name_en, &s.name_ko);
            }
            for c in &d.components {
                push(&mut v.components, &c.name_en, &c.name_ko);
            }
        }
        for s in &menu.side_dishes {
            push(&mut v.sides, &s.name_en, &s.name_ko);
        }
        v
    }

    /// Every name: dinners, styles, side dishes and components.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.dinners
            .iter()
            .chain(&self.styles)
            .chain(&self.sides)
            .chain(&self.components)
    }

    /// The initial prompt for `language` (`en`, `ko`; none for others). One language per
    /// prompt: a mixed one makes whisper mix scripts. The shapes were chosen by trying them on
    /// the voice samples: English does best as a labelled list with "… style" spelled out (it
    /// fixed "in-brand style" on the lossy Ogg and AAC copies), Korean as plain sentences (a
    /// bare list made whisper end the order with a menu word it never heard).
    pub fn prompt(&self, language: &str) -> Option<String> {
        let [dinners, styles, sides] = self.rendered(language)?.map(|terms| terms.join(", "));
        Some(match language {
            "en" => {
                format!(
                    "Mr. Daebak dinner order. Menu: {dinners}. Style: {styles}. Sides: {sides}."
                )
            }
            _ => format!(
                "미스터 대박 디너 주문입니다. 메뉴는 {dinners}이고, 스타일은 {styles}{} 있어요. \
                 사이드는 {sides}{} 있어요.",
                subject_particle(&styles),
                subject_particle(&sides),
            ),
        })
    }

    /// True when `text` is the prompt's own lists read back (three or more neighbouring terms in
    /// prompt order, e.g. "Cheese Balls, Garlic Bread, Corn Soup"): what whisper writes when
    /// it cannot make out the audio, for instance Korean speech decoded as English.
    pub fn echoed_in(&self, text: &str, language: &str) -> bool {
        let Some(lists) = self.rendered(language) else {
            return false;
        };
        let text = format!(" {} ", normalise_words(text));
        lists.iter().any(|terms| {
            terms.windows(3).any(|run| {
                let run = normalise_words(&run.join(" "));
                !run.is_empty() && text.contains(&format!(" {run} "))
            })
        })
    }

    /// Dinners, styles and sides as the prompt for `language` spells them.
    fn rendered(&self, language: &str) -> Option<[Vec<String>; 3]> {
        let render = |terms: &[Term], f: &dyn Fn(&Term) -> String| {
            terms
                .iter()
                .map(f)
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
        };
        match language {
            "en" => Some([
                render(&self.dinners, &|t| t.en.clone()),
                render(&self.styles, &|t| format!("{} style", t.en)),
                render(&self.sides, &|t| t.en.clone()),
            ]),
            "ko" => Some([
                render(&self.dinners, &|t| t.ko.clone()),
                render(&self.styles, &|t| t.ko.clone()),
                render(&self.sides, &|t| t.ko.clone()),
            ]),
            _ => None,
        }
    }
}

/// 이 after a final consonant, 가 after a vowel (so the Korean prompt reads naturally).
fn subject_particle(word: &str) -> &'static str {
    match word.chars().last() {
        Some(c @ '\u{AC00}'..='\u{D7A3}') if !(c as u32 - 0xAC00).is_multiple_of(28) => "이",
        _ => "가",
    }
}

/// Everything needed to load and run the model; built from the CLI/environment.
#[derive(Debug, Clone)]
pub struct SttConfig {
    /// ggml Whisper model (`WHISPER_MODEL`).
    pub model_path: PathBuf,
    /// Decoding threads (`WHISPER_THREADS`); default: cores - 1, between 1 and 4.
    pub threads: usize,
    /// Offload to the GPU (`WHISPER_GPU`); needs the `cuda` feature.
    pub use_gpu: bool,
    pub vocabulary: MenuVocabulary,
    /// When a job names no language, detection chooses among these (empty: any language).
    /// Whisper base takes synthetic or accented Korean for Japanese now and then.
    pub languages: Vec<String>,
    /// Segments whisper itself rates above this no-speech probability (and decodes with low
    /// confidence) count as no speech.
    pub no_speech_threshold: f32,
    /// Beams for decoding (`WHISPER_BEAM_SIZE`); 1 decodes greedily.
    pub beam_size: usize,
    /// Logit bonus for the tokens that continue a menu phrase whisper has begun
    /// (`WHISPER_BIAS`; 0 turns menu-aware decoding off). See [`crate::bias`].
    pub bias: f32,
    /// The initial prompt's shape per language (`WHISPER_PROMPT`).
    pub prompt: PromptChoice,
}

impl Default for SttConfig {
    fn default() -> Self {
        Self {
            model_path: PathBuf::from(DEFAULT_MODEL_PATH),
            threads: default_threads(),
            use_gpu: cfg!(feature = "cuda"),
            vocabulary: MenuVocabulary::default(),
            languages: DEFAULT_LANGUAGES.iter().map(|l| l.to_string()).collect(),
            no_speech_threshold: 0.6,
            beam_size: 1,
            bias: DEFAULT_BIAS,
            prompt: PromptChoice::default(),
        }
    }
}

/// One core is left to the rest of the machine. ggml's CPU threads spin-wait for each other at
/// every operation, so when the cores are oversubscribed (server, database, other workers) one
/// descheduled thread stalls them all. Measured on a busy 2-core machine, same 3 s clip:
/// 0.85 s with one thread, 15.7 s with two.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .clamp(1, MAX_DEFAULT_THREADS)
}

#[derive(Debug, thiserror::Error)]
pub enum SttError {
    #[error("whisper model not found at {0} (run scripts/models.sh, or set WHISPER_MODEL)")]
    ModelNotFound(PathBuf),
    #[error("could not load the whisper model {path}: {source}")]
    Load { path: PathBuf, source: WhisperError },
    #[error("language `{0}` is not one whisper knows (use ko, en or leave it out)")]
    UnsupportedLanguage(String),
    /// Whisper heard nothing it could write down.
    #[error("no speech recognised: {0}")]
    NoSpeech(String),
    #[error("whisper failed: {0}")]
    Inference(#[from] WhisperError),
}

/// One transcription with what the worker reports and logs.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcription {
    pub text: String,
    /// Given or detected (`ko`, `en`, …).
    pub language: String,
    /// Length of the audio whisper saw.
    pub audio_ms: u64,
    /// Language detection (when needed) plus transcription.
    pub whisper_ms: u64,
    /// Highest no-speech probability over the segments.
    pub no_speech_prob: f32,
    /// Mean probability of the text tokens.
    pub avg_token_prob: f32,
}

/// What one pass of the decoder wrote, with whisper's own confidence.
#[derive(Debug)]
struct Decoded {
    text: String,
    no_speech_prob: f32,
    avg_token_prob: f32,
    tokens: usize,
}

/// A loaded model plus one reusable decoding state (its buffers are allocated once).
pub struct WhisperSttService {
    // Field order matters: the state must be dropped before the context it came from.
    state: WhisperState,
    ctx: WhisperContext,
    config: SttConfig,
    /// Tokenised prompts per language; leaked once per loaded model so the parameter templates
    /// can borrow them for `'static` (whisper-rs ties `FullParams` to the prompt's lifetime).
    prompts: HashMap<&'static str, &'static [c_int]>,
    /// Menu-aware decoding per language, leaked for the same reason: the templates point at it.
    biases: HashMap<&'static str, &'static PhraseBias>,
    /// Parameters per language, built once: `FullParams::set_language` leaks its C string, so
    /// building them per job would leak a little on every request.
    templates: HashMap<(String, bool), FullParams<'static, 'static>>,
    /// Each language's prompt as words, to spot a transcript pieced together from it.
    prompt_pieces: HashMap<&'static str, PromptPieces>,
}

impl std::fmt::Debug for WhisperSttService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperSttService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl WhisperSttService {
    /// Loads the model (hundreds of milliseconds; do it once per process).
    pub fn load(config: SttConfig) -> Result<Self, SttError> {
        if !config.model_path.is_file() {
            return Err(SttError::ModelNotFound(config.model_path.clone()));
        }
        // whisper.cpp and ggml print to stderr by default; route them into `tracing`.
        whisper_rs::install_logging_hooks();
        let use_gpu = config.use_gpu && cfg!(feature = "cuda");
        if config.use_gpu && !use_gpu {
            tracing::warn!("GPU requested, but this build has no `cuda` feature: using the CPU");
        }
        let started = Instant::now();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(use_gpu);
        let load_err = |source| SttError::Load {
            path: config.model_path.clone(),
            source,
        };
        let ctx = WhisperContext::new_with_params(&config.model_path, params).map_err(load_err)?;
        let state = ctx.create_state().map_err(load_err)?;

        let mut prompts = HashMap::new();
        let mut prompt_pieces = HashMap::new();
        for language in ["en", "ko"] {
            let text = initial_prompt(
                &config.vocabulary,
                config.prompt.for_language(language),
                language,
            );
            prompt_pieces.insert(language, PromptPieces::new(text.as_deref()));
            let Some(text) = text else {
                continue;
            };
            // Every token covers at least one byte, so len + 1 can never be too small (a too
            // small buffer makes whisper-rs read a negative length).
            let mut tokens = ctx.tokenize(&text, text.len() + 1).map_err(load_err)?;
            // whisper.cpp keeps only the last n_text_ctx / 2 prompt tokens anyway.
            let keep = (ctx.n_text_ctx() as usize / 2).saturating_sub(1);
            if tokens.len() > keep {
                tracing::warn!(
                    language,
                    tokens = tokens.len(),
                    keep,
                    "menu prompt too long; keeping its end"
                );
                tokens.drain(..tokens.len() - keep);
            }
            prompts.insert(language, &*Box::leak(tokens.into_boxed_slice()));
        }

        let biases = phrase_biases(&ctx, &config);
        let mut service = Self {
            state,
            ctx,
            config,
            prompts,
            biases,
            templates: HashMap::new(),
            prompt_pieces,
        };
        service.warm_up()?;
        tracing::info!(
            model = %service.config.model_path.display(),
            threads = service.config.threads,
            gpu = use_gpu,
            multilingual = service.ctx.is_multilingual(),
            load_ms = started.elapsed().as_millis() as u64,
            "whisper model loaded"
        );
        Ok(service)
    }

    pub fn config(&self) -> &SttConfig {
        &self.config
    }

    /// One tiny run at load: otherwise the first job pays for first-touch allocations, and
    /// language detection (which reuses the previous run's `audio_ctx`) runs the encoder over
    /// the full 30 s window once.
    fn warm_up(&mut self) -> Result<(), SttError> {
        let mut params = self.template("en", true).clone();
        params.set_audio_ctx(AUDIO_CTX_MIN as c_int);
        params.set_max_tokens(1);
        self.state.full(params, &[0.0; 16_000])?;
        Ok(())
    }

    /// Transcribes 16 kHz mono audio. `language`: `ko`, `en` (any whisper code works) or `None`
    /// to detect it among [`SttConfig::languages`].
    pub fn transcribe(
        &mut self,
        audio: &Audio16k,
        language: Option<&str>,
    ) -> Result<Transcription, SttError> {
        let started = Instant::now();
        let language = match normalise_language(language)? {
            Some(language) => language,
            None => self.detect_language(&audio.samples)?,
        };
        let n = audio.samples.len();
        let audio_ctx = audio_ctx_for(n);
        // Generous for speech (~3 tokens per word, ~12 tokens/s in Korean) yet a hard stop for
        // a decoder stuck in a repetition loop.
        let max_tokens = (64 + n / 16_000 * 20) as c_int;

        let limits = (audio_ctx as c_int, max_tokens);
        let mut decoded = self.decode(&audio.samples, &language, limits, true)?;
        let piece = self.prompt_pieces.get(&*language);
        if piece.is_some_and(|p| p.is_piece(&decoded.text)) {
            decoded = self.recheck_without_prompt(&audio.samples, &language, limits, decoded)?;
        }
        let Decoded {
            text,
            no_speech_prob,
            avg_token_prob,
            tokens: p_n,
        } = decoded;
        let whisper_ms = started.elapsed().as_millis() as u64;
        let audio_ms = audio.duration_ms();

        tracing::info!(
            audio_ms,
            whisper_ms,
            rtf = whisper_ms as f64 / audio_ms.max(1) as f64,
            audio_ctx,
            %language,
            tokens = p_n,
            no_speech_prob,
            avg_token_prob,
            "whisper done"
        );
        tracing::debug!(%text, "transcript");

        if is_blank_transcript(&text) {
            return Err(SttError::NoSpeech("whisper produced no words".into()));
        }
        if self.config.vocabulary.echoed_in(&text, &language) {
            return Err(SttError::NoSpeech(format!(
                "whisper read back its menu prompt instead of the audio (wrong language `{language}`?)"
            )));
        }
        // Whisper's own rule for skipping a window: it thinks nothing was said and what it wrote
        // anyway is a low-confidence guess (typically a hallucinated "Thank you.").
        if no_speech_prob >= self.config.no_speech_threshold && avg_token_prob < 0.5 {
            return Err(SttError::NoSpeech(format!(
                "whisper rates the audio as non-speech (p = {no_speech_prob:.2})"
            )));
        }
        Ok(Transcription {
            text,
            language,
            audio_ms,
            whisper_ms,
            no_speech_prob,
            avg_token_prob,
        })
    }

    /// One greedy pass over `samples`, with the language's prompt or without it.
    fn decode(
        &mut self,
        samples: &[f32],
        language: &str,
        (audio_ctx, max_tokens): (c_int, c_int),
        prompted: bool,
    ) -> Result<Decoded, SttError> {
        let mut params = self.template(language, prompted).clone();
        params.set_audio_ctx(audio_ctx);
        params.set_max_tokens(max_tokens);
        self.state.full(params, samples)?;

        let eot = self.ctx.token_eot();
        let mut text = String::new();
        let mut no_speech_prob = 0.0f32;
        let (mut p_sum, mut p_n) = (0.0f32, 0usize);
        for segment in self.state.as_iter() {
            no_speech_prob = no_speech_prob.max(segment.no_speech_probability());
            text.push_str(&segment.to_str_lossy()?);
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    let data = token.token_data();
                    if data.id < eot {
                        p_sum += data.p;
                        p_n += 1;
                    }
                }
            }
        }
        Ok(Decoded {
            text: collapse_repetitions(&text),
            no_speech_prob,
            avg_token_prob: if p_n > 0 { p_sum / p_n as f32 } else { 0.0 },
            tokens: p_n,
        })
    }

    /// A transcript made only of the prompt's words may be the prompt read back rather than
    /// heard: "One Chicken Dinner in Original style, please." from noise, "A Valentine Dinner,
    /// Bread, and Corn Soup, please." for "…, and could you cook the steak a bit more?". It
    /// stands if the audio says nearly the same without the prompt; otherwise what the audio
    /// alone gives is the transcript (over noise, typically nothing). Costs a second pass, on
    /// such transcripts only.
    fn recheck_without_prompt(
        &mut self,
        samples: &[f32],
        language: &str,
        limits: (c_int, c_int),
        prompted: Decoded,
    ) -> Result<Decoded, SttError> {
        let plain = self.decode(samples, language, limits, false)?;
        let said = score::letters(&prompted.text);
        let errors = score::char_errors(&said, &score::letters(&plain.text));
        let agree = errors * 2 <= said.len();
        tracing::debug!(prompted = %prompted.text, plain = %plain.text, errors, agree, "prompt piece rechecked");
        Ok(if agree { prompted } else { plain })
    }

    /// The most likely of the allowed languages. Costs one encoder pass, as whisper's own
    /// detection inside `full` would, but never picks a language nobody here speaks.
    fn detect_language(&mut self, samples: &[f32]) -> Result<String, SttError> {
        let started = Instant::now();
        let threads = self.config.threads.max(1);
        self.state.pcm_to_mel(samples, threads)?;
        let (best_id, probs) = self.state.lang_detect(0, threads)?;
        let prob = |code: &str| {
            whisper_rs::get_lang_id(code)
                .and_then(|id| probs.get(usize::try_from(id).ok()?).copied())
                .unwrap_or(0.0)
        };
        let best = whisper_rs::get_lang_str(best_id).unwrap_or("en");
        let chosen = self
            .config
            .languages
            .iter()
            .map(|l| (l.as_str(), prob(l)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(best, |(l, _)| l)
            .to_string();
        tracing::debug!(
            detected = best,
            p_detected = prob(best),
            chosen = %chosen,
            p_chosen = prob(&chosen),
            detect_ms = started.elapsed().as_millis() as u64,
            "language detected"
        );
        Ok(chosen)
    }

    /// The decoding parameters for `language`, with its prompt or without, built on first use.
    fn template(&mut self, language: &str, prompted: bool) -> &FullParams<'static, 'static> {
        let threads = self.config.threads.max(1) as c_int;
        let prompt = self.prompts.get(language).copied().filter(|_| prompted);
        let bias = self.biases.get(language).copied();
        let beam_size = self.config.beam_size;
        self.templates
            .entry((language.to_string(), prompted))
            .or_insert_with(|| {
                // Greedy, no temperature fallback: the fallback re-decodes at higher
                // temperatures and, on Korean, loops on repetitions for seconds. Five beams
                // did worse on the spoken own set (`ai-worker-stt score`): character error
                // rate ko 80 % vs 64 %, en 13 % vs 11 %, and 1.6x slower.
                let strategy = if beam_size > 1 {
                    SamplingStrategy::BeamSearch {
                        beam_size: beam_size as c_int,
                        patience: -1.0,
                    }
                } else {
                    SamplingStrategy::Greedy { best_of: 1 }
                };
                let mut p = FullParams::new(strategy);
                p.set_n_threads(threads);
                p.set_temperature(0.0);
                p.set_temperature_inc(0.0);
                p.set_language(Some(leak_str(language)));
                if let Some(tokens) = prompt {
                    p.set_tokens(tokens);
                }
                if let Some(bias) = bias {
                    // SAFETY: the filter only reads the leaked `PhraseBias`, built for this
                    // model's vocabulary, and writes the logits row whisper.cpp hands it.
                    unsafe {
                        p.set_filter_logits_callback(Some(bias::filter_logits));
                        p.set_filter_logits_callback_user_data(
                            bias as *const PhraseBias as *mut std::ffi::c_void,
                        );
                    }
                }
                // One utterance per clip: no timestamps, one segment, nothing carried over
                // from the previous job.
                p.set_no_timestamps(true);
                p.set_single_segment(true);
                p.set_no_context(true);
                p.set_suppress_blank(true);
                p.set_suppress_nst(true);
                p.set_print_special(false);
                p.set_print_progress(false);
                p.set_print_realtime(false);
                p.set_print_timestamps(false);
                p
            })
    }
}

/// Menu-aware decoding for `en` and `ko`, unless the bonus is 0.
fn phrase_biases(
    ctx: &WhisperContext,
    config: &SttConfig,
) -> HashMap<&'static str, &'static PhraseBias> {
    if config.bias == 0.0 {
        return HashMap::new();
    }
    // Text tokens are the ids below end-of-text; the rest are special tokens.
    let token_bytes: Vec<Vec<u8>> = (0..ctx.token_eot())
        .map(|id| {
            ctx.token_to_bytes(id)
                .map(<[u8]>::to_vec)
                .unwrap_or_default()
        })
        .collect();
    let n_vocab = usize::try_from(ctx.n_vocab()).unwrap_or(0);
    ["en", "ko"]
        .into_iter()
        .map(|language| {
            let phrases = bias::menu_phrases(&config.vocabulary, language);
            let bias = PhraseBias::new(&phrases, token_bytes.clone(), n_vocab, config.bias);
            (language, &*Box::leak(Box::new(bias)))
        })
        .collect()
}

/// Greedy decoding can still loop ("보충을 보충을 보충을 …" until `max_tokens`): keeps one copy of
/// a phrase (up to 12 words) repeated three or more times in a row, and drops the cut-off
/// repetition that ends a looping transcript. Also normalises whitespace.
pub fn collapse_repetitions(text: &str) -> String {
    const MAX_PHRASE: usize = 12;
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    'words: while i < words.len() {
        for n in 1..=MAX_PHRASE.min((words.len() - i) / 3) {
            let phrase = &words[i..i + n];
            let mut reps = 1;
            while words.get(i + reps * n..i + (reps + 1) * n) == Some(phrase) {
                reps += 1;
            }
            if reps >= 3 {
                out.extend_from_slice(phrase);
                i += reps * n;
                if phrase.join(" ").starts_with(&words[i..].join(" ")) {
                    i = words.len();
                }
                continue 'words;
            }
        }
        out.push(words[i]);
        i += 1;
    }
    out.iter()
        .map(|w| collapse_in_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Inside one word the loop is a syllable or two over and over ("판도하하하하하…"): a run of up
/// to three characters repeated four or more times keeps one copy. Speech repeats a syllable
/// at most two or three times ("하하", "쿵쿵").
fn collapse_in_word(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    'chars: while i < chars.len() {
        for n in 1..=3 {
            let unit = &chars[i..(i + n).min(chars.len())];
            let reps = (1..)
                .take_while(|r| chars.get(i + r * n..i + (r + 1) * n) == Some(unit))
                .count()
                + 1;
            if unit.len() == n && reps >= 4 {
                out.extend(unit);
                i += reps * n;
                continue 'chars;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Language strings live as long as the templates that point at them (one per language).
fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// `None`, empty and `auto` mean detect; otherwise a whisper language code.
fn normalise_language(language: Option<&str>) -> Result<Option<String>, SttError> {
    let Some(lang) = language.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    let lang = lang.to_ascii_lowercase();
    // Locale forms from browsers (`ko-KR`, `en_US`) name the language first.
    let lang = lang
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_string();
    if lang == "auto" {
        return Ok(None);
    }
    // Checked before whisper sees it: whisper-rs panics on a NUL byte.
    if !(2..=3).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(SttError::UnsupportedLanguage(lang));
    }
    match whisper_rs::get_lang_id(&lang) {
        Some(_) => Ok(Some(lang)),
        None => Err(SttError::UnsupportedLanguage(lang)),
    }
}

/// Encoder positions for `samples` at 16 kHz: the clip plus headroom, rounded up, at least
/// [`AUDIO_CTX_MIN`], at most the full window.
pub fn audio_ctx_for(samples: usize) -> usize {
    let positions = samples.div_ceil(16 * AUDIO_CTX_MS_PER_POSITION);
    (positions + AUDIO_CTX_HEADROOM)
        .div_ceil(AUDIO_CTX_ROUND)
        .saturating_mul(AUDIO_CTX_ROUND)
        .clamp(AUDIO_CTX_MIN, AUDIO_CTX_FULL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_ctx_fits_the_clip_with_a_floor_and_a_ceiling() {
        assert_eq!(audio_ctx_for(0), AUDIO_CTX_MIN);
        assert_eq!(audio_ctx_for(3 * 16_000), 192); // 150 + 32 → 192
        assert_eq!(audio_ctx_for(4 * 16_000), 256); // 200 + 32 → 256
        assert_eq!(audio_ctx_for(10 * 16_000), 576); // 500 + 32 → 576
        assert_eq!(audio_ctx_for(29 * 16_000), AUDIO_CTX_FULL);
        assert_eq!(audio_ctx_for(60 * 16_000), AUDIO_CTX_FULL);
        for secs in 1..30 {
            let ctx = audio_ctx_for(secs * 16_000);
            assert!(
                ctx * AUDIO_CTX_MS_PER_POSITION >= secs * 1000,
                "{secs}s → {ctx}"
            );
        }
    }

    #[test]
    fn languages_are_normalised_and_checked() {
        assert_eq!(normalise_language(None).unwrap(), None);
        assert_eq!(normalise_language(Some(" ")).unwrap(), None);
        assert_eq!(normalise_language(Some("auto")).unwrap(), None);
        assert_eq!(
            normalise_language(Some("ko")).unwrap().as_deref(),
            Some("ko")
        );
        assert_eq!(
            normalise_language(Some("EN")).unwrap().as_deref(),
            Some("en")
        );
        assert_eq!(
            normalise_language(Some("ko-KR")).unwrap().as_deref(),
            Some("ko")
        );
        for bad in ["klingon", "xx", "e\0", "한국어"] {
            assert!(
                matches!(
                    normalise_language(Some(bad)),
                    Err(SttError::UnsupportedLanguage(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn vocabulary_comes_from_the_live_menu() {
        let menu: MenuCatalog = serde_json::from_value(serde_json::json!({
            "dinners": [{
                "code": "french", "name_ko": "프렌치 디너", "name_en": "French Dinner",
                "base_price": 52000, "components": [],
                "styles": [
                    {"code": "grand", "name_ko": "그랜드", "name_en": "Grand", "surcharge": 8000},
                    {"code": "simple", "name_ko": "심플", "name_en": "Simple", "surcharge": 0}
                ]
            }, {
                "code": "english", "name_ko": "잉글리시 디너", "name_en": "English Dinner",
                "base_price": 42000, "components": [],
                "styles": [{"code": "grand", "name_ko": "그랜드", "name_en": "Grand", "surcharge": 8000}]
            }],
            "side_dishes": [{"code": "cola", "name_ko": "콜라", "name_en": "Cola", "price": 2000}]
        }))
        .unwrap();
        let v = MenuVocabulary::from_menu(&menu);
        let en = |terms: &[Term]| terms.iter().map(|t| t.en.clone()).collect::<Vec<_>>();
        assert_eq!(en(&v.dinners), ["French Dinner", "English Dinner"]);
        assert_eq!(en(&v.styles), ["Grand", "Simple"]);
        assert_eq!(en(&v.sides), ["Cola"]);
        assert_eq!(
            v.prompt("en").unwrap(),
            "Mr. Daebak dinner order. Menu: French Dinner, English Dinner. \
             Style: Grand style, Simple style. Sides: Cola."
        );
        assert_eq!(
            v.prompt("ko").unwrap(),
            "미스터 대박 디너 주문입니다. 메뉴는 프렌치 디너, 잉글리시 디너이고, \
             스타일은 그랜드, 심플이 있어요. 사이드는 콜라가 있어요."
        );
        assert_eq!(v.prompt("ja"), None);
    }

    #[test]
    fn the_default_prompts_cover_the_seed_menu() {
        let v = MenuVocabulary::default();
        let ko = v.prompt("ko").unwrap();
        for w in [
            "발렌타인 디너",
            "샴페인 축제 디너",
            "매운 맛",
            "간장 마늘",
            "감자튀김",
            "콜라",
        ] {
            assert!(ko.contains(w), "{w} not in {ko}");
        }
        let en = v.prompt("en").unwrap();
        for w in [
            "Champagne Feast Dinner",
            "Grand style",
            "Deluxe style",
            "Soy Garlic",
            "Fries",
        ] {
            assert!(en.contains(w), "{w} not in {en}");
        }
    }

    #[test]
    fn a_read_back_prompt_is_recognised() {
        let v = MenuVocabulary::default();
        // Seen: Korean speech decoded as English.
        assert!(v.echoed_in(
            "Chicken Dinner, Chicken Dinner, Cheese Balls, Garlic Bread, Corn Soup, Soy",
            "en"
        ));
        assert!(v.echoed_in("simple style. Grand style, Deluxe style!", "en"));
        assert!(v.echoed_in("감자튀김, 샐러드, 치즈볼", "ko"));
        for order in [
            "I would like two French dinners in Grand style, please.",
            "Fries, salad and cola please",
            "Two Valentine dinners, one French dinner and an English dinner",
            "Garlic bread, corn soup",
        ] {
            assert!(!v.echoed_in(order, "en"), "{order}");
        }
        assert!(!v.echoed_in("치킨 디너 두 개 매운 맛으로 주세요", "ko"));
        assert!(!v.echoed_in("Cheese Balls, Garlic Bread, Corn Soup", "ja"));
    }

    #[test]
    fn repetition_loops_are_collapsed() {
        assert_eq!(
            collapse_repetitions("  two  French\tdinners "),
            "two French dinners"
        );
        assert_eq!(
            collapse_repetitions("치킨 디너 보충을 보충을 보충을 보충을 보충을"),
            "치킨 디너 보충을"
        );
        assert_eq!(
            collapse_repetitions("키킨 두 갠에 요. 키킨 두 갠에 요. 키킨 두 갠에 요. 키킨 두"),
            "키킨 두 갠에 요."
        );
        assert_eq!(collapse_repetitions("a b a b a b c"), "a b c");
        // Twice is speech ("two two-person dinners", "very very"), not a loop.
        assert_eq!(collapse_repetitions("very very good"), "very very good");
        assert_eq!(collapse_repetitions(""), "");
        assert_eq!(
            collapse_repetitions("마늘 판도하하하하하하하하하하하하하하"),
            "마늘 판도하"
        );
        assert_eq!(
            collapse_repetitions("도하하 쿵쿵쿵 abababab!"),
            "도하하 쿵쿵쿵 ab!"
        );
    }

    #[test]
    fn a_missing_model_says_how_to_get_it() {
        let err = WhisperSttService::load(SttConfig {
            model_path: "/nonexistent/ggml-base.bin".into(),
            ..SttConfig::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("scripts/models.sh"), "{err}");
    }
}
