//! The whole job: bytes → audio → speech check → whisper → transcript or a typed failure.

use std::time::Instant;

use ai_protocol::{AiErrorCode, AiFailure, Transcript};

use crate::audio::{self, Audio16k, AudioError};
use crate::vad::{self, VadConfig, VadResult};
use crate::whisper::{SttError, Transcription, WhisperSttService};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The speech detector found no speech; whisper was not run.
    #[error("no speech in the audio ({0})")]
    NoSpeech(String),
    #[error(transparent)]
    Stt(#[from] SttError),
}

impl PipelineError {
    /// The wire code, which the server turns into the HTTP status (DESIGN §8).
    pub fn code(&self) -> AiErrorCode {
        match self {
            PipelineError::Audio(AudioError::Unsupported(_) | AudioError::Malformed(_)) => {
                AiErrorCode::UnsupportedAudio
            }
            PipelineError::Audio(AudioError::TooLong { .. }) => AiErrorCode::BadJob,
            PipelineError::Audio(AudioError::Empty)
            | PipelineError::NoSpeech(_)
            | PipelineError::Stt(SttError::NoSpeech(_)) => AiErrorCode::NoSpeech,
            PipelineError::Stt(SttError::UnsupportedLanguage(_)) => AiErrorCode::BadJob,
            PipelineError::Audio(AudioError::Resample(_)) | PipelineError::Stt(_) => {
                AiErrorCode::Internal
            }
        }
    }

    pub fn failure(&self) -> AiFailure {
        AiFailure {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

/// A transcript with the timings the CLI and the benchmark report.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOutput {
    pub transcription: Transcription,
    /// Length of the whole decoded upload (whisper may have seen a trimmed part).
    pub audio_ms: u64,
    pub decode_ms: u64,
    pub vad: VadResult,
    /// Container/codec of the upload, e.g. `mkv/opus`.
    pub source: String,
}

impl PipelineOutput {
    pub fn transcript(&self) -> Transcript {
        Transcript {
            text: self.transcription.text.clone(),
            language: self.transcription.language.clone(),
            audio_ms: self.audio_ms,
        }
    }
}

/// The model plus the speech-check settings; one per process.
#[derive(Debug)]
pub struct SttPipeline {
    whisper: WhisperSttService,
    pub vad: VadConfig,
    pub max_audio_ms: u64,
}

impl SttPipeline {
    pub fn new(whisper: WhisperSttService) -> Self {
        Self {
            whisper,
            vad: VadConfig::default(),
            max_audio_ms: audio::DEFAULT_MAX_AUDIO_MS,
        }
    }

    pub fn whisper(&self) -> &WhisperSttService {
        &self.whisper
    }

    /// Decodes and transcribes an upload. `hint`: MIME type or file name.
    pub fn process(
        &mut self,
        bytes: &[u8],
        hint: Option<&str>,
        language: Option<&str>,
    ) -> Result<PipelineOutput, PipelineError> {
        let started = Instant::now();
        let audio = audio::decode_with_limit(bytes, hint, self.max_audio_ms)?;
        let decode_ms = started.elapsed().as_millis() as u64;
        tracing::info!(
            bytes = bytes.len(),
            source = %audio.source,
            source_rate = audio.source_rate,
            source_channels = audio.source_channels,
            audio_ms = audio.duration_ms(),
            decode_ms,
            "audio decoded"
        );
        self.process_audio(&audio, language, decode_ms)
    }

    /// Speech check and transcription of decoded audio.
    pub fn process_audio(
        &mut self,
        audio: &Audio16k,
        language: Option<&str>,
        decode_ms: u64,
    ) -> Result<PipelineOutput, PipelineError> {
        let vad = vad::detect(&audio.samples, &self.vad);
        tracing::debug!(
            speech_ms = vad.speech_ms,
            noise_floor_db = vad.noise_floor_db,
            peak_db = vad.peak_db,
            "speech check"
        );
        let region = match &vad.speech {
            Some(region) if vad.has_speech() => region.clone(),
            _ => return Err(PipelineError::NoSpeech(vad.describe())),
        };
        // Whisper's cost follows the audio it sees: drop the silence around the speech.
        let transcription = if region.len() < audio.samples.len() {
            let trimmed = Audio16k {
                samples: audio.samples[region].to_vec(),
                ..audio.clone()
            };
            self.whisper.transcribe(&trimmed, language)?
        } else {
            self.whisper.transcribe(audio, language)?
        };
        Ok(PipelineOutput {
            transcription,
            audio_ms: audio.duration_ms(),
            decode_ms,
            vad,
            source: audio.source.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_wire_codes() {
        let cases = [
            (
                PipelineError::Audio(AudioError::Unsupported("x".into())),
                AiErrorCode::UnsupportedAudio,
            ),
            (
                PipelineError::Audio(AudioError::Malformed("x".into())),
                AiErrorCode::UnsupportedAudio,
            ),
            (
                PipelineError::Audio(AudioError::TooLong { max_s: 60 }),
                AiErrorCode::BadJob,
            ),
            (
                PipelineError::Audio(AudioError::Empty),
                AiErrorCode::NoSpeech,
            ),
            (
                PipelineError::NoSpeech("quiet".into()),
                AiErrorCode::NoSpeech,
            ),
            (
                PipelineError::Stt(SttError::NoSpeech("blank".into())),
                AiErrorCode::NoSpeech,
            ),
            (
                PipelineError::Stt(SttError::UnsupportedLanguage("xx".into())),
                AiErrorCode::BadJob,
            ),
            (
                PipelineError::Stt(SttError::ModelNotFound("m.bin".into())),
                AiErrorCode::Internal,
            ),
        ];
        for (err, code) in cases {
            let failure = err.failure();
            assert_eq!(failure.code, code, "{err:?}");
            assert!(!failure.message.is_empty());
        }
    }
}
