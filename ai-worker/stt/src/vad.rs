//! Speech / no-speech decisions, before and after whisper.
//!
//! Whisper never says "nothing here": on silence or hiss it returns an empty string at best and a
//! confident hallucination ("Thank you.", "시청해주셔서 감사합니다") at worst. So silence and
//! steady noise are refused before the model runs (DESIGN §8 4a), and whisper's own output is
//! checked afterwards for what slips through.
//!
//! The detector is energy based: speech rises well above the clip's own noise floor and comes in
//! syllables, while silence and steady noise stay flat. That needs no model and no training, and
//! it also tells us where the speech is, so the clip can be trimmed before whisper runs.

use std::ops::Range;

use crate::audio::{samples_to_ms, SAMPLE_RATE};

#[derive(Debug, Clone, PartialEq)]
pub struct VadConfig {
    /// Analysis frame length.
    pub frame_ms: u32,
    /// How far above the noise floor a frame must be to count as speech.
    pub margin_db: f32,
    /// Frames below this level are never speech, however quiet the floor (digital silence).
    pub min_level_dbfs: f32,
    /// Runs of loud frames shorter than this are clicks or bumps, not syllables.
    pub min_run_ms: u32,
    /// Total speech needed to call it speech.
    pub min_speech_ms: u32,
    /// Kept before and after the speech when trimming, so soft onsets and endings survive.
    pub pad_ms: u32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            frame_ms: 20,
            margin_db: 10.0,
            min_level_dbfs: -50.0,
            min_run_ms: 60,
            min_speech_ms: 200,
            pad_ms: 300,
        }
    }
}

/// What the detector found.
#[derive(Debug, Clone, PartialEq)]
pub struct VadResult {
    /// Milliseconds of frames judged speech.
    pub speech_ms: u64,
    /// The clip's noise floor (10th percentile of frame levels), dBFS.
    pub noise_floor_db: f32,
    /// The loudest frame, dBFS.
    pub peak_db: f32,
    /// Sample range from the first to the last speech frame, padded; `None` without speech.
    pub speech: Option<Range<usize>>,
    /// The minimum `speech_ms` for [`VadResult::has_speech`].
    min_speech_ms: u64,
}

impl VadResult {
    pub fn has_speech(&self) -> bool {
        self.speech.is_some() && self.speech_ms >= self.min_speech_ms
    }

    /// Why there is no speech, in words for logs and the error message.
    pub fn describe(&self) -> String {
        format!(
            "{} ms of speech (need {}), noise floor {:.0} dBFS, peak {:.0} dBFS",
            self.speech_ms, self.min_speech_ms, self.noise_floor_db, self.peak_db
        )
    }
}

/// Finds speech in 16 kHz mono samples.
pub fn detect(samples: &[f32], config: &VadConfig) -> VadResult {
    let frame = (SAMPLE_RATE * config.frame_ms / 1000).max(1) as usize;
    let filtered = high_pass_100hz(samples);
    let levels: Vec<f32> = filtered.chunks(frame).map(level_dbfs).collect();
    let empty = VadResult {
        speech_ms: 0,
        noise_floor_db: -100.0,
        peak_db: -100.0,
        speech: None,
        min_speech_ms: u64::from(config.min_speech_ms),
    };
    if levels.is_empty() {
        return empty;
    }

    let mut sorted = levels.clone();
    sorted.sort_by(f32::total_cmp);
    let noise_floor_db = sorted[sorted.len() / 10];
    let peak_db = sorted[sorted.len() - 1];
    let threshold = (noise_floor_db + config.margin_db).max(config.min_level_dbfs);

    // Runs of consecutive loud frames; short ones are clicks.
    let min_run = (config.min_run_ms / config.frame_ms).max(1) as usize;
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut start = None;
    for (i, &level) in levels.iter().chain(std::iter::once(&f32::MIN)).enumerate() {
        match (level > threshold, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= min_run {
                    runs.push(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }

    let speech_frames: usize = runs.iter().map(|r| r.len()).sum();
    let speech = match (runs.first(), runs.last()) {
        (Some(first), Some(last)) => {
            let pad = (SAMPLE_RATE * config.pad_ms / 1000) as usize;
            let begin = (first.start * frame).saturating_sub(pad);
            let end = (last.end * frame + pad).min(samples.len());
            Some(begin..end)
        }
        _ => None,
    };
    VadResult {
        speech_ms: samples_to_ms(speech_frames * frame),
        noise_floor_db,
        peak_db,
        speech,
        ..empty
    }
}

/// RMS level of a frame in dBFS (a full-scale sine is -3 dBFS).
fn level_dbfs(frame: &[f32]) -> f32 {
    let power = frame.iter().map(|s| s * s).sum::<f32>() / frame.len().max(1) as f32;
    10.0 * (power + 1e-10).log10()
}

/// Second-order Butterworth high-pass at 100 Hz: removes DC offset and rumble (handling noise,
/// wind, brown noise) that would otherwise lift or modulate the frame levels. Speech energy is
/// above 100 Hz.
fn high_pass_100hz(samples: &[f32]) -> Vec<f32> {
    let w0 = 2.0 * std::f64::consts::PI * 100.0 / f64::from(SAMPLE_RATE);
    let alpha = w0.sin() / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
    let cos = w0.cos();
    let a0 = 1.0 + alpha;
    let b0 = (1.0 + cos) / 2.0 / a0;
    let b1 = -(1.0 + cos) / a0;
    let b2 = b0;
    let a1 = -2.0 * cos / a0;
    let a2 = (1.0 - alpha) / a0;
    let (mut x1, mut x2, mut y1, mut y2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    samples
        .iter()
        .map(|&x| {
            let x = f64::from(x);
            let y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
            (x2, x1, y2, y1) = (x1, x, y1, y);
            y as f32
        })
        .collect()
}

/// True when whisper's text holds no words: empty, only punctuation or symbols, or only
/// annotations such as `[BLANK_AUDIO]`, `(music)`, `[음악]`, `*sighs*`, `♪`.
pub fn is_blank_transcript(text: &str) -> bool {
    let mut depth = 0i32;
    let mut star = false;
    for c in text.chars() {
        match c {
            '[' | '(' | '<' | '{' | '【' | '（' => depth += 1,
            ']' | ')' | '>' | '}' | '】' | '）' => depth = (depth - 1).max(0),
            '*' => star = !star,
            c if depth == 0 && !star && c.is_alphanumeric() => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f32 = SAMPLE_RATE as f32;

    /// Deterministic white noise in [-amp, amp] (xorshift: no dependency, same every run).
    fn noise(seconds: f32, amp: f32, seed: u64) -> Vec<f32> {
        let mut s = seed.max(1);
        (0..(seconds * SR) as usize)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
            })
            .collect()
    }

    fn add(a: &mut [f32], b: &[f32]) {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
    }

    /// A voiced, speech-like signal: 120 Hz glottal harmonics shaped by a formant-ish rolloff,
    /// in syllables (4 per second) with short pauses, as a talker would produce.
    fn speech_like(seconds: f32, amp: f32) -> Vec<f32> {
        (0..(seconds * SR) as usize)
            .map(|i| {
                let t = i as f32 / SR;
                let syllable = (t * 4.0).fract();
                let envelope = if syllable < 0.7 {
                    (std::f32::consts::PI * syllable / 0.7).sin()
                } else {
                    0.0
                };
                let f0 = 120.0 + 15.0 * (t * 1.3).sin();
                let voice: f32 = (1..=20)
                    .map(|h| {
                        let h = h as f32;
                        (2.0 * std::f32::consts::PI * f0 * h * t).sin() / h
                    })
                    .sum();
                amp * envelope * voice / 3.0
            })
            .collect()
    }

    #[test]
    fn digital_silence_is_not_speech() {
        let r = detect(&vec![0.0; 48_000], &VadConfig::default());
        assert!(!r.has_speech(), "{r:?}");
        assert_eq!(r.speech_ms, 0);
    }

    #[test]
    fn empty_and_tiny_clips_are_not_speech() {
        assert!(!detect(&[], &VadConfig::default()).has_speech());
        assert!(!detect(&[0.5; 100], &VadConfig::default()).has_speech());
    }

    #[test]
    fn steady_white_noise_at_any_level_is_not_speech() {
        for amp in [0.001, 0.01, 0.1, 0.5, 0.9] {
            let r = detect(&noise(3.0, amp, 7), &VadConfig::default());
            assert!(!r.has_speech(), "amp {amp}: {r:?}");
        }
    }

    #[test]
    fn brown_noise_and_hum_are_not_speech() {
        // Integrated (leaky) white noise: most energy at low frequencies, slowly wandering.
        let mut acc = 0.0f32;
        let brown: Vec<f32> = noise(3.0, 0.05, 11)
            .into_iter()
            .map(|x| {
                acc = 0.995 * acc + x;
                acc
            })
            .collect();
        assert!(!detect(&brown, &VadConfig::default()).has_speech());
        let hum: Vec<f32> = (0..48_000)
            .map(|i| 0.2 * (2.0 * std::f32::consts::PI * 60.0 * i as f32 / SR).sin())
            .collect();
        assert!(!detect(&hum, &VadConfig::default()).has_speech());
    }

    #[test]
    fn a_click_is_not_speech() {
        let mut s = noise(2.0, 0.002, 3);
        add(&mut s[16_000..16_400], &[0.8; 400]);
        let r = detect(&s, &VadConfig::default());
        assert!(!r.has_speech(), "{r:?}");
    }

    #[test]
    fn a_tone_burst_in_silence_is_speech_and_located() {
        let mut s = vec![0.0f32; 48_000];
        for (i, x) in s[16_000..24_000].iter_mut().enumerate() {
            *x = 0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / SR).sin();
        }
        let r = detect(&s, &VadConfig::default());
        assert!(r.has_speech(), "{r:?}");
        assert!((480..=520).contains(&r.speech_ms), "{r:?}");
        let region = r.speech.unwrap();
        // 300 ms padding on each side of 1.0 s – 1.5 s.
        assert!((11_000..=11_400).contains(&region.start), "{region:?}");
        // The high-pass filter rings into the next frame or so after the tone stops.
        assert!((28_600..=29_500).contains(&region.end), "{region:?}");
    }

    #[test]
    fn speech_like_signal_is_speech_even_over_noise() {
        let clean = speech_like(2.0, 0.3);
        assert!(detect(&clean, &VadConfig::default()).has_speech());

        let mut noisy = vec![0.0f32; 64_000];
        add(&mut noisy, &noise(4.0, 0.02, 5));
        add(&mut noisy[16_000..48_000], &clean);
        let r = detect(&noisy, &VadConfig::default());
        assert!(r.has_speech(), "{r:?}");
        let region = r.speech.unwrap();
        assert!(region.start >= 10_000 && region.end <= 54_000, "{region:?}");
    }

    #[test]
    fn quiet_speech_below_the_absolute_floor_is_not_speech() {
        let r = detect(&speech_like(2.0, 0.0005), &VadConfig::default());
        assert!(!r.has_speech(), "{r:?}");
    }

    #[test]
    fn blank_transcripts() {
        for blank in [
            "",
            "   ",
            ".",
            " ... ",
            "?!",
            "[BLANK_AUDIO]",
            " (music) ",
            "[음악]",
            "*sighs*",
            "♪ ♪",
            "- -",
        ] {
            assert!(is_blank_transcript(blank), "{blank:?}");
        }
        for words in ["French dinner", "프렌치 디너 두 개", "2", " (laughs) two"] {
            assert!(!is_blank_transcript(words), "{words:?}");
        }
    }
}
