//! Korean first, English on request. The choice lives in a `lang` cookie so the server renders
//! the right language and the hydrated client starts from the same value.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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
    pub fn price(self, amount: crate::money::Money) -> String {
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

/// The page's language, shared by every component.
pub fn use_lang() -> RwSignal<Lang> {
    use_context::<RwSignal<Lang>>().unwrap_or_else(|| RwSignal::new(Lang::Ko))
}

/// The language the request (on the server) or the document (in the browser) asks for.
pub fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(Lang::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .map(|c| Lang::from_cookie_header(&c))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Lang::default()
    }
}

/// Remembers the language for a year. Works as a plain form post before hydration (the server
/// redirects back) and as a fetch after it.
#[server(prefix = "/api", endpoint = "set_language")]
pub async fn set_language(lang: String) -> Result<Lang, AppError> {
    let lang = Lang::parse(&lang)
        .ok_or_else(|| AppError::invalid("lang", "'ko' 또는 'en'이어야 합니다"))?;
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    let value = http::HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    use_context::<leptos_axum::ResponseOptions>()
        .ok_or(AppError::Internal)?
        .append_header(http::header::SET_COOKIE, value);
    Ok(lang)
}

/// The 한국어/English button in the header.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let action = ServerAction::<SetLanguage>::new();
    Effect::new(move |_| {
        if let Some(Ok(chosen)) = action.value().get() {
            lang.set(chosen);
        }
    });
    view! {
        <ActionForm action=action attr:class="lang-switch">
            <input type="hidden" name="lang" value=move || lang.get().other().code() />
            <button type="submit" data-testid="lang-toggle">
                {move || lang.get().other().endonym()}
            </button>
        </ActionForm>
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
        use crate::money::Money;
        assert_eq!(Lang::Ko.price(Money(48_000)), "48,000원");
        assert_eq!(Lang::En.price(Money(120_000)), "₩120,000");
    }
}
