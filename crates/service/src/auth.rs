//! Who is calling: staff logging in with a password, citizens with their ID number and a
//! one-time code, and the sessions that carry them. Authority to act on a case or task is
//! derived from a session's principal (see `authority.rs`), never from what a client claims.
//!
//! Session tokens are 256-bit random values; only their SM3 hash is stored. Sessions end after
//! an idle period and at an absolute age; repeated failed logins lock a username for a while.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::access::{Role, Scope};
use domain::ids::IdNumber;
use domain::region::RegionCode;

use std::future::Future;

use crate::Platform;
use crate::error::ServiceError;
use crate::ports::{Store, StoreError};

/// Accounts, sessions and login codes.
pub trait AuthStore: Send + Sync {
    /// Inserts an account, or replaces the password, name, role and region of the same username.
    fn put_account(
        &self,
        account: &Account,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// An account and its password hash.
    fn account_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<(Account, String)>, StoreError>> + Send;
    fn count_accounts(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
    fn record_login_failure(
        &self,
        username: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn count_login_failures(
        &self,
        username: &str,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    fn clear_login_failures(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn insert_session(
        &self,
        row: &SessionRow,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<SessionRow>, StoreError>> + Send;
    fn touch_session(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn delete_session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Stores a fresh code for an ID number's blind index (replacing any earlier one).
    fn put_login_code(
        &self,
        id_index: &str,
        code_hash: &str,
        expires: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Consumes the code if it matches and is live; a wrong code counts an attempt, and after
    /// `max_attempts` the code is void. True when the code was right.
    fn take_login_code(
        &self,
        id_index: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Login and session rules (configurable; the defaults are the product's).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub idle: Duration,
    pub absolute: Duration,
    pub max_failures: u32,
    pub failure_window: Duration,
    pub code_ttl: Duration,
    pub code_attempts: u32,
    /// Demo mode: one-time codes are shown on screen and in the log.
    pub demo: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
            code_ttl: Duration::from_secs(5 * 60),
            code_attempts: 5,
            demo: true,
        }
    }
}

/// A staff account as the platform sees it (the password hash stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub scope: Scope,
    pub active: bool,
}

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Staff {
        account: String,
        role: Role,
        scope: Scope,
    },
    /// A citizen identified by the blind index of their ID number (they may not be in the
    /// registry yet); `person` once they are.
    Citizen {
        id_index: String,
        person: Option<String>,
    },
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::Staff { role, .. } => *role,
            Principal::Citizen { .. } => Role::Applicant,
        }
    }

    /// A stable key for per-caller records (idempotency keys): account or ID-number index.
    pub fn caller_key(&self) -> String {
        match self {
            Principal::Staff { account, .. } => format!("staff:{account}"),
            Principal::Citizen { id_index, .. } => format!("citizen:{id_index}"),
        }
    }

    /// The workflow actor (record ids only).
    pub fn actor(&self) -> domain::workflow::Actor {
        match self {
            Principal::Staff { account, role, .. } => domain::workflow::Actor::Staff {
                account: account.clone(),
                role: role.key().to_owned(),
            },
            Principal::Citizen { id_index, person } => domain::workflow::Actor::Applicant {
                account: person
                    .clone()
                    .unwrap_or_else(|| format!("citizen:{}", &id_index[..16.min(id_index.len())])),
            },
        }
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub principal: Principal,
    /// Cookie-authenticated writes must echo this in `X-CSRF-Token`.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A stored session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub kind: String,
    pub subject: String,
    pub role: String,
    pub scope: Option<String>,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// Why a login or a session was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("用户名或密码不正确")]
    InvalidCredentials,
    #[error("登录失败次数过多，账号已暂时锁定，请 {minutes} 分钟后再试")]
    Locked { minutes: u64 },
    #[error("请先登录")]
    NotLoggedIn,
    #[error("登录已过期，请重新登录")]
    Expired,
    #[error("验证码不正确或已失效，请重新获取")]
    CodeInvalid,
    #[error("页面已过期，请刷新后重试")]
    Csrf,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidCredentials => "auth.invalid_credentials",
            AuthError::Locked { .. } => "auth.locked",
            AuthError::NotLoggedIn => "auth.required",
            AuthError::Expired => "auth.expired",
            AuthError::CodeInvalid => "auth.code_invalid",
            AuthError::Csrf => "auth.csrf",
        }
    }
}

fn token_hash(token: &str) -> String {
    gm_crypto::to_hex(&gm_crypto::sm3(token.as_bytes()))
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A six-digit one-time code.
fn new_code() -> String {
    let bytes = gm_crypto::random_bytes::<4>();
    format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000)
}

impl<S: Store> Platform<S> {
    /// Creates (or, for an existing username, replaces the password of) a staff account.
    pub async fn put_account(&self, account: &Account, password: &str) -> Result<(), ServiceError> {
        let hash = gm_crypto::hash_password(password)
            .map_err(|e| ServiceError::Unexpected(e.to_string()))?;
        self.store
            .put_account(account, &hash, self.clock.now())
            .await?;
        Ok(())
    }

    /// Staff login. Five failures within fifteen minutes (configurable) lock the username; the
    /// answer for an unknown username is the same as for a wrong password.
    pub async fn login_staff(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(String, Session), AuthError> {
        let now = self.clock.now();
        let s = &self.auth;
        let since = now - chrono_dur(s.failure_window);
        let failures = self
            .store
            .count_login_failures(username, since)
            .await
            .map_err(|_| AuthError::InvalidCredentials)?;
        if failures >= u64::from(s.max_failures) {
            return Err(AuthError::Locked {
                minutes: s.failure_window.as_secs().div_ceil(60),
            });
        }
        let found = self
            .store
            .account_by_username(username)
            .await
            .map_err(|_| AuthError::InvalidCredentials)?;
        // Verify against a fixed hash when the account is unknown, so timing does not tell.
        let (account, ok) = match found {
            Some((account, hash)) => {
                let ok = gm_crypto::verify_password(password, &hash) && account.active;
                (Some(account), ok)
            }
            None => {
                let _ = gm_crypto::verify_password(password, UNKNOWN_USER_HASH);
                (None, false)
            }
        };
        let Some(account) = account.filter(|_| ok) else {
            let _ = self.store.record_login_failure(username, now).await;
            tracing::info!(failures = failures + 1, "staff login failed");
            return Err(AuthError::InvalidCredentials);
        };
        let _ = self.store.clear_login_failures(username).await;
        let principal = Principal::Staff {
            account: account.id.clone(),
            role: account.role,
            scope: account.scope.clone(),
        };
        self.open_session(principal).await
    }

    /// Sends (in demo mode: returns) a one-time login code for an ID number.
    pub async fn request_login_code(
        &self,
        id_number: &str,
    ) -> Result<Option<String>, ServiceError> {
        let id = IdNumber::parse_allowing_legacy(id_number)
            .map_err(|e| {
                ServiceError::field("id_number", e.code(), format!("居民身份证号码：{e}"))
            })?
            .id;
        let code = new_code();
        let expires = self.clock.now() + chrono_dur(self.auth.code_ttl);
        self.store
            .put_login_code(&self.vault.id_index(&id), &token_hash(&code), expires)
            .await?;
        if self.auth.demo {
            // Demo mode stands in for the provincial identity login: the code is shown, and
            // logged (the log never carries the ID number).
            tracing::info!(code = %code, "demo one-time login code issued");
            Ok(Some(code))
        } else {
            // The SMS gateway (later issue) delivers the code; it is never returned.
            Ok(None)
        }
    }

    /// Citizen login with an ID number and the one-time code.
    pub async fn login_citizen(
        &self,
        id_number: &str,
        code: &str,
    ) -> Result<(String, Session), AuthError> {
        let id = IdNumber::parse_allowing_legacy(id_number)
            .map_err(|_| AuthError::CodeInvalid)?
            .id;
        let index = self.vault.id_index(&id);
        let ok = self
            .store
            .take_login_code(
                &index,
                &token_hash(code.trim()),
                self.clock.now(),
                self.auth.code_attempts,
            )
            .await
            .map_err(|_| AuthError::CodeInvalid)?;
        if !ok {
            return Err(AuthError::CodeInvalid);
        }
        let person = self
            .store
            .find_by_id_index(&index)
            .await
            .ok()
            .flatten()
            .map(|r| r.person.id.0);
        self.open_session(Principal::Citizen {
            id_index: index,
            person,
        })
        .await
    }

    async fn open_session(&self, principal: Principal) -> Result<(String, Session), AuthError> {
        let token = gm_crypto::random_token();
        let now = self.clock.now();
        let session = Session {
            token_hash: token_hash(&token),
            principal,
            csrf: gm_crypto::random_token(),
            created_at: now,
            last_seen_at: now,
        };
        self.store
            .insert_session(&session_row(&session))
            .await
            .map_err(|_| AuthError::NotLoggedIn)?;
        Ok((token, session))
    }

    /// The session of a token, if it is live; refreshes its idle timer (at most once a minute,
    /// to spare writes).
    pub async fn session(&self, token: &str) -> Result<Session, AuthError> {
        let hash = token_hash(token);
        let row = self
            .store
            .session(&hash)
            .await
            .map_err(|_| AuthError::NotLoggedIn)?
            .ok_or(AuthError::NotLoggedIn)?;
        let now = self.clock.now();
        if now - row.last_seen_at > chrono_dur(self.auth.idle)
            || now - row.created_at > chrono_dur(self.auth.absolute)
        {
            let _ = self.store.delete_session(&hash).await;
            return Err(AuthError::Expired);
        }
        let principal = match row.kind.as_str() {
            "staff" => Principal::Staff {
                account: row.subject.clone(),
                role: Role::from_key(&row.role).ok_or(AuthError::NotLoggedIn)?,
                scope: Scope(row.scope.clone().unwrap_or_default()),
            },
            _ => {
                let person = self
                    .store
                    .find_by_id_index(&row.subject)
                    .await
                    .ok()
                    .flatten()
                    .map(|r| r.person.id.0);
                Principal::Citizen {
                    id_index: row.subject.clone(),
                    person,
                }
            }
        };
        if now - row.last_seen_at > chrono::Duration::minutes(1) {
            let _ = self.store.touch_session(&hash, now).await;
        }
        Ok(Session {
            token_hash: hash,
            principal,
            csrf: row.csrf,
            created_at: row.created_at,
            last_seen_at: now,
        })
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<(), ServiceError> {
        self.store.delete_session(&token_hash(token)).await?;
        Ok(())
    }

    /// The account of a staff principal.
    pub async fn account(&self, username: &str) -> Result<Option<Account>, ServiceError> {
        Ok(self
            .store
            .account_by_username(username)
            .await?
            .map(|(a, _)| a))
    }
}

fn session_row(s: &Session) -> SessionRow {
    let (kind, subject, role, scope) = match &s.principal {
        Principal::Staff {
            account,
            role,
            scope,
            ..
        } => ("staff", account.clone(), role.key(), Some(scope.0.clone())),
        Principal::Citizen { id_index, .. } => {
            ("citizen", id_index.clone(), Role::Applicant.key(), None)
        }
    };
    SessionRow {
        token_hash: s.token_hash.clone(),
        kind: kind.to_owned(),
        subject,
        role: role.to_owned(),
        scope,
        csrf: s.csrf.clone(),
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
    }
}

/// An Argon2id hash of a random password nobody knows, verified against when the username is
/// unknown so that the answer takes as long as for a known one.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXJhbmRvbXNhbHQ$Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
