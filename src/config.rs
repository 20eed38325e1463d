//! Configuration: environment variables, over an optional `zhunong.toml`
//! (or the file named by `ZHUNONG_CONFIG`), over defaults. Every key is in
//! the README's configuration table.
//!
//! Secrets (database password, API keys) are held in [`Secret`], whose
//! `Debug` and `Display` never show the value, so a logged `Config` is safe.

use crate::money::Fen;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// A value that must never reach a log or a page.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The whole configuration of one process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`ZHUNONG_BIND`).
    pub bind: String,
    /// `sqlite://…` or `postgres://…` (`DATABASE_URL`); a secret because it
    /// may carry a password.
    pub database_url: Secret,
    /// Folder for the SQLite file and the embedded search index
    /// (`ZHUNONG_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Folder of the product photos' files (`ZHUNONG_PHOTOS_DIR`, default
    /// `<data_dir>/photos`). Disk only: several instances must share it
    /// (one mounted volume), as they share the database.
    pub photos_dir: PathBuf,
    /// Load the demo data into an empty database when serving
    /// (`ZHUNONG_DEMO`, default on).
    pub demo_on_empty: bool,
    /// Mark cookies `Secure` (`ZHUNONG_SECURE_COOKIES`); on behind HTTPS.
    pub secure_cookies: bool,
    /// Lifetime of a sign-in session and its API token, in seconds
    /// (`ZHUNONG_SESSION_TTL_SECS`).
    pub session_ttl_secs: i64,
    /// Failed sign-ins allowed per account from one client address per
    /// 15 minutes (`ZHUNONG_LOGIN_ATTEMPTS`).
    pub login_attempts: i64,
    /// Failed sign-ins allowed per account from all addresses together per
    /// 15 minutes; past it the account is refused to everyone until the
    /// window ends (`ZHUNONG_LOGIN_ATTEMPTS_PER_ACCOUNT`).
    pub login_attempts_per_account: i64,
    /// Failed sign-ins allowed per client address over all accounts per 15
    /// minutes (`ZHUNONG_LOGIN_ATTEMPTS_PER_CLIENT`).
    pub login_attempts_per_client: i64,
    /// Failed sign-ins allowed per minute over the whole platform
    /// (`ZHUNONG_LOGIN_FAILURES_PER_MINUTE`).
    pub login_failures_per_minute: i64,
    /// Reverse proxies whose `X-Forwarded-For` is believed, as addresses or
    /// CIDR ranges (`ZHUNONG_TRUSTED_PROXIES`, comma-separated, or the
    /// `trusted_proxies` list). Empty: the peer address is the client.
    pub trusted_proxies: Vec<IpRange>,
    /// Hours an order may stay unpaid before it expires and gives its stock
    /// back (`ZHUNONG_ORDER_PAYMENT_HOURS`).
    pub order_payment_hours: i64,
    /// Hours an order waiting for its agency's approver may hold stock
    /// before it lapses (`ZHUNONG_APPROVAL_HOLD_HOURS`, 1 up to the payment
    /// hours).
    pub approval_hold_hours: i64,
    /// Percent of a product's units on offer that one buyer organisation's
    /// unpaid orders may hold together (`ZHUNONG_HOLD_SHARE_PERCENT`, 1 to
    /// 100).
    pub hold_share_percent: i64,
    /// Result cards (assembled products) kept between searches with the
    /// embedded engine; 0 turns the cache off (`ZHUNONG_SEARCH_CARDS`).
    pub search_cards: i64,
    /// Meilisearch, when set (`MEILI_URL`, `MEILI_API_KEY`).
    pub meili_url: Option<String>,
    /// Meilisearch API key.
    pub meili_api_key: Option<Secret>,
    /// Stripe, when set (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`,
    /// `STRIPE_API_BASE`).
    pub stripe_secret_key: Option<Secret>,
    /// Secret that signs Stripe's webhook calls.
    pub stripe_webhook_secret: Option<Secret>,
    /// Base URL of the Stripe API (for a stand-in server).
    pub stripe_api_base: Option<String>,
    /// Stripe's publishable key, for the checkout page's Stripe.js
    /// (`STRIPE_PUBLISHABLE_KEY`).
    pub stripe_publishable_key: Option<String>,
    /// How long one call to Stripe may take before it counts as
    /// unanswered (`STRIPE_TIMEOUT_MS`, [`crate::bounds::STRIPE_TIMEOUT_MS`]).
    pub stripe_timeout_ms: i64,
    /// Who invoice buyers pay by bank transfer (`ZHUNONG_PAYEE_NAME`,
    /// `ZHUNONG_PAYEE_BANK`, `ZHUNONG_PAYEE_ACCOUNT`).
    pub payee: Payee,
    /// Monitoring line per year, per person per year
    /// (`ZHUNONG_MONITORING_LINE_<YEAR>` in yuan, or `[monitoring_line]`).
    pub monitoring_lines: BTreeMap<i32, Fen>,
    /// Per-capita income up to this percent above the line is orange
    /// (`ZHUNONG_MONITORING_ORANGE_PERCENT`, default 10).
    pub monitoring_orange_percent: i64,
    /// Up to this percent above the line is yellow
    /// (`ZHUNONG_MONITORING_YELLOW_PERCENT`, default 30).
    pub monitoring_yellow_percent: i64,
    /// A fall of more than this percent from last year's per-capita income
    /// makes the colour one step worse (`ZHUNONG_MONITORING_DROP_PERCENT`,
    /// default 30).
    pub monitoring_drop_percent: i64,
    /// The colour a household is at least when its latest visit of the
    /// year found a risk factor or a failed 两不愁三保障 check
    /// (`ZHUNONG_MONITORING_RISK_COLOUR`: yellow, orange or red; default
    /// orange).
    pub monitoring_risk_colour: String,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// What `zhunong.toml` may hold; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    database_url: Option<Secret>,
    data_dir: Option<PathBuf>,
    photos_dir: Option<PathBuf>,
    demo_on_empty: Option<bool>,
    secure_cookies: Option<bool>,
    session_ttl_secs: Option<i64>,
    login_attempts: Option<i64>,
    login_attempts_per_account: Option<i64>,
    login_attempts_per_client: Option<i64>,
    login_failures_per_minute: Option<i64>,
    trusted_proxies: Option<Vec<String>>,
    order_payment_hours: Option<i64>,
    approval_hold_hours: Option<i64>,
    hold_share_percent: Option<i64>,
    search_cards: Option<i64>,
    meili_url: Option<String>,
    meili_api_key: Option<Secret>,
    stripe_secret_key: Option<Secret>,
    stripe_webhook_secret: Option<Secret>,
    stripe_api_base: Option<String>,
    stripe_publishable_key: Option<String>,
    stripe_timeout_ms: Option<i64>,
    payee_name: Option<String>,
    payee_bank: Option<String>,
    payee_account: Option<String>,
    /// year → yuan per person per year
    #[serde(default)]
    monitoring_line: BTreeMap<String, i64>,
    monitoring_orange_percent: Option<i64>,
    monitoring_yellow_percent: Option<i64>,
    monitoring_drop_percent: Option<i64>,
    monitoring_risk_colour: Option<String>,
}

/// The bank account invoice orders are paid to, printed on invoices.
#[derive(Debug, Clone)]
pub struct Payee {
    /// Account holder.
    pub name: String,
    /// Bank and branch; `None` until configured.
    pub bank: Option<String>,
    /// Account number; `None` until configured.
    pub account: Option<String>,
}

impl Payee {
    /// The settings still missing, by their environment names: platform
    /// finance is told on its page, buyers never see them.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.bank.is_none() {
            missing.push("ZHUNONG_PAYEE_BANK");
        }
        if self.account.is_none() {
            missing.push("ZHUNONG_PAYEE_ACCOUNT");
        }
        missing
    }
}

/// An IP address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare
/// address is a range of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Parses `addr` or `addr/prefix`.
    pub fn parse(s: &str) -> Option<IpRange> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let base: IpAddr = addr.parse().ok()?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpRange { base, prefix })
    }

    /// True when `ip` lies in the range. An IPv4 address written as an
    /// IPv6-mapped one (`::ffff:10.0.0.1`) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.base, ip) {
            (IpAddr::V4(b), IpAddr::V4(a)) => prefix_eq(&b.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(b), IpAddr::V6(a)) => prefix_eq(&b.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// True when the first `bits` bits of `a` and `b` agree.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let bits = usize::from(bits);
    let (whole, rest) = (bits / 8, bits % 8);
    if a[..whole] != b[..whole] {
        return false;
    }
    rest == 0 || (a[whole] ^ b[whole]) >> (8 - rest) == 0
}

/// Monitoring lines used when none is configured for a year: the national
/// line of 2021 (6,000 yuan per person per year) and later provincial
/// practice. Overridden per year by configuration.
const DEFAULT_MONITORING_LINES: &[(i32, i64)] = &[(2021, 6_000), (2022, 6_500), (2023, 6_900), (2024, 7_200)];

impl Config {
    /// Reads the configuration from the process environment and the
    /// optional file.
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        let path = vars.get("ZHUNONG_CONFIG").map(PathBuf::from);
        let file = match path {
            Some(p) => Some(std::fs::read_to_string(&p).map_err(|e| ConfigError(format!("{}: {e}", p.display())))?),
            None => std::fs::read_to_string("zhunong.toml").ok(),
        };
        Self::from_sources(&vars, file.as_deref())
    }

    /// Builds a configuration from explicit variables and file text (used by
    /// [`Config::from_env`] and by tests).
    pub fn from_sources(vars: &BTreeMap<String, String>, file: Option<&str>) -> Result<Self, ConfigError> {
        let file: FileConfig = match file {
            Some(text) => toml::from_str(text).map_err(|e| ConfigError(format!("zhunong.toml: {e}")))?,
            None => FileConfig::default(),
        };
        let var = |k: &str| vars.get(k).filter(|v| !v.is_empty()).cloned();
        let flag = |k: &str, file: Option<bool>, default: bool| -> Result<bool, ConfigError> {
            match var(k) {
                Some(v) => match v.as_str() {
                    "1" | "true" | "yes" | "on" => Ok(true),
                    "0" | "false" | "no" | "off" => Ok(false),
                    _ => Err(ConfigError(format!("{k} must be true or false, not {v:?}"))),
                },
                None => Ok(file.unwrap_or(default)),
            }
        };
        let number = |k: &str, file: Option<i64>, default: i64| -> Result<i64, ConfigError> {
            match var(k) {
                Some(v) => v.parse().map_err(|_| ConfigError(format!("{k} must be a whole number, not {v:?}"))),
                None => Ok(file.unwrap_or(default)),
            }
        };

        let data_dir = var("ZHUNONG_DATA_DIR").map(PathBuf::from).or(file.data_dir).unwrap_or_else(|| "data".into());
        let database_url = var("DATABASE_URL")
            .map(Secret::new)
            .or(file.database_url)
            .unwrap_or_else(|| Secret::new(format!("sqlite://{}?mode=rwc", data_dir.join("zhunong.db").display())));
        let mut monitoring_lines: BTreeMap<i32, Fen> = DEFAULT_MONITORING_LINES.iter().map(|(y, yuan)| (*y, Fen::yuan(*yuan))).collect();
        for (year, yuan) in &file.monitoring_line {
            let year: i32 = year.parse().map_err(|_| ConfigError(format!("monitoring_line key {year:?} is not a year")))?;
            monitoring_lines.insert(year, Fen::yuan(*yuan));
        }
        for (k, v) in vars {
            if let Some(year) = k.strip_prefix("ZHUNONG_MONITORING_LINE_") {
                let year: i32 = year.parse().map_err(|_| ConfigError(format!("{k}: {year:?} is not a year")))?;
                let yuan: i64 = v.parse().map_err(|_| ConfigError(format!("{k} must be yuan per person per year, not {v:?}")))?;
                monitoring_lines.insert(year, Fen::yuan(yuan));
            }
        }

        let proxies: Vec<String> = match var("ZHUNONG_TRUSTED_PROXIES") {
            Some(v) => v.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies
            .iter()
            .map(|p| {
                IpRange::parse(p).ok_or_else(|| ConfigError(format!("ZHUNONG_TRUSTED_PROXIES: {p:?} is not an IP address or CIDR range")))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let config = Config {
            bind: var("ZHUNONG_BIND").or(file.bind).unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url,
            photos_dir: var("ZHUNONG_PHOTOS_DIR").map(PathBuf::from).or(file.photos_dir).unwrap_or_else(|| data_dir.join("photos")),
            data_dir,
            demo_on_empty: flag("ZHUNONG_DEMO", file.demo_on_empty, true)?,
            secure_cookies: flag("ZHUNONG_SECURE_COOKIES", file.secure_cookies, false)?,
            session_ttl_secs: number("ZHUNONG_SESSION_TTL_SECS", file.session_ttl_secs, 7 * 24 * 3600)?,
            login_attempts: number("ZHUNONG_LOGIN_ATTEMPTS", file.login_attempts, 10)?,
            login_attempts_per_account: number("ZHUNONG_LOGIN_ATTEMPTS_PER_ACCOUNT", file.login_attempts_per_account, 100)?,
            login_attempts_per_client: number("ZHUNONG_LOGIN_ATTEMPTS_PER_CLIENT", file.login_attempts_per_client, 30)?,
            login_failures_per_minute: number("ZHUNONG_LOGIN_FAILURES_PER_MINUTE", file.login_failures_per_minute, 300)?,
            trusted_proxies,
            order_payment_hours: number("ZHUNONG_ORDER_PAYMENT_HOURS", file.order_payment_hours, 72)?,
            approval_hold_hours: number("ZHUNONG_APPROVAL_HOLD_HOURS", file.approval_hold_hours, 24)?,
            hold_share_percent: number("ZHUNONG_HOLD_SHARE_PERCENT", file.hold_share_percent, 50)?,
            search_cards: number("ZHUNONG_SEARCH_CARDS", file.search_cards, 20_000)?,
            meili_url: var("MEILI_URL").or(file.meili_url),
            meili_api_key: var("MEILI_API_KEY").map(Secret::new).or(file.meili_api_key),
            stripe_secret_key: var("STRIPE_SECRET_KEY").map(Secret::new).or(file.stripe_secret_key),
            stripe_webhook_secret: var("STRIPE_WEBHOOK_SECRET").map(Secret::new).or(file.stripe_webhook_secret),
            stripe_api_base: var("STRIPE_API_BASE").or(file.stripe_api_base),
            stripe_publishable_key: var("STRIPE_PUBLISHABLE_KEY").or(file.stripe_publishable_key),
            stripe_timeout_ms: number("STRIPE_TIMEOUT_MS", file.stripe_timeout_ms, crate::bounds::STRIPE_TIMEOUT_MS)?,
            payee: Payee {
                name: var("ZHUNONG_PAYEE_NAME").or(file.payee_name).unwrap_or_else(|| "助农消费帮扶平台运营中心".into()),
                bank: var("ZHUNONG_PAYEE_BANK").or(file.payee_bank).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
                account: var("ZHUNONG_PAYEE_ACCOUNT").or(file.payee_account).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
            },
            monitoring_lines,
            monitoring_orange_percent: number("ZHUNONG_MONITORING_ORANGE_PERCENT", file.monitoring_orange_percent, 10)?,
            monitoring_yellow_percent: number("ZHUNONG_MONITORING_YELLOW_PERCENT", file.monitoring_yellow_percent, 30)?,
            monitoring_drop_percent: number("ZHUNONG_MONITORING_DROP_PERCENT", file.monitoring_drop_percent, 30)?,
            monitoring_risk_colour: var("ZHUNONG_MONITORING_RISK_COLOUR")
                .or(file.monitoring_risk_colour)
                .unwrap_or_else(|| "orange".into()),
        };
        if config.session_ttl_secs < 60 {
            return Err(ConfigError("ZHUNONG_SESSION_TTL_SECS must be at least 60".into()));
        }
        if config.order_payment_hours < 1 {
            return Err(ConfigError("ZHUNONG_ORDER_PAYMENT_HOURS must be at least 1".into()));
        }
        if !(1..=config.order_payment_hours).contains(&config.approval_hold_hours) {
            return Err(ConfigError("ZHUNONG_APPROVAL_HOLD_HOURS must be from 1 to ZHUNONG_ORDER_PAYMENT_HOURS".into()));
        }
        if !(1..=100).contains(&config.hold_share_percent) {
            return Err(ConfigError("ZHUNONG_HOLD_SHARE_PERCENT must be from 1 to 100".into()));
        }
        if !(1..=crate::bounds::STRIPE_TIMEOUT_MS).contains(&config.stripe_timeout_ms) {
            return Err(ConfigError(format!("STRIPE_TIMEOUT_MS must be from 1 to {}", crate::bounds::STRIPE_TIMEOUT_MS)));
        }
        if config.search_cards < 0 {
            return Err(ConfigError("ZHUNONG_SEARCH_CARDS must be 0 (off) or more".into()));
        }
        if config.login_attempts < 1 {
            return Err(ConfigError("ZHUNONG_LOGIN_ATTEMPTS must be at least 1".into()));
        }
        if config.login_attempts_per_account < config.login_attempts {
            return Err(ConfigError("ZHUNONG_LOGIN_ATTEMPTS_PER_ACCOUNT must be at least ZHUNONG_LOGIN_ATTEMPTS".into()));
        }
        if config.login_attempts_per_client < 1 {
            return Err(ConfigError("ZHUNONG_LOGIN_ATTEMPTS_PER_CLIENT must be at least 1".into()));
        }
        if config.login_failures_per_minute < 1 {
            return Err(ConfigError("ZHUNONG_LOGIN_FAILURES_PER_MINUTE must be at least 1".into()));
        }
        if !(0..=config.monitoring_yellow_percent).contains(&config.monitoring_orange_percent) || config.monitoring_yellow_percent > 1_000 {
            return Err(ConfigError(
                "ZHUNONG_MONITORING_ORANGE_PERCENT must be from 0 to ZHUNONG_MONITORING_YELLOW_PERCENT, which is at most 1000".into(),
            ));
        }
        if !(1..=100).contains(&config.monitoring_drop_percent) {
            return Err(ConfigError("ZHUNONG_MONITORING_DROP_PERCENT must be from 1 to 100".into()));
        }
        if !matches!(config.monitoring_risk_colour.as_str(), "yellow" | "orange" | "red") {
            return Err(ConfigError("ZHUNONG_MONITORING_RISK_COLOUR must be yellow, orange or red".into()));
        }
        Ok(config)
    }

    /// The configuration with nothing set: every default. What the demo
    /// data is evaluated with (a server configured otherwise re-evaluates
    /// at its first monitoring sweep).
    pub fn defaults() -> Config {
        Config::from_sources(&BTreeMap::new(), None).expect("the defaults are a valid configuration")
    }

    /// The monitoring line in force for `year`: the configured line of that
    /// year, else of the latest earlier year configured.
    pub fn monitoring_line(&self, year: i32) -> Option<Fen> {
        self.monitoring_lines.range(..=year).next_back().map(|(_, f)| *f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_serve_sqlite_under_data_on_localhost() {
        let c = Config::from_sources(&vars(&[]), None).unwrap();
        assert_eq!(c.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url.expose(), "sqlite://data/zhunong.db?mode=rwc");
        assert!(c.demo_on_empty);
        assert_eq!(c.search_cards, 20_000);
        assert_eq!(c.monitoring_line(2021), Some(Fen::yuan(6_000)));
        assert_eq!(c.monitoring_line(2030), Some(Fen::yuan(7_200)));
        assert_eq!(c.monitoring_line(2019), None);
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let file = "bind = \"0.0.0.0:9000\"\nlogin_attempts = 3\n[monitoring_line]\n2025 = 7500\n";
        let c =
            Config::from_sources(&vars(&[("ZHUNONG_BIND", "127.0.0.1:1"), ("ZHUNONG_MONITORING_LINE_2026", "8000")]), Some(file)).unwrap();
        assert_eq!(c.bind, "127.0.0.1:1");
        assert_eq!(c.login_attempts, 3);
        assert_eq!(c.monitoring_line(2025), Some(Fen::yuan(7_500)));
        assert_eq!(c.monitoring_line(2026), Some(Fen::yuan(8_000)));
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        let e = Config::from_sources(&vars(&[("ZHUNONG_DEMO", "maybe")]), None).unwrap_err();
        assert!(e.to_string().contains("ZHUNONG_DEMO"), "{e}");
        let e = Config::from_sources(&vars(&[]), Some("colour = 1")).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = Config::from_sources(&vars(&[("ZHUNONG_SEARCH_CARDS", "-1")]), None).unwrap_err();
        assert!(e.to_string().contains("ZHUNONG_SEARCH_CARDS"), "{e}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidr_ranges() {
        let c = Config::from_sources(&vars(&[("ZHUNONG_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,fd00::/8")]), None).unwrap();
        let trusted = |ip: &str| c.trusted_proxies.iter().any(|r| r.contains(ip.parse().unwrap()));
        assert!(trusted("10.200.3.4") && trusted("192.168.1.7") && trusted("fd12::1") && trusted("::ffff:10.1.1.1"));
        assert!(!trusted("11.0.0.1") && !trusted("192.168.1.8") && !trusted("fe80::1"));
        let file = Config::from_sources(&vars(&[]), Some("trusted_proxies = [\"172.16.0.0/12\"]")).unwrap();
        assert!(file.trusted_proxies[0].contains("172.31.255.255".parse().unwrap()));
        let e = Config::from_sources(&vars(&[("ZHUNONG_TRUSTED_PROXIES", "10.0.0.0/33")]), None).unwrap_err();
        assert!(e.to_string().contains("ZHUNONG_TRUSTED_PROXIES"), "{e}");
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn monitoring_thresholds_have_defaults_and_are_checked() {
        let c = Config::defaults();
        assert_eq!((c.monitoring_orange_percent, c.monitoring_yellow_percent, c.monitoring_drop_percent), (10, 30, 30));
        assert_eq!(c.monitoring_risk_colour, "orange");
        let file = "monitoring_orange_percent = 15\nmonitoring_risk_colour = \"red\"\n";
        let c = Config::from_sources(&vars(&[("ZHUNONG_MONITORING_YELLOW_PERCENT", "40")]), Some(file)).unwrap();
        assert_eq!((c.monitoring_orange_percent, c.monitoring_yellow_percent, c.monitoring_risk_colour.as_str()), (15, 40, "red"));
        let e = Config::from_sources(&vars(&[("ZHUNONG_MONITORING_ORANGE_PERCENT", "50")]), None).unwrap_err();
        assert!(e.to_string().contains("ZHUNONG_MONITORING_ORANGE_PERCENT"), "{e}");
        let e = Config::from_sources(&vars(&[("ZHUNONG_MONITORING_RISK_COLOUR", "purple")]), None).unwrap_err();
        assert!(e.to_string().contains("ZHUNONG_MONITORING_RISK_COLOUR"), "{e}");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = Config::from_sources(&vars(&[("DATABASE_URL", "postgres://u:hunter2@db/z"), ("STRIPE_SECRET_KEY", "sk_live_x")]), None)
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("sk_live_x"), "{shown}");
    }
}
