//! Who is asking: users, roles, password hashes (argon2), sessions and API
//! tokens, the sign-in rate limit, and [`Actor`] — the signed-in user with
//! roles and organisation that every scoped query takes (invariant 6).
//!
//! A session's secret token is both the browser's cookie and the bearer
//! token of API clients; only its SHA-256 is stored, so a leaked database
//! dump cannot be replayed. This module knows nothing of HTTP.

use crate::config::Config;
use crate::db::Db;
use crate::orgs::{OrgKind, OrgRef};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a user may do. Roles are held within the user's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Onboards organisations, regions, nodes and pairings.
    PlatformAdmin,
    /// Confirms bank-transfer payments.
    PlatformFinance,
    /// Orders for an agency.
    AgencyBuyer,
    /// Approves an agency's orders above its limit.
    AgencyApprover,
    /// Manages a cooperative's products and stock.
    CoopManager,
    /// Buys for a partner city.
    PartnerBuyer,
    /// Scans shipments at a node.
    HubOperator,
    /// Reads reports of a region, with household identities.
    Official,
}

named_enum!(Role { PlatformAdmin => "platform_admin", PlatformFinance => "platform_finance", AgencyBuyer => "agency_buyer", AgencyApprover => "agency_approver", CoopManager => "coop_manager", PartnerBuyer => "partner_buyer", HubOperator => "hub_operator", Official => "official" });

impl Role {
    /// The organisation kind a holder of this role must belong to.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::PlatformAdmin | Role::PlatformFinance => OrgKind::Platform,
            Role::AgencyBuyer | Role::AgencyApprover => OrgKind::Agency,
            Role::CoopManager => OrgKind::Cooperative,
            Role::PartnerBuyer => OrgKind::PartnerCity,
            Role::HubOperator => OrgKind::HubOperator,
            Role::Official => OrgKind::Government,
        }
    }
}

/// The signed-in user, with roles and organisation. Handlers get one from
/// the session or token and pass it to every query that must be scoped.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    /// Opaque id.
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Sign-in address.
    pub email: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Roles held in `org`.
    pub roles: Vec<Role>,
    /// The user's organisation.
    pub org: OrgRef,
    /// Token that HTML forms of this session must echo back.
    #[serde(skip)]
    pub csrf_token: String,
}

impl Actor {
    /// True when the user holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The cooperative this user manages, if any.
    pub fn managed_cooperative(&self) -> Option<i64> {
        (self.has(Role::CoopManager) && self.org.kind == OrgKind::Cooperative).then_some(self.org.id)
    }

    /// The region an official may see household identities in, if any.
    pub fn official_region(&self) -> Option<crate::regions::RegionCode> {
        if self.has(Role::Official) && self.org.kind == OrgKind::Government {
            crate::regions::RegionCode::parse(&self.org.region_code).ok()
        } else {
            None
        }
    }
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown e-mail, wrong password or disabled user: deliberately one
    /// answer, so the response does not tell which addresses exist.
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    /// Too many recent failures for this address.
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    TooManyAttempts {
        /// Seconds until the oldest counted failure falls out of the window.
        retry_after_secs: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A new session: the secret token (shown once) and its user.
#[derive(Debug)]
pub struct NewSession {
    /// Secret; becomes the cookie and the bearer token.
    pub token: String,
    /// The user it signs in.
    pub actor: Actor,
}

/// The window over which failed sign-ins are counted.
const FAILURE_WINDOW_SECS: i64 = 15 * 60;

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> String {
    Argon2::default().hash_password(password.as_bytes()).expect("argon2 with default parameters always hashes").to_string()
}

/// True when `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A fresh random secret: 32 bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Checks e-mail and password and opens a session. Failures are counted
/// per address; past `config.login_attempts` in 15 minutes the address is
/// refused without checking the password.
pub async fn login(db: &Db, config: &Config, email: &str, password: &str) -> Result<NewSession, LoginError> {
    let email = email.trim().to_lowercase();
    let since = crate::time::in_seconds(-FAILURE_WINDOW_SECS);
    let (failures, oldest): (i64, Option<String>) =
        sqlx::query_as("SELECT COUNT(*), MIN(at) FROM login_failures WHERE email = $1 AND at > $2")
            .bind(&email)
            .bind(&since)
            .fetch_one(db.pool())
            .await?;
    if failures >= config.login_attempts {
        let retry_after_secs = oldest
            .and_then(|t| time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok())
            .map(|t| (t - time::OffsetDateTime::now_utc()).whole_seconds() + FAILURE_WINDOW_SECS)
            .unwrap_or(FAILURE_WINDOW_SECS)
            .max(1);
        return Err(LoginError::TooManyAttempts { retry_after_secs });
    }

    let user: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE email = $1").bind(&email).fetch_optional(db.pool()).await?;
    // An unknown address costs the same argon2 work as a wrong password, so
    // timing does not reveal which addresses have accounts.
    let (ok, user_id) = match &user {
        Some((id, hash, disabled)) => (verify_password(password, hash) && *disabled == 0, *id),
        None => {
            verify_password(password, DUMMY_HASH);
            (false, 0)
        }
    };
    if !ok {
        sqlx::query("INSERT INTO login_failures (email, at) VALUES ($1, $2)")
            .bind(&email)
            .bind(crate::time::now())
            .execute(db.pool())
            .await?;
        return Err(LoginError::WrongCredentials);
    }

    let token = random_token();
    let csrf = random_token();
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(&csrf)
        .bind(crate::time::now())
        .bind(crate::time::in_seconds(config.session_ttl_secs))
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE email = $1").bind(&email).execute(&mut *tx).await?;
    // Expired sessions are swept here rather than by a background job: every
    // instance signs people in, so no instance has to be special.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(crate::time::now()).execute(&mut *tx).await?;
    tx.commit().await?;
    let actor = authenticate(db, &token).await?.ok_or(LoginError::WrongCredentials)?;
    Ok(NewSession { token, actor })
}

/// A valid argon2 hash of a random password, verified against when the
/// e-mail address is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wvR5E2Dv2x0Ss0ZTbAqfF9Qz5A3BqSpoUk5DmlWNvWk";

/// user id, e-mail, display name, CSRF token, org id, org kind, org name, org region
type SessionRow = (i64, String, String, String, i64, String, String, String);

/// The user behind a session token, if the session is live.
pub async fn authenticate(db: &Db, token: &str) -> sqlx::Result<Option<Actor>> {
    if token.len() != 64 {
        return Ok(None);
    }
    let mut conn = db.pool().acquire().await?;
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, s.csrf_token, o.id, o.kind, o.name, o.region_code \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
    )
    .bind(token_hash(token))
    .bind(crate::time::now())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, email, display_name, csrf_token, org_id, kind, org_name, region_code)) = row else {
        return Ok(None);
    };
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role").bind(id).fetch_all(&mut *conn).await?;
    let Some(kind) = OrgKind::parse(&kind) else {
        return Ok(None);
    };
    Ok(Some(Actor {
        id,
        email,
        display_name,
        roles: roles.iter().filter_map(|r| Role::parse(r)).collect(),
        org: OrgRef { id: org_id, kind, name: org_name, region_code },
        csrf_token,
    }))
}

/// Ends the session of `token` (signing out); unknown tokens are ignored.
pub async fn logout(db: &Db, token: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(db.pool()).await?;
    Ok(())
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Sign-in address (stored lower-case).
    pub email: &'a str,
    /// The password's PHC hash from [`hash_password`] (hashing is slow on
    /// purpose, so callers creating many users with one password hash once).
    pub password_hash: &'a str,
    /// Name shown on pages.
    pub display_name: &'a str,
    /// The organisation.
    pub org_id: i64,
    /// Roles, each of which must fit the organisation's kind.
    pub roles: &'a [Role],
}

/// Creates a user inside `tx`. A role that does not fit the organisation's
/// kind is refused (a cooperative cannot have an agency approver).
pub async fn create_user(tx: &mut crate::db::Tx, user: &NewUser<'_>) -> anyhow::Result<i64> {
    let kind: String = sqlx::query_scalar("SELECT kind FROM organisations WHERE id = $1").bind(user.org_id).fetch_one(&mut **tx).await?;
    for role in user.roles {
        anyhow::ensure!(role.org_kind().as_str() == kind, "role {} does not belong in a {kind} organisation", role.as_str());
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, display_name, org_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user.email.trim().to_lowercase())
    .bind(user.password_hash)
    .bind(user.display_name)
    .bind(user.org_id)
    .bind(crate::time::now())
    .fetch_one(&mut **tx)
    .await?;
    for role in user.roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)").bind(id).bind(role.as_str()).execute(&mut **tx).await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("zhunong-demo");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("zhunong-demo", &h));
        assert!(!verify_password("zhunong-demo ", &h));
        assert!(!verify_password("zhunong-demo", "not a hash"));
        assert_ne!(h, hash_password("zhunong-demo"), "salted");
    }

    #[test]
    fn the_dummy_hash_is_a_valid_argon2_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_hashes() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn every_role_belongs_to_one_organisation_kind() {
        assert_eq!(Role::CoopManager.org_kind(), OrgKind::Cooperative);
        assert_eq!(Role::Official.org_kind(), OrgKind::Government);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
    }
}
