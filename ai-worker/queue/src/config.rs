//! Typed settings from the environment, shared by the workers. A value that does not parse
//! stops the worker with the variable's name and the value: a typo must not run the worker on a
//! default nobody chose.

use std::fmt::Display;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name} is invalid: {value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(name: &'static str, value: &str, reason: impl Display) -> Self {
        ConfigError {
            name,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// A variable source of fixed name–value pairs in place of the environment, for the tests of
/// every `from_lookup`.
pub fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// `name` from `get`, parsed by `parse`; `None` when it is unset.
pub fn var<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    parse: impl Fn(&'static str, &str) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    get(name).map(|value| parse(name, &value)).transpose()
}

/// Any [`FromStr`] value, surrounding spaces ignored.
pub fn parse<T: FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| ConfigError::new(name, value, e))
}

/// A whole number of at least 1 (threads, beams).
pub fn count<T>(name: &'static str, value: &str) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + From<u8>,
    T::Err: Display,
{
    let n: T = parse(name, value)?;
    if n < T::from(1) {
        return Err(ConfigError::new(name, value, "must be at least 1"));
    }
    Ok(n)
}

/// On or off: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`, in any case.
pub fn switch(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            name,
            value,
            "must be 1, true, yes, on, 0, false, no or off",
        )),
    }
}

/// Where a worker finds its jobs, with the same flags in both workers: Redis, and the
/// speech-to-text queue that `ai-worker` hands to its `ai-worker-stt` child.
#[derive(Debug, Clone, clap::Args)]
pub struct QueueArgs {
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        value_parser = redis_url
    )]
    pub redis_url: String,
    /// The speech-to-text queue (tests use private ones).
    #[arg(
        long,
        env = "AI_STT_QUEUE",
        default_value = ai_protocol::STT_QUEUE,
        value_parser = queue_name
    )]
    pub stt_queue: String,
}

/// A clap value parser for queue names: the server's rule, so both sides accept the same names.
pub fn queue_name(value: &str) -> Result<String, String> {
    if value.is_empty() || value.contains(char::is_whitespace) {
        return Err("a queue name must be non-empty without spaces".to_owned());
    }
    Ok(value.to_owned())
}

/// A clap value parser for Redis URLs, so a bad one fails at start, not after the model loads.
pub fn redis_url(value: &str) -> Result<String, String> {
    redis::Client::open(value)
        .map(|_| value.to_owned())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_variable_is_none_and_a_set_one_is_parsed() {
        let get = lookup(&[("THREADS", " 3 ")]);
        assert_eq!(var(&get, "THREADS", count::<usize>), Ok(Some(3)));
        assert_eq!(var(&get, "OTHER", count::<usize>), Ok(None));
    }

    #[test]
    fn a_bad_number_names_the_variable_and_the_value() {
        let get = lookup(&[("THREADS", "four")]);
        let err = var(&get, "THREADS", count::<usize>).unwrap_err();
        assert_eq!((err.name, err.value.as_str()), ("THREADS", "four"));
        let text = err.to_string();
        assert!(
            text.contains("THREADS") && text.contains("\"four\""),
            "{text}"
        );
    }

    #[test]
    fn a_count_is_at_least_one() {
        assert!(count::<usize>("N", "0")
            .unwrap_err()
            .reason
            .contains("at least 1"));
        assert!(count::<i32>("N", "-2").is_err());
        assert_eq!(count::<i32>("N", "8"), Ok(8));
    }

    #[test]
    fn a_switch_takes_the_usual_words_and_nothing_else() {
        for on in ["1", "true", "YES", "on"] {
            assert_eq!(switch("GPU", on), Ok(true), "{on}");
        }
        for off in ["0", "false", "No", "off "] {
            assert_eq!(switch("GPU", off), Ok(false), "{off}");
        }
        for bad in ["", "2", "enabled"] {
            assert_eq!(switch("GPU", bad).unwrap_err().name, "GPU", "{bad:?}");
        }
    }

    #[test]
    fn queue_names_and_redis_urls_are_checked() {
        assert!(queue_name("ai:queue:llm").is_ok());
        assert!(queue_name("").is_err());
        assert!(queue_name("ai queue").is_err());
        assert!(redis_url("redis://127.0.0.1:6379").is_ok());
        assert!(redis_url("127.0.0.1:6379").is_err());
    }
}
