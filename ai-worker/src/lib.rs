//! The LLM side of the AI worker (DESIGN §7): `QwenLlmService` on llama.cpp, the analysis it
//! returns, the queue handler, the evaluation harness, and the bridge to the STT process.
//!
//! whisper.cpp runs in its own process (`ai-worker-stt`): llama-cpp-sys-2 and whisper-rs-sys
//! each vendor a different ggml, and their symbols clash when linked into one binary.
//! Separate processes keep both crates unpatched, isolate a crash in one model from the
//! other, and let each scale on its own queue.

pub mod compose;
pub mod config;
pub mod eval;
pub mod grammar;
pub mod llm;
pub mod priors;
pub mod prompt;
pub mod prompt_state;
pub mod stt_process;
pub mod worker;

pub use config::{LlmConfig, PromptStateDir};
pub use llm::{LlmError, PrefixSource, QwenLlmService};
pub use priors::Priors;

/// The menu the database is seeded with (migrations), as the catalog the server sends.
pub const SEEDED_MENU: &str = include_str!("../eval/menu.json");

/// [`SEEDED_MENU`] parsed, for the unit tests.
#[cfg(test)]
pub(crate) fn seeded_menu() -> ai_protocol::MenuCatalog {
    serde_json::from_str(SEEDED_MENU).expect("menu.json parses")
}
