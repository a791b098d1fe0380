//! Speech-to-text for voice orders: uploaded audio → 16 kHz mono → speech check → whisper.cpp.
//!
//! This crate is its own process (`ai-worker-stt`): whisper-rs and llama-cpp-2 each vendor ggml
//! and clash when linked into one binary, so the LLM worker delegates transcription to it.

pub mod audio;
pub mod bias;
mod config;
pub mod pipeline;
pub mod prompt;
pub mod score;
pub mod vad;
pub mod whisper;
pub mod worker;

pub use audio::{decode, Audio16k, AudioError};
pub use pipeline::{PipelineError, PipelineOutput, SttPipeline};
pub use vad::{VadConfig, VadResult};
pub use whisper::{MenuVocabulary, SttConfig, SttError, Transcription, WhisperSttService};
pub use worker::SttHandler;
