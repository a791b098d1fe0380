//! `QwenLlmService`: understands an utterance with a Qwen model on llama.cpp.
//!
//! Decoding is schema-driven: the JSON skeleton is written by us and fed to the model in
//! batches, and at every value the model chooses only among the menu's own codes (a token trie
//! per field). Every token, chosen or forced, is also checked by llama.cpp's grammar sampler
//! against the GBNF grammar of the analysis ([`crate::grammar`]), so the output is valid by
//! construction. Choosing only at real decision points costs one forward pass per field instead
//! of one per token, and gives each field a probability that feeds the confidence.

use std::num::NonZeroU32;
use std::time::Instant;

use ai_protocol::{
    Customization, Intent, LlmJob, MenuCatalog, MenuComponent, MenuDinner, MenuSideDish, OrderLine,
    OrderState,
};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::token::LlamaToken;

use crate::config::LlmConfig;
use crate::grammar::{after_component_code, analysis_grammar};
use crate::priors::Priors;
use crate::prompt::{job_suffix, same_name, system_prefix, AmountCue, Heard, Mention, Part};
use crate::prompt_state::PromptStateStore;

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("could not load the model {path}: {message}")]
    Load { path: String, message: String },
    #[error("llama.cpp: {0}")]
    Llama(String),
    #[error("the grammar rejected `{0}`: the decoder and the grammar disagree")]
    GrammarRejected(String),
    #[error("the prompt does not fit the context ({0} tokens)")]
    TooLong(usize),
}

fn llama<E: std::fmt::Display>(e: E) -> LlmError {
    LlmError::Llama(e.to_string())
}

/// How [`QwenLlmService::warm`] got the menu prompt into the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixSource {
    /// Already there from an earlier job.
    Cached,
    /// Loaded from a state file a previous start saved.
    Loaded,
    /// Evaluated by the model (and saved, where a state directory is set).
    Evaluated,
}

/// What the model decided, with the probability of each decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub intent: Intent,
    pub order: OrderState,
    /// Probabilities (renormalised over the allowed choices) of intent, menu, style, quantity.
    pub p_intent: f32,
    pub p_menu: f32,
    pub p_style: f32,
    pub p_quantity: f32,
    /// The probability of the style of each line after the first.
    pub more_p_style: Vec<f32>,
    /// The utterance as the model read it.
    pub heard: Heard,
    /// The JSON text the model produced.
    pub json: String,
    pub prompt_tokens: usize,
    pub generated_tokens: usize,
    pub model_passes: usize,
    pub millis: u64,
}

impl Decoded {
    /// `intent` and `order` decided with certainty, before any work is counted.
    pub(crate) fn certain(intent: Intent, order: OrderState) -> Self {
        Decoded {
            intent,
            order,
            p_intent: 1.0,
            p_menu: 1.0,
            p_style: 1.0,
            p_quantity: 1.0,
            more_p_style: Vec::new(),
            heard: Heard::default(),
            json: String::new(),
            prompt_tokens: 0,
            generated_tokens: 0,
            model_passes: 0,
            millis: 0,
        }
    }
}

pub struct QwenLlmService {
    model: &'static LlamaModel,
    ctx: LlamaContext<'static>,
    /// The prefix (system prompt + examples) currently in the KV cache, and its length.
    cached_prefix: Option<(String, usize)>,
    /// Saved prompt states (`None`: `LLM_STATE_DIR=off`).
    state_store: Option<PromptStateStore>,
    batch_size: usize,
    /// See [`LlmConfig::draft_ahead`].
    pub draft_ahead: bool,
    /// See [`LlmConfig::priors`].
    pub priors: Priors,
}

fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: std::sync::OnceLock<Result<LlamaBackend, String>> = std::sync::OnceLock::new();
    BACKEND
        .get_or_init(|| {
            let mut b = LlamaBackend::init().map_err(|e| e.to_string())?;
            b.void_logs();
            Ok(b)
        })
        .as_ref()
        .map_err(|e| LlmError::Llama(e.clone()))
}

impl QwenLlmService {
    pub fn load(config: &LlmConfig) -> Result<Self, LlmError> {
        let backend = backend()?;
        let params = LlamaModelParams::default().with_n_gpu_layers(config.gpu_layers);
        let model =
            LlamaModel::load_from_file(backend, &config.model_path, &params).map_err(|e| {
                LlmError::Load {
                    path: config.model_path.display().to_string(),
                    message: e.to_string(),
                }
            })?;
        // One model per process, used until exit: leaking it gives the context a 'static borrow.
        let model: &'static LlamaModel = Box::leak(Box::new(model));
        let batch_size = 512;
        let ctx_params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(config.context_tokens))
            .with_n_batch(batch_size as u32)
            .with_n_threads(config.threads)
            .with_n_threads_batch(config.threads);
        let ctx = model.new_context(backend, ctx_params).map_err(llama)?;
        let state_store = match config.prompt_state.resolve(&config.model_path) {
            Some(dir) => Some(
                PromptStateStore::new(
                    dir,
                    &config.model_path,
                    config.context_tokens,
                    config.gpu_layers,
                )
                .map_err(|e| LlmError::Load {
                    path: config.model_path.display().to_string(),
                    message: e.to_string(),
                })?,
            ),
            None => None,
        };
        Ok(QwenLlmService {
            model,
            ctx,
            cached_prefix: None,
            state_store,
            batch_size,
            draft_ahead: config.draft_ahead,
            priors: config.priors,
        })
    }

    /// The cached menu prefix, as pieces tokenized one by one so that the examples' answers
    /// have the decoder's own segmentation.
    pub fn prefix_pieces(menu: &MenuCatalog) -> Result<Vec<String>, LlmError> {
        let mut pieces = Vec::new();
        for part in system_prefix(menu) {
            match part {
                Part::Text(text) => pieces.push(text),
                Part::Answer { json, state, heard } => {
                    let answer: Answer = serde_json::from_str(json)
                        .map_err(|e| LlmError::Llama(format!("example answer {json}: {e}")))?;
                    pieces.extend(answer_segments(&answer, state.as_deref(), &heard, menu)?);
                }
            }
        }
        Ok(pieces)
    }

    /// The prompt for one job: the menu prefix's pieces and the per-job suffix.
    pub fn build_prompt(job: &LlmJob, heard: &Heard) -> Result<(Vec<String>, String), LlmError> {
        Ok((
            Self::prefix_pieces(&job.menu)?,
            job_suffix(
                &job.menu,
                heard,
                job.order_state.as_ref(),
                &job.user_history,
            ),
        ))
    }

    /// Caches `menu`'s prompt prefix now, so the first customer's job does not pay for it
    /// (tens of seconds on CPU, unless a saved state is loaded). Returns the prefix length in
    /// tokens and where it came from.
    pub fn warm(&mut self, menu: &MenuCatalog) -> Result<(usize, PrefixSource), LlmError> {
        let prefix = Self::prefix_pieces(menu)?;
        self.ensure_prefix(&prefix)
    }

    /// Runs the model on one job.
    pub fn decode(&mut self, job: &LlmJob) -> Result<Decoded, LlmError> {
        let started = Instant::now();
        let grammar = LlamaSampler::grammar(self.model, &analysis_grammar(&job.menu), "root")
            .map_err(llama)?;
        let heard = Heard::new(&job.transcript, &job.menu);
        let draft_ahead = self.draft_ahead;
        let priors = self.priors;
        let last_dinner = job.user_history.first().map(|h| h.menu.as_str());
        let (mut run, prompt_tokens) = self.start_run(job, &heard, grammar)?;
        if draft_ahead {
            run.drafter = Some(Drafter {
                menu: &job.menu,
                state: job.order_state.as_ref(),
                heard: &heard,
                last_dinner,
                priors,
                guess: guess(job, &heard),
            });
        }
        let decoded = write_analysis(
            &mut run,
            &priors,
            &job.menu,
            job.order_state.as_ref(),
            &heard,
            last_dinner,
            None,
        );
        let (generated, passes, text) = (run.generated, run.passes, run.text.clone());
        let mut decoded = decoded?;
        decoded.json = text;
        decoded.heard = heard;
        decoded.prompt_tokens = prompt_tokens;
        decoded.generated_tokens = generated;
        decoded.model_passes = passes;
        decoded.millis = started.elapsed().as_millis() as u64;
        Ok(decoded)
    }

    /// A decoding run for `job`: the menu prefix cached, the job's suffix pending. Returns the
    /// run and the prompt's length in tokens.
    fn start_run(
        &mut self,
        job: &LlmJob,
        heard: &Heard,
        grammar: LlamaSampler,
    ) -> Result<(Run<'_>, usize), LlmError> {
        let (prefix, suffix) = Self::build_prompt(job, heard)?;
        let (prefix_len, _) = self.ensure_prefix(&prefix)?;
        let mut run = Run {
            model: self.model,
            ctx: &mut self.ctx,
            grammar,
            pending: Vec::new(),
            n_past: prefix_len as i32,
            last_logits: None,
            batch_size: self.batch_size,
            text: String::new(),
            generated: 0,
            passes: 0,
            option_probabilities: Vec::new(),
            answer: Vec::new(),
            made: Vec::new(),
            ahead: Vec::new(),
            ahead_logits: Vec::new(),
            drafter: None,
        };
        let suffix_tokens = run.tokenize(&suffix);
        let prompt_tokens = prefix_len + suffix_tokens.len();
        run.pending.extend(suffix_tokens);
        Ok((run, prompt_tokens))
    }

    /// Puts `prefix` in the KV cache (once per menu) and drops any previous job's tokens.
    fn ensure_prefix(&mut self, pieces: &[String]) -> Result<(usize, PrefixSource), LlmError> {
        let prefix = pieces.concat();
        if let Some((cached, len)) = &self.cached_prefix {
            if *cached == prefix {
                let len = *len;
                self.ctx
                    .kv_cache_seq_rm(0, Some(len as u32), None)
                    .map_err(llama)?;
                return Ok((len, PrefixSource::Cached));
            }
        }
        self.ctx.clear_kv_cache();
        self.cached_prefix = None;
        // Parse the chat template's special tokens; the template itself starts the sequence.
        let vocab = self.model.vocab();
        let tokens: Vec<LlamaToken> = pieces
            .iter()
            .flat_map(|p| vocab.tokenize(p.as_bytes(), false, true))
            .collect();
        if tokens.len() + 512 > self.ctx.n_ctx() as usize {
            return Err(LlmError::TooLong(tokens.len()));
        }
        let state_path = self.state_store.as_ref().map(|s| s.path_for(&tokens));
        let source = if state_path
            .as_ref()
            .is_some_and(|p| self.load_state(p, &tokens))
        {
            PrefixSource::Loaded
        } else {
            self.evaluate_prefix(&tokens)?;
            if let Some(path) = &state_path {
                self.save_state(path, &tokens);
            }
            PrefixSource::Evaluated
        };
        self.cached_prefix = Some((prefix, tokens.len()));
        Ok((tokens.len(), source))
    }

    fn evaluate_prefix(&mut self, tokens: &[LlamaToken]) -> Result<(), LlmError> {
        let started = Instant::now();
        let mut batch = LlamaBatch::new(self.batch_size, 1);
        for (chunk_index, chunk) in tokens.chunks(self.batch_size).enumerate() {
            batch.clear();
            for (i, t) in chunk.iter().enumerate() {
                let pos = (chunk_index * self.batch_size + i) as i32;
                batch.add(*t, pos, &[0], false).map_err(llama)?;
            }
            self.ctx.decode(&mut batch).map_err(llama)?;
        }
        tracing::info!(
            tokens = tokens.len(),
            ms = started.elapsed().as_millis() as u64,
            "menu prompt evaluated"
        );
        Ok(())
    }

    /// Loads the saved state of exactly `tokens`, if there is one. A file that fails to load or
    /// holds other tokens is ignored (and the KV cache cleared): the prompt is evaluated instead.
    fn load_state(&mut self, path: &std::path::Path, tokens: &[LlamaToken]) -> bool {
        if !path.exists() {
            return false;
        }
        let started = Instant::now();
        match self.ctx.state_load_file(path, tokens.len()) {
            Ok(saved) if saved == tokens => {
                tracing::info!(
                    tokens = tokens.len(),
                    ms = started.elapsed().as_millis() as u64,
                    path = %path.display(),
                    "menu prompt loaded from the saved state"
                );
                true
            }
            outcome => {
                tracing::warn!(path = %path.display(), ok = outcome.is_ok(),
                    "saved prompt state not usable; evaluating the prompt");
                self.ctx.clear_kv_cache();
                false
            }
        }
    }

    /// Saves the evaluated prefix for the next start. A failure (read-only disk, full disk) only
    /// costs the next start its speed, so it is logged, not returned.
    fn save_state(&self, path: &std::path::Path, tokens: &[LlamaToken]) {
        let partial = PromptStateStore::temporary_for(path);
        let saved = std::fs::create_dir_all(path.parent().unwrap_or(std::path::Path::new(".")))
            .map_err(|e| e.to_string())
            .and_then(|()| {
                self.ctx
                    .state_save_file(&partial, tokens)
                    .map_err(|e| e.to_string())
            })
            .and_then(|()| std::fs::rename(&partial, path).map_err(|e| e.to_string()));
        match saved {
            Ok(()) => tracing::info!(path = %path.display(), "menu prompt state saved"),
            Err(error) => {
                let _ = std::fs::remove_file(&partial);
                tracing::warn!(path = %path.display(), %error, "could not save the prompt state");
            }
        }
    }

    /// Free (unconstrained, greedy) generation, for the benchmark that compares the grammar's
    /// cost with none: returns the number of tokens generated.
    pub fn generate_free(&mut self, job: &LlmJob, max_tokens: usize) -> Result<usize, LlmError> {
        let heard = Heard::new(&job.transcript, &job.menu);
        let (mut run, _) = self.start_run(job, &heard, LlamaSampler::greedy())?;
        for _ in 0..max_tokens {
            let logits = run.logits()?;
            let best = argmax(logits);
            let token = LlamaToken(best as i32);
            if run.model.vocab().is_eog(token) {
                break;
            }
            run.pending.push(token);
            run.generated += 1;
        }
        Ok(run.generated)
    }
}

/// `text` in the model's tokens, special tokens (`<|im_end|>`) included.
fn tokens(model: &LlamaModel, text: &str) -> Vec<LlamaToken> {
    model.vocab().tokenize(text.as_bytes(), false, true)
}

fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// Biases for options `codes`: `prior` for the `current` one, none for the others.
fn keep_prior<'c, T: PartialEq + 'c>(
    prior: f32,
    current: Option<&T>,
    codes: impl Iterator<Item = &'c T>,
) -> Vec<f32> {
    codes
        .map(|c| if Some(c) == current { prior } else { 0.0 })
        .collect()
}

/// Biases for the quantity options 1–10: `prior` for `at`, none for the others.
fn quantity_prior(at: u32, prior: f32) -> Vec<f32> {
    (1..=10)
        .map(|q| if q == at { prior } else { 0.0 })
        .collect()
}

/// Where an analysis is written: the live model, or the prompt's examples.
trait Writer {
    fn emit(&mut self, text: &str) -> Result<(), LlmError>;
    /// Picks one of `options` (prefix-free texts); `teacher` is the answer to write, if known.
    fn choose(
        &mut self,
        options: &[String],
        teacher: Option<usize>,
    ) -> Result<(usize, f32), LlmError> {
        self.choose_biased(options, teacher, &[])
    }
    /// As `choose`, with `bias[i]` (log-odds) added to option `i` where the options first differ:
    /// a prior from what the utterance names, which the model's own evidence can overrule.
    fn choose_biased(
        &mut self,
        options: &[String],
        teacher: Option<usize>,
        bias: &[f32],
    ) -> Result<(usize, f32), LlmError>;
    /// Each option's probability at the first token where the last choice's options differed
    /// (exact when they differ at their first token); empty when unknown.
    fn last_probabilities(&self) -> Vec<f32> {
        Vec::new()
    }
}

/// An example answer of the prompt.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Answer {
    pub intent: Intent,
    #[serde(default)]
    pub menu: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub side_dishes: Vec<String>,
    #[serde(default)]
    pub customizations: Vec<Customization>,
    /// The first line of the order so far is taken away.
    #[serde(default)]
    pub removed: bool,
    /// The lines after the first: those of the order so far, then new ones.
    #[serde(default)]
    pub more: Vec<AnswerLine>,
}

/// A line of an example answer after the first.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AnswerLine {
    pub menu: String,
    #[serde(default)]
    pub style: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub customizations: Vec<Customization>,
    #[serde(default)]
    pub removed: bool,
}

impl AnswerLine {
    /// `line` of the order so far, unchanged.
    fn kept(line: &OrderLine) -> Self {
        AnswerLine {
            menu: line.menu.clone(),
            style: line.style.clone(),
            quantity: Some(line.quantity),
            customizations: line.customizations.clone(),
            removed: false,
        }
    }

    /// This line as an answer of its own, for the decisions of one line.
    fn answer(&self, whole: Option<&Answer>) -> Answer {
        Answer {
            intent: whole.map_or(Intent::Order, |w| w.intent),
            menu: Some(self.menu.clone()),
            style: self.style.clone(),
            quantity: self.quantity,
            side_dishes: Vec::new(),
            customizations: self.customizations.clone(),
            removed: self.removed,
            more: Vec::new(),
        }
    }
}

impl Answer {
    fn intent_option(&self) -> &'static str {
        match self.intent {
            Intent::Order => "order\"",
            Intent::Modify => "modify\"",
            Intent::Unclear => "unclear\"}",
        }
    }
}

/// Records the text pieces an answer is written in.
struct Segments(Vec<String>);

impl Writer for Segments {
    fn emit(&mut self, text: &str) -> Result<(), LlmError> {
        self.0.push(text.to_owned());
        Ok(())
    }
    fn choose_biased(
        &mut self,
        options: &[String],
        teacher: Option<usize>,
        _bias: &[f32],
    ) -> Result<(usize, f32), LlmError> {
        let i = teacher.filter(|i| *i < options.len()).ok_or_else(|| {
            LlmError::Llama(format!(
                "an example answer does not fit the menu at {:?}",
                self.0.concat()
            ))
        })?;
        self.0.push(options[i].clone());
        Ok((i, 1.0))
    }
}

/// The text pieces of an example answer, as the decoder would write them.
pub fn answer_segments(
    answer: &Answer,
    state: Option<&OrderState>,
    heard: &Heard,
    menu: &MenuCatalog,
) -> Result<Vec<String>, LlmError> {
    let mut segments = Segments(Vec::new());
    write_analysis(
        &mut segments,
        &Priors::default(),
        menu,
        state,
        heard,
        None,
        Some(answer),
    )?;
    Ok(segments.0)
}

impl Writer for Run<'_> {
    fn emit(&mut self, text: &str) -> Result<(), LlmError> {
        Run::emit(self, text)
    }
    fn choose_biased(
        &mut self,
        options: &[String],
        _teacher: Option<usize>,
        bias: &[f32],
    ) -> Result<(usize, f32), LlmError> {
        Run::choose(self, options, bias)
    }
    fn last_probabilities(&self) -> Vec<f32> {
        self.option_probabilities.clone()
    }
}

/// One job's decoding state.
struct Run<'a> {
    model: &'static LlamaModel,
    ctx: &'a mut LlamaContext<'static>,
    grammar: LlamaSampler,
    /// Tokens appended but not yet evaluated by the model.
    pending: Vec<LlamaToken>,
    n_past: i32,
    /// Batch index of the logits of the last evaluated token.
    last_logits: Option<i32>,
    batch_size: usize,
    text: String,
    generated: usize,
    passes: usize,
    /// See `Writer::last_probabilities`.
    option_probabilities: Vec<f32>,
    /// Every token of the answer written so far.
    answer: Vec<LlamaToken>,
    /// The option index of every finished choice, in order.
    made: Vec<usize>,
    /// Tokens after `n_past` already in the KV cache, evaluated ahead from a draft, and the
    /// batch index of the logits after each of those (by offset in `ahead`) that were kept.
    ahead: Vec<LlamaToken>,
    ahead_logits: Vec<(usize, i32)>,
    /// Guesses the rest of the answer, so that one forward pass checks many decisions.
    drafter: Option<Drafter<'a>>,
}

/// What a draft of the answer is written from.
struct Drafter<'a> {
    menu: &'a MenuCatalog,
    state: Option<&'a OrderState>,
    heard: &'a Heard,
    last_dinner: Option<&'a str>,
    priors: Priors,
    guess: Answer,
}

impl Run<'_> {
    fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        tokens(self.model, text)
    }

    /// Evaluates the pending tokens and returns the logits after the last one.
    ///
    /// Each forward pass also evaluates a draft of the rest of the answer, with logits kept
    /// at the draft's decision points: while the model decides as the draft guessed, the next
    /// decisions need no pass of their own. The model still makes every decision; a wrong
    /// guess only wastes its tokens. Batched logits differ from one-by-one ones in rounding,
    /// which can flip a near-tie (one sentence of the 104 in `eval/own.jsonl`).
    fn logits(&mut self) -> Result<&[f32], LlmError> {
        if !self.pending.is_empty() {
            let matched = self
                .ahead
                .iter()
                .zip(&self.pending)
                .take_while(|(a, p)| a == p)
                .count();
            let covered = (matched == self.pending.len())
                .then(|| self.ahead_logits.iter().find(|(at, _)| *at + 1 == matched))
                .flatten()
                .map(|(_, index)| *index);
            if let Some(index) = covered {
                self.advance(matched);
                self.last_logits = Some(index);
            } else {
                // Keep the evaluated tokens that were right (but re-evaluate the last pending
                // one if its logits were not kept), drop the rest from the cache.
                let keep = matched.min(self.pending.len() - 1);
                if !self.ahead.is_empty() {
                    let from = (self.n_past as usize + keep) as u32;
                    self.ctx
                        .kv_cache_seq_rm(0, Some(from), None)
                        .map_err(llama)?;
                }
                self.advance(keep);
                self.ahead.clear();
                self.ahead_logits.clear();
                self.evaluate()?;
            }
        }
        let i = self
            .last_logits
            .ok_or_else(|| LlmError::Llama("no logits yet".into()))?;
        Ok(self.ctx.get_logits_ith(i))
    }

    /// Marks the first `n` pending tokens as evaluated: they are the first `n` of `ahead`.
    fn advance(&mut self, n: usize) {
        self.n_past += n as i32;
        self.pending.drain(..n);
        self.ahead.drain(..n);
        self.ahead_logits.retain(|(at, _)| *at >= n);
        for (at, _) in &mut self.ahead_logits {
            *at -= n;
        }
    }

    /// One forward pass over the pending tokens and the draft's continuation after them.
    fn evaluate(&mut self) -> Result<(), LlmError> {
        let pending = std::mem::take(&mut self.pending);
        let (draft, decisions) = self.draft()?;
        let room = self.batch_size.saturating_sub(pending.len());
        let draft = &draft[..draft.len().min(room)];
        let tokens: Vec<LlamaToken> = pending.iter().chain(draft).copied().collect();
        let mut wanted = vec![false; tokens.len()];
        wanted[pending.len() - 1] = true;
        for d in decisions {
            // `d`: draft tokens before the decision, so its logits follow token `d - 1`.
            if d >= 1 && d <= draft.len() {
                wanted[pending.len() + d - 1] = true;
            }
        }
        let mut batch = LlamaBatch::new(self.batch_size.max(tokens.len()), 1);
        for (i, t) in tokens.iter().enumerate() {
            batch
                .add(*t, self.n_past + i as i32, &[0], wanted[i])
                .map_err(llama)?;
        }
        self.ctx.decode(&mut batch).map_err(llama)?;
        self.passes += 1;
        self.n_past += pending.len() as i32;
        self.last_logits = Some(pending.len() as i32 - 1);
        let offset = pending.len();
        self.ahead = draft.to_vec();
        self.ahead_logits = (0..draft.len())
            .filter(|&i| wanted[offset + i])
            .map(|i| (i, (offset + i) as i32))
            .collect();
        Ok(())
    }

    /// The draft's tokens after the answer written so far, and the decision points among
    /// them (as counts of draft tokens before each); empty when the draft has already
    /// parted from the answer.
    fn draft(&self) -> Result<(Vec<LlamaToken>, Vec<usize>), LlmError> {
        let Some(d) = &self.drafter else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut draft = Draft {
            model: self.model,
            tokens: Vec::new(),
            decisions: Vec::new(),
            made: &self.made,
            choices: 0,
        };
        write_analysis(
            &mut draft,
            &d.priors,
            d.menu,
            d.state,
            d.heard,
            d.last_dinner,
            Some(&d.guess),
        )?;
        let done = self.answer.len();
        if !draft.tokens.starts_with(&self.answer) {
            return Ok((Vec::new(), Vec::new()));
        }
        let decisions = draft
            .decisions
            .iter()
            .filter(|&&at| at > done)
            .map(|at| at - done)
            .collect();
        Ok((draft.tokens.split_off(done), decisions))
    }

    /// Appends `token` after checking it against the grammar.
    fn push(&mut self, token: LlamaToken) -> Result<(), LlmError> {
        let mut single =
            LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 0.0, 0.0)], false);
        single.apply_sampler(&mut self.grammar);
        let piece = self.model.vocab().token_to_piece(token, false, None);
        let piece = String::from_utf8_lossy(&piece).into_owned();
        if single
            .data
            .first()
            .is_none_or(|d| d.logit() == f32::NEG_INFINITY)
        {
            return Err(LlmError::GrammarRejected(format!("{}{piece}", self.text)));
        }
        self.grammar.accept(token);
        self.text.push_str(&piece);
        self.answer.push(token);
        self.pending.push(token);
        self.generated += 1;
        Ok(())
    }

    /// Writes fixed JSON text.
    fn emit(&mut self, text: &str) -> Result<(), LlmError> {
        for t in self.tokenize(text) {
            self.push(t)?;
        }
        Ok(())
    }

    /// Lets the model choose one of `options` (prefix-free texts); returns its index and the
    /// probability of the choice among the options. `bias` (per option, may be empty) is added
    /// to the scores at the first token where the options differ.
    fn choose(&mut self, options: &[String], bias: &[f32]) -> Result<(usize, f32), LlmError> {
        let tokens: Vec<Vec<LlamaToken>> = options.iter().map(|o| self.tokenize(o)).collect();
        let mut probability = 1.0f32;
        let mut biased = bias.is_empty();
        let mut first_split = true;
        self.option_probabilities = vec![1.0; options.len()];
        let decide = |run: &mut Self,
                      next: &[LlamaToken],
                      alive: &[usize],
                      k: usize|
         -> Result<LlamaToken, LlmError> {
            let logits = run.logits()?;
            let mut scores: Vec<f32> = next.iter().map(|t| logits[t.0 as usize]).collect();
            if !biased {
                biased = true;
                for (score, token) in scores.iter_mut().zip(next) {
                    // Options sharing this first token share its strongest prior.
                    *score += alive
                        .iter()
                        .filter(|&&i| tokens[i][k] == *token)
                        .map(|&i| bias.get(i).copied().unwrap_or(0.0))
                        .fold(f32::NEG_INFINITY, f32::max);
                }
            }
            let max = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let sum: f32 = scores.iter().map(|s| (s - max).exp()).sum();
            let best = argmax(&scores);
            probability *= 1.0 / sum; // exp(max - max) / sum
            if first_split {
                first_split = false;
                for (i, p) in run.option_probabilities.iter_mut().enumerate() {
                    *p = next
                        .iter()
                        .position(|t| alive.contains(&i) && tokens[i][k] == *t)
                        .map_or(0.0, |j| (scores[j] - max).exp() / sum);
                }
            }
            tracing::debug!(
                at = %run.text,
                options = ?next
                    .iter()
                    .zip(&scores)
                    .map(|(t, s)| {
                        let piece = run.model.vocab().token_to_piece(*t, false, None);
                        format!("{}={:.2}", String::from_utf8_lossy(&piece), (s - max).exp() / sum)
                    })
                    .collect::<Vec<_>>(),
                "choice"
            );
            Ok(next[best])
        };
        let chosen = walk_options(self, &tokens, decide, Run::push)?;
        self.made.push(chosen);
        Ok((chosen, probability))
    }
}

/// Walks the token trie of `options` (prefix-free texts, tokenized): where the options still
/// possible differ, `decide` picks one of their distinct next tokens; every token of the way is
/// `push`ed. Returns the option written.
fn walk_options<S>(
    s: &mut S,
    tokens: &[Vec<LlamaToken>],
    mut decide: impl FnMut(&mut S, &[LlamaToken], &[usize], usize) -> Result<LlamaToken, LlmError>,
    mut push: impl FnMut(&mut S, LlamaToken) -> Result<(), LlmError>,
) -> Result<usize, LlmError> {
    let mut alive: Vec<usize> = (0..tokens.len()).collect();
    let mut k = 0;
    loop {
        if let Some(&done) = alive.iter().find(|&&i| tokens[i].len() == k) {
            return Ok(done);
        }
        let mut next: Vec<LlamaToken> = alive.iter().map(|&i| tokens[i][k]).collect();
        next.sort_by_key(|t| t.0);
        next.dedup();
        let chosen = if next.len() == 1 {
            next[0]
        } else {
            decide(s, &next, &alive, k)?
        };
        push(s, chosen)?;
        alive.retain(|&i| tokens[i][k] == chosen);
        k += 1;
    }
}

/// A guess of the answer in the live decoder's tokens, with the points where the model would
/// decide: the choices already made, then the guess's, then the strongest prior's.
struct Draft<'a> {
    model: &'static LlamaModel,
    tokens: Vec<LlamaToken>,
    /// Tokens written before each decision point.
    decisions: Vec<usize>,
    made: &'a [usize],
    choices: usize,
}

impl Writer for Draft<'_> {
    fn emit(&mut self, text: &str) -> Result<(), LlmError> {
        self.tokens.extend(tokens(self.model, text));
        Ok(())
    }
    fn choose_biased(
        &mut self,
        options: &[String],
        teacher: Option<usize>,
        bias: &[f32],
    ) -> Result<(usize, f32), LlmError> {
        let pick = self
            .made
            .get(self.choices)
            .copied()
            .or(teacher)
            .filter(|i| *i < options.len())
            .unwrap_or_else(|| argmax(bias));
        self.choices += 1;
        let tokens: Vec<Vec<LlamaToken>> = options.iter().map(|o| tokens(self.model, o)).collect();
        let decide = |d: &mut Self,
                      _: &[LlamaToken],
                      _: &[usize],
                      k: usize|
         -> Result<LlamaToken, LlmError> {
            d.decisions.push(d.tokens.len());
            Ok(tokens[pick][k])
        };
        let push = |d: &mut Self, t: LlamaToken| -> Result<(), LlmError> {
            d.tokens.push(t);
            Ok(())
        };
        walk_options(self, &tokens, decide, push).map(|i| (i, 1.0))
    }
}

/// The likeliest answer from what the utterance names, the order so far and the history:
/// only a draft for [`Run::logits`] to evaluate ahead, never an answer.
fn guess(job: &LlmJob, heard: &Heard) -> Answer {
    let state = job.order_state.as_ref();
    let named = |pick: fn(&Mention) -> Option<&String>| {
        heard.found.iter().map(|(_, m)| m).find_map(pick).cloned()
    };
    let past = job.user_history.first();
    let menu = named(|m| match m {
        Mention::Dinner(c) => Some(c),
        _ => None,
    })
    .or_else(|| state.and_then(|s| s.menu.clone()))
    .or_else(|| past.map(|h| h.menu.clone()));
    let style = named(|m| match m {
        Mention::Style(c) => Some(c),
        _ => None,
    })
    .or_else(|| state.and_then(|s| s.style.clone()))
    .or_else(|| past.map(|h| h.style.clone()));
    let now = state.and_then(|s| s.quantity);
    let quantity = now
        .zip(heard.more_dinners())
        .map(|(now, n)| now + n)
        .or_else(|| heard.dinner_number())
        .or(now);
    let mut side_dishes = state.map(|s| s.side_dishes.clone()).unwrap_or_default();
    for (_, m) in &heard.found {
        if let Mention::SideDish(code) = m {
            if heard.amount_cue(m) == Some(AmountCue::Removed) {
                side_dishes.retain(|s| s != code);
            } else if !side_dishes.contains(code) {
                side_dishes.push(code.clone());
            }
        }
    }
    // The amounts the decoder's priors point at: what the words next to a component say,
    // else what the order has now. A draft that disagrees with them costs a model pass.
    let kept = state.map(|s| s.customizations.clone()).unwrap_or_default();
    let dinner = menu.as_deref().and_then(|code| job.menu.dinner(code));
    let customizations = match dinner {
        Some(dinner) => {
            let means = sides_meaning_components(&job.menu, dinner, state, heard);
            dinner
                .components
                .iter()
                .filter_map(|c| {
                    let now = kept
                        .iter()
                        .find(|k| k.component == c.code)
                        .map_or(c.default_quantity, |k| k.quantity);
                    // Only where the decoder asks about the component do the words move it.
                    let quantity = component_mention(&job.menu, dinner, heard, c, &means)
                        .and_then(|m| heard.amount_cue(&m))
                        .map_or(now, |cue| cue.amount(now));
                    (quantity != c.default_quantity).then(|| Customization {
                        component: c.code.clone(),
                        quantity,
                    })
                })
                .collect()
        }
        None => kept,
    };
    Answer {
        intent: if state.is_some() {
            Intent::Modify
        } else {
            Intent::Order
        },
        menu,
        style,
        quantity,
        side_dishes,
        customizations,
        removed: false,
        more: state
            .map(|s| s.more_lines.iter().map(AnswerLine::kept).collect())
            .unwrap_or_default(),
    }
}

/// For each of the menu's side dishes: whether taking it away means this dinner's component of
/// the same name instead ("콜라는 빼줘" with no cola side dish ordered).
fn sides_meaning_components(
    menu: &MenuCatalog,
    dinner: &MenuDinner,
    state: Option<&OrderState>,
    heard: &Heard,
) -> Vec<bool> {
    menu.side_dishes
        .iter()
        .map(|side| {
            !state.is_some_and(|s| s.side_dishes.contains(&side.code))
                && heard.amount_cue(&Mention::SideDish(side.code.clone()))
                    == Some(AmountCue::Removed)
                && dinner
                    .components
                    .iter()
                    .any(|c| same_name(c, side) && heard.names(&Mention::Component(c.code.clone())))
        })
        .collect()
}

/// What in the words names component `c` of `dinner`: its own name, or the name of another
/// dinner's component that begins its name ("커피" for the feast's "커피 포트", "coffee" for its
/// "coffee pot"). A name it shares with side dishes counts only where taking those away means
/// the component (`meaning`, from [`sides_meaning_components`]).
fn component_mention(
    menu: &MenuCatalog,
    dinner: &MenuDinner,
    heard: &Heard,
    c: &MenuComponent,
    meaning: &[bool],
) -> Option<Mention> {
    let own = Mention::Component(c.code.clone());
    if heard.names(&own) {
        let shared_ok = menu
            .side_dishes
            .iter()
            .zip(meaning)
            .filter(|(side, _)| same_name(c, side))
            .all(|(_, means)| *means);
        return shared_ok.then_some(own);
    }
    let begins = |name: &str, head: &str| {
        let (name, head) = (name.trim().to_lowercase(), head.trim().to_lowercase());
        name.strip_prefix(&head)
            .is_some_and(|rest| rest.starts_with(' '))
    };
    menu.dinners
        .iter()
        .flat_map(|d| &d.components)
        .filter(|o| dinner.component(&o.code).is_none())
        .find(|o| {
            (begins(&c.name_ko, &o.name_ko) || begins(&c.name_en, &o.name_en))
                && heard.names(&Mention::Component(o.code.clone()))
        })
        .map(|o| Mention::Component(o.code.clone()))
}

/// Most dinner lines one order may have (the cart's limit).
const MAX_LINES: usize = 10;

/// Writes one analysis as JSON through `w`: fixed text with `emit`, every decision with
/// `choose`. With a `teacher` answer the decisions are that answer's (used to write the prompt's
/// examples in exactly the token segmentation the live decoder produces). `last_dinner` is the
/// customer's latest past order's dinner, if any.
///
/// The first dinner line is the seed's fields; further lines follow in `more`. Over an order of
/// Over an order so far, each of its lines keeps its dinner and the model decides whether it
/// is `removed` (another dinner instead is a line removed and one added); new lines may follow.
fn write_analysis<W: Writer>(
    w: &mut W,
    priors: &Priors,
    menu: &MenuCatalog,
    state: Option<&OrderState>,
    heard: &Heard,
    last_dinner: Option<&str>,
    teacher: Option<&Answer>,
) -> Result<Decoded, LlmError> {
    let first_line = state.and_then(|s| s.first_line());
    let input = AnalysisInput {
        priors,
        menu,
        state,
        line: first_line.as_ref(),
        fresh: false,
        heard,
        last_dinner,
        teacher,
    };
    let mut decoded = Decoded::certain(Intent::Unclear, OrderState::default());
    let (intent, p_intent) = input.write_intent(w)?;
    decoded.p_intent = p_intent;
    decoded.intent = intent;
    if intent == Intent::Unclear {
        return Ok(decoded);
    }
    // Over an order of one line the model may change its dinner ("the French dinner
    // instead"); over several, each line keeps its dinner and may be taken away.
    let several = state.is_some_and(|s| !s.more_lines.is_empty());
    let first = match first_line.as_ref().filter(|_| several) {
        Some(line) => input.write_kept_line_head(w, line, false, true)?,
        None => Some(input.write_dinner(w)?),
    };
    let mut lines = Vec::new();
    if let Some((dinner, p_menu)) = first {
        let (line, p_style, p_quantity) = input.write_line_choices(w, dinner)?;
        decoded.p_menu = p_menu;
        decoded.p_style = p_style;
        decoded.p_quantity = p_quantity;
        lines.push((line, p_style));
    }
    // Every side dish and every component gets its own small decision, with its name right
    // before it: a small model answers "how many fries?" far better than it writes a list.
    w.emit("\"side_dishes\":{")?;
    let dinner = first.map(|(d, _)| d);
    let means_component = dinner
        .map(|d| sides_meaning_components(menu, d, state, heard))
        .unwrap_or_else(|| vec![false; menu.side_dishes.len()]);
    decoded.order.side_dishes = input.write_side_dishes(w, &means_component)?;
    match (dinner, lines.first_mut()) {
        (Some(d), Some((line, _))) => {
            line.customizations = input.write_customizations(w, d, &means_component)?;
        }
        _ => w.emit("\"customizations\":[]")?,
    }
    let kept = state.map(|s| s.more_lines.as_slice()).unwrap_or_default();
    lines.extend(input.write_kept_lines(w, kept)?);
    // An order of one line whose dinner the words changed: the old line may stay ("치킨
    // 디너도 추가") or go ("the French dinner instead"). The model decides once it has
    // written the new dinner, with no prior (only words it reads tell the two apart), and a
    // line that stays keeps its place first.
    let replaced = first_line
        .as_ref()
        .filter(|old| kept.is_empty() && dinner.is_some_and(|d| d.code != old.menu));
    if let Some(old) = replaced {
        if let Some(line) = input.write_kept_listed_line(w, kept.len(), old, false)? {
            lines.insert(0, line);
        }
    }
    let listed = kept.len() + usize::from(replaced.is_some());
    let mut has: Vec<String> = state
        .map(|s| s.lines().into_iter().map(|l| l.menu).collect())
        .unwrap_or_default();
    has.extend(lines.iter().map(|(l, _)| l.menu.clone()));
    lines.extend(input.write_new_lines(w, listed, &has, lines.len())?);
    w.emit("}")?;
    let mut lines = lines.into_iter();
    match lines.next() {
        Some((line, _)) => decoded.order.set_first_line(line),
        // Every line taken away: nothing left to order.
        None => decoded.intent = Intent::Unclear,
    }
    (decoded.order.more_lines, decoded.more_p_style) = lines.unzip();
    Ok(decoded)
}

/// What one analysis is written from (see [`write_analysis`]).
struct AnalysisInput<'a> {
    priors: &'a Priors,
    menu: &'a MenuCatalog,
    /// The order so far (an edit), if any.
    state: Option<&'a OrderState>,
    /// The line of the order so far that is being written, if any.
    line: Option<&'a OrderLine>,
    /// A line added after the first: the model decides it without priors.
    fresh: bool,
    heard: &'a Heard,
    last_dinner: Option<&'a str>,
    teacher: Option<&'a Answer>,
}

impl<'a> AnalysisInput<'a> {
    /// Writes the dinner of a line kept from the order so far, and whether it is taken away;
    /// returns the dinner (probability 1: it was not chosen) unless it is. `listed`: a line
    /// of `more`, not the first.
    fn write_kept_line_head<W: Writer>(
        &self,
        w: &mut W,
        line: &OrderLine,
        listed: bool,
        keep_prior: bool,
    ) -> Result<Option<(&'a MenuDinner, f32)>, LlmError> {
        let dinner = self.menu.dinner(&line.menu).ok_or_else(|| {
            LlmError::Llama(format!(
                "the order's dinner {} is not on the menu",
                line.menu
            ))
        })?;
        let (opening, gone) = if listed {
            ("", "true}")
        } else {
            (",", "true,")
        };
        w.emit(&format!("{opening}\"menu\":\"{}\",\"removed\":", line.menu))?;
        let t = self.teacher.map(|t| usize::from(t.removed));
        // A line stays unless the words name its dinner ("치킨 디너도 추가" keeps the Valentine
        // dinner; "add more wine" takes nothing away).
        let named = self.heard.dinners().contains(&line.menu);
        let keep = if named || !keep_prior {
            0.0
        } else {
            self.priors.keep
        };
        let (removed, _) = w.choose_biased(&["false".into(), gone.into()], t, &[keep])?;
        Ok((removed == 0).then_some((dinner, 1.0)))
    }

    /// Writes the style and quantity of a line of `dinner`; returns the line (no customizations
    /// yet) with the probabilities of its style and quantity.
    fn write_line_choices<W: Writer>(
        &self,
        w: &mut W,
        dinner: &'a MenuDinner,
    ) -> Result<(OrderLine, f32, f32), LlmError> {
        let (style, p_style) = self.write_style(w, dinner)?;
        let (quantity, p_quantity) = self.write_quantity(w)?;
        let line = OrderLine {
            menu: dinner.code.clone(),
            style: Some(style),
            quantity,
            customizations: Vec::new(),
        };
        Ok((line, p_style, p_quantity))
    }

    /// Opens `more` and writes the lines after the first of the order so far (`kept`), each
    /// kept or taken away; returns those kept with the probability of their style.
    fn write_kept_lines<W: Writer>(
        &self,
        w: &mut W,
        kept: &'a [OrderLine],
    ) -> Result<Vec<(OrderLine, f32)>, LlmError> {
        w.emit(",\"more\":[")?;
        let mut lines = Vec::new();
        for (k, line) in kept.iter().enumerate() {
            lines.extend(self.write_kept_listed_line(w, k, line, true)?);
        }
        Ok(lines)
    }

    /// The teacher's line `k` of `more` as an answer of its own, if there is a teacher.
    fn teacher_line(&self, k: usize) -> Option<Answer> {
        self.teacher
            .and_then(|t| t.more.get(k))
            .map(|t| t.answer(self.teacher))
    }

    /// Writes `line` of the order so far as line `k` of `more`, kept or taken away (against
    /// taking it away the `keep` prior applies if `keep_prior`); returns it unless taken away.
    fn write_kept_listed_line<W: Writer>(
        &self,
        w: &mut W,
        k: usize,
        line: &'a OrderLine,
        keep_prior: bool,
    ) -> Result<Option<(OrderLine, f32)>, LlmError> {
        let t = self.teacher_line(k);
        let input = AnalysisInput {
            line: Some(line),
            teacher: t.as_ref(),
            ..*self
        };
        w.emit(if k == 0 { "{" } else { ",{" })?;
        match input.write_kept_line_head(w, line, true, keep_prior)? {
            Some((dinner, _)) => Ok(Some(input.write_listed_line(w, dinner)?)),
            None => Ok(None),
        }
    }

    /// Writes the lines the words add, after `listed` lines of `more`, to an order that has
    /// dinners `has`, up to [`MAX_LINES`] lines in all (`written` so far), and closes `more`;
    /// returns each with the probability of its style.
    fn write_new_lines<W: Writer>(
        &self,
        w: &mut W,
        listed: usize,
        has: &[String],
        mut written: usize,
    ) -> Result<Vec<(OrderLine, f32)>, LlmError> {
        let mut has = has.to_vec();
        let mut lines = Vec::new();
        while written < MAX_LINES {
            let k = listed + lines.len();
            let t = self.teacher_line(k);
            let more = if k == 0 { "{" } else { ",{" };
            // A dinner named and not in the order yet is most likely one being added.
            let wanted = self.new_dinners(&has);
            let bias = match wanted.is_empty() {
                true => [self.priors.named_line, 0.0],
                false => [0.0, self.priors.named_line],
            };
            let (stop, _) = w.choose_biased(
                &["]".into(), more.into()],
                self.teacher.map(|_| usize::from(t.is_some())),
                &bias,
            )?;
            if stop == 0 {
                return Ok(lines);
            }
            let input = AnalysisInput {
                line: None,
                fresh: true,
                teacher: t.as_ref(),
                ..*self
            };
            w.emit("\"menu\":\"")?;
            let (dinner, _) = input.write_fresh_dinner(w, &wanted)?;
            has.push(dinner.code.clone());
            lines.push(input.write_listed_line(w, dinner)?);
            written += 1;
        }
        w.emit("]")?;
        Ok(lines)
    }

    /// The dinners the words name that the order does not have yet (`has`).
    fn new_dinners(&self, has: &[String]) -> Vec<String> {
        self.heard
            .dinners()
            .into_iter()
            .filter(|d| !has.contains(d))
            .collect()
    }

    /// Chooses the dinner of a line being added: one of `wanted` (see [`Self::new_dinners`]),
    /// unless the model is sure of another.
    fn write_fresh_dinner<W: Writer>(
        &self,
        w: &mut W,
        wanted: &[String],
    ) -> Result<(&'a MenuDinner, f32), LlmError> {
        let bias: Vec<f32> = self
            .menu
            .dinners
            .iter()
            .map(|d| f32::from(u8::from(wanted.contains(&d.code))) * self.priors.named_line)
            .collect();
        self.choose_dinner(w, &bias)
    }

    /// Writes the rest of a further line of `dinner` and closes it.
    fn write_listed_line<W: Writer>(
        &self,
        w: &mut W,
        dinner: &'a MenuDinner,
    ) -> Result<(OrderLine, f32), LlmError> {
        let (mut line, p_style, _) = self.write_line_choices(w, dinner)?;
        let means_component = vec![false; self.menu.side_dishes.len()];
        line.customizations = self.write_customizations(w, dinner, &means_component)?;
        w.emit("}")?;
        Ok((line, p_style))
    }

    /// Writes the intent; returns it with the probability that the utterance is an order.
    fn write_intent<W: Writer>(&self, w: &mut W) -> Result<(Intent, f32), LlmError> {
        // Opening quotes are part of the fixed text, so that every option of a choice starts at
        // the same token boundary (otherwise `"sp` competes with `"` and the mass is split).
        w.emit("{\"intent\":\"")?;
        let mut intents = vec!["order\"", "unclear\"}"];
        if self.state.is_some() {
            intents.push("modify\"");
        }
        let options: Vec<String> = intents.iter().map(|s| s.to_string()).collect();
        let t = self
            .teacher
            .and_then(|t| intents.iter().position(|i| *i == t.intent_option()));
        let (i, p) = w.choose(&options, t)?;
        // "order" and "modify" both mean an order: what matters is that it is not unclear.
        let p_unclear = w.last_probabilities().get(1).copied();
        let p_intent = match (intents[i], p_unclear) {
            ("unclear\"}", _) | (_, None) => p,
            (_, Some(p_unclear)) => 1.0 - p_unclear,
        };
        let intent = match intents[i] {
            "order\"" => Intent::Order,
            "modify\"" => Intent::Modify,
            _ => Intent::Unclear,
        };
        Ok((intent, p_intent))
    }

    /// Writes the dinner; returns it with its probability.
    fn write_dinner<W: Writer>(&self, w: &mut W) -> Result<(&'a MenuDinner, f32), LlmError> {
        w.emit(",\"menu\":\"")?;
        self.choose_dinner(w, &self.dinner_bias())
    }

    /// Chooses a dinner after its opening quote, with `bias` per dinner; returns it with its
    /// probability.
    fn choose_dinner<W: Writer>(
        &self,
        w: &mut W,
        bias: &[f32],
    ) -> Result<(&'a MenuDinner, f32), LlmError> {
        let menu = self.menu;
        let options: Vec<String> = menu
            .dinners
            .iter()
            .map(|d| format!("{}\"", d.code))
            .collect();
        let t = self.teacher.and_then(|t| {
            menu.dinners
                .iter()
                .position(|d| Some(&d.code) == t.menu.as_ref())
        });
        let (i, p) = w.choose_biased(&options, t, bias)?;
        Ok((&menu.dinners[i], p))
    }

    /// An edit that names no dinner keeps the dinner ("콜라는 빼줘" is not a chicken dinner); a
    /// new order that names none is most likely the last one ("the usual", "저번에 시킨 거").
    fn dinner_bias(&self) -> Vec<f32> {
        if self.heard.names_a(|m| matches!(m, Mention::Dinner(_))) {
            return Vec::new();
        }
        let kept = self
            .line
            .map(|s| s.menu.clone())
            .or_else(|| self.last_dinner.map(str::to_string));
        kept.map_or_else(Vec::new, |code| {
            keep_prior(
                self.priors.keep,
                Some(&code),
                self.menu.dinners.iter().map(|d| &d.code),
            )
        })
    }

    /// Writes the style of `dinner`; returns its code with its probability.
    fn write_style<W: Writer>(
        &self,
        w: &mut W,
        dinner: &MenuDinner,
    ) -> Result<(String, f32), LlmError> {
        // The model always names its most likely style; its probability says whether the
        // customer really said one (see `compose`).
        w.emit(",\"style\":\"")?;
        let options: Vec<String> = dinner
            .styles
            .iter()
            .map(|s| format!("{}\"", s.code))
            .collect();
        let t = self.teacher.and_then(|t| {
            dinner
                .styles
                .iter()
                .position(|s| Some(&s.code) == t.style.as_ref())
        });
        let says_a_style = self.heard.names_a(|m| matches!(m, Mention::Style(_)));
        let bias = match self.line {
            Some(s)
                if s.style
                    .as_ref()
                    .is_some_and(|st| dinner.style(st).is_some())
                    && (!says_a_style || !self.addressed()) =>
            {
                keep_prior(
                    self.priors.keep,
                    s.style.as_ref(),
                    dinner.styles.iter().map(|st| &st.code),
                )
            }
            _ => Vec::new(),
        };
        let (i, p) = w.choose_biased(&options, t, &bias)?;
        Ok((dinner.styles[i].code.clone(), p))
    }

    /// Whether the words may be about the line being written: they name its dinner, or no
    /// dinner at all. A line of the order so far that the words pass over keeps what it has
    /// ("발렌타인은 디럭스로" leaves the chicken dinners alone).
    fn addressed(&self) -> bool {
        match self.line.filter(|_| !self.fresh) {
            Some(line) => {
                let named = self.heard.dinners();
                named.is_empty() || named.contains(&line.menu)
            }
            None => true,
        }
    }

    /// Writes the number of dinners (1–10); returns it with its probability.
    fn write_quantity<W: Writer>(&self, w: &mut W) -> Result<(u32, f32), LlmError> {
        w.emit(",\"quantity\":")?;
        let options: Vec<String> = (1..=10).map(|n| format!("{n},")).collect();
        let t = self
            .teacher
            .map(|t| t.quantity.unwrap_or(1).clamp(1, 10) as usize - 1);
        let (i, p) = w.choose_biased(&options, t, &self.quantity_bias())?;
        Ok((i as u32 + 1, p))
    }

    /// An edit that says no number of dinners keeps the quantity ("add fries" is not another
    /// dinner); an order that names its dinner and whose numbers all count components or side
    /// dishes is for one dinner ("with three glasses of wine"). "The usual" may mean two.
    fn quantity_bias(&self) -> Vec<f32> {
        let (heard, priors) = (self.heard, self.priors);
        let names_a_dinner = heard.names_a(|m| matches!(m, Mention::Dinner(_)));
        if let Some(line) = self.line.filter(|_| !self.addressed()) {
            return quantity_prior(line.quantity, priors.keep);
        }
        if self.fresh {
            return Vec::new();
        }
        let kept = match self.line.map(|s| s.quantity) {
            Some(current) => Some(current),
            None if names_a_dinner && heard.says_a_number() => Some(1),
            None => None,
        };
        // Which number of a new order counts its dinners is the model's to read ("bump the
        // steaks up to three", "다섯 명이에요 … 한 사람당 하나씩").
        match (kept, heard.more_dinners()) {
            (Some(q), _) if !heard.says_a_dinner_number() => quantity_prior(q, priors.keep),
            (Some(now), Some(n)) => quantity_prior(now + n, priors.more_dinners),
            _ => Vec::new(),
        }
    }

    /// Writes how many of each side dish (0–10) and closes the object; returns the side dishes,
    /// one entry a serving. `means_component` is from [`sides_meaning_components`].
    fn write_side_dishes<W: Writer>(
        &self,
        w: &mut W,
        means_component: &[bool],
    ) -> Result<Vec<String>, LlmError> {
        let mut side_dishes = Vec::new();
        let sides = &self.menu.side_dishes;
        for (k, side) in sides.iter().enumerate() {
            w.emit(&format!("\"{}\":", side.code))?;
            let after = if k + 1 == sides.len() { "}," } else { "," };
            let options: Vec<String> = (0..=10).map(|n| format!("{n}{after}")).collect();
            let t = self.teacher.map(|t| {
                t.side_dishes
                    .iter()
                    .filter(|c| **c == side.code)
                    .count()
                    .min(10)
            });
            let zero_bias = self.side_dish_zero_bias(side, means_component[k]);
            let (n, _) = w.choose_biased(&options, t, &[zero_bias])?;
            for _ in 0..n {
                side_dishes.push(side.code.clone());
            }
        }
        if sides.is_empty() {
            w.emit("},")?;
        }
        Ok(side_dishes)
    }

    /// The prior on `side` being 0. What the utterance names is a prior: a named side dish
    /// needs strong evidence to be 0 ("감자튀김 빼고"), one neither named nor already ordered
    /// needs strong evidence to be added. A word that names both a side dish and one of this
    /// dinner's components ("콜라", "salad"): taking it away is about the component
    /// (`means_component`), unless that side dish is ordered.
    fn side_dish_zero_bias(&self, side: &MenuSideDish, means_component: bool) -> f32 {
        let priors = self.priors;
        let ordered = self
            .state
            .is_some_and(|s| s.side_dishes.contains(&side.code));
        let mention = Mention::SideDish(side.code.clone());
        let cue = self.heard.amount_cue(&mention);
        let named = self.heard.names(&mention) && !means_component;
        // Named and already ordered is most likely a change ("remove the fries"): no prior.
        // Ordered and not named is kept: "remove the fries" does not touch the cola.
        let mut zero_bias = match (named, ordered) {
            (true, false) | (false, true) => -priors.side_dish,
            (true, true) => 0.0,
            (false, false) => priors.unnamed_side_dish,
        };
        // "콜라는 빼줘" / "no cola": the small model keeps a side dish it was just asked to drop.
        if named && cue == Some(AmountCue::Removed) {
            zero_bias += priors.removed_cue;
        }
        zero_bias
    }

    /// The order's change to component `code` so far, if any.
    fn changed(&self, code: &str) -> Option<&'a Customization> {
        self.line
            .and_then(|s| s.customizations.iter().find(|c| c.component == code))
    }

    /// Writes the customizations of `dinner` and closes the list; returns those that differ
    /// from the included amounts.
    ///
    /// A component the utterance names, or that the order has changed already, is always asked
    /// about ("coffee: how many now?"); the model may answer its included amount, which is no
    /// change. Then the model may add others. The included amount is written right before each
    /// amount, so "one more" and "no" are read against it rather than against a number the
    /// model has to remember.
    fn write_customizations<W: Writer>(
        &self,
        w: &mut W,
        dinner: &'a MenuDinner,
        means_component: &[bool],
    ) -> Result<Vec<Customization>, LlmError> {
        w.emit("\"customizations\":[")?;
        // Each asked component with what in the utterance names it.
        let mut asked = Vec::new();
        let mut remaining = Vec::new();
        let addressed = self.addressed();
        for c in &dinner.components {
            let named = component_mention(self.menu, dinner, self.heard, c, means_component)
                .filter(|_| addressed);
            if named.is_some() || self.changed(&c.code).is_some() {
                asked.push((c, named));
            } else {
                remaining.push(c);
            }
        }
        let mut customizations = Vec::new();
        let mut first = true;
        for (component, named) in &asked {
            let q = self.write_asked_amount(w, component, named.as_ref(), first)?;
            first = false;
            if q != component.default_quantity {
                customizations.push(Customization {
                    component: component.code.clone(),
                    quantity: q,
                });
            }
        }
        customizations.extend(self.write_added_components(w, &asked, remaining, first)?);
        Ok(customizations)
    }

    /// Writes the entry of an asked `component` (`first` in the list or not) and chooses its
    /// amount (0–9), with priors from what `named` it in the utterance.
    fn write_asked_amount<W: Writer>(
        &self,
        w: &mut W,
        component: &MenuComponent,
        named: Option<&Mention>,
        first: bool,
    ) -> Result<u32, LlmError> {
        w.emit(&format!(
            "{}\"component\":\"{}\"{}",
            if first { "{" } else { ",{" },
            component.code,
            after_component_code(component.default_quantity)
        ))?;
        // 0–9: "1}" and "10}" would share their first token, and with it the prior below.
        let options: Vec<String> = (0..=9).map(|n| format!("{n}}}")).collect();
        let t = self.teacher.map(|t| {
            t.customizations
                .iter()
                .find(|c| c.component == component.code)
                .map_or(component.default_quantity, |c| c.quantity)
                .min(9) as usize
        });
        let now = self
            .changed(&component.code)
            .map_or(component.default_quantity, |c| c.quantity);
        let bias = self.amount_bias(named, now, options.len());
        let (q, _) = w.choose_biased(&options, t, &bias)?;
        Ok(q as u32)
    }

    /// Priors for the `options` amounts of an asked component that the order has at `now`.
    fn amount_bias(&self, named: Option<&Mention>, now: u32, options: usize) -> Vec<f32> {
        let priors = self.priors;
        let mut bias = vec![0.0; options];
        if let Some(mention) = named {
            // A component the customer names is most likely one they change from now.
            if let Some(b) = bias.get_mut(now as usize) {
                *b = -priors.named_component;
            }
            // "빼고" / "no" next to the name points at 0, "더" / "extra" at more than now, a
            // number right next to it at that number.
            if let Some(cue) = self.heard.amount_cue(mention) {
                let prior = match cue {
                    AmountCue::Removed => priors.removed_cue,
                    AmountCue::More(_) => priors.more_cue,
                    AmountCue::Set(_) => priors.set_cue,
                };
                if let Some(b) = bias.get_mut(cue.amount(now) as usize) {
                    *b += prior;
                }
            }
        } else if let Some(b) = bias.get_mut(now as usize) {
            // Changed before and not named now: "and a salad" keeps "no pickled radish".
            *b = priors.keep;
        }
        bias
    }

    /// After the `asked` components, lets the model add `remaining` ones until it closes the
    /// list (`first`: nothing written in it yet); returns what it added.
    fn write_added_components<W: Writer>(
        &self,
        w: &mut W,
        asked: &[(&MenuComponent, Option<Mention>)],
        mut remaining: Vec<&MenuComponent>,
        mut first: bool,
    ) -> Result<Vec<Customization>, LlmError> {
        let teacher = self.teacher;
        let rest: Vec<&Customization> = teacher
            .map(|t| {
                t.customizations
                    .iter()
                    .filter(|c| !asked.iter().any(|(n, _)| n.code == c.component))
                    .collect()
            })
            .unwrap_or_default();
        let mut added = Vec::new();
        // An edit changes what it names: "콜라 하나 추가" adds no "no bacon".
        let stop_bias = if self.state.is_some() {
            self.priors.keep
        } else {
            0.0
        };
        while !remaining.is_empty() {
            let more = if first { "{" } else { ",{" };
            let next = rest.get(added.len()).copied();
            let (stop, _) = w.choose_biased(
                &["]".into(), more.into()],
                teacher.map(|_| usize::from(next.is_some())),
                &[stop_bias],
            )?;
            if stop == 0 {
                break;
            }
            first = false;
            w.emit("\"component\":\"")?;
            let options: Vec<String> = remaining.iter().map(|c| format!("{}\"", c.code)).collect();
            let t = next.and_then(|n| remaining.iter().position(|c| c.code == n.component));
            let (i, _) = w.choose(&options, t)?;
            let component = remaining.remove(i);
            w.emit(&after_component_code(component.default_quantity))?;
            let options: Vec<String> = (0..=10).map(|n| format!("{n}}}")).collect();
            let t = next.map(|n| n.quantity.min(10) as usize);
            let (q, _) = w.choose(&options, t)?;
            added.push(Customization {
                component: component.code.clone(),
                quantity: q as u32,
            });
        }
        if remaining.is_empty() {
            w.emit("]")?;
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(text: &str, state: Option<&str>) -> LlmJob {
        let menu = crate::seeded_menu();
        LlmJob {
            order_state: state.map(|s| serde_json::from_str(s).unwrap()),
            ..LlmJob::local(text, menu)
        }
    }

    fn drafted(job: &LlmJob) -> Answer {
        guess(job, &Heard::new(&job.transcript, &job.menu))
    }

    fn amounts(a: &Answer) -> Vec<(&str, u32)> {
        a.customizations
            .iter()
            .map(|c| (c.component.as_str(), c.quantity))
            .collect()
    }

    #[test]
    fn the_draft_guesses_the_amounts_the_words_cue() {
        let j = job(
            "Give me a simple English dinner with an extra strip of bacon and no bread",
            None,
        );
        // Bacon comes as 2: one more is 3.
        assert_eq!(amounts(&drafted(&j)), [("bacon", 3), ("bread", 0)]);
        // "Two more" counts from what the order has now, and a change made before is kept.
        let state = r#"{"menu":"english","style":"simple","quantity":1,
            "customizations":[{"component":"bacon","quantity":3},{"component":"bread","quantity":0}],
            "side_dishes":["fries"]}"#;
        let j = job("베이컨 두 개 더 주세요", Some(state));
        let a = drafted(&j);
        assert_eq!(amounts(&a), [("bacon", 5), ("bread", 0)]);
        assert_eq!(a.side_dishes, ["fries"]);
    }

    #[test]
    fn every_example_answer_is_json_with_all_its_lines() {
        let menu = crate::seeded_menu();
        let mut several = 0;
        for part in system_prefix(&menu) {
            let Part::Answer { json, state, heard } = part else {
                continue;
            };
            let answer: Answer = serde_json::from_str(json).unwrap();
            let text = answer_segments(&answer, state.as_deref(), &heard, &menu)
                .unwrap()
                .concat();
            let v: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            if answer.intent != Intent::Unclear {
                let more = v["more"].as_array().unwrap();
                assert_eq!(more.len(), answer.more.len(), "{text}");
                several += usize::from(!more.is_empty());
            }
        }
        assert!(several >= 4, "examples of several lines: {several}");
    }

    #[test]
    fn a_named_component_is_pushed_away_from_its_amount_now() {
        let menu = crate::seeded_menu();
        let priors = Priors::default();
        let heard = Heard::new("Hmm, put the radish back", &menu);
        let input = AnalysisInput {
            priors: &priors,
            menu: &menu,
            state: None,
            line: None,
            fresh: false,
            heard: &heard,
            last_dinner: None,
            teacher: None,
        };
        let radish = Mention::Component("pickled_radish".into());
        // Taken away before: 0 is what "put it back" changes, not the included 1.
        let bias = input.amount_bias(Some(&radish), 0, 10);
        assert_eq!((bias[0], bias[1]), (-priors.named_component, 0.0));
        // Not named: the amount it has now is kept.
        let bias = input.amount_bias(None, 0, 10);
        assert_eq!((bias[0], bias[1]), (priors.keep, 0.0));
    }

    #[test]
    fn the_draft_drops_a_side_dish_taken_away_and_leaves_a_same_named_component() {
        let ordered = r#"{"menu":"chicken","style":"simple","quantity":1,
            "side_dishes":["fries","cola"]}"#;
        let a = drafted(&job("콜라는 빼줘", Some(ordered)));
        assert_eq!(a.side_dishes, ["fries"]);
        assert!(a.customizations.is_empty(), "{:?}", a.customizations);
        // No cola ordered: the dinner's own cola is what goes.
        let not_ordered = r#"{"menu":"chicken","style":"simple","quantity":1,"side_dishes":[]}"#;
        let a = drafted(&job("콜라는 빼줘", Some(not_ordered)));
        assert_eq!(amounts(&a), [("cola", 0)]);
        // In the feast, "커피" is its coffee pot.
        let a = drafted(&job(
            "샴페인 축제 디너 그랜드 하나 주세요, 커피는 한 포트 더요",
            None,
        ));
        assert_eq!(amounts(&a), [("coffee_pot", 2)]);
        // "One more cola" adds the side dish; the dinner's cola is not asked about.
        let a = drafted(&job("콜라 하나 더", Some(not_ordered)));
        assert_eq!(a.side_dishes, ["cola"]);
        assert!(a.customizations.is_empty(), "{:?}", a.customizations);
    }
}
