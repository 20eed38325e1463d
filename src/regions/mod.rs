//! China's administrative divisions (行政区划), identified by 12-digit
//! statistical division codes: the `RegionCode` type, the region table, the
//! shipped data (`data/regions/regions.csv`) and the import of the full
//! villages file.

mod csv_line;
mod english;
mod import;

pub use english::{english_name, english_with_chinese};
pub use import::{ImportReport, import_villages, load_shipped, split_csv_line};

use crate::db::Db;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::fmt;

/// The levels of the tree used here, from the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省 / 自治区 / 直辖市
    Province,
    /// 地区 / 市 / 州 / 盟
    Prefecture,
    /// 县 / 区 / 县级市 / 旗
    County,
    /// 乡 / 镇 / 街道
    Township,
    /// 村 / 社区
    Village,
}

named_enum!(RegionLevel { Province => "province", Prefecture => "prefecture", County => "county", Township => "township", Village => "village" });

impl RegionLevel {
    /// The level one below; `None` below a village.
    pub fn below(self) -> Option<RegionLevel> {
        match self {
            RegionLevel::Province => Some(RegionLevel::Prefecture),
            RegionLevel::Prefecture => Some(RegionLevel::County),
            RegionLevel::County => Some(RegionLevel::Township),
            RegionLevel::Township => Some(RegionLevel::Village),
            RegionLevel::Village => None,
        }
    }

    /// How many leading digits of a code identify a region of this level.
    pub fn digits(self) -> u32 {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::Prefecture => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }
}

/// A 12-digit statistical division code (统计用区划代码). The only way to
/// get one is [`RegionCode::parse`] (or [`RegionCode::ancestor`] of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(u64);

/// Text that is not a region code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a region code: give the 12-digit statistical division code (shorter codes are padded with zeros)")]
pub struct InvalidRegionCode(pub String);

impl RegionCode {
    /// Parses a code of 2, 4, 6, 9 or 12 digits; shorter codes are padded
    /// with zeros to 12 (`6531` → `653100000000`). The province part must be
    /// a real province number (11 or more). Whether the region exists is the
    /// region table's business, not this type's.
    pub fn parse(s: &str) -> Result<RegionCode, InvalidRegionCode> {
        let bad = || InvalidRegionCode(s.to_owned());
        if !matches!(s.len(), 2 | 4 | 6 | 9 | 12) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let mut padded = s.to_owned();
        padded.extend(std::iter::repeat_n('0', 12 - s.len()));
        let n: u64 = padded.parse().map_err(|_| bad())?;
        if n / 10_000_000_000 < 11 {
            return Err(bad());
        }
        Ok(RegionCode(n))
    }

    /// The level, read from which parts of the code are zero.
    pub fn level(self) -> RegionLevel {
        let n = self.0;
        if n % 1_000 != 0 {
            RegionLevel::Village
        } else if n % 1_000_000 != 0 {
            RegionLevel::Township
        } else if n % 100_000_000 != 0 {
            RegionLevel::County
        } else if n % 10_000_000_000 != 0 {
            RegionLevel::Prefecture
        } else {
            RegionLevel::Province
        }
    }

    /// The code of the region at `level` that contains this one, if `level`
    /// is at or above this code's level. (For the few cities without
    /// counties the county ancestor is the city itself.)
    pub fn ancestor(self, level: RegionLevel) -> Option<RegionCode> {
        if level > self.level() {
            return None;
        }
        let keep = 10u64.pow(12 - level.digits());
        Some(RegionCode(self.0 / keep * keep))
    }

    /// The code one level up, by the digits; `None` for a province.
    pub fn parent(self) -> Option<RegionCode> {
        let level = self.level();
        RegionLevel::ALL.iter().rev().filter(|l| **l < level).map(|l| self.ancestor(*l).expect("higher level")).find(|c| *c != self)
    }

    /// True when `other` lies inside (or is) this region.
    pub fn contains(self, other: RegionCode) -> bool {
        other.ancestor(self.level()) == Some(self)
    }

    /// The significant leading digits, for prefix searches (`6531`).
    pub fn prefix(self) -> String {
        let s = self.to_string();
        s[..self.level().digits() as usize].to_owned()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One link of a region's chain, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainLink {
    /// province … village
    pub level: RegionLevel,
    /// 12 digits
    pub code: RegionCode,
    /// e.g. 伽师县
    pub name: String,
}

/// A region with its chain from the province down to itself.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// 12 digits
    pub code: RegionCode,
    /// The official name, e.g. 巴仁村委会.
    pub name: String,
    /// Level of this region.
    pub level: RegionLevel,
    /// The region one level up; `None` for a province.
    pub parent_code: Option<RegionCode>,
    /// Province first, this region last.
    pub chain: Vec<ChainLink>,
}

impl Region {
    /// `新疆维吾尔自治区 › 喀什地区 › 伽师县 › 巴仁镇 › 巴仁村`, short names.
    pub fn chain_label(&self) -> String {
        self.chain.iter().map(|l| short_name(&l.name)).collect::<Vec<_>>().join(" › ")
    }

    /// The link of `level` in this region's chain.
    pub fn at(&self, level: RegionLevel) -> Option<&ChainLink> {
        self.chain.iter().find(|l| l.level == level)
    }
}

/// The everyday name of a village committee: `巴仁村委会` → `巴仁村`,
/// `达吉村村民委员会` → `达吉村`, `嘎托居委会` → `嘎托社区`. Other names are
/// returned as they are.
pub fn short_name(name: &str) -> String {
    for suffix in ["村村民委员会", "村村委会", "村民委员会", "村委会"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return format!("{stem}村");
        }
    }
    for suffix in ["社区居民委员会", "社区居委会", "居民委员会", "居委会"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return format!("{stem}社区");
        }
    }
    name.to_owned()
}

#[derive(sqlx::FromRow)]
struct RegionRow {
    code: String,
    level: String,
    name: String,
}

/// Reads a region and its chain; `None` when the code is not in the table.
pub async fn get(db: &Db, code: RegionCode) -> sqlx::Result<Option<Region>> {
    Ok(get_many(db, &[code]).await?.remove(&code))
}

fn build_region(code: RegionCode, rows: Vec<RegionRow>) -> Option<Region> {
    let me = rows.iter().find(|r| r.code == code.to_string())?;
    let name = me.name.clone();
    let level = RegionLevel::parse(&me.level)?;
    let mut chain: Vec<ChainLink> = rows
        .into_iter()
        .filter_map(|r| Some(ChainLink { level: RegionLevel::parse(&r.level)?, code: RegionCode::parse(&r.code).ok()?, name: r.name }))
        .collect();
    chain.sort_by_key(|l| l.level);
    let parent_code = chain.iter().rev().find(|l| l.level < level).map(|l| l.code);
    Some(Region { code, name, level, parent_code, chain })
}

/// Reads many regions with their chains (for listings): one query per 500
/// distinct ancestors.
pub async fn get_many(db: &Db, codes: &[RegionCode]) -> sqlx::Result<HashMap<RegionCode, Region>> {
    let (found, missing) = cached(codes);
    if missing.is_empty() {
        // No connection needed (a search page labels its places here).
        return Ok(found);
    }
    let mut conn = db.pool().acquire().await?;
    get_many_conn(&mut conn, codes).await
}

/// [`get_many`] inside a transaction.
pub async fn get_many_in(tx: &mut crate::db::Tx, codes: &[RegionCode]) -> sqlx::Result<HashMap<RegionCode, Region>> {
    get_many_conn(tx, codes).await
}

/// Regions already read, with their chains (a process serves one database).
///
/// True across instances without any invalidation: region rows are never
/// changed or deleted (imports only add, `ON CONFLICT DO NOTHING`), so a
/// kept region stays true; and only what cannot change is kept — a code
/// not found is not cached, nor a region whose chain lacks a level (a
/// village imported before its township), so a region or level imported
/// through another instance is seen by the next read here.
fn cache() -> &'static std::sync::RwLock<HashMap<RegionCode, Region>> {
    static CACHE: std::sync::OnceLock<std::sync::RwLock<HashMap<RegionCode, Region>>> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The cached regions among `codes`, and the codes not cached.
fn cached(codes: &[RegionCode]) -> (HashMap<RegionCode, Region>, Vec<RegionCode>) {
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    let cached = cache().read().expect("region cache lock");
    for code in codes {
        match cached.get(code) {
            Some(r) => {
                out.insert(*code, r.clone());
            }
            None => missing.push(*code),
        }
    }
    (out, missing)
}

async fn get_many_conn(conn: &mut AnyConnection, codes: &[RegionCode]) -> sqlx::Result<HashMap<RegionCode, Region>> {
    let (mut out, missing) = cached(codes);
    if missing.is_empty() {
        return Ok(out);
    }
    let fetched = fetch_many(conn, &missing).await?;
    cache().write().expect("region cache lock").extend(fetched.iter().filter(|(_, r)| chain_is_whole(r)).map(|(k, v)| (*k, v.clone())));
    out.extend(fetched);
    Ok(out)
}

/// Whether every level the code implies is in the region's chain.
fn chain_is_whole(region: &Region) -> bool {
    let mut levels: Vec<RegionCode> = RegionLevel::ALL.iter().filter_map(|l| region.code.ancestor(*l)).collect();
    // A city without counties is its own county ancestor (as in fetch_many).
    levels.dedup();
    region.chain.len() >= levels.len()
}

async fn fetch_many(conn: &mut AnyConnection, codes: &[RegionCode]) -> sqlx::Result<HashMap<RegionCode, Region>> {
    let mut wanted: Vec<String> =
        codes.iter().flat_map(|c| RegionLevel::ALL.iter().filter_map(|l| c.ancestor(*l))).map(|c| c.to_string()).collect();
    wanted.sort();
    wanted.dedup();
    let mut names: HashMap<String, (String, String)> = HashMap::new();
    for chunk in wanted.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT code, level, name FROM regions WHERE code IN ({})", placeholders.join(", "));
        let mut q = sqlx::query_as::<_, RegionRow>(&sql);
        for c in chunk {
            q = q.bind(c);
        }
        for r in q.fetch_all(&mut *conn).await? {
            names.insert(r.code, (r.level, r.name));
        }
    }
    let mut out = HashMap::new();
    for code in codes {
        let mut mine: Vec<RegionRow> = RegionLevel::ALL
            .iter()
            .filter_map(|l| code.ancestor(*l))
            .map(|c| c.to_string())
            .filter_map(|c| names.get(&c).map(|(level, name)| RegionRow { code: c.clone(), level: level.clone(), name: name.clone() }))
            .collect();
        // A city without counties is its own county ancestor: keep it once.
        mine.dedup_by(|a, b| a.code == b.code);
        if let Some(region) = build_region(*code, mine) {
            out.insert(*code, region);
        }
    }
    Ok(out)
}

/// A region without its chain, for listings of children.
#[derive(Debug, Clone, Serialize)]
pub struct RegionSummary {
    /// 12 digits
    pub code: RegionCode,
    /// Official name
    pub name: String,
    /// Level
    pub level: RegionLevel,
    /// Parent code
    pub parent_code: Option<RegionCode>,
}

/// The villages inside `region`, in code order.
pub async fn villages_in(db: &Db, region: RegionCode) -> sqlx::Result<Vec<RegionSummary>> {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT code, name, parent_code FROM regions WHERE level = 'village' AND code LIKE $1 ORDER BY code")
            .bind(format!("{}%", region.prefix()))
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(code, name, parent)| {
            Some(RegionSummary {
                code: RegionCode::parse(&code).ok()?,
                name,
                level: RegionLevel::Village,
                parent_code: parent.and_then(|p| RegionCode::parse(&p).ok()),
            })
        })
        .collect())
}

/// The children of `parent` (the provinces when `parent` is `None`), in
/// code order.
pub async fn children(db: &Db, parent: Option<RegionCode>) -> sqlx::Result<Vec<RegionSummary>> {
    let rows: Vec<(String, String, String, Option<String>)> = match parent {
        Some(p) => {
            sqlx::query_as("SELECT code, level, name, parent_code FROM regions WHERE parent_code = $1 ORDER BY code")
                .bind(p.to_string())
                .fetch_all(db.pool())
                .await?
        }
        None => {
            sqlx::query_as("SELECT code, level, name, parent_code FROM regions WHERE parent_code IS NULL ORDER BY code")
                .fetch_all(db.pool())
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(code, level, name, parent)| {
            Some(RegionSummary {
                code: RegionCode::parse(&code).ok()?,
                name,
                level: RegionLevel::parse(&level)?,
                parent_code: parent.and_then(|p| RegionCode::parse(&p).ok()),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn codes_are_padded_to_twelve_digits_and_know_their_level() {
        assert_eq!(code("6531").to_string(), "653100000000");
        assert_eq!(code("65").level(), RegionLevel::Province);
        assert_eq!(code("6531").level(), RegionLevel::Prefecture);
        assert_eq!(code("653129").level(), RegionLevel::County);
        assert_eq!(code("653129100").level(), RegionLevel::Township);
        assert_eq!(code("653129100200").level(), RegionLevel::Village);
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "6", "65312", "6531291002001", "65312910020x", "000000000000", "-65312910020", "١٢"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_village_knows_its_parent_and_ancestors() {
        let village = code("653129100200");
        assert_eq!(village.parent(), Some(code("653129100")));
        assert_eq!(village.ancestor(RegionLevel::County), Some(code("653129")));
        assert_eq!(village.ancestor(RegionLevel::Province), Some(code("65")));
        assert_eq!(code("653129").ancestor(RegionLevel::Village), None);
        assert_eq!(code("65").parent(), None);
        assert!(code("6531").contains(village));
        assert!(!code("5403").contains(village));
        assert_eq!(code("6531").prefix(), "6531");
        // 东莞市 has no counties: its townships' parent is the city itself.
        assert_eq!(code("441900003000").parent(), Some(code("4419")));
    }

    #[test]
    fn village_committee_names_shorten_to_everyday_names() {
        assert_eq!(short_name("巴仁村委会"), "巴仁村");
        assert_eq!(short_name("达吉村村民委员会"), "达吉村");
        assert_eq!(short_name("达郭村村委会"), "达郭村");
        assert_eq!(short_name("嘎托居委会"), "嘎托社区");
        assert_eq!(short_name("伽师县"), "伽师县");
    }
}
