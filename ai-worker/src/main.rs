//! `ai-worker`: serves the AI queues, and the command-line tools around the models.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ai_protocol::{LlmJob, MenuCatalog, OrderState};
use ai_queue::config::QueueArgs;
use ai_queue::{init_tracing, run, StopFlag, WorkerConfig};
use ai_worker::eval::{score, Case, Tally};
use ai_worker::worker::LlmHandler;
use ai_worker::{stt_process, LlmConfig, QwenLlmService, SEEDED_MENU};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ai-worker",
    about = "Mr. Daebak's AI worker: speech to text and order understanding"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Consume ai:queue:llm here and ai:queue:stt in a child `ai-worker-stt` process.
    Serve {
        #[command(flatten)]
        queues: QueueArgs,
        /// Do not start the speech-to-text process.
        #[arg(long)]
        no_stt: bool,
        /// The order-understanding queue (tests use private ones).
        #[arg(
            long,
            env = "AI_LLM_QUEUE",
            default_value = ai_protocol::LLM_QUEUE,
            value_parser = ai_queue::config::queue_name
        )]
        llm_queue: String,
        /// The menu whose prompt is cached before the first job: the seeded menu unless given.
        /// A job with another menu still works; its first job re-caches (slower once).
        #[arg(long)]
        warm_menu: Option<PathBuf>,
    },
    /// Understand one utterance and print the analysis as JSON.
    Analyze {
        text: String,
        /// The session's order so far, as JSON (an OrderState).
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        language: Option<String>,
        #[arg(long, default_value = "ai-worker/eval/menu.json")]
        menu: PathBuf,
    },
    /// Score analyses against expected fields; sessions (lines with `turns`) run turn by turn.
    Eval {
        file: PathBuf,
        /// Transcribe each line's `audio` (or synthesize nothing: the file must have `audio`).
        #[arg(long)]
        spoken: bool,
        #[arg(long, default_value = "ai-worker/eval/menu.json")]
        menu: PathBuf,
        /// Fail (exit 1) when the exact-match rate is below this fraction.
        #[arg(long)]
        min_exact: Option<f64>,
        /// Print every case, not only the misses.
        #[arg(long)]
        verbose: bool,
    },
    /// LLM speed: tokens per second with the grammar-constrained decoder and without.
    Bench {
        #[arg(long, default_value_t = 10)]
        runs: usize,
        #[arg(long, default_value = "ai-worker/eval/menu.json")]
        menu: PathBuf,
    },
}

fn main() -> ExitCode {
    init_tracing();
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            queues,
            no_stt,
            llm_queue,
            warm_menu,
        } => {
            let menu = match warm_menu {
                Some(path) => load_menu(&path)?,
                None => serde_json::from_str(SEEDED_MENU).context("the bundled menu.json")?,
            };
            // Before the STT process starts: a bad setting stops everything at once.
            let llm = LlmConfig::from_env()?;
            serve(queues, no_stt, &llm_queue, &menu, &llm)
        }
        Command::Analyze {
            text,
            state,
            language,
            menu,
        } => {
            let menu = load_menu(&menu)?;
            let order_state: Option<OrderState> = state
                .map(|s| serde_json::from_str(&s))
                .transpose()
                .context("--state is not an order state")?;
            let mut service = QwenLlmService::load(&LlmConfig::from_env()?)?;
            let job = job(&text, language, order_state, menu);
            let started = Instant::now();
            let analysis = service.analyze_voice_order(&job)?;
            println!("{}", serde_json::to_string_pretty(&analysis)?);
            eprintln!("analysed in {} ms", started.elapsed().as_millis());
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            file,
            spoken,
            menu,
            min_exact,
            verbose,
        } => eval(&file, spoken, &load_menu(&menu)?, min_exact, verbose),
        Command::Bench { runs, menu } => bench(runs, &load_menu(&menu)?),
    }
}

fn load_menu(path: &std::path::Path) -> anyhow::Result<MenuCatalog> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn job(
    text: &str,
    language: Option<String>,
    order_state: Option<OrderState>,
    menu: MenuCatalog,
) -> LlmJob {
    LlmJob {
        language,
        order_state,
        ..LlmJob::local(text, menu)
    }
}

fn serve(
    queues: QueueArgs,
    no_stt: bool,
    llm_queue: &str,
    warm_menu: &MenuCatalog,
    llm: &LlmConfig,
) -> anyhow::Result<ExitCode> {
    let stop = StopFlag::on_signals()?;
    let mut child = if no_stt {
        None
    } else {
        let child = stt_process::command()
            .args(["serve", "--redis-url", &queues.redis_url])
            .args(["--stt-queue", &queues.stt_queue])
            .spawn()
            .with_context(|| format!("starting {}", stt_process::stt_binary().display()))?;
        tracing::info!(pid = child.id(), "speech-to-text process started");
        Some(child)
    };
    let mut service = QwenLlmService::load(llm)?;
    let started = Instant::now();
    let (prefix_tokens, source) = service.warm(warm_menu)?;
    // Scripts wait for this line before sending customers' jobs.
    tracing::info!(
        prefix_tokens,
        ?source,
        ms = started.elapsed().as_millis() as u64,
        "menu prompt warmed; taking jobs"
    );
    let mut handler = LlmHandler { service };
    let config = WorkerConfig::new(queues.redis_url, llm_queue);
    let result = run(&config, &mut handler, &stop);
    if let Some(child) = child.as_mut() {
        // The child finishes its current job too; SIGTERM, not a kill.
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = child.wait();
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

fn eval(
    file: &std::path::Path,
    spoken: bool,
    menu: &MenuCatalog,
    min_exact: Option<f64>,
    verbose: bool,
) -> anyhow::Result<ExitCode> {
    let cases = read_cases(file)?;
    let mut service = QwenLlmService::load(&LlmConfig::from_env()?)?;
    let mut tallies = Tallies::default();
    for (n, case) in cases.iter().enumerate() {
        let (utterances, stt_ms) = if spoken {
            transcribed(case, n)?
        } else {
            (case.utterances(), 0)
        };
        let started = Instant::now();
        let analysis = run_turns(&mut service, case, &utterances, menu)?;
        let millis = started.elapsed().as_millis() as u64 / utterances.len().max(1) as u64 + stt_ms;
        let analysis = analysis.unwrap_or_else(empty_analysis);
        let scores = score(&case.expect, &analysis);
        let exact = tallies.add(case, &scores, millis);
        if verbose || !exact {
            print_case(n, exact, &utterances, &analysis, &scores);
        }
    }
    let multi_turn = cases.iter().any(|c| c.text.is_none());
    tallies.print(file, spoken, multi_turn);
    Ok(gate(&tallies.all, min_exact))
}

/// The cases of a JSON-lines file, blank lines skipped.
fn read_cases(file: &std::path::Path) -> anyhow::Result<Vec<Case>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}:{}", file.display(), i + 1))
        })
        .collect()
}

/// The case's recording as whisper hears it, and how long that took.
fn transcribed(case: &Case, n: usize) -> anyhow::Result<(Vec<String>, u64)> {
    let audio = case
        .audio
        .as_deref()
        .with_context(|| format!("case {} has no `audio`", n + 1))?;
    match stt_process::transcribe(std::path::Path::new(audio), Some(&case.lang)) {
        Ok(out) => Ok((vec![out.text], out.whisper_ms + out.decode_ms)),
        // Without the STT process every clip would score as silence: stop instead.
        Err(e @ stt_process::SttError::Unavailable { .. }) => {
            anyhow::bail!("transcribing {audio}: {e}")
        }
        // Heard nothing: the customer would see 4a; score it as not understood.
        Err(e) => {
            eprintln!("  stt: {audio}: {e}");
            Ok((vec![String::new()], 0))
        }
    }
}

/// Each utterance in turn, the order carried from one to the next as the server does; the last
/// analysis (`None` when the last utterance was silence).
fn run_turns(
    service: &mut QwenLlmService,
    case: &Case,
    utterances: &[String],
    menu: &MenuCatalog,
) -> anyhow::Result<Option<ai_protocol::VoiceAnalysis>> {
    let mut state: Option<OrderState> = None;
    let mut last = None;
    for u in utterances {
        let j = LlmJob {
            user_history: case.history.clone(),
            ..job(u, Some(case.lang.clone()), state.clone(), menu.clone())
        };
        let analysis = if u.trim().is_empty() {
            None
        } else {
            Some(service.analyze_voice_order(&j)?)
        };
        if let Some(a) = &analysis {
            if a.intent != ai_protocol::Intent::Unclear {
                state = Some(a.order_state.clone());
            }
        }
        last = analysis;
    }
    Ok(last)
}

fn print_case(
    n: usize,
    exact: bool,
    utterances: &[String],
    analysis: &ai_protocol::VoiceAnalysis,
    scores: &std::collections::BTreeMap<&'static str, Option<bool>>,
) {
    let wrong: Vec<&str> = scores
        .iter()
        .filter(|(_, ok)| **ok == Some(false))
        .map(|(f, _)| *f)
        .collect();
    println!(
        "{} #{:<3} {:?} -> intent={:?} menu={:?} style={:?} qty={:?} sides={:?} custom={:?} conf={:.2} {}",
        if exact { "ok  " } else { "MISS" },
        n + 1,
        utterances.join(" / "),
        analysis.intent,
        analysis.menu,
        analysis.style,
        analysis.quantity,
        analysis.side_dishes,
        analysis
            .customizations
            .iter()
            .map(|c| format!("{}={}", c.component, c.quantity))
            .collect::<Vec<_>>(),
        analysis.confidence,
        if wrong.is_empty() { String::new() } else { format!("wrong: {}", wrong.join(",")) }
    );
    if analysis.lines.len() > 1 || scores.get("lines").copied().flatten().is_some() {
        let lines: Vec<String> = analysis
            .lines
            .iter()
            .map(|l| {
                let custom: Vec<String> = l
                    .customizations
                    .iter()
                    .map(|c| format!("{}={}", c.component, c.quantity))
                    .collect();
                let style = l.style.as_deref().unwrap_or("?");
                format!("{} {style} x{} {custom:?}", l.menu, l.quantity)
            })
            .collect();
        println!("       lines: {}", lines.join(" | "));
    }
}

/// The scores of a run: overall, per language and per kind of sentence.
#[derive(Default)]
struct Tallies {
    all: Tally,
    by_lang: std::collections::BTreeMap<String, Tally>,
    by_kind: std::collections::BTreeMap<String, Tally>,
}

impl Tallies {
    /// Counts one case; whether it was an exact match.
    fn add(
        &mut self,
        case: &Case,
        scores: &std::collections::BTreeMap<&'static str, Option<bool>>,
        millis: u64,
    ) -> bool {
        let exact = self.all.add(scores, millis);
        self.by_lang
            .entry(case.lang.clone())
            .or_default()
            .add(scores, millis);
        if let Some(kind) = &case.kind {
            self.by_kind
                .entry(kind.clone())
                .or_default()
                .add(scores, millis);
        }
        exact
    }

    fn print(&self, file: &std::path::Path, spoken: bool, multi_turn: bool) {
        println!(
            "\n{} ({}{})",
            file.display(),
            if spoken { "spoken" } else { "typed" },
            if multi_turn {
                ", multi-turn sessions"
            } else {
                ""
            }
        );
        for (kind, tally) in &self.by_kind {
            println!("{}", tally.report(kind));
        }
        for (lang, tally) in &self.by_lang {
            println!("{}", tally.report(lang));
        }
        println!("{}", self.all.report("all"));
    }
}

/// Fails the run when the exact-match rate is under `min_exact`.
fn gate(all: &Tally, min_exact: Option<f64>) -> ExitCode {
    let Some(min) = min_exact else {
        return ExitCode::SUCCESS;
    };
    if all.exact_rate() < min {
        println!(
            "FAIL: exact match {:.1}% is below the threshold {:.1}%",
            100.0 * all.exact_rate(),
            100.0 * min
        );
        return ExitCode::FAILURE;
    }
    println!(
        "PASS: exact match {:.1}% ≥ {:.1}%",
        100.0 * all.exact_rate(),
        100.0 * min
    );
    ExitCode::SUCCESS
}

fn empty_analysis() -> ai_protocol::VoiceAnalysis {
    ai_protocol::VoiceAnalysis {
        intent: ai_protocol::Intent::Unclear,
        menu: None,
        style: None,
        quantity: None,
        customizations: vec![],
        side_dishes: vec![],
        confidence: 0.0,
        response: String::new(),
        recommended_menu: None,
        alternatives: vec![],
        additional_questions: vec![],
        order_state: OrderState::default(),
        state: ai_protocol::ConversationState::Unclear,
        lines: vec![],
    }
}

fn bench(runs: usize, menu: &MenuCatalog) -> anyhow::Result<ExitCode> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let mut service = QwenLlmService::load(&LlmConfig::from_env()?)?;
    let sentences = [
        "치킨 디너 2인분, 매운 맛으로, 감자튀김 추가해주세요",
        "I'd like two French dinners in grand style please",
    ];
    // Warm the prefix cache so both measurements see the same state.
    service.analyze_voice_order(&job(sentences[0], None, None, menu.clone()))?;
    for draft_ahead in [true, false] {
        service.draft_ahead = draft_ahead;
        let (mut tokens, mut passes, mut total_ms, mut analyses) = (0, 0, 0u128, Vec::new());
        for i in 0..runs {
            let j = job(sentences[i % 2], None, None, menu.clone());
            let started = Instant::now();
            let d = service.decode(&j)?;
            total_ms += started.elapsed().as_millis();
            tokens += d.generated_tokens;
            passes += d.model_passes;
            analyses.push(d.millis);
        }
        analyses.sort_unstable();
        println!(
            "constrained decoder (grammar-checked), {}: {tokens} tokens in {total_ms} ms = {:.1} tokens/s; {:.1} forward passes per analysis; analysis p50 {} ms",
            if draft_ahead { "draft evaluated ahead" } else { "one pass per decision" },
            tokens as f64 * 1000.0 / total_ms.max(1) as f64,
            passes as f64 / runs as f64,
            analyses[analyses.len() / 2]
        );
    }
    let (mut free_tokens, mut free_ms) = (0usize, 0u128);
    for i in 0..runs {
        let j = job(sentences[i % 2], None, None, menu.clone());
        let started = Instant::now();
        free_tokens += service.generate_free(&j, 64)?;
        free_ms += started.elapsed().as_millis();
    }
    println!(
        "free greedy generation (no grammar):   {free_tokens} tokens in {free_ms} ms = {:.1} tokens/s",
        free_tokens as f64 * 1000.0 / free_ms.max(1) as f64
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_queue_names_and_redis_urls_are_refused_at_start() {
        for bad in [
            ["--llm-queue", "ai queue"],
            ["--stt-queue", ""],
            ["--redis-url", "127.0.0.1:6379"],
        ] {
            let args = ["ai-worker", "serve", bad[0], bad[1]];
            assert!(Cli::try_parse_from(args).is_err(), "{bad:?}");
        }
        assert!(Cli::try_parse_from(["ai-worker", "serve", "--llm-queue", "test:llm"]).is_ok());
    }
}
