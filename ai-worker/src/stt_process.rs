//! Runs the `ai-worker-stt` binary (whisper.cpp lives in its own process; see the crate docs).

use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

/// `AI_WORKER_STT`, else `ai-worker-stt` next to this executable, else on PATH.
pub fn stt_binary() -> PathBuf {
    if let Ok(path) = std::env::var("AI_WORKER_STT") {
        return path.into();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("ai-worker-stt")))
        .filter(|p| p.exists())
        .unwrap_or_else(|| "ai-worker-stt".into())
}

pub fn command() -> Command {
    Command::new(stt_binary())
}

/// What `ai-worker-stt transcribe --json` prints.
#[derive(Debug, Clone, Deserialize)]
pub struct SttOutput {
    pub text: String,
    pub language: String,
    pub audio_ms: u64,
    #[serde(default)]
    pub whisper_ms: u64,
    #[serde(default)]
    pub decode_ms: u64,
}

/// Transcribes one file with the STT process.
pub fn transcribe(file: &std::path::Path, language: Option<&str>) -> Result<SttOutput, String> {
    let mut cmd = command();
    cmd.arg("transcribe").arg("--json").arg(file);
    if let Some(lang) = language {
        cmd.args(["--language", lang]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("could not run {}: {e}", stt_binary().display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad STT output: {e}"))
}
