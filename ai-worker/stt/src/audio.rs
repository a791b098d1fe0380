//! Uploaded audio → 16 kHz mono `f32`, the only input whisper.cpp takes.
//!
//! Everything is decoded in-process with symphonia (no ffmpeg at run time): WebM/Opus and
//! Ogg/Opus (what Chromium and Firefox `MediaRecorder` produce, Opus through libopus), MP4/AAC
//! (Safari), WAV and MP3 (uploads).

use std::io::Cursor;
use std::sync::LazyLock;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia_adapter_libopus::OpusDecoder;

/// The sample rate whisper expects.
pub const SAMPLE_RATE: u32 = 16_000;

/// Longest clip we accept: a spoken order takes seconds, and whisper's cost grows with length.
pub const DEFAULT_MAX_AUDIO_MS: u64 = 60_000;

/// What the customer can upload, for error messages.
const SUPPORTED: &str = "WebM/Opus, Ogg/Opus, MP4/AAC, WAV or MP3";

/// Mono 16 kHz audio ready for the VAD and whisper.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio16k {
    /// Samples in [-1, 1] at [`SAMPLE_RATE`].
    pub samples: Vec<f32>,
    /// Container and codec, e.g. `mkv/opus`, for logs.
    pub source: String,
    /// Sample rate and channel count of the upload, for logs.
    pub source_rate: u32,
    pub source_channels: usize,
}

impl Audio16k {
    pub fn duration_ms(&self) -> u64 {
        samples_to_ms(self.samples.len())
    }
}

/// Milliseconds of `n` samples at 16 kHz.
pub fn samples_to_ms(n: usize) -> u64 {
    n as u64 * 1000 / u64::from(SAMPLE_RATE)
}

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// Not audio, or a container/codec we do not decode (HTTP 415).
    #[error("unsupported audio: {0}")]
    Unsupported(String),
    /// Recognised as audio but broken beyond decoding (HTTP 415 as well: the bytes are unusable).
    #[error("the audio could not be decoded: {0}")]
    Malformed(String),
    /// Longer than the limit; we stop decoding as soon as we know.
    #[error("the audio is longer than {max_s} s")]
    TooLong { max_s: u64 },
    /// A valid file without a single sample (e.g. recording stopped at once).
    #[error("the audio is empty")]
    Empty,
    #[error("resampling failed: {0}")]
    Resample(String),
}

/// Symphonia's codecs plus libopus, which symphonia does not have natively.
static CODECS: LazyLock<CodecRegistry> = LazyLock::new(|| {
    let mut registry = CodecRegistry::new();
    symphonia::default::register_enabled_codecs(&mut registry);
    registry.register_audio_decoder::<OpusDecoder>();
    registry
});

/// Decodes `bytes` with the default 60 s limit. `hint` is a MIME type (`audio/webm;codecs=opus`)
/// or a file name (`order.m4a`); it only orders the probing, the content decides.
pub fn decode(bytes: &[u8], hint: Option<&str>) -> Result<Audio16k, AudioError> {
    decode_with_limit(bytes, hint, DEFAULT_MAX_AUDIO_MS)
}

pub fn decode_with_limit(
    bytes: &[u8],
    hint: Option<&str>,
    max_ms: u64,
) -> Result<Audio16k, AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Unsupported("the upload is empty".into()));
    }
    let (mono, rate, channels, source) = decode_mono(bytes, hint, max_ms)?;
    if mono.is_empty() {
        return Err(AudioError::Empty);
    }
    let samples = resample_to_16k(&mono, rate)?;
    Ok(Audio16k {
        samples,
        source,
        source_rate: rate,
        source_channels: channels,
    })
}

fn probe_hint(hint: Option<&str>) -> Hint {
    let mut h = Hint::new();
    if let Some(hint) = hint.map(str::trim).filter(|s| !s.is_empty()) {
        if hint.contains('/') {
            // Browsers send parameters (`audio/webm;codecs=opus`); the probe wants the bare type.
            let mime = hint.split(';').next().unwrap_or(hint).trim();
            h.mime_type(&mime.to_ascii_lowercase());
        } else if let Some((_, ext)) = hint.rsplit_once('.') {
            h.with_extension(&ext.to_ascii_lowercase());
        }
    }
    h
}

/// Decodes the first audio track to mono at its own rate.
fn decode_mono(
    bytes: &[u8],
    hint: Option<&str>,
    max_ms: u64,
) -> Result<(Vec<f32>, u32, usize, String), AudioError> {
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut format = symphonia::default::get_probe()
        .probe(
            &probe_hint(hint),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| {
            AudioError::Unsupported(format!(
                "not a recognised audio file (expected {SUPPORTED}): {e}"
            ))
        })?;

    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::Unsupported("the file has no audio track".into()))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::Unsupported("the file has no audio track".into()))?
        .clone();
    let codec_name = CODECS
        .get_audio_decoder(params.codec)
        .map(|d| d.codec.info.short_name)
        .ok_or_else(|| {
            AudioError::Unsupported(format!(
                "audio codec {} is not supported (expected {SUPPORTED})",
                params.codec
            ))
        })?;
    let source = format!("{}/{}", format.format_info().short_name, codec_name);
    let mut decoder = CODECS
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| AudioError::Unsupported(format!("cannot decode {source}: {e}")))?;

    let mut mono: Vec<f32> = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut rate: Option<u32> = params.sample_rate;
    let mut channels = params.channels.as_ref().map_or(1, |c| c.count());
    let mut decoded_packets = 0usize;
    let mut bad_packets = 0usize;
    let mut last_error = String::new();
    let mut max_samples: Option<usize> = rate.map(|r| samples_for_ms(r, max_ms));

    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            // A recording cut short (tab closed, upload truncated) ends mid-packet: keep what
            // decoded so far rather than failing the whole order.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break
            }
            // Chained Ogg streams: the first stream is the recording.
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) if decoded_packets > 0 => {
                tracing::debug!(error = %e, "demuxing stopped early; keeping the decoded part");
                break;
            }
            Err(e) => return Err(AudioError::Malformed(format!("{source}: {e}"))),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            // One corrupt packet should not lose the order; too many are reported below.
            Err(SymphoniaError::DecodeError(e)) => {
                bad_packets += 1;
                last_error = e.to_string();
                continue;
            }
            Err(SymphoniaError::IoError(e)) => {
                bad_packets += 1;
                last_error = e.to_string();
                continue;
            }
            Err(e) => return Err(AudioError::Malformed(format!("{source}: {e}"))),
        };
        decoded_packets += 1;
        let spec = buf.spec();
        let buf_rate = spec.rate();
        match rate {
            None => rate = Some(buf_rate),
            Some(r) if r != buf_rate && !mono.is_empty() => {
                return Err(AudioError::Unsupported(format!(
                    "the sample rate changes mid-stream ({r} Hz → {buf_rate} Hz)"
                )))
            }
            Some(_) => rate = Some(buf_rate),
        }
        channels = spec.channels().count().max(1);
        let limit = *max_samples.get_or_insert_with(|| samples_for_ms(buf_rate, max_ms));
        buf.copy_to_vec_interleaved::<f32>(&mut interleaved);
        let scale = 1.0 / channels as f32;
        mono.extend(
            interleaved
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        );
        if mono.len() > limit {
            return Err(AudioError::TooLong {
                max_s: max_ms.div_ceil(1000),
            });
        }
    }

    if decoded_packets == 0 && bad_packets > 0 {
        return Err(AudioError::Malformed(format!(
            "{source}: no packet decoded ({last_error})"
        )));
    }
    if bad_packets > 0 {
        tracing::warn!(bad_packets, decoded_packets, %source, "skipped undecodable packets");
    }
    let rate = rate.unwrap_or(SAMPLE_RATE);
    if rate == 0 {
        return Err(AudioError::Malformed(format!("{source}: sample rate 0")));
    }
    Ok((mono, rate, channels, source))
}

fn samples_for_ms(rate: u32, ms: u64) -> usize {
    usize::try_from(u64::from(rate) * ms / 1000).unwrap_or(usize::MAX)
}

/// Band-limited resampling to 16 kHz (rubato's FFT resampler: fixed ratio, whole clip).
pub fn resample_to_16k(mono: &[f32], rate: u32) -> Result<Vec<f32>, AudioError> {
    if rate == SAMPLE_RATE || mono.is_empty() {
        return Ok(mono.to_vec());
    }
    let err = |e: &dyn std::fmt::Display| AudioError::Resample(format!("{rate} Hz → 16 kHz: {e}"));
    let mut resampler = Fft::<f32>::new(
        rate as usize,
        SAMPLE_RATE as usize,
        1024,
        1,
        FixedSync::Input,
    )
    .map_err(|e| err(&e))?;
    let input = InterleavedSlice::new(mono, 1, mono.len()).map_err(|e| err(&e))?;
    let output = resampler
        .process_all(&input, mono.len(), None)
        .map_err(|e| err(&e))?;
    Ok(output.take_data())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file in memory, written with hound as a browser or recorder would.
    fn wav(rate: u32, channels: u16, seconds: f32, f: impl Fn(usize, u16) -> f32) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
        let frames = (rate as f32 * seconds) as usize;
        for i in 0..frames {
            for ch in 0..channels {
                w.write_sample((f(i, ch) * 32767.0) as i16).unwrap();
            }
        }
        w.finalize().unwrap();
        out.into_inner()
    }

    fn sine(freq: f32, rate: u32) -> impl Fn(usize, u16) -> f32 {
        move |i, _| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin()
    }

    /// Zero crossings per second estimate the frequency (2 per period).
    fn crossings_per_s(samples: &[f32]) -> f32 {
        let n = samples
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        n as f32 / (samples.len() as f32 / SAMPLE_RATE as f32)
    }

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    #[test]
    fn stereo_48k_sine_becomes_16k_mono_of_the_same_length_and_pitch() {
        let bytes = wav(48_000, 2, 2.0, sine(440.0, 48_000));
        let audio = decode(&bytes, Some("audio/wav")).unwrap();
        assert_eq!(audio.source_rate, 48_000);
        assert_eq!(audio.source_channels, 2);
        assert!(
            (audio.samples.len() as i64 - 32_000).abs() <= 16,
            "{} samples",
            audio.samples.len()
        );
        assert_eq!(audio.duration_ms(), 2000);
        // Skip the edges, where the band-limited filter rings.
        let mid = &audio.samples[1600..30_400];
        let f = crossings_per_s(mid) / 2.0;
        assert!((f - 440.0).abs() < 3.0, "{f} Hz");
        let r = rms(mid);
        assert!((r - 0.5 / 2f32.sqrt()).abs() < 0.02, "rms {r}");
    }

    #[test]
    fn channels_are_averaged() {
        // Left and right in opposite phase cancel out: proof that we average, not pick one.
        let bytes = wav(16_000, 2, 0.5, |i, ch| {
            let s = sine(300.0, 16_000)(i, 0);
            if ch == 0 {
                s
            } else {
                -s
            }
        });
        let audio = decode(&bytes, Some("x.wav")).unwrap();
        assert_eq!(audio.samples.len(), 8000);
        assert!(rms(&audio.samples) < 1e-3);
    }

    #[test]
    fn the_16k_mono_path_keeps_the_samples() {
        let bytes = wav(16_000, 1, 1.0, sine(1000.0, 16_000));
        let audio = decode(&bytes, None).unwrap();
        assert_eq!(audio.samples.len(), 16_000);
        assert!((audio.samples[4] - 0.5 * (2.0 * std::f32::consts::PI * 0.25).sin()).abs() < 1e-3);
    }

    #[test]
    fn a_44_1k_clip_resamples_to_the_right_length() {
        let bytes = wav(44_100, 1, 1.5, sine(500.0, 44_100));
        let audio = decode(&bytes, Some("order.wav")).unwrap();
        assert!((audio.samples.len() as i64 - 24_000).abs() <= 16);
        let f = crossings_per_s(&audio.samples[1600..22_400]) / 2.0;
        assert!((f - 500.0).abs() < 3.0, "{f} Hz");
    }

    #[test]
    fn non_audio_is_unsupported_with_a_clear_message() {
        for bytes in [
            b"%PDF-1.7 this is not audio at all, just some text in a file".as_slice(),
            &[0u8; 4096],
            b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk",
        ] {
            match decode(bytes, Some("audio/webm")) {
                Err(AudioError::Unsupported(msg)) | Err(AudioError::Malformed(msg)) => {
                    assert!(!msg.is_empty())
                }
                other => panic!("expected unsupported, got {other:?}"),
            }
        }
        let err = decode(b"hello", Some("notes.txt")).unwrap_err();
        assert!(matches!(err, AudioError::Unsupported(_)), "{err:?}");
        assert!(err.to_string().contains("WebM/Opus"), "{err}");
        assert!(matches!(decode(&[], None), Err(AudioError::Unsupported(_))));
    }

    #[test]
    fn long_audio_is_refused() {
        let bytes = wav(8_000, 1, 3.0, sine(200.0, 8_000));
        assert!(matches!(
            decode_with_limit(&bytes, None, 2_000),
            Err(AudioError::TooLong { max_s: 2 })
        ));
        assert!(decode_with_limit(&bytes, None, 3_000).is_ok());
    }

    #[test]
    fn a_wav_without_samples_is_empty() {
        let bytes = wav(16_000, 1, 0.0, sine(200.0, 16_000));
        assert!(matches!(decode(&bytes, None), Err(AudioError::Empty)));
    }

    #[test]
    fn hints_accept_mime_types_and_file_names() {
        // Only checks that no hint form panics or changes the result.
        let bytes = wav(16_000, 1, 0.2, sine(200.0, 16_000));
        for hint in [
            None,
            Some(""),
            Some("audio/wav"),
            Some("audio/webm;codecs=opus"),
            Some("clip.WAV"),
            Some("noextension"),
        ] {
            assert_eq!(
                decode(&bytes, hint).unwrap().samples.len(),
                3200,
                "{hint:?}"
            );
        }
    }
}
