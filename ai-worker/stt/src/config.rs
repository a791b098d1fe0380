//! [`SttConfig`] from the environment (`WHISPER_*`), typed: a value that does not parse stops
//! the worker with the variable's name and the value; an unset one takes the default.

use std::path::PathBuf;

use ai_queue::config::{count, parse, switch, var, ConfigError};

use crate::whisper::SttConfig;

impl SttConfig {
    /// The defaults overridden by `WHISPER_MODEL` (empty counts as unset), `WHISPER_THREADS`,
    /// `WHISPER_GPU` and `WHISPER_BEAM_SIZE`. Tests pass a map; the binary the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(SttConfig {
            model_path: get("WHISPER_MODEL")
                .filter(|p| !p.is_empty())
                .map_or(d.model_path, PathBuf::from),
            threads: var(&get, "WHISPER_THREADS", count)?.unwrap_or(d.threads),
            use_gpu: var(&get, "WHISPER_GPU", switch)?.unwrap_or(d.use_gpu),
            beam_size: var(&get, "WHISPER_BEAM_SIZE", count)?.unwrap_or(d.beam_size),
            bias: var(&get, "WHISPER_BIAS", bonus)?.unwrap_or(d.bias),
            prompt: var(&get, "WHISPER_PROMPT", parse)?.unwrap_or(d.prompt),
            ..d
        })
    }

    /// [`Self::from_lookup`] on the process environment, for tests and tools.
    ///
    /// # Panics
    /// On a value that does not parse, naming the variable (`ai-worker-stt` reports it as an
    /// error instead).
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok()).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A logit bonus: a finite number from 0 to 10 (more would override what whisper hears).
fn bonus(name: &'static str, value: &str) -> Result<f32, ConfigError> {
    let v: f32 = parse(name, value)?;
    if (0.0..=10.0).contains(&v) {
        Ok(v)
    } else {
        Err(ConfigError::new(name, value, "must be between 0 and 10"))
    }
}

#[cfg(test)]
mod tests {
    use ai_queue::config::lookup;

    use super::*;
    use crate::whisper::DEFAULT_MODEL_PATH;

    fn from(pairs: &[(&str, &str)]) -> Result<SttConfig, ConfigError> {
        SttConfig::from_lookup(lookup(pairs))
    }

    #[test]
    fn unset_and_empty_take_the_defaults() {
        let d = SttConfig::default();
        let c = from(&[("WHISPER_MODEL", "")]).unwrap();
        assert_eq!(c.model_path, PathBuf::from(DEFAULT_MODEL_PATH));
        assert_eq!(
            (c.threads, c.use_gpu, c.beam_size),
            (d.threads, d.use_gpu, 1)
        );
    }

    #[test]
    fn set_values_are_used() {
        let c = from(&[
            ("WHISPER_MODEL", "/m/small.bin"),
            ("WHISPER_THREADS", "3"),
            ("WHISPER_GPU", "0"),
            ("WHISPER_BEAM_SIZE", "5"),
            ("WHISPER_BIAS", "2.5"),
        ])
        .unwrap();
        assert_eq!(c.bias, 2.5);
        assert_eq!(c.model_path, PathBuf::from("/m/small.bin"));
        assert_eq!((c.threads, c.use_gpu, c.beam_size), (3, false, 5));
        assert!(from(&[("WHISPER_GPU", "yes")]).unwrap().use_gpu);
    }

    #[test]
    fn a_bad_value_fails_naming_the_variable_and_the_value() {
        for (name, bad) in [
            ("WHISPER_THREADS", "two"),
            ("WHISPER_THREADS", "0"),
            ("WHISPER_GPU", "sometimes"),
            ("WHISPER_BEAM_SIZE", "-1"),
            ("WHISPER_BIAS", "lots"),
            ("WHISPER_BIAS", "-2"),
            ("WHISPER_BIAS", "NaN"),
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
