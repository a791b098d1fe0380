//! The real model on the real recordings (`scripts/make_voice_samples.sh`): every container the
//! browsers and phones send, plus the no-speech and not-audio failures.
//!
//! Missing model or samples fail loudly: a voice test that silently skips proves nothing.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ai_protocol::{AiErrorCode, Outcome, SttJob};
use ai_worker_stt::worker::job_outcome;
use ai_worker_stt::{PipelineError, SttConfig, SttPipeline, WhisperSttService};
use base64::Engine as _;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn samples_dir() -> PathBuf {
    std::env::var_os("VOICE_SAMPLES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/voice-samples"))
}

fn sample(name: &str) -> Vec<u8> {
    let path = samples_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "voice sample {} is missing ({e}): run scripts/make_voice_samples.sh",
            path.display()
        )
    })
}

/// One model for every test in this binary: loading it per test would dominate the run.
fn pipeline() -> std::sync::MutexGuard<'static, SttPipeline> {
    static PIPELINE: OnceLock<Mutex<SttPipeline>> = OnceLock::new();
    PIPELINE
        .get_or_init(|| {
            let mut config = SttConfig::from_env();
            if std::env::var_os("WHISPER_MODEL").is_none() {
                config.model_path = workspace_root().join("models/ggml-base.bin");
            }
            assert!(
                config.model_path.is_file(),
                "whisper model {} is missing: run scripts/models.sh (or set WHISPER_MODEL)",
                config.model_path.display()
            );
            let service = WhisperSttService::load(config).expect("loading the whisper model");
            Mutex::new(SttPipeline::new(service))
        })
        .lock()
        // A failed assertion in another test poisons the lock; the model itself is fine.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn words(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

#[test]
fn english_order_in_every_container() {
    let mut failures = Vec::new();
    for (file, hint) in [
        ("en_order.wav", "audio/wav"),
        ("en_order_48k.wav", "en_order_48k.wav"),
        ("en_order.webm", "audio/webm;codecs=opus"),
        ("en_order.ogg", "audio/ogg;codecs=opus"),
        ("en_order.m4a", "audio/mp4"),
        ("en_order.mp3", "audio/mpeg"),
    ] {
        let bytes = sample(file);
        let out = match pipeline().process(&bytes, Some(hint), Some("en")) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let text = words(&out.transcription.text);
        eprintln!(
            "{file:<18} {:>5} ms audio, decode {:>3} ms, whisper {:>5} ms, {}: {:?}",
            out.audio_ms,
            out.decode_ms,
            out.transcription.whisper_ms,
            out.source,
            out.transcription.text
        );
        let has = |w: &str| text.split_whitespace().any(|t| t == w);
        let missing: Vec<&str> = [
            ("french", has("french")),
            ("dinner", has("dinner") || has("dinners")),
            ("two|2", has("two") || has("2")),
            ("grand", has("grand")),
        ]
        .into_iter()
        .filter_map(|(w, ok)| (!ok).then_some(w))
        .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "{file}: {missing:?} not in {:?}",
                out.transcription.text
            ));
        }
        assert_eq!(out.transcription.language, "en");
        assert!(
            (2_000..6_000).contains(&out.audio_ms),
            "{file}: {} ms",
            out.audio_ms
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn language_is_detected_when_not_given() {
    let out = pipeline()
        .process(&sample("en_order.webm"), Some("audio/webm"), None)
        .expect("transcribing en_order.webm");
    assert_eq!(out.transcription.language, "en", "{out:?}");
    let out = pipeline()
        .process(&sample("ko_order.wav"), Some("audio/wav"), None)
        .expect("transcribing ko_order.wav");
    eprintln!(
        "ko_order.wav (detected {}): {:?}",
        out.transcription.language, out.transcription.text
    );
    assert_eq!(out.transcription.language, "ko", "{out:?}");
}

#[test]
fn korean_order_gives_korean_text() {
    for (file, hint) in [
        ("ko_order.wav", "audio/wav"),
        ("ko_order.webm", "audio/webm"),
    ] {
        let out = pipeline()
            .process(&sample(file), Some(hint), Some("ko"))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        eprintln!("{file}: {:?}", out.transcription.text);
        assert_eq!(out.transcription.language, "ko");
        // espeak-ng's Korean voice is poor, so only the script is checked, not the words.
        assert!(
            out.transcription
                .text
                .chars()
                .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
            "{file}: no Hangul in {:?}",
            out.transcription.text
        );
    }
}

#[test]
fn silence_and_noise_are_no_speech() {
    for file in ["silence.wav", "noise.wav", "silence.webm"] {
        let err = pipeline()
            .process(&sample(file), Some(file), None)
            .expect_err(file);
        assert_eq!(err.code(), AiErrorCode::NoSpeech, "{file}: {err}");
    }
}

#[test]
fn not_audio_is_unsupported() {
    let err = pipeline()
        .process(
            &sample("not_audio.bin"),
            Some("application/octet-stream"),
            None,
        )
        .expect_err("not_audio.bin");
    assert!(matches!(err, PipelineError::Audio(_)), "{err:?}");
    assert_eq!(err.code(), AiErrorCode::UnsupportedAudio, "{err}");
}

#[test]
fn queue_jobs_map_to_outcomes() {
    let job = |audio_b64: String, mime: &str, language: Option<&str>| SttJob {
        request_id: "test".into(),
        audio_b64,
        filename: None,
        mime_type: Some(mime.into()),
        language: language.map(str::to_string),
        deadline_ms: u64::MAX,
    };
    let b64 = |name: &str| base64::engine::general_purpose::STANDARD.encode(sample(name));

    let mut pipeline = pipeline();
    let results = [
        job_outcome(
            &mut pipeline,
            &job(b64("en_order.webm"), "audio/webm", Some("en")),
        ),
        job_outcome(
            &mut pipeline,
            &job("not base64!!".into(), "audio/webm", None),
        ),
        job_outcome(
            &mut pipeline,
            &job(b64("not_audio.bin"), "audio/webm", None),
        ),
        job_outcome(&mut pipeline, &job(b64("silence.wav"), "audio/wav", None)),
        job_outcome(
            &mut pipeline,
            &job(b64("en_order.wav"), "audio/wav", Some("xx")),
        ),
    ];
    drop(pipeline);

    match &results[0] {
        Outcome::Transcript(t) => {
            assert!(words(&t.text).contains("french"), "{t:?}");
            assert_eq!(t.language, "en");
        }
        other => panic!("{other:?}"),
    }
    let codes: Vec<_> = results[1..]
        .iter()
        .map(|o| match o {
            Outcome::Failed(f) => Some(f.code),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        [
            Some(AiErrorCode::BadJob),
            Some(AiErrorCode::UnsupportedAudio),
            Some(AiErrorCode::NoSpeech),
            Some(AiErrorCode::BadJob)
        ]
    );
}

/// Noise shaped like speech (loud, its level rising and falling four times a second) gets past
/// the speech check; whisper must then hear nothing, never the menu its prompt names.
#[test]
fn speech_shaped_noise_never_comes_back_as_the_menu() {
    let mut seed: u32 = 0x2545_F491;
    let samples: Vec<f32> = (0..3 * 16_000)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let white = seed as f32 / u32::MAX as f32 * 2.0 - 1.0;
            let syllables = (i as f32 / 16_000.0 * 4.0 * std::f32::consts::TAU)
                .sin()
                .abs();
            0.3 * white * syllables
        })
        .collect();
    let audio = ai_worker_stt::Audio16k {
        samples,
        source: "generated".into(),
        source_rate: 16_000,
        source_channels: 1,
    };
    let vocabulary = ai_worker_stt::MenuVocabulary::default();
    for language in ["ko", "en"] {
        let outcome = pipeline().process_audio(&audio, Some(language), 0);
        eprintln!(
            "{language}: {:?}",
            outcome.as_ref().map(|o| &o.transcription)
        );
        match outcome {
            Err(e) => assert_eq!(e.code(), AiErrorCode::NoSpeech, "{language}: {e}"),
            Ok(out) => {
                let heard = words(&out.transcription.text).replace(' ', "");
                let named = vocabulary
                    .dinners
                    .iter()
                    .chain(&vocabulary.styles)
                    .chain(&vocabulary.sides)
                    .map(|t| words(if language == "ko" { &t.ko } else { &t.en }).replace(' ', ""))
                    .find(|name| heard.contains(name.as_str()));
                assert_eq!(
                    named, None,
                    "{language}: noise heard as {:?}",
                    out.transcription.text
                );
            }
        }
    }
}
