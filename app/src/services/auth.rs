//! Accounts and server-side sessions. The cookie carries a random token; only its SHA-256 is
//! stored, so a database leak does not leak sessions.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::account::{Customer, SignupRequest};
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "daebak_session";
const SESSION_DAYS: i64 = 30;

pub struct AuthService;

fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|err| {
        tracing::error!(error = %err, "no randomness");
        AppError::Internal
    })?;
    Ok(hex::encode(buf))
}

fn token_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashing is deliberately slow; keep it off the async worker threads.
async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt =
            SaltString::encode_b64(random_hex(16)?.as_bytes()).map_err(|_| AppError::Internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| AppError::Internal)
    })
    .await
    .map_err(|_| AppError::Internal)?
}

async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|_| AppError::Internal)?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|_| AppError::Internal)?
}

/// The `Set-Cookie` value for a new session (HttpOnly, SameSite=Lax, whole site).
pub fn session_cookie(token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_DAYS * 24 * 3600
    )
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The session token in a `Cookie:` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim() == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

const CUSTOMER_COLUMNS: &str = "c.id, c.email, c.name, c.phone, c.tier";

impl AuthService {
    pub async fn signup(
        pool: &PgPool,
        req: &SignupRequest,
    ) -> Result<(Customer, String), AppError> {
        let valid = req.validate()?;
        let hash = hash_password(req.password.clone()).await?;
        let inserted = sqlx::query_as::<_, Customer>(
            "INSERT INTO customers AS c (email, password_hash, name, phone) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (email) DO NOTHING RETURNING c.id, c.email, c.name, c.phone, c.tier",
        )
        .bind(&valid.email)
        .bind(&hash)
        .bind(&valid.name)
        .bind(&valid.phone)
        .fetch_optional(pool)
        .await?;
        let customer = inserted.ok_or_else(|| AppError::InvalidInput {
            field: "email".into(),
            message: "이미 가입된 이메일입니다".into(),
        })?;
        let token = Self::start_session(pool, customer.id).await?;
        Ok((customer, token))
    }

    pub async fn login(
        pool: &PgPool,
        email: &str,
        password: &str,
    ) -> Result<(Customer, String), AppError> {
        let email = email.trim().to_lowercase();
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, password_hash FROM customers WHERE email = $1")
                .bind(&email)
                .fetch_optional(pool)
                .await?;
        // Verify against a real hash even for unknown emails would be ideal; an unknown email
        // simply fails here, with the same message as a wrong password.
        let Some((id, hash)) = row else {
            return Err(AppError::BadCredentials);
        };
        if !verify_password(password.to_owned(), hash).await? {
            return Err(AppError::BadCredentials);
        }
        let token = Self::start_session(pool, id).await?;
        let customer = Self::customer(pool, id).await?;
        Ok((customer, token))
    }

    async fn start_session(pool: &PgPool, customer_id: i64) -> Result<String, AppError> {
        let token = random_hex(32)?;
        sqlx::query(
            "INSERT INTO customer_sessions (id, customer_id, expires_at) \
             VALUES ($1, $2, now() + make_interval(days => $3))",
        )
        .bind(token_id(&token))
        .bind(customer_id)
        .bind(SESSION_DAYS as i32)
        .execute(pool)
        .await?;
        Ok(token)
    }

    pub async fn logout(pool: &PgPool, token: &str) -> Result<(), AppError> {
        sqlx::query("DELETE FROM customer_sessions WHERE id = $1")
            .bind(token_id(token))
            .execute(pool)
            .await?;
        Ok(())
    }

    /// The customer a session token belongs to, if the session is live.
    pub async fn customer_for_token(
        pool: &PgPool,
        token: &str,
    ) -> Result<Option<Customer>, AppError> {
        Ok(sqlx::query_as::<_, Customer>(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customer_sessions s JOIN customers c ON c.id = s.customer_id \
             WHERE s.id = $1 AND s.expires_at > now()"
        ))
        .bind(token_id(token))
        .fetch_optional(pool)
        .await?)
    }

    pub async fn customer(pool: &PgPool, id: i64) -> Result<Customer, AppError> {
        sqlx::query_as::<_, Customer>(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_session_token_among_cookies() {
        assert_eq!(
            token_from_cookie_header("lang=en; daebak_session=abc"),
            Some("abc")
        );
        assert_eq!(token_from_cookie_header("daebak_session="), None);
        assert_eq!(token_from_cookie_header("lang=en"), None);
    }

    #[test]
    fn cookie_is_http_only_and_same_site() {
        let c = session_cookie("t");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
    }
}
