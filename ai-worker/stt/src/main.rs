//! `ai-worker-stt`: the speech-to-text worker process and its command-line tools.
//!
//! - `transcribe FILE [--language ko|en] [--json]`: one file, for people and scripts.
//!   Exit codes: 0 transcript, 2 no speech, 3 unsupported audio, 1 anything else.
//! - `serve [--redis-url URL]`: consume `ai:queue:stt` until SIGINT/SIGTERM.
//! - `bench FILE... [--runs N]`: real-time factor per file (median of N runs).
//! - `score INDEX.jsonl [--verbose]`: per language, the character error rate on recordings of
//!   known sentences, and how many of the menu names and amounts said were heard
//!   (`scripts/make_voice_samples.sh eval` writes such an index).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ai_protocol::{AiErrorCode, MenuCatalog};
use ai_worker_stt::audio;
use ai_worker_stt::score::Tally;
use ai_worker_stt::{MenuVocabulary, SttConfig, SttHandler, SttPipeline, WhisperSttService};
use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ai-worker-stt",
    version,
    about = "Speech-to-text worker (whisper.cpp)"
)]
struct Cli {
    #[command(flatten)]
    model: ModelArgs,
    #[command(subcommand)]
    command: Command,
}

/// Overrides of the `WHISPER_*` settings, which `SttConfig::from_lookup` reads and checks.
#[derive(Args)]
struct ModelArgs {
    /// ggml Whisper model [default: WHISPER_MODEL, else models/ggml-base.bin].
    #[arg(long, global = true)]
    model: Option<PathBuf>,
    /// Decoding threads [default: WHISPER_THREADS, else cores - 1, between 1 and 4].
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Offload to the GPU (needs a build with the `cuda` feature); without it WHISPER_GPU
    /// decides, else a `cuda` build uses the GPU.
    #[arg(long, global = true)]
    gpu: bool,
    /// A menu (ai-protocol `MenuCatalog` JSON) whose names prime whisper's spelling; the seed
    /// menu's names otherwise.
    #[arg(long, global = true, env = "STT_MENU_JSON")]
    menu_json: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Transcribe one audio file.
    Transcribe {
        file: PathBuf,
        /// ko or en; detected when left out.
        #[arg(long)]
        language: Option<String>,
        /// Print {text, language, audio_ms, decode_ms, whisper_ms} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve transcription jobs from the Redis queue.
    Serve {
        #[command(flatten)]
        queues: ai_queue::config::QueueArgs,
    },
    /// Real-time factor (processing time / audio length) per file, median of N runs.
    Bench {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long)]
        language: Option<String>,
    },
    /// Character error rate of the transcripts against the sentences that were spoken, and the
    /// menu names and amounts heard: one JSON object per line with `text`, `lang` and `audio`
    /// (lines without them are skipped).
    Score {
        index: PathBuf,
        /// Print every sentence with its transcript.
        #[arg(long)]
        verbose: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        // The worker logs like the other workers; RUST_LOG decides.
        Command::Serve { .. } => ai_queue::init_tracing(),
        // The CLI's stdout is the transcript: logs go to stderr, quiet unless asked (symphonia
        // warns about harmless junk bytes in MP4 files).
        _ => tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("warn,symphonia_core=error")
                }),
            )
            .init(),
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: &ModelArgs) -> anyhow::Result<SttPipeline> {
    let mut config = SttConfig::from_lookup(|name| std::env::var(name).ok())?;
    if let Some(model) = &args.model {
        config.model_path = model.clone();
    }
    if let Some(threads) = args.threads {
        config.threads = threads.into();
    }
    // A `cuda` build uses the GPU unless WHISPER_GPU=0; `--gpu` can only turn it on.
    config.use_gpu |= args.gpu;
    if let Some(path) = &args.menu_json {
        let json = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let menu: MenuCatalog = serde_json::from_slice(&json)
            .with_context(|| format!("{} is not a menu catalog", path.display()))?;
        config.vocabulary = MenuVocabulary::from_menu(&menu);
    }
    Ok(SttPipeline::new(WhisperSttService::load(config)?))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Transcribe {
            file,
            language,
            json,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut pipeline = load(&cli.model)?;
            let hint = file.to_str();
            match pipeline.process(&bytes, hint, language.as_deref()) {
                Ok(out) => {
                    if json {
                        let value = serde_json::json!({
                            "text": out.transcription.text,
                            "language": out.transcription.language,
                            "audio_ms": out.audio_ms,
                            "decode_ms": out.decode_ms,
                            "whisper_ms": out.transcription.whisper_ms,
                        });
                        println!("{value}");
                    } else {
                        println!("{}", out.transcription.text);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(match e.code() {
                        AiErrorCode::NoSpeech => 2,
                        AiErrorCode::UnsupportedAudio => 3,
                        _ => 1,
                    }))
                }
            }
        }
        Command::Serve { queues } => {
            let queue = queues.stt_queue;
            let pipeline = load(&cli.model)?;
            let mut handler = SttHandler::new(pipeline);
            let config = ai_queue::WorkerConfig::new(queues.redis_url, &queue);
            let stop = ai_queue::StopFlag::on_signals().context("installing signal handlers")?;
            tracing::info!(%queue, worker_id = %config.worker_id, "stt worker started");
            let stats = ai_queue::run(&config, &mut handler, &stop)?;
            tracing::info!(?stats, "stt worker stopped");
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            files,
            runs,
            language,
        } => {
            let mut pipeline = load(&cli.model)?;
            bench(&mut pipeline, &files, runs.max(1), language.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Score { index, verbose } => {
            let mut pipeline = load(&cli.model)?;
            score(&mut pipeline, &index, verbose)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line of an evaluation index.
#[derive(serde::Deserialize)]
struct Spoken {
    text: Option<String>,
    lang: String,
    audio: Option<serde_json::Value>,
}

/// Transcripts against the sentences spoken, per language, and whisper's time per clip.
fn score(pipeline: &mut SttPipeline, index: &std::path::Path, verbose: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(index).with_context(|| format!("reading {}", index.display()))?;
    let vocabulary = pipeline.whisper().config().vocabulary.clone();
    let mut tallies: std::collections::BTreeMap<String, (Tally, Vec<f64>)> = Default::default();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let case: Spoken =
            serde_json::from_str(line).with_context(|| format!("{}:{}", index.display(), n + 1))?;
        // Sessions have several recordings per line; one sentence per recording is scored here.
        let (Some(said), Some(serde_json::Value::String(audio))) = (case.text, case.audio) else {
            continue;
        };
        let bytes = std::fs::read(&audio).with_context(|| format!("reading {audio}"))?;
        // Nothing heard: every character is missing.
        let (heard, ms) = match pipeline.process(&bytes, Some(&audio), Some(&case.lang)) {
            Ok(out) => (
                out.transcription.text,
                Some(out.transcription.whisper_ms as f64),
            ),
            Err(_) => (String::new(), None),
        };
        let (tally, times) = tallies.entry(case.lang.clone()).or_default();
        let errors_before = tally.char_errors;
        tally.add(&vocabulary, &case.lang, &said, &heard);
        times.extend(ms);
        if verbose {
            println!(
                "{:>3}  {said}  =>  {heard}",
                tally.char_errors - errors_before
            );
        }
    }
    let config = pipeline.whisper().config();
    println!(
        "{} ({} threads, bias {})",
        index.display(),
        config.threads,
        config.bias
    );
    for (lang, (t, times)) in &mut tallies {
        println!(
            "{lang:<4} clips={:<4} CER {:5.1}%  names {:5.1}% ({}/{})  numbers {:5.1}% ({}/{})  whisper median {:.0} ms",
            t.clips,
            t.cer(),
            t.names(),
            t.names_heard,
            t.names_said,
            t.numbers(),
            t.numbers_heard,
            t.numbers_said,
            median(times)
        );
    }
    Ok(())
}

fn bench(
    pipeline: &mut SttPipeline,
    files: &[PathBuf],
    runs: usize,
    language: Option<&str>,
) -> anyhow::Result<()> {
    println!(
        "threads={} runs={runs} (median; one warm-up run per file not counted)",
        pipeline.whisper().config().threads
    );
    println!(
        "{:<28} {:>8} {:>10} {:>11} {:>10} {:>6}  transcript",
        "file", "audio_s", "decode_ms", "whisper_ms", "total_ms", "RTF"
    );
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let hint = file.to_str();
        let name = file_name(file);
        // Warm-up: first-touch page faults and caches are not what a serving worker sees.
        if let Err(e) = pipeline.process(&bytes, hint, language) {
            println!("{name:<28} error: {e}");
            continue;
        }
        let (mut decode, mut whisper, mut total) = (Vec::new(), Vec::new(), Vec::new());
        let mut last = None;
        for _ in 0..runs {
            let started = Instant::now();
            let out = pipeline.process(&bytes, hint, language)?;
            total.push(started.elapsed().as_secs_f64() * 1000.0);
            decode.push(out.decode_ms as f64);
            whisper.push(out.transcription.whisper_ms as f64);
            last = Some(out);
        }
        let Some(out) = last else { continue };
        let audio_s = out.audio_ms as f64 / 1000.0;
        let total_ms = median(&mut total);
        println!(
            "{name:<28} {audio_s:>8.2} {:>10.0} {:>11.0} {total_ms:>10.0} {:>6.3}  [{}] {}",
            median(&mut decode),
            median(&mut whisper),
            total_ms / 1000.0 / audio_s.max(1e-3),
            out.transcription.language,
            out.transcription.text
        );
    }
    // Decoding alone per container, for the README (no model involved).
    println!("\ndecode only (median of {runs}):");
    for file in files {
        let bytes = std::fs::read(file)?;
        let mut times = Vec::new();
        let mut source = String::new();
        for _ in 0..runs {
            let started = Instant::now();
            match audio::decode(&bytes, file.to_str()) {
                Ok(a) => source = a.source,
                Err(e) => {
                    source = format!("error: {e}");
                    break;
                }
            }
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let ms = if times.is_empty() {
            f64::NAN
        } else {
            median(&mut times)
        };
        println!("  {:<28} {ms:>8.1} ms  {source}", file_name(file));
    }
    Ok(())
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_refuses_bad_values() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let parse = |args: &[&str]| Cli::try_parse_from([&["ai-worker-stt"], args].concat());
        assert!(parse(&["bench", "a.wav", "--threads", "0"]).is_err());
        assert!(parse(&["serve", "--stt-queue", "stt queue"]).is_err());
        assert!(parse(&["serve", "--redis-url", "nowhere"]).is_err());
        assert!(parse(&["bench", "a.wav", "--threads", "2", "--gpu"]).is_ok());
    }
}
