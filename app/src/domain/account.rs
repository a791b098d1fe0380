//! Accounts as the browser sees them: sign-up, log-in, log-out, who am I.

use serde::{Deserialize, Serialize};

use super::text::{text_schema, TextError, TextRule};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub phone: String,
    /// `regular`, `silver`, `gold` or `vip`.
    #[cfg_attr(feature = "ssr", schema(value_type = crate::domain::order::Tier))]
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
    pub fn staff_role(&self) -> Option<crate::domain::staff::StaffRole> {
        crate::domain::staff::StaffRole::parse(&self.role)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignupRequest {
    #[cfg_attr(feature = "ssr", schema(format = Email, max_length = 254, examples("hong@example.com")))]
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(format = Password, min_length = 8, max_length = 128))]
    pub password: String,
    #[cfg_attr(feature = "ssr", schema(schema_with = name_schema))]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = phone_schema))]
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

text_schema!(name_schema, NAME, "홍길동");
text_schema!(phone_schema, PHONE, "010-1234-5678");

/// The email of a log-in, as accounts are keyed: trimmed, lower case, no control characters.
pub fn login_email(raw: &str) -> Result<String, TextError> {
    Ok(EMAIL.optional().check(raw)?.to_lowercase())
}

impl SignupRequest {
    pub fn validate(&self) -> Result<ValidSignup, TextError> {
        let email = login_email(&self.email)?;
        let at = email.find('@');
        let valid_email = matches!(at, Some(i) if i > 0 && i + 1 < email.len())
            && email.len() <= 254
            && !email.contains(char::is_whitespace);
        if !valid_email {
            return Err(TextError::Invalid {
                field: "email",
                message: "올바른 이메일 주소를 입력해 주세요",
            });
        }
        if self.password.chars().count() < 8 || self.password.len() > 128 {
            return Err(TextError::Invalid {
                field: "password",
                message: "비밀번호는 8자 이상이어야 합니다",
            });
        }
        Ok(ValidSignup {
            email,
            name: NAME.check(&self.name)?,
            phone: PHONE.check(&self.phone)?,
        })
    }
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
            "email"
        );
        assert_eq!(
            req("a@b.kr", "short", "x").validate().unwrap_err().field(),
            "password"
        );
        assert_eq!(
            req("a@b.kr", "longenough", " ")
                .validate()
                .unwrap_err()
                .field(),
            "name"
        );
    }
}
