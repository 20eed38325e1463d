//! Who is asking: users, roles, password hashes (argon2), sessions and API
//! tokens, the sign-in limiter, the key that signs visitors' CSRF tokens,
//! and [`Actor`] — the signed-in user with
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
use std::net::IpAddr;

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
    /// The e-mail address or password is longer than any real one; refused
    /// before any counting or hashing, so it costs nothing and stores
    /// nothing.
    #[error("invalid input")]
    Invalid(crate::validation::FieldErrors),
    /// Unknown e-mail, wrong password or disabled user: deliberately one
    /// answer, so the response does not tell which addresses exist.
    #[error("wrong e-mail address or password")]
    WrongCredentials,
    /// Too many recent failures for this account, client or platform.
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    TooManyAttempts {
        /// Seconds until the counter that refused ends its window.
        retry_after_secs: i64,
    },
    /// Every password check the server runs at once is taken, and none
    /// came free in time; nothing was counted. Retry shortly.
    #[error("the server is busy checking other sign-ins; try again in a few seconds")]
    Busy,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Password checks (argon2, about 19 MiB of memory and tens of
/// milliseconds of CPU each) that run at once in this process: as many as
/// it has cores, at least two. More would only share the same cores while
/// each holding its memory: a hundred parallel sign-ins took 1.3 GB.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(2)));

/// How long a sign-in waits for a password check to come free before it is
/// told the server is busy.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Checks `password` against `hash` on the blocking pool, among at most
/// [`HASHING`] checks at once; `None` when none came free in time.
async fn verify_in_turn(password: String, hash: String) -> Option<bool> {
    let permit = tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await.ok()?.ok()?;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    drop(permit);
    Some(matches)
}

/// What charging a counter did.
enum Charge {
    /// Counted; the counter now holds this many attempts in its window.
    Counted(i64),
    /// The counter is full; it frees up in this many seconds.
    Full(i64),
}

/// A new session: the secret token (shown once) and its user.
#[derive(Debug)]
pub struct NewSession {
    /// Secret; becomes the cookie and the bearer token.
    pub token: String,
    /// The user it signs in.
    pub actor: Actor,
}

/// Longest e-mail address accepted, in bytes (the longest address SMTP can
/// carry, RFC 5321 with its 2004 erratum).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest password accepted, in bytes: far beyond any passphrase, short
/// enough that hashing it is no extra work worth an attacker's while.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The window over which failed sign-ins per account and per client are
/// counted.
const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// The window of the platform-wide ceiling.
const PLATFORM_WINDOW_SECS: i64 = 60;
/// Dead counter rows each sign-in attempt removes at most: every attempt
/// adds at most four rows, so sweeping more than it adds keeps the table at
/// the size of the live windows, and no attempt pays for a large delete.
const SWEEP_BATCH: i64 = 100;

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

/// One sign-in attempt: what was typed, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// The e-mail address as typed (trimmed and lower-cased here).
    pub email: &'a str,
    /// The password as typed.
    pub password: &'a str,
    /// The client's address (the edge works it out, proxies included).
    pub client: IpAddr,
}

/// What the limiter counts an attempt against, and how many failures each
/// allows in its window.
///
/// Why a hard limit per (account, client) rather than a delay: a delay
/// holds a request open, so an attacker simply opens more of them in
/// parallel and the server pays for every waiting connection; a counter
/// charged before the password is checked bounds the checks exactly and
/// answers the rest at once with 429 and Retry-After. Why per (account,
/// client) and not per account: a lock per account alone lets anyone lock
/// anyone out; this way an attacker's failures lock only the attacker's
/// address out of that account, and the owner, from an address that has
/// not failed, still signs in. A distributed attacker is bounded by the
/// per-account ceiling (past it the account is closed to everyone for the
/// rest of the window — the price of bounding guesses per account), by the
/// per-client ceiling (password spraying over many accounts), and by the
/// platform-wide ceiling per minute.
/// The index of the platform's counter in [`counters`].
const PLATFORM: usize = 3;

fn counters(config: &Config, email: &str, client: IpAddr) -> [(String, i64, i64); 4] {
    let client = client_key(client);
    [
        (limiter_key(&["client", &client]), config.login_attempts_per_client, FAILURE_WINDOW_SECS),
        (limiter_key(&["account-client", email, &client]), config.login_attempts, FAILURE_WINDOW_SECS),
        (limiter_key(&["account", email]), config.login_attempts_per_account, FAILURE_WINDOW_SECS),
        (limiter_key(&["platform"]), config.login_failures_per_minute, PLATFORM_WINDOW_SECS),
    ]
}

/// The stored key of a counter: a SHA-256, so every row has the same small
/// size whatever was typed, and the table holds no e-mail addresses.
fn limiter_key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so no two lists of parts hash the same bytes.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

/// A client as its counters name it (see [`client_of`]).
fn client_key(ip: IpAddr) -> String {
    match client_of(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("{v6}/64"),
    }
}

/// The address that names one client: an IPv4 address (also written as an
/// IPv4-mapped IPv6 one) whole, an IPv6 address by its /64 — one
/// subscriber usually holds a whole /64 and could otherwise rotate through
/// it. The sign-in limiter and the listener's per-address cap count alike.
pub fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// Charges one attempt to counter `key` if it holds fewer than `limit` in
/// its window, and says how many it holds now, or how long to wait when
/// it is full.
///
/// One statement, so the check and the count cannot be raced: PostgreSQL
/// locks the row for the `ON CONFLICT … DO UPDATE` and evaluates its
/// `WHERE` on the newest version, SQLite runs one writer at a time. A
/// window that has ended restarts at 1.
async fn charge(db: &Db, key: &str, limit: i64, window_secs: i64) -> sqlx::Result<Charge> {
    let now = crate::time::now();
    let charged: Option<i64> = sqlx::query_scalar(
        "INSERT INTO login_limits (key, attempts, expires_at) VALUES ($1, 1, $3) \
         ON CONFLICT (key) DO UPDATE SET \
           attempts = CASE WHEN login_limits.expires_at <= $2 THEN 1 ELSE login_limits.attempts + 1 END, \
           expires_at = CASE WHEN login_limits.expires_at <= $2 THEN $3 ELSE login_limits.expires_at END \
         WHERE login_limits.expires_at <= $2 OR login_limits.attempts < $4 \
         RETURNING attempts",
    )
    .bind(key)
    .bind(&now)
    .bind(crate::time::in_seconds(window_secs))
    .bind(limit)
    .fetch_optional(db.pool())
    .await?;
    if let Some(attempts) = charged {
        return Ok(Charge::Counted(attempts));
    }
    let expires: Option<String> =
        sqlx::query_scalar("SELECT expires_at FROM login_limits WHERE key = $1").bind(key).fetch_optional(db.pool()).await?;
    let wait = expires
        .and_then(|t| time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok())
        .map(|t| (t - time::OffsetDateTime::now_utc()).whole_seconds() + 1)
        .unwrap_or(window_secs)
        .clamp(1, window_secs);
    Ok(Charge::Full(wait))
}

/// Gives back the charge of an attempt that turned out not to be a failure
/// (it succeeded, or another counter refused it before any check).
async fn refund(db: &Db, key: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE login_limits SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0").bind(key).execute(db.pool()).await?;
    Ok(())
}

/// Removes up to [`SWEEP_BATCH`] counters whose window has ended. The outer
/// `expires_at` test is checked again on the row PostgreSQL deletes, so a
/// counter that another attempt restarted meanwhile is kept.
async fn sweep(db: &Db) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM login_limits WHERE expires_at <= $1 \
         AND key IN (SELECT key FROM login_limits WHERE expires_at <= $1 LIMIT $2)",
    )
    .bind(crate::time::now())
    .bind(SWEEP_BATCH)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Refuses an e-mail address or password longer than any real one.
fn check_lengths(attempt: &Attempt<'_>) -> Result<(), crate::validation::FieldErrors> {
    let mut errors = crate::validation::FieldErrors::default();
    if attempt.email.trim().len() > MAX_EMAIL_BYTES {
        errors.add("email", crate::validation::Problem::EmailTooLong { max: MAX_EMAIL_BYTES as i64 });
    }
    if attempt.password.len() > MAX_PASSWORD_BYTES {
        errors.add("password", crate::validation::Problem::PasswordTooLong { max: MAX_PASSWORD_BYTES as i64 });
    }
    errors.into_result()
}

/// Checks e-mail and password and opens a session.
///
/// Every attempt is first charged to four counters (see [`counters`]):
/// the client address, the account from that address, the account, and the
/// platform per minute. If any is full the attempt is refused with
/// [`LoginError::TooManyAttempts`] without checking the password, and the
/// counters it was already charged to get their charge back. A wrong
/// password leaves the charges standing as failures; a right one gives them
/// back and clears the account's failures from that address.
pub async fn login(db: &Db, config: &Config, attempt: &Attempt<'_>) -> Result<NewSession, LoginError> {
    check_lengths(attempt).map_err(LoginError::Invalid)?;
    let email = attempt.email.trim().to_lowercase();
    sweep(db).await?;
    let counters = counters(config, &email, attempt.client);
    // The client's attempts in its window, this one included.
    let mut client_attempts = 0;
    // How many counters this attempt was charged to (the platform one is
    // passed over for a client's first attempt, see below).
    let mut charged = counters.len();
    for (i, (key, limit, window)) in counters.iter().enumerate() {
        let outcome = match charge(db, key, *limit, *window).await {
            Ok(outcome) => outcome,
            Err(e) => {
                give_back(db, &counters[..i]).await;
                return Err(e.into());
            }
        };
        match outcome {
            Charge::Counted(n) if i == 0 => client_attempts = n,
            Charge::Counted(_) => {}
            // The platform's ceiling stops addresses that keep failing,
            // not a client's first attempt: otherwise 300 failures a
            // minute from a few addresses would turn away every right
            // password on the platform (the lockout finding 6 was about).
            // A first attempt still counts against its account's limit.
            Charge::Full(_) if i == PLATFORM && client_attempts == 1 => charged = PLATFORM,
            Charge::Full(retry_after_secs) => {
                give_back(db, &counters[..i]).await;
                return Err(LoginError::TooManyAttempts { retry_after_secs });
            }
        }
    }

    let user: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE email = $1").bind(&email).fetch_optional(db.pool()).await?;
    // An unknown address costs the same argon2 work as a wrong password, so
    // timing does not reveal which addresses have accounts. The work runs
    // on the blocking pool: tens of milliseconds of hashing on the async
    // runtime would stall every other request on that thread.
    let (hash, user_id, disabled) = match user {
        Some((id, hash, disabled)) => (hash, id, disabled != 0),
        None => (DUMMY_HASH.to_owned(), 0, true),
    };
    let Some(matches) = verify_in_turn(attempt.password.to_owned(), hash).await else {
        give_back(db, &counters[..charged]).await;
        return Err(LoginError::Busy);
    };
    if !matches || disabled {
        return Err(LoginError::WrongCredentials);
    }

    let [client, pair, account, platform] = &counters;
    for key in [client, account, platform].into_iter().take(if charged == PLATFORM { 2 } else { 3 }) {
        refund(db, &key.0).await?;
    }
    sqlx::query("DELETE FROM login_limits WHERE key = $1").bind(&pair.0).execute(db.pool()).await?;

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
    // Expired sessions are swept here rather than by a background job: every
    // instance signs people in, so no instance has to be special.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(crate::time::now()).execute(&mut *tx).await?;
    tx.commit().await?;
    let actor = authenticate(db, &token).await?.ok_or(LoginError::WrongCredentials)?;
    Ok(NewSession { token, actor })
}

/// Refunds the counters an attempt was charged to before it was refused;
/// best effort (a failed refund only counts one attempt too many).
async fn give_back(db: &Db, charged: &[(String, i64, i64)]) {
    for (key, _, _) in charged {
        if let Err(e) = refund(db, key).await {
            tracing::warn!(error = %e, "giving back a sign-in charge failed");
        }
    }
}

/// The server's secret for signing visitors' CSRF tokens: 32 random bytes,
/// made on first start and kept in the database's `meta` table, so every
/// instance of one deployment signs alike and a restart does not break the
/// forms open in browsers.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey([redacted])")
    }
}

impl ServerKey {
    /// Loads the key, creating it if this database has none. Several
    /// instances starting at once agree: the first insert wins and
    /// everyone reads the stored value.
    pub async fn load_or_create(db: &Db) -> anyhow::Result<ServerKey> {
        sqlx::query("INSERT INTO meta (key, value) VALUES ('csrf.key', $1) ON CONFLICT (key) DO NOTHING")
            .bind(random_token())
            .execute(db.pool())
            .await?;
        let stored = db.meta("csrf.key").await?.ok_or_else(|| anyhow::anyhow!("the CSRF key was not stored"))?;
        let bytes = unhex(&stored).ok_or_else(|| anyhow::anyhow!("meta csrf.key is not 64 hex digits"))?;
        Ok(ServerKey(bytes))
    }

    /// A fixed key, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(bytes: [u8; 32]) -> ServerKey {
        ServerKey(bytes)
    }

    /// The form token that goes with a visitor's CSRF cookie `nonce`:
    /// HMAC-SHA256 under this key. The cookie alone does not give the
    /// token, so a cookie planted in a browser (by a sibling subdomain or
    /// over plain HTTP) does not come with a matching form field.
    pub fn visitor_csrf_token(&self, nonce: &str) -> String {
        hex(&hmac_sha256(&self.0, format!("zhunong visitor csrf\0{nonce}").as_bytes()))
    }
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// HMAC-SHA256 (RFC 2104) over the `sha2` already in the tree.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
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
    match row {
        Some(row) => actor_with_roles(&mut conn, row).await,
        None => Ok(None),
    }
}

/// The actor of a session row, with its roles (`None` for an organisation
/// kind the code does not know).
async fn actor_with_roles(conn: &mut sqlx::AnyConnection, row: SessionRow) -> sqlx::Result<Option<Actor>> {
    let (id, email, display_name, csrf_token, org_id, kind, org_name, region_code) = row;
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

/// The user with address `email` as an actor without a session (no CSRF
/// token), for work the system does on a user's behalf: the demo's orders
/// along the chain, the benchmarks. Never reachable from a request.
pub async fn actor_of(db: &Db, email: &str) -> sqlx::Result<Option<Actor>> {
    let mut conn = db.pool().acquire().await?;
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, '' AS csrf_token, o.id, o.kind, o.name, o.region_code \
         FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.email = $1 AND u.disabled = 0",
    )
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => actor_with_roles(&mut conn, row).await,
        None => Ok(None),
    }
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
    fn hmac_matches_rfc_4231() {
        // Test cases 1 and 6 of RFC 4231 (a short key; a key longer than a block).
        let mac = hmac_sha256(&[0x0b; 20], b"Hi There");
        assert_eq!(hex(&mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        let mac = hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(hex(&mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn visitor_tokens_depend_on_the_key_and_the_nonce() {
        let (a, b) = (ServerKey([1; 32]), ServerKey([2; 32]));
        let nonce = random_token();
        assert_eq!(a.visitor_csrf_token(&nonce), a.visitor_csrf_token(&nonce));
        assert_ne!(a.visitor_csrf_token(&nonce), b.visitor_csrf_token(&nonce));
        assert_ne!(a.visitor_csrf_token(&nonce), a.visitor_csrf_token(&random_token()));
        assert_ne!(a.visitor_csrf_token(&nonce), nonce);
        assert!(!format!("{a:?}").contains("1, 1"), "the key never shows in logs");
    }

    #[test]
    fn limiter_keys_have_one_size_and_ipv6_clients_count_by_their_64() {
        let long = "x".repeat(10_000);
        assert_eq!(limiter_key(&["account", &long]).len(), 64);
        assert_ne!(limiter_key(&["account", "a", "b"]), limiter_key(&["account", "a\0b"]), "parts are delimited");
        let v6 = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(v6("2001:db8:1:2:aaaa::1"), v6("2001:db8:1:2:ffff::9"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(v6("::ffff:203.0.113.9"), "203.0.113.9");
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
