//! The LLM's settings (`LLM_*`), typed. A value that does not parse stops the worker with the
//! variable's name and the value; an unset one takes the default.

use std::path::{Path, PathBuf};

use ai_queue::config::{count, parse, switch, var, ConfigError};

use crate::priors::Priors;

/// `LLM_MODEL` unless set; relative to the working directory (the repository root in scripts).
pub const DEFAULT_LLM_MODEL: &str = "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The GGUF model (`LLM_MODEL`).
    pub model_path: PathBuf,
    /// CPU threads (`LLM_THREADS`); default: the cores, at most 8.
    pub threads: i32,
    /// Layers offloaded to the GPU (`LLM_GPU_LAYERS`; only with the `cuda` feature; 0 on CPU).
    pub gpu_layers: u32,
    pub context_tokens: u32,
    /// Evaluate a draft of the answer ahead (`LLM_DRAFT_AHEAD`; see `Run::logits`); off only
    /// to measure it.
    pub draft_ahead: bool,
    /// Where the evaluated menu prompt is saved for the next start (`LLM_STATE_DIR`).
    pub prompt_state: PromptStateDir,
    /// The priors (`LLM_PRIORS`; see [`Priors::parse`]), switchable to measure each.
    pub priors: Priors,
}

/// `LLM_STATE_DIR`: unset saves beside the model (`<model dir>/prompt-state`), `off` never
/// saves nor loads, anything else is the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptStateDir {
    BesideModel,
    Dir(PathBuf),
    Off,
}

impl PromptStateDir {
    fn parse(name: &'static str, value: &str) -> Result<Self, ConfigError> {
        match value {
            "" => Err(ConfigError::new(
                name,
                value,
                "unset it, or set off or a directory",
            )),
            "off" => Ok(PromptStateDir::Off),
            dir => Ok(PromptStateDir::Dir(dir.into())),
        }
    }

    pub(crate) fn resolve(&self, model_path: &Path) -> Option<PathBuf> {
        match self {
            PromptStateDir::BesideModel => Some(
                model_path
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join("prompt-state"),
            ),
            PromptStateDir::Dir(dir) => Some(dir.clone()),
            PromptStateDir::Off => None,
        }
    }
}

impl LlmConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the settings from any variable source (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(LlmConfig {
            model_path: get("LLM_MODEL")
                .unwrap_or_else(|| DEFAULT_LLM_MODEL.to_owned())
                .into(),
            threads: var(&get, "LLM_THREADS", count)?.unwrap_or_else(default_threads),
            gpu_layers: var(&get, "LLM_GPU_LAYERS", parse)?.unwrap_or(default_gpu_layers()),
            context_tokens: 6144,
            draft_ahead: var(&get, "LLM_DRAFT_AHEAD", switch)?.unwrap_or(true),
            prompt_state: var(&get, "LLM_STATE_DIR", PromptStateDir::parse)?
                .unwrap_or(PromptStateDir::BesideModel),
            priors: var(&get, "LLM_PRIORS", priors)?.unwrap_or_default(),
        })
    }
}

fn default_threads() -> i32 {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(8) as i32)
}

/// Every layer on the GPU in a `cuda` build.
fn default_gpu_layers() -> u32 {
    if cfg!(feature = "cuda") {
        999
    } else {
        0
    }
}

fn priors(name: &'static str, value: &str) -> Result<Priors, ConfigError> {
    Priors::parse(value).map_err(|e| ConfigError::new(name, value, e))
}

#[cfg(test)]
mod tests {
    use ai_queue::config::lookup;

    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<LlmConfig, ConfigError> {
        LlmConfig::from_lookup(lookup(pairs))
    }

    #[test]
    fn defaults_work_locally() {
        let c = from(&[]).unwrap();
        assert_eq!(c.model_path, PathBuf::from(DEFAULT_LLM_MODEL));
        assert!((1..=8).contains(&c.threads));
        assert_eq!(c.gpu_layers, default_gpu_layers());
        assert!(c.draft_ahead);
        assert_eq!(c.prompt_state, PromptStateDir::BesideModel);
        assert_eq!(c.priors, Priors::default());
    }

    #[test]
    fn set_values_are_used() {
        let c = from(&[
            ("LLM_MODEL", "/m/q.gguf"),
            ("LLM_THREADS", "3"),
            ("LLM_GPU_LAYERS", "0"),
            ("LLM_DRAFT_AHEAD", "0"),
            ("LLM_STATE_DIR", "off"),
            ("LLM_PRIORS", "off"),
        ])
        .unwrap();
        assert_eq!(c.model_path, PathBuf::from("/m/q.gguf"));
        assert_eq!((c.threads, c.gpu_layers, c.draft_ahead), (3, 0, false));
        assert_eq!(c.prompt_state, PromptStateDir::Off);
        assert_eq!(c.priors, Priors::OFF);
        let c = from(&[("LLM_STATE_DIR", "/var/state")]).unwrap();
        assert_eq!(c.prompt_state, PromptStateDir::Dir("/var/state".into()));
    }

    #[test]
    fn a_bad_value_fails_naming_the_variable_and_the_value() {
        for (name, bad) in [
            ("LLM_THREADS", "many"),
            ("LLM_THREADS", "0"),
            ("LLM_GPU_LAYERS", "-1"),
            ("LLM_DRAFT_AHEAD", "maybe"),
            ("LLM_STATE_DIR", ""),
            ("LLM_PRIORS", "keep=lots"),
        ] {
            let err = from(&[(name, bad)]).unwrap_err();
            assert_eq!((err.name, err.value.as_str()), (name, bad));
            let text = err.to_string();
            assert!(
                text.contains(name) && text.contains(&format!("{bad:?}")),
                "{text}"
            );
        }
    }
}
