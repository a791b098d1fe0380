//! The language switch's server function.

use leptos::prelude::*;

use crate::domain::i18n::Lang;
#[cfg(feature = "ssr")]
use crate::domain::i18n::LANG_COOKIE;
use crate::error::AppError;

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
