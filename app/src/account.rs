//! Accounts as the browser sees them: sign-up, log-in, log-out, who am I.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::text::TextRule;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub phone: String,
    /// `regular`, `silver`, `gold` or `vip`.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::order::Tier))]
    pub tier: String,
    /// `customer`, or a staff role: `kitchen`, `delivery`, `manager`.
    #[serde(default = "customer_role")]
    pub role: String,
    /// The store a kitchen or delivery worker belongs to.
    #[serde(default)]
    pub store_id: Option<i64>,
}

fn customer_role() -> String {
    "customer".into()
}

impl Customer {
    /// The staff role of this account, if it is staff.
    pub fn staff_role(&self) -> Option<crate::staff::StaffRole> {
        crate::staff::StaffRole::parse(&self.role)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignupRequest {
    #[cfg_attr(feature = "ssr", schema(format = Email, max_length = 254, examples("hong@example.com")))]
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(format = Password, min_length = 8, max_length = 128))]
    pub password: String,
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 50,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*\S[^\x00-\x1f\x7f-\x9f]*$",
            examples("홍길동")
        )
    )]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 20,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*$",
            examples("010-1234-5678")
        )
    )]
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "ssr", schema(format = Email, max_length = 254, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"))]
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(format = Password))]
    pub password: String,
}

/// A sign-up whose fields passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignup {
    pub email: String,
    pub name: String,
    pub phone: String,
}

const EMAIL: TextRule = TextRule::line("email", 254);
const NAME: TextRule = TextRule::line("name", 50);
const PHONE: TextRule = TextRule::line("phone", 20).optional();

/// The email of a log-in, as accounts are keyed: trimmed, lower case, no control characters.
pub fn login_email(raw: &str) -> Result<String, AppError> {
    Ok(EMAIL.optional().check(raw)?.to_lowercase())
}

impl SignupRequest {
    pub fn validate(&self) -> Result<ValidSignup, AppError> {
        let email = login_email(&self.email)?;
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
        Ok(ValidSignup {
            email,
            name: NAME.check(&self.name)?,
            phone: PHONE.check(&self.phone)?,
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

#[server(prefix = "/api", endpoint = "account/login")]
pub async fn login(email: String, password: String) -> Result<Customer, AppError> {
    use crate::services::auth::{session_cookie, AuthService};
    let ctx = crate::ssr::app_context()?;
    let client = crate::ssr::client_addr();
    let (customer, token) =
        AuthService::login(&ctx.pool, &ctx.limits, client, &email, &password).await?;
    ssr::set_cookie(&session_cookie(&token))?;
    Ok(customer)
}

#[server(prefix = "/api", endpoint = "account/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::services::auth::{clear_session_cookie, AuthService};
    let ctx = crate::ssr::app_context()?;
    if let Some(token) = ssr::request_token() {
        AuthService::logout(&ctx.pool, &token).await?;
    }
    ssr::set_cookie(&clear_session_cookie())
}

#[server(prefix = "/api", endpoint = "account/me")]
pub async fn current_customer() -> Result<Option<Customer>, AppError> {
    ssr::current_customer().await
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
