//! Accounts as the browser sees them: sign-up, log-in, log-out, who am I.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub phone: String,
    /// `regular`, `silver`, `gold` or `vip`.
    pub tier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A sign-up whose fields passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignup {
    pub email: String,
    pub name: String,
    pub phone: String,
}

impl SignupRequest {
    pub fn validate(&self) -> Result<ValidSignup, AppError> {
        let email = self.email.trim().to_lowercase();
        let at = email.find('@');
        let valid_email = matches!(at, Some(i) if i > 0 && i + 1 < email.len())
            && email.len() <= 254
            && !email.contains(char::is_whitespace);
        if !valid_email {
            return Err(AppError::invalid(
                "email",
                "올바른 이메일 주소를 입력해 주세요",
            ));
        }
        if self.password.chars().count() < 8 || self.password.len() > 128 {
            return Err(AppError::invalid(
                "password",
                "비밀번호는 8자 이상이어야 합니다",
            ));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(AppError::invalid(
                "name",
                "이름을 입력해 주세요 (50자 이하)",
            ));
        }
        let phone = self.phone.trim();
        if phone.chars().count() > 20 {
            return Err(AppError::invalid("phone", "전화번호가 너무 깁니다"));
        }
        Ok(ValidSignup {
            email,
            name: name.to_owned(),
            phone: phone.to_owned(),
        })
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::account::Customer;
    use crate::error::AppError;
    use crate::services::auth::{token_from_cookie_header, AuthService};
    use crate::ssr::AppContext;
    use leptos::prelude::*;

    /// The session token of the request being served.
    pub fn request_token() -> Option<String> {
        let parts = use_context::<http::request::Parts>()?;
        let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
        token_from_cookie_header(header).map(str::to_owned)
    }

    pub async fn current_customer() -> Result<Option<Customer>, AppError> {
        let Some(token) = request_token() else {
            return Ok(None);
        };
        let ctx = crate::ssr::app_context()?;
        AuthService::customer_for_token(&ctx.pool, &token).await
    }

    /// The server context and the signed-in customer, or 401: what every customer-only
    /// server function starts with.
    pub async fn signed_in() -> Result<(AppContext, Customer), AppError> {
        let ctx = crate::ssr::app_context()?;
        let token = request_token().ok_or(AppError::Unauthorized)?;
        let customer = AuthService::customer_for_token(&ctx.pool, &token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok((ctx, customer))
    }

    pub fn set_cookie(value: &str) -> Result<(), AppError> {
        let value = http::HeaderValue::from_str(value).map_err(|_| AppError::Internal)?;
        use_context::<leptos_axum::ResponseOptions>()
            .ok_or(AppError::Internal)?
            .append_header(http::header::SET_COOKIE, value);
        Ok(())
    }
}

#[server(prefix = "/api", endpoint = "account/signup")]
pub async fn signup(
    email: String,
    password: String,
    name: String,
    phone: String,
) -> Result<Customer, AppError> {
    crate::error::with_status(
        async move {
            use crate::services::auth::{session_cookie, AuthService};
            let ctx = crate::ssr::app_context()?;
            let req = SignupRequest {
                email,
                password,
                name,
                phone,
            };
            let (customer, token) = AuthService::signup(&ctx.pool, &req).await?;
            ssr::set_cookie(&session_cookie(&token))?;
            Ok(customer)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "account/login")]
pub async fn login(email: String, password: String) -> Result<Customer, AppError> {
    crate::error::with_status(
        async move {
            use crate::services::auth::{session_cookie, AuthService};
            let ctx = crate::ssr::app_context()?;
            let (customer, token) = AuthService::login(&ctx.pool, &email, &password).await?;
            ssr::set_cookie(&session_cookie(&token))?;
            Ok(customer)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "account/logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::error::with_status(
        async move {
            use crate::services::auth::{clear_session_cookie, AuthService};
            let ctx = crate::ssr::app_context()?;
            if let Some(token) = ssr::request_token() {
                AuthService::logout(&ctx.pool, &token).await?;
            }
            ssr::set_cookie(&clear_session_cookie())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "account/me")]
pub async fn current_customer() -> Result<Option<Customer>, AppError> {
    crate::error::with_status(async move { ssr::current_customer().await }.await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(email: &str, password: &str, name: &str) -> SignupRequest {
        SignupRequest {
            email: email.into(),
            password: password.into(),
            name: name.into(),
            phone: String::new(),
        }
    }

    #[test]
    fn signup_validation_names_the_field() {
        assert_eq!(
            req("A@B.kr ", "longenough", "홍길동")
                .validate()
                .unwrap()
                .email,
            "a@b.kr"
        );
        assert_eq!(
            req("nope", "longenough", "x")
                .validate()
                .unwrap_err()
                .field(),
            Some("email")
        );
        assert_eq!(
            req("a@b.kr", "short", "x").validate().unwrap_err().field(),
            Some("password")
        );
        assert_eq!(
            req("a@b.kr", "longenough", " ")
                .validate()
                .unwrap_err()
                .field(),
            Some("name")
        );
    }
}
