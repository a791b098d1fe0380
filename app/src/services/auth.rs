//! Accounts and server-side sessions. The cookie carries a random token; only its SHA-256 is
//! stored, so a database leak does not leak sessions.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::domain::account::{Customer, SignupRequest};
use crate::error::AppError;
use crate::infra::limits::{ClientAddr, Limits};

pub const SESSION_COOKIE: &str = "daebak_session";
const SESSION_DAYS: i64 = 30;

pub struct AuthService;

pub(crate) fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|err| {
        tracing::error!(error = %err, "no randomness");
        AppError::Internal
    })?;
    Ok(hex::encode(buf))
}

pub(crate) fn token_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes in flight at once: each takes 19 MiB and a core for tens of milliseconds, so a burst
/// of log-ins waits its turn instead of taking the server's memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Argon2's working memory, kept and reused (at most one per permit). Freed, malloc keeps such
/// blocks resident anyway: 32 concurrent log-ins left 385 MB behind before this.
static BLOCKS: std::sync::Mutex<Vec<Vec<Block>>> = std::sync::Mutex::new(Vec::new());

/// A hash with the sign-up parameters of a password nobody has: an unknown email is verified
/// against it, so it answers as slowly as a known one.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$FKNCS5iLwjcGoF1p1cXWaA$p7mA3OucGNDizkaf0W5UN/qsMPxjqUI7PBItTbk0G9A";

/// The argon2 output of `password` with `salt`, in pooled memory.
fn argon2_output(
    argon: &Argon2,
    params: &Params,
    password: &[u8],
    salt: Salt,
    len: usize,
) -> password_hash::Result<Output> {
    let mut salt_buf = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buf)?;
    let mut blocks = BLOCKS
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    let count = params.block_count();
    if blocks.len() < count {
        blocks.resize(count, Block::default());
    }
    let output = Output::init_with(len, |out| {
        argon
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..count])
            .map_err(|_| password_hash::Error::Crypto)
    });
    if let Ok(mut pool) = BLOCKS.lock() {
        pool.push(blocks);
    }
    output
}

/// Runs a hashing job off the async threads, one of `HASHING`'s permits held.
async fn hashing<T: Send + 'static>(
    job: impl FnOnce() -> password_hash::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    let _permit = HASHING.acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|_| AppError::Internal)?
        .map_err(|err| {
            tracing::error!(error = %err, "password hashing failed");
            AppError::Internal
        })
}

/// A PHC string with argon2's default (sign-up) parameters.
async fn hash_password(password: String) -> Result<String, AppError> {
    let salt =
        SaltString::encode_b64(random_hex(16)?.as_bytes()).map_err(|_| AppError::Internal)?;
    hashing(move || {
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = argon2_output(&argon, &params, password.as_bytes(), salt.as_salt(), len)?;
        Ok(PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        }
        .to_string())
    })
    .await
}

/// Whether `password` matches the PHC string `hash`, with the hash's own parameters.
async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    hashing(move || {
        let parsed = PasswordHash::new(&hash)?;
        let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
            return Err(password_hash::Error::PhcStringField);
        };
        let params = Params::try_from(&parsed)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default();
        let argon = Argon2::new(
            Algorithm::try_from(parsed.algorithm)?,
            version,
            params.clone(),
        );
        let output = argon2_output(&argon, &params, password.as_bytes(), salt, expected.len())?;
        // `Output` compares in constant time.
        Ok(output == expected)
    })
    .await
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
    cookie_value(header, SESSION_COOKIE)
}

/// The non-empty value of cookie `name` in a `Cookie:` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

impl AuthService {
    pub async fn signup(
        pool: &PgPool,
        req: &SignupRequest,
    ) -> Result<(Customer, String), AppError> {
        let valid = req.validate()?;
        let hash = hash_password(req.password.clone()).await?;
        let inserted = sqlx::query_as!(
            Customer,
            "INSERT INTO customers AS c (email, password_hash, name, phone) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (email) DO NOTHING RETURNING c.id, c.email, c.name, c.phone, c.tier, c.role, c.store_id",
            valid.email,
            hash,
            valid.name,
            valid.phone,
        )
        .fetch_optional(pool)
        .await?;
        let customer = inserted.ok_or_else(|| AppError::InvalidInput {
            field: "email".into(),
            message: "이미 가입된 이메일입니다".into(),
        })?;
        let token = Self::start_session(pool, customer.id).await?;
        Ok((customer, token))
    }

    /// Signs in, or counts a failure against the account and the client (429 past the limit).
    pub async fn login(
        pool: &PgPool,
        limits: &Limits,
        client: Option<ClientAddr>,
        email: &str,
        password: &str,
    ) -> Result<(Customer, String), AppError> {
        let email = crate::domain::account::login_email(email)?;
        limits.check_login(&email, client).await?;
        let row = sqlx::query!(
            "SELECT id, password_hash FROM customers WHERE email = $1",
            email,
        )
        .fetch_optional(pool)
        .await?;
        let (id, hash) = match row {
            Some(row) => (Some(row.id), row.password_hash),
            None => (None, DUMMY_HASH.to_owned()),
        };
        let verified = verify_password(password.to_owned(), hash).await?;
        let Some(id) = id.filter(|_| verified) else {
            limits.record_login_failure(&email, client).await;
            return Err(AppError::BadCredentials);
        };
        let token = Self::start_session(pool, id).await?;
        let customer = Self::customer(pool, id).await?;
        Ok((customer, token))
    }

    async fn start_session(pool: &PgPool, customer_id: i64) -> Result<String, AppError> {
        let token = random_hex(32)?;
        sqlx::query!(
            "INSERT INTO customer_sessions (id, customer_id, expires_at) \
             VALUES ($1, $2, now() + make_interval(days => $3))",
            token_id(&token),
            customer_id,
            SESSION_DAYS as i32,
        )
        .execute(pool)
        .await?;
        Ok(token)
    }

    pub async fn logout(pool: &PgPool, token: &str) -> Result<(), AppError> {
        sqlx::query!(
            "DELETE FROM customer_sessions WHERE id = $1",
            token_id(token)
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    /// The customer a session token belongs to, if the session is live.
    pub async fn customer_for_token(
        pool: &PgPool,
        token: &str,
    ) -> Result<Option<Customer>, AppError> {
        Ok(sqlx::query_as!(
            Customer,
            "SELECT c.id, c.email, c.name, c.phone, c.tier, c.role, c.store_id \
             FROM customer_sessions s JOIN customers c ON c.id = s.customer_id \
             WHERE s.id = $1 AND s.expires_at > now()",
            token_id(token),
        )
        .fetch_optional(pool)
        .await?)
    }

    pub async fn customer(pool: &PgPool, id: i64) -> Result<Customer, AppError> {
        sqlx::query_as!(
            Customer,
            "SELECT c.id, c.email, c.name, c.phone, c.tier, c.role, c.store_id \
             FROM customers c WHERE c.id = $1",
            id,
        )
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pooled_hashes_verify_like_argon2s_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_password("daebak1234".into()).await.unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"daebak1234", &parsed)
            .is_ok());
        // A hash argon2 made, with other parameters (the seed's old ones), verifies too.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 3, 4, None).unwrap(),
        )
        .hash_password(b"daebak1234", &salt)
        .unwrap()
        .to_string();
        for hash in [ours, theirs, DUMMY_HASH.to_owned()] {
            let right = verify_password("daebak1234".into(), hash.clone())
                .await
                .unwrap();
            let wrong = verify_password("daebak12345".into(), hash.clone())
                .await
                .unwrap();
            assert_eq!((right, wrong), (hash != DUMMY_HASH, false), "{hash}");
        }
    }

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
