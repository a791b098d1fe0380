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

/// Why a file was not transcribed.
#[derive(Debug, thiserror::Error)]
pub enum SttError {
    /// The STT binary is missing or cannot start: nothing was heard or not heard.
    #[error("could not run {binary}: {source} (build it with `cargo build -p ai-worker-stt`)")]
    Unavailable {
        binary: String,
        source: std::io::Error,
    },
    /// The process ran and said why it heard nothing (no speech, a bad file).
    #[error("{0}")]
    Failed(String),
}

/// Transcribes one file with the STT process.
pub fn transcribe(file: &std::path::Path, language: Option<&str>) -> Result<SttOutput, SttError> {
    transcribe_with(&stt_binary(), file, language)
}

fn transcribe_with(
    binary: &std::path::Path,
    file: &std::path::Path,
    language: Option<&str>,
) -> Result<SttOutput, SttError> {
    let mut cmd = Command::new(binary);
    cmd.arg("transcribe").arg("--json").arg(file);
    if let Some(lang) = language {
        cmd.args(["--language", lang]);
    }
    let out = cmd.output().map_err(|source| SttError::Unavailable {
        binary: binary.display().to_string(),
        source,
    })?;
    if !out.status.success() {
        return Err(SttError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| SttError::Failed(format!("bad STT output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_unavailable_not_silence() {
        let missing = std::path::Path::new("/nonexistent/ai-worker-stt");
        let err = transcribe_with(missing, std::path::Path::new("a.wav"), None).unwrap_err();
        assert!(matches!(err, SttError::Unavailable { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/ai-worker-stt"));
    }

    #[test]
    fn a_process_that_fails_says_why() {
        // `false` runs and exits 1 with nothing on stderr: a failure, not a missing binary.
        let err = transcribe_with(
            std::path::Path::new("false"),
            std::path::Path::new("a.wav"),
            None,
        )
        .unwrap_err();
        assert!(matches!(err, SttError::Failed(_)), "{err}");
    }
}
