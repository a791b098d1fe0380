//! Korean first, English on request. The choice lives in a `lang` cookie so the server renders
//! the right language and the hydrated client starts from the same value.

use serde::{Deserialize, Serialize};

pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ko,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        }
    }

    /// The name of the language in itself, for the switch button.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Ko => "한국어",
            Lang::En => "English",
        }
    }

    /// Picks the text for this language.
    pub fn pick<T>(self, ko: T, en: T) -> T {
        match self {
            Lang::Ko => ko,
            Lang::En => en,
        }
    }

    /// `48,000원` in Korean, `₩48,000` in English.
    pub fn price(self, amount: crate::domain::money::Money) -> String {
        match self {
            Lang::Ko => format!("{}원", amount.grouped()),
            Lang::En => format!("₩{}", amount.grouped()),
        }
    }

    /// Reads the language from a `Cookie:` header value.
    pub fn from_cookie_header(header: &str) -> Lang {
        header
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| name.trim() == LANG_COOKIE)
            .and_then(|(_, value)| Lang::parse(value))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookie_among_others() {
        assert_eq!(Lang::from_cookie_header("a=1; lang=en; b=2"), Lang::En);
        assert_eq!(Lang::from_cookie_header("lang=ko"), Lang::Ko);
        assert_eq!(Lang::from_cookie_header("lang=fr"), Lang::Ko);
        assert_eq!(Lang::from_cookie_header(""), Lang::Ko);
        assert_eq!(Lang::from_cookie_header("xlang=en"), Lang::Ko);
    }

    #[test]
    fn formats_prices_per_language() {
        use crate::domain::money::Money;
        assert_eq!(Lang::Ko.price(Money(48_000)), "48,000원");
        assert_eq!(Lang::En.price(Money(120_000)), "₩120,000");
    }
}
