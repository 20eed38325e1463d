//! `zhunong demo --scale prefecture`: a prefecture-scale data set on the
//! real regions of 喀什地区 (DESIGN.md, "Promises at scale") — 1,000,000
//! households in its 2,886 villages, 2,000 cooperatives with 100,000
//! products and their lots, and 14 months of paid orders by agencies,
//! partner cities and trade unions whose ledger holds 10,000,000 entries —
//! for the reports benchmark (`zhunong bench reports`).
//!
//! Ten million entries through the domain code (one transaction per order,
//! one statement per entry) would take hours, so this is a bulk path: rows
//! are planned here and written by batched multi-row `INSERT`s, a few
//! thousand rows a statement, in transactions of about 20,000 entries.
//! It writes the same rows the domain code would:
//!
//! - each paid line's entries are split as `src/orders/ledger.rs` splits
//!   them (over its lots by allocated quantity in allocation order, each
//!   lot's part over its contributors by quantity in household order,
//!   largest remainder at each step, income by the cooperative's payout
//!   ratio) with the facts of the sale as they were then, and a partial
//!   refund's entries as its `attribute_refunds` computes them;
//!   tests/api/scale.rs replays the ledger's own functions over every
//!   order of a small data set and finds the same rows;
//! - the two monthly totals are filled at the end by the same grouping as
//!   migration 0010 back-fills them;
//! - the command ends with `zhunong verify`'s checks and fails unless they
//!   are clean.
//!
//! Memory is bounded by the catalogue (households, lots and their
//! contributions are kept, a few dozen bytes each) and SQLite's page
//! caches, not by the orders: those stream out in batches. The ledger's secondary indexes are dropped
//! for the load and rebuilt after it from their own definitions (a sorted
//! build is many times faster than 10,000,000 random inserts), and the
//! tables are analysed at the end, as autovacuum would after such a write.
//!
//! The data set goes into an empty database (migrated, regions loaded) and
//! marks it (`meta` key `demo.scale`); the sign-ins are listed in README.md
//! (the official of 喀什地区: `official@kashgar.zhunong.demo`, password
//! [`super::DEMO_PASSWORD`]).

use super::Rng;
use super::data::{COOPS, PARTNERS, UYGHUR_GIVEN};
use crate::auth::{self, Role};
use crate::db::{Backend, Db, Tx};
use crate::money::largest_remainder;
use crate::regions::short_name;
use anyhow::Context;
use std::collections::HashSet;
use time::{Duration, OffsetDateTime};

/// The prefecture: 喀什地区.
pub const PREFECTURE: &str = "653100000000";

/// The sign-in of the official of 喀什地区 in the data set.
pub const OFFICIAL: &str = "official@kashgar.zhunong.demo";

/// How big a data set to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    /// Its name, as given to `--scale` and kept in `meta`.
    pub name: String,
    /// Households.
    pub households: usize,
    /// Cooperatives.
    pub cooperatives: usize,
    /// Products of each cooperative.
    pub products_per_cooperative: usize,
    /// Lots of each product.
    pub lots_per_product: usize,
    /// Agencies buying.
    pub agencies: usize,
    /// Ledger entries to write (orders are added until the ledger holds at
    /// least this many).
    pub entries: usize,
}

impl Scale {
    /// `prefecture`: the promise of DESIGN.md.
    pub fn prefecture() -> Scale {
        Scale {
            name: "prefecture".into(),
            households: 1_000_000,
            cooperatives: 2_000,
            products_per_cooperative: 50,
            lots_per_product: 3,
            agencies: 300,
            entries: 10_000_000,
        }
    }

    /// `tenth`: a tenth of everything, for a quick end-to-end run.
    pub fn tenth() -> Scale {
        Scale {
            name: "tenth".into(),
            households: 100_000,
            cooperatives: 200,
            products_per_cooperative: 50,
            lots_per_product: 3,
            agencies: 100,
            entries: 1_000_000,
        }
    }

    /// A data set small enough for a test: `entries` entries over a few
    /// hundred households.
    pub fn tiny(entries: usize) -> Scale {
        Scale {
            name: format!("tiny-{entries}"),
            households: 600,
            cooperatives: 6,
            products_per_cooperative: 4,
            lots_per_product: 3,
            agencies: 5,
            entries,
        }
    }

    /// The scale called `name` on the command line.
    pub fn named(name: &str) -> Option<Scale> {
        match name {
            "prefecture" => Some(Scale::prefecture()),
            "tenth" => Some(Scale::tenth()),
            _ => None,
        }
    }
}

/// How far a step has got, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The step, in a few words.
    pub step: &'a str,
    /// Rows written so far in this step.
    pub done: u64,
    /// Rows this step will write (an estimate for the orders step, whose
    /// unit is ledger entries).
    pub total: u64,
}

/// What was built.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// Households.
    pub households: usize,
    /// Villages they live in.
    pub villages: usize,
    /// Cooperatives.
    pub cooperatives: usize,
    /// Products.
    pub products: usize,
    /// Lots.
    pub lots: usize,
    /// Orders (all paid).
    pub orders: usize,
    /// Order lines.
    pub lines: usize,
    /// Partial refunds.
    pub refunds: usize,
    /// Ledger entries (sales and refunds).
    pub entries: usize,
    /// Household-month totals.
    pub household_months: i64,
    /// Region-month totals.
    pub region_months: i64,
    /// `zhunong verify`'s findings (clean, or the build failed).
    pub verified_entries: i64,
    /// Seconds per step, in order.
    pub steps: Vec<(&'static str, f64)>,
}

/// A value of a bulk-inserted row.
enum V {
    I(i64),
    S(String),
    /// A null integer.
    N,
    /// A null text (PostgreSQL types every parameter).
    NS,
}

impl From<i64> for V {
    fn from(v: i64) -> V {
        V::I(v)
    }
}
impl From<String> for V {
    fn from(v: String) -> V {
        V::S(v)
    }
}
impl From<&str> for V {
    fn from(v: &str) -> V {
        V::S(v.to_owned())
    }
}
impl From<Option<i64>> for V {
    fn from(v: Option<i64>) -> V {
        v.map_or(V::N, V::I)
    }
}

/// Rows waiting to be inserted into one table.
struct Batch {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<V>,
}

impl Batch {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Batch {
        Batch { table, columns, values: Vec::new() }
    }

    fn push<const N: usize>(&mut self, row: [V; N]) {
        debug_assert_eq!(N, self.columns.len(), "{}", self.table);
        self.values.extend(row);
    }

    fn rows(&self) -> usize {
        self.values.len() / self.columns.len()
    }

    /// Inserts every waiting row, up to 1,000 a statement (and never more
    /// than 30,000 parameters: PostgreSQL allows 65,535, SQLite 32,766).
    async fn flush(&mut self, tx: &mut Tx) -> sqlx::Result<()> {
        let cols = self.columns.len();
        let per = (30_000 / cols).min(1_000);
        for chunk in self.values.chunks(per * cols) {
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                self.table,
                self.columns.join(", "),
                crate::db::batch_placeholders(tx.backend(), chunk.len() / cols, cols)
            );
            let mut q = sqlx::query(&sql);
            for v in chunk {
                q = match v {
                    V::I(i) => q.bind(*i),
                    V::S(s) => q.bind(s.as_str()),
                    V::N => q.bind(None::<i64>),
                    V::NS => q.bind(None::<String>),
                };
            }
            q.execute(&mut **tx).await?;
        }
        self.values.clear();
        Ok(())
    }
}

/// Begins a bulk-writing transaction: on SQLite with a page cache of
/// 64 MiB for the indexes being appended to (per connection, and the
/// pool hands the transactions to its connections in turn: at first
/// 256 MiB, and the tenth scale's build peaked at 1.4 GB resident); on
/// PostgreSQL
/// without waiting for the WAL flush at commit (a crash loses the last
/// batches of a data set that is rebuilt anyway, never consistency).
async fn begin(db: &Db) -> sqlx::Result<Tx> {
    let mut tx = db.begin_write().await?;
    match db.backend() {
        Backend::Sqlite => sqlx::query("PRAGMA cache_size = -65536").execute(&mut *tx).await?,
        Backend::Postgres => sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?,
    };
    Ok(tx)
}

/// The next free id of `table`.
async fn next_id(db: &Db, table: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!("SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM {table}")).fetch_one(db.pool()).await
}

/// On PostgreSQL, moves `table`'s identity past the ids written here, so
/// the domain code's next insert does not collide with them.
async fn reset_identity(db: &Db, table: &str) -> sqlx::Result<()> {
    if db.backend() == Backend::Postgres {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        ))
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// The secondary indexes of `table` (not those behind a primary key or a
/// unique constraint): (name, the statement that creates it).
async fn secondary_indexes(db: &Db, table: &str) -> sqlx::Result<Vec<(String, String)>> {
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name",
        Backend::Postgres => {
            "SELECT CAST(i.relname AS TEXT), pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = $1 AND t.relkind = 'r' \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) ORDER BY i.relname"
        }
    };
    sqlx::query_as(sql).bind(table).fetch_all(db.pool()).await
}

/// The tables whose secondary indexes are dropped for the load and
/// rebuilt after it.
const REINDEXED: [&str; 4] = ["attribution_entries", "ledger_household_months", "ledger_region_months", "ledger_household_years"];

/// Household statuses in proportions like 喀什's: a quarter registered
/// poor (建档立卡), some monitored or on the edge, many lifted out.
fn status(roll: i64) -> &'static str {
    match roll {
        0..=24 => "registered_poor",
        25..=30 => "monitored",
        31..=34 => "edge",
        35..=64 => "lifted",
        _ => "none",
    }
}

/// What the generator keeps of a household.
#[derive(Clone, Copy)]
struct Household {
    village: u32,
    status: &'static str,
}

/// A cooperative: its org id, village, payout ratio and its members (a
/// contiguous range of household ids: members live in the villages the
/// cooperative serves, and households are numbered village by village).
struct Coop {
    id: i64,
    village: String,
    county: String,
    payout_bp: i64,
    members: std::ops::Range<i64>,
}

/// A product of the data set.
struct Product {
    id: i64,
    coop: usize,
    category: &'static str,
    origin: String,
    price_fen: i64,
}

/// A lot: its product's lots are numbered from `first_lot` in harvest
/// order; its contributions are `contributions[start..end]`.
struct Lot {
    id: i64,
    quantity: i64,
    allocated: i64,
    start: usize,
    end: usize,
}

/// A buyer: organisation, user, kind as the ledger records it, where it
/// has its goods delivered, the counties it buys from (empty: any), and
/// how many units a line usually has.
struct Buyer {
    org: i64,
    user: i64,
    kind: &'static str,
    deliveries: Vec<String>,
    counties: Vec<String>,
    units: (i64, i64),
}

/// One share of a line: (lot id, household id, gross, income), in the
/// ledger's order.
type Share = (i64, i64, i64, i64);

/// A partial refund to write once every sale is written: `quantity` units
/// of line `line` (of `amount` fen) refunded at `at`.
struct PendingRefund {
    order: i64,
    line: i64,
    shares: Vec<Share>,
    product: usize,
    buyer_kind: &'static str,
    buyer_org: i64,
    delivery: String,
    quantity: i64,
    amount: i64,
    at: OffsetDateTime,
}

/// Builds the data set into `db`, which must hold no organisation yet.
pub async fn build(db: &Db, scale: &Scale, mut progress: impl FnMut(Progress<'_>)) -> anyhow::Result<Built> {
    anyhow::ensure!(
        super::database_is_empty(db).await?,
        "the {} data set is built into an empty database (migrated, regions loaded); this one holds organisations already",
        scale.name
    );
    let households_present: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households").fetch_one(db.pool()).await?;
    anyhow::ensure!(households_present == 0, "the database holds households already");
    let mut built = Built::default();
    let mut rng = Rng(0x5343_414c_455f_3635);
    let mut clock = std::time::Instant::now();
    let mut lap = |built: &mut Built, step: &'static str| {
        built.steps.push((step, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let now = OffsetDateTime::now_utc();
    let stamp = crate::time::timestamp(now);
    let this_year = crate::time::china_today().year();

    // The villages of the prefecture, in code order.
    let villages: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM regions WHERE level = 'village' AND code LIKE '6531%' ORDER BY code")
            .fetch_all(db.pool())
            .await?;
    anyhow::ensure!(!villages.is_empty(), "the villages of 喀什地区 are not loaded (zhunong migrate loads the shipped regions)");
    // About a hundred households or more a village: every village at
    // prefecture scale, every few at smaller ones.
    let step = (villages.len() * 100).div_ceil(scale.households.max(1)).max(1);
    let villages: Vec<(String, String)> = villages.into_iter().step_by(step).collect();
    let counties: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM regions WHERE level = 'county' AND code LIKE '6531%' ORDER BY code")
            .fetch_all(db.pool())
            .await?;
    built.villages = villages.len();

    // Organisations and sign-ins first, in one transaction.
    let mut tx = db.begin_write().await?;
    let claimed = sqlx::query("INSERT INTO meta (key, value) VALUES ('demo.scale', $1) ON CONFLICT (key) DO NOTHING")
        .bind(&scale.name)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    anyhow::ensure!(claimed == 1, "a scale data set is being built into this database already");
    let hash = auth::hash_password(super::DEMO_PASSWORD);
    async fn insert_org(tx: &mut Tx, kind: &str, name: &str, region: &str, at: &str) -> anyhow::Result<i64> {
        sqlx::query_scalar("INSERT INTO organisations (kind, name, region_code, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(kind)
            .bind(name)
            .bind(region)
            .bind(at)
            .fetch_one(&mut **tx)
            .await
            .with_context(|| format!("organisation {name}"))
    }
    async fn insert_user(tx: &mut Tx, email: &str, name: &str, org: i64, roles: &[Role], hash: &str) -> anyhow::Result<i64> {
        auth::create_user(tx, &auth::NewUser { email, password_hash: hash, display_name: name, org_id: org, roles }).await
    }
    let platform = insert_org(&mut tx, "platform", "助农平台运营中心", "110000000000", &stamp).await?;
    insert_user(&mut tx, "admin@zhunong.demo", "平台管理员", platform, &[Role::PlatformAdmin], &hash).await?;
    let finance = insert_user(&mut tx, "finance@zhunong.demo", "平台财务", platform, &[Role::PlatformFinance], &hash).await?;
    let office = insert_org(&mut tx, "government", "喀什地区乡村振兴局", PREFECTURE, &stamp).await?;
    insert_user(&mut tx, OFFICIAL, "喀什地区乡村振兴局 监测员", office, &[Role::Official], &hash).await?;
    let jiashi = insert_org(&mut tx, "government", "伽师县乡村振兴局", "653129000000", &stamp).await?;
    insert_user(&mut tx, "official@jiashi.zhunong.demo", "伽师县乡村振兴局 审计员", jiashi, &[Role::Official], &hash).await?;

    // Cooperatives: one in every few villages, each serving the villages
    // from its own to the next cooperative's (so in its township or the
    // next), its members the households of those villages.
    let coop_count = scale.cooperatives.min(villages.len());
    const TRADES: &[&str] = &[
        "瓜果种植",
        "红枣",
        "核桃",
        "巴旦木",
        "畜牧养殖",
        "蔬菜种植",
        "粮油",
        "石榴",
        "无花果",
        "杏果",
        "葡萄",
        "西梅",
        "土鸡养殖",
        "手工艺",
    ];
    let mut names = HashSet::new();
    let mut coop_villages: Vec<(usize, i64, String)> = Vec::with_capacity(coop_count);
    for j in 0..coop_count {
        let v = j * villages.len() / coop_count;
        let (code, vname) = &villages[v];
        let county = counties.iter().find(|(c, _)| c[..6] == code[..6]).map(|(_, n)| n.as_str()).unwrap_or("喀什");
        let trade = rng.pick(TRADES);
        let mut name = format!("{county}{}{trade}农民专业合作社", short_name(vname));
        let mut n = 2;
        while !names.insert(name.clone()) {
            name = format!("{county}{}{trade}第{n}农民专业合作社", short_name(vname));
            n += 1;
        }
        let id = insert_org(&mut tx, "cooperative", &name, code, &stamp).await?;
        let payout = rng.range(50, 80) * 100;
        sqlx::query("INSERT INTO cooperatives (org_id, payout_ratio_bp, registration_number, description) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(payout)
            .bind(format!("93{}MA{:07}", &code[..6], 100_000 + j))
            .bind(format!("{}的{trade}合作社，带动本村及周边农户增收。", short_name(vname)))
            .execute(&mut *tx)
            .await?;
        if j == 0 {
            insert_user(&mut tx, "manager@coop.kashgar.zhunong.demo", "合作社经理 艾力", id, &[Role::CoopManager], &hash).await?;
        }
        coop_villages.push((v, id, name));
    }
    // Collection points, one per cooperative (lots are kept there).
    let mut coop_nodes = Vec::with_capacity(coop_count);
    for (v, _, name) in &coop_villages {
        let node: i64 = sqlx::query_scalar(
            "INSERT INTO nodes (kind, name, region_code, cold_storage, capacity_kg, operator_org_id) VALUES ('village_point', $1, $2, 0, 8000, NULL) RETURNING id",
        )
        .bind(format!("{name}集货点"))
        .bind(&villages[*v].0)
        .fetch_one(&mut *tx)
        .await?;
        coop_nodes.push(node);
    }
    let payouts: Vec<(i64, i64)> =
        sqlx::query_as("SELECT org_id, payout_ratio_bp FROM cooperatives ORDER BY org_id").fetch_all(&mut *tx).await?;

    // Buyers: agencies near and far, the four partner provinces and
    // cities of 喀什 (对口援疆) and their own organisations, and trade
    // unions buying for their members (recorded as 'other').
    let mut buyers: Vec<Buyer> = Vec::new();
    let partner_regions = ["310000000000", "440300000000", "440000000000", "370000000000"];
    let far_counties: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.code, c.name, COALESCE(p.name, '') FROM regions c LEFT JOIN regions p ON p.code = c.parent_code \
         WHERE c.level = 'county' AND (c.code LIKE '31%' OR c.code LIKE '44%' OR c.code LIKE '37%' OR c.code LIKE '11%' OR c.code LIKE '6501%') \
         ORDER BY c.code",
    )
    .fetch_all(&mut *tx)
    .await?;
    const AGENCY_KINDS: &[&str] = &[
        "机关事务服务中心",
        "人民医院",
        "第一中学",
        "第二中学",
        "实验小学",
        "职业技术学校",
        "税务局",
        "教育局",
        "卫生健康委员会",
        "国有资产监督管理委员会",
        "公安局",
        "中心幼儿园",
    ];
    let mut agency_n = 0;
    let mut attempts = 0;
    while agency_n < scale.agencies && attempts < scale.agencies * 20 {
        attempts += 1;
        // Two in five are in 喀什 itself, the rest far away.
        let (region, name) = if agency_n % 5 < 2 {
            let (code, name) = rng.pick(&counties);
            (code.clone(), name.clone())
        } else {
            let (code, name, parent) = rng.pick(&far_counties);
            (code.clone(), format!("{}{name}", parent.trim_end_matches("市辖区")))
        };
        let name = format!("{name}{}", rng.pick(AGENCY_KINDS));
        if !names.insert(name.clone()) {
            continue;
        }
        let id = insert_org(&mut tx, "agency", &name, &region, &stamp).await?;
        sqlx::query("INSERT INTO agencies (org_id, approval_limit_fen) VALUES ($1, $2)")
            .bind(id)
            .bind(rng.range(1, 10) * 1_000_000)
            .execute(&mut *tx)
            .await?;
        let share = rng.range(10, 40) * 10_000_000;
        for (year, target) in [(this_year - 1, share * 9 / 10), (this_year, share)] {
            sqlx::query("INSERT INTO agency_reserved_shares (agency_id, year, target_fen) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(year as i64)
                .bind(target)
                .execute(&mut *tx)
                .await?;
        }
        let user = insert_user(
            &mut tx,
            &format!("buyer{}@agency.kashgar.zhunong.demo", agency_n + 1),
            &format!("{name} 采购员"),
            id,
            &[Role::AgencyBuyer],
            &hash,
        )
        .await?;
        buyers.push(Buyer { org: id, user, kind: "agency", deliveries: vec![region], counties: Vec::new(), units: (5, 60) });
        agency_n += 1;
    }
    let partner_start = buyers.len();
    for (name, region, programme, paired, pledge) in PARTNERS.iter().filter(|p| p.3.iter().any(|c| c.starts_with("6531"))) {
        let id = insert_org(&mut tx, "partner_city", name, region, &stamp).await?;
        for code in paired.iter() {
            sqlx::query("INSERT INTO partner_pairings (partner_id, region_code, programme) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(code)
                .bind(programme)
                .execute(&mut *tx)
                .await?;
            for (year, amount) in [(this_year - 1, pledge * 9 / 10), (this_year, *pledge)] {
                sqlx::query("INSERT INTO partner_pledges (partner_id, region_code, year, pledge_fen) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(code)
                    .bind(year as i64)
                    .bind(crate::money::Fen::yuan(amount).get())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let user = insert_user(
            &mut tx,
            &format!("buyer{}@partner.kashgar.zhunong.demo", buyers.len() - partner_start + 1),
            &format!("{name} 采购专员"),
            id,
            &[Role::PartnerBuyer],
            &hash,
        )
        .await?;
        let deliveries: Vec<String> =
            far_counties.iter().filter(|(c, _, _)| region_contains(region, c)).map(|(c, _, _)| c.clone()).take(12).collect();
        let deliveries = if deliveries.is_empty() { vec![region.to_string()] } else { deliveries };
        let counties = paired.iter().map(|c| c[..6].to_owned()).collect();
        buyers.push(Buyer { org: id, user, kind: "partner_city", deliveries, counties, units: (20, 200) });
    }
    let partners_end = buyers.len();
    for (i, region) in partner_regions.iter().chain(["110000000000", "650100000000"].iter()).enumerate() {
        let region_name: String = sqlx::query_scalar("SELECT name FROM regions WHERE code = $1").bind(region).fetch_one(&mut *tx).await?;
        let name = format!("{region_name}总工会");
        let id = insert_org(&mut tx, "government", &name, region, &stamp).await?;
        let user =
            insert_user(&mut tx, &format!("union{}@kashgar.zhunong.demo", i + 1), &format!("{name} 福利采购"), id, &[], &hash).await?;
        let deliveries: Vec<String> =
            far_counties.iter().filter(|(c, _, _)| region_contains(region, c)).map(|(c, _, _)| c.clone()).take(8).collect();
        let deliveries = if deliveries.is_empty() { vec![region.to_string()] } else { deliveries };
        buyers.push(Buyer { org: id, user, kind: "other", deliveries, counties: Vec::new(), units: (10, 100) });
    }
    tx.commit().await?;
    lap(&mut built, "organisations and sign-ins");

    // Households, village by village; members of the cooperative serving
    // their village.
    let weights: Vec<i64> = (0..villages.len()).map(|_| rng.range(50, 150)).collect();
    let per_village = largest_remainder(scale.households as i64, &weights)?;
    let first_household = next_id(db, "households").await?;
    let mut households: Vec<Household> = Vec::with_capacity(scale.households);
    let mut coops: Vec<Coop> = Vec::with_capacity(coop_count);
    let mut batch =
        Batch::new("households", &["id", "code", "village_code", "size", "status", "register_number", "head_name", "created_at"]);
    let mut members = Batch::new("cooperative_members", &["cooperative_id", "household_id", "joined_on"]);
    let mut incomes = Batch::new("household_incomes", &["household_id", "year", "other_income_fen"]);
    let mut id = first_household;
    let total = scale.households as u64;
    let mut tx = begin(db).await?;
    for (v, (code, _)) in villages.iter().enumerate() {
        // The cooperative serving village v: the last one at or before it.
        let j = coop_villages.partition_point(|(cv, _, _)| *cv <= v).saturating_sub(1);
        if coops.len() == j {
            let (cv, coop_id, _) = &coop_villages[j];
            let payout = payouts.iter().find(|(o, _)| o == coop_id).map(|p| p.1).unwrap_or(6000);
            coops.push(Coop {
                id: *coop_id,
                village: villages[*cv].0.clone(),
                county: villages[*cv].0[..6].to_owned(),
                payout_bp: payout,
                members: id..id,
            });
        }
        for n in 0..per_village[v] {
            let status = status(rng.range(0, 99));
            let size = [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 7][rng.range(0, 15) as usize];
            let identified = status != "none";
            batch.push([
                id.into(),
                crate::households::pseudonym(spread(id as u64)).into(),
                code.as_str().into(),
                size.into(),
                status.into(),
                if identified { V::S(format!("{code}{:05}", n + 1)) } else { V::NS },
                format!("{}·{}", rng.pick(UYGHUR_GIVEN), rng.pick(UYGHUR_GIVEN)).into(),
                stamp.as_str().into(),
            ]);
            members.push([coops[j].id.into(), id.into(), format!("{}-03-01", this_year - rng.range(1, 5) as i32).into()]);
            for year in [this_year - 1, this_year] {
                incomes.push([id.into(), (year as i64).into(), (rng.range(1_500, 12_000) * 100 * size).into()]);
            }
            households.push(Household { village: v as u32, status });
            id += 1;
            coops[j].members.end = id;
            if batch.rows() >= 20_000 {
                batch.flush(&mut tx).await?;
                members.flush(&mut tx).await?;
                incomes.flush(&mut tx).await?;
                tx.commit().await?;
                tx = begin(db).await?;
                progress(Progress { step: "households", done: households.len() as u64, total });
            }
        }
    }
    batch.flush(&mut tx).await?;
    members.flush(&mut tx).await?;
    incomes.flush(&mut tx).await?;
    tx.commit().await?;
    progress(Progress { step: "households", done: households.len() as u64, total });
    built.households = households.len();
    built.cooperatives = coops.len();
    lap(&mut built, "households");

    // Products and their lots, harvested through the 14 months: lot k of
    // a product serves the k-th part of the period.
    let specs: Vec<&super::data::ProductSpec> =
        COOPS.iter().filter(|c| c.county.starts_with("6531")).flat_map(|c| c.products.iter()).collect();
    const GRADES: &[&str] = &["", "特级", "一级", "精选", "礼盒装", "家庭装", "散装", "有机", "原产地直供", "扶贫专供"];
    let start = now - Duration::days(14 * 30 + 5);
    let span = (now - Duration::hours(1)) - start;
    let mut products: Vec<Product> = Vec::with_capacity(coops.len() * scale.products_per_cooperative);
    let mut lots: Vec<Lot> = Vec::with_capacity(products.capacity() * scale.lots_per_product);
    let mut contributions: Vec<(i64, i64)> = Vec::with_capacity(lots.capacity() * 8);
    let mut product_id = next_id(db, "products").await?;
    let mut lot_id = next_id(db, "lots").await?;
    let mut p_batch = Batch::new(
        "products",
        &[
            "id",
            "cooperative_id",
            "name",
            "name_en",
            "category",
            "unit",
            "spec",
            "storage",
            "origin_code",
            "description",
            "active",
            "sales_count",
            "created_at",
            "updated_at",
            "unit_weight_g",
        ],
    );
    let mut tiers = Batch::new("price_tiers", &["product_id", "min_quantity", "unit_price_fen"]);
    let mut l_batch = Batch::new(
        "lots",
        &["id", "product_id", "quantity", "allocated", "harvested_on", "expires_on", "node_id", "created_at", "created_by"],
    );
    let mut c_batch = Batch::new("lot_contributions", &["lot_id", "household_id", "quantity"]);
    let total = (coops.len() * scale.products_per_cooperative) as u64;
    let mut tx = begin(db).await?;
    for (c, coop) in coops.iter().enumerate() {
        let offset = rng.range(0, specs.len() as i64 - 1) as usize;
        for k in 0..scale.products_per_cooperative {
            let spec = specs[(offset + k) % specs.len()];
            let grade = GRADES[(k / specs.len()) % GRADES.len()];
            let round = k / (specs.len() * GRADES.len());
            let name = match (grade, round) {
                ("", 0) => spec.name.to_owned(),
                (g, 0) => format!("{}（{g}）", spec.name),
                (g, r) => format!("{}（{g}{}号）", spec.name, r + 1),
            };
            let price = spec.tiers[0].1 * rng.range(80, 130) / 100;
            p_batch.push([
                product_id.into(),
                coop.id.into(),
                name.into(),
                spec.en.into(),
                spec.category.into(),
                spec.unit.into(),
                spec.spec.into(),
                spec.storage.into(),
                coop.village.as_str().into(),
                spec.description.into(),
                1i64.into(),
                0i64.into(),
                stamp.as_str().into(),
                stamp.as_str().into(),
                super::unit_weight_g(spec.unit, spec.spec).into(),
            ]);
            tiers.push([product_id.into(), 1i64.into(), price.into()]);
            for l in 0..scale.lots_per_product {
                let harvested = start + span * (l as f64 / scale.lots_per_product as f64) - Duration::days(rng.range(1, 10));
                let quantity = rng.range(30, 80) * 10;
                anyhow::ensure!(!coop.members.is_empty(), "cooperative {} has no members", coop.id);
                let n = rng.range(4, 12).min(coop.members.end - coop.members.start) as usize;
                let mut chosen: Vec<i64> = Vec::with_capacity(n);
                while chosen.len() < n {
                    let h = rng.range(coop.members.start, coop.members.end - 1);
                    if !chosen.contains(&h) {
                        chosen.push(h);
                    }
                }
                chosen.sort_unstable();
                let weights: Vec<i64> = (0..n).map(|_| rng.range(1, 10)).collect();
                let shares = largest_remainder(quantity, &weights)?;
                let first = contributions.len();
                for (h, q) in chosen.iter().zip(shares) {
                    if q > 0 {
                        contributions.push((*h, q));
                        c_batch.push([lot_id.into(), (*h).into(), q.into()]);
                    }
                }
                let day = crate::time::format_date(crate::time::china_date_of(harvested));
                let expires = crate::time::format_date(crate::time::china_date_of(harvested) + Duration::days(600));
                l_batch.push([
                    lot_id.into(),
                    product_id.into(),
                    quantity.into(),
                    0i64.into(),
                    day.into(),
                    expires.into(),
                    coop_nodes[c].into(),
                    stamp.as_str().into(),
                    V::N,
                ]);
                lots.push(Lot { id: lot_id, quantity, allocated: 0, start: first, end: contributions.len() });
                lot_id += 1;
            }
            products.push(Product { id: product_id, coop: c, category: spec.category, origin: coop.village.clone(), price_fen: price });
            product_id += 1;
        }
        if p_batch.rows() >= 2_000 || c + 1 == coops.len() {
            p_batch.flush(&mut tx).await?;
            tiers.flush(&mut tx).await?;
            l_batch.flush(&mut tx).await?;
            c_batch.flush(&mut tx).await?;
            tx.commit().await?;
            tx = begin(db).await?;
            progress(Progress { step: "products and lots", done: products.len() as u64, total });
        }
    }
    tx.commit().await?;
    built.products = products.len();
    built.lots = lots.len();
    lap(&mut built, "products and lots");

    // The products of each county (partner cities buy from their paired
    // counties).
    let county_products = |county: &str| -> Vec<usize> {
        products.iter().enumerate().filter(|(_, p)| coops[p.coop].county == county).map(|(i, _)| i).collect()
    };
    let partner_products: Vec<Vec<usize>> = buyers[partner_start..partners_end]
        .iter()
        .map(|b| b.counties.iter().flat_map(|c| county_products(c)).collect::<Vec<usize>>())
        .collect();

    // The ledger's secondary indexes go for the load.
    let mut dropped = Vec::new();
    for table in REINDEXED {
        for (name, sql) in secondary_indexes(db, table).await? {
            sqlx::query(&format!("DROP INDEX {name}")).execute(db.pool()).await?;
            dropped.push((name, sql));
        }
    }

    // Orders, paid through the 14 months, and their ledger.
    let mut order_id = next_id(db, "orders").await?;
    let mut line_id = next_id(db, "order_lines").await?;
    let mut allocation_id = next_id(db, "allocations").await?;
    let mut entry_id = next_id(db, "attribution_entries").await?;
    let mut refund_id = next_id(db, "refunds").await?;
    let mut orders = Batch::new(
        "orders",
        &[
            "id",
            "number",
            "buyer_org_id",
            "buyer_user_id",
            "status",
            "payment_method",
            "delivery_region_code",
            "delivery_address",
            "contact_name",
            "phone",
            "note",
            "total_fen",
            "created_at",
            "updated_at",
            "released_at",
            "paid_at",
        ],
    );
    let mut lines = Batch::new(
        "order_lines",
        &["id", "order_id", "product_id", "cooperative_id", "quantity", "unit_price_fen", "amount_fen", "status"],
    );
    let mut allocations = Batch::new("allocations", &["id", "line_id", "lot_id", "quantity"]);
    let mut payments = Batch::new("payments", &["order_id", "method", "reference", "amount_fen", "confirmed_by", "confirmed_at"]);
    let mut events = Batch::new("order_events", &["order_id", "from_status", "to_status", "user_id", "at", "note"]);
    let mut ratings = Batch::new("ratings", &["order_id", "cooperative_id", "stars", "comment", "rated_by", "created_at"]);
    let mut refunds = Batch::new(
        "refunds",
        &[
            "id",
            "order_id",
            "method",
            "reference",
            "status",
            "reason",
            "amount_fen",
            "restocked",
            "created_by",
            "created_at",
            "answered_at",
        ],
    );
    let mut refund_lines = Batch::new("refund_lines", &["refund_id", "line_id", "quantity", "amount_fen"]);
    const ENTRY_COLUMNS: &[&str] = &[
        "id",
        "order_id",
        "line_id",
        "lot_id",
        "household_id",
        "kind",
        "gross_fen",
        "income_fen",
        "created_at",
        "village_code",
        "household_status",
        "cooperative_id",
        "product_id",
        "category",
        "origin_code",
        "buyer_org_id",
        "buyer_kind",
        "delivery_region",
        "day",
        "month",
    ];
    let mut entries = Batch::new("attribution_entries", ENTRY_COLUMNS);
    // Refund entries are posted when the refund is made, after the sales
    // of the days between: they are written after every sale.
    let mut refund_entries = Batch::new("attribution_entries", ENTRY_COLUMNS);
    let mut pending_refunds: Vec<PendingRefund> = Vec::new();
    let villages_of: Vec<&str> = villages.iter().map(|(c, _)| c.as_str()).collect();
    let target = scale.entries as u64;
    let mut written: u64 = 0;
    let mut tx = begin(db).await?;
    while (written as usize) < scale.entries {
        // Orders come in order of time; the clock runs with the ledger.
        let placed = start + span * (written as f64 / scale.entries as f64);
        let paid = (placed + Duration::minutes(rng.range(5, 2 * 24 * 60))).min(now - Duration::minutes(30));
        let roll = rng.range(0, 99);
        let b = if roll < 70 {
            rng.range(0, partner_start as i64 - 1) as usize
        } else if roll < 90 {
            rng.range(partner_start as i64, partners_end as i64 - 1) as usize
        } else {
            rng.range(partners_end as i64, buyers.len() as i64 - 1) as usize
        };
        let buyer = &buyers[b];
        let delivery = rng.pick(&buyer.deliveries).clone();
        let pool: Option<&Vec<usize>> =
            if (partner_start..partners_end).contains(&b) { Some(&partner_products[b - partner_start]) } else { None };
        let n_lines = [1, 1, 1, 1, 1, 2, 2, 2, 3, 4][rng.range(0, 9) as usize];
        let accepted = now - paid > Duration::days(7);
        let status = if accepted { "accepted" } else { "delivered" };
        let mut total_fen = 0;
        let mut chosen: Vec<usize> = Vec::new();
        let mut coops_rated: Vec<i64> = Vec::new();
        let day = crate::time::format_date(crate::time::china_date_of(paid));
        let month = day[..7].to_owned();
        let paid_at = crate::time::timestamp(paid);
        for _ in 0..n_lines {
            let p = match pool {
                Some(pool) if !pool.is_empty() => pool[rng.range(0, pool.len() as i64 - 1) as usize],
                _ => rng.range(0, products.len() as i64 - 1) as usize,
            };
            if chosen.contains(&p) {
                continue;
            }
            let product = &products[p];
            let quantity = rng.range(buyer.units.0, buyer.units.1);
            // The lot harvested for this part of the period, and the next
            // older one when it has too little left.
            let first_lot = p * scale.lots_per_product;
            let k = (((placed - start) / span) * scale.lots_per_product as f64).floor() as usize;
            let k = k.min(scale.lots_per_product - 1);
            let mut taken: Vec<(usize, i64)> = Vec::new();
            let mut left = quantity;
            for lot in (0..=k).rev().chain(k + 1..scale.lots_per_product) {
                let i = first_lot + lot;
                let room = lots[i].quantity - lots[i].allocated;
                if room > 0 && left > 0 {
                    let q = room.min(left);
                    taken.push((i, q));
                    left -= q;
                }
                if left == 0 || taken.len() == 2 {
                    break;
                }
            }
            if left > 0 {
                continue; // sold out: the buyer takes something else
            }
            chosen.push(p);
            let amount = quantity * product.price_fen;
            total_fen += amount;
            lines.push([
                line_id.into(),
                order_id.into(),
                product.id.into(),
                coops[product.coop].id.into(),
                quantity.into(),
                product.price_fen.into(),
                amount.into(),
                "delivered".into(),
            ]);
            for (i, q) in &taken {
                lots[*i].allocated += q;
                allocations.push([allocation_id.into(), line_id.into(), lots[*i].id.into(), (*q).into()]);
                allocation_id += 1;
            }
            // The ledger's split (src/orders/ledger.rs, attribute_sale).
            let coop = &coops[product.coop];
            let weights: Vec<i64> = taken.iter().map(|(_, q)| *q).collect();
            let parts = largest_remainder(amount, &weights)?;
            let mut shares: Vec<Share> = Vec::new();
            for ((i, _), part) in taken.iter().zip(parts) {
                let lot = &lots[*i];
                let contrib = &contributions[lot.start..lot.end];
                let weights: Vec<i64> = contrib.iter().map(|(_, q)| *q).collect();
                let gross = largest_remainder(part, &weights)?;
                let income_total = (part as i128 * coop.payout_bp as i128 / 10_000) as i64;
                let income = largest_remainder(income_total, &weights)?;
                for (((h, _), g), inc) in contrib.iter().zip(gross).zip(income) {
                    shares.push((lot.id, *h, g, inc));
                }
            }
            for (lot, h, g, inc) in &shares {
                let household = households[(*h - first_household) as usize];
                entries.push([
                    entry_id.into(),
                    order_id.into(),
                    line_id.into(),
                    (*lot).into(),
                    (*h).into(),
                    "sale".into(),
                    (*g).into(),
                    (*inc).into(),
                    paid_at.as_str().into(),
                    villages_of[household.village as usize].into(),
                    household.status.into(),
                    coop.id.into(),
                    product.id.into(),
                    product.category.into(),
                    product.origin.as_str().into(),
                    buyer.org.into(),
                    buyer.kind.into(),
                    delivery.as_str().into(),
                    day.as_str().into(),
                    month.as_str().into(),
                ]);
                entry_id += 1;
                written += 1;
            }
            built.entries += shares.len();
            // One accepted line in fifty has part of it refunded (spoiled
            // on the way, a short count) a few days after payment.
            if accepted && quantity >= 2 && rng.range(0, 49) == 0 {
                let at = (paid + Duration::days(rng.range(3, 20))).min(now - Duration::minutes(10));
                let q = (quantity / 4).max(1);
                pending_refunds.push(PendingRefund {
                    order: order_id,
                    line: line_id,
                    shares,
                    product: p,
                    buyer_kind: buyer.kind,
                    buyer_org: buyer.org,
                    delivery: delivery.clone(),
                    quantity: q,
                    amount,
                    at,
                });
            }
            if !coops_rated.contains(&coop.id) {
                coops_rated.push(coop.id);
            }
            line_id += 1;
        }
        if chosen.is_empty() {
            continue;
        }
        orders.push([
            order_id.into(),
            format!("KS{}{:08}", &day.replace('-', "")[2..], order_id).into(),
            buyer.org.into(),
            buyer.user.into(),
            status.into(),
            "invoice".into(),
            delivery.as_str().into(),
            "采购部收货处".into(),
            "采购专员".into(),
            "0998-2820000".into(),
            "".into(),
            total_fen.into(),
            crate::time::timestamp(placed).into(),
            paid_at.as_str().into(),
            paid_at.as_str().into(),
            paid_at.as_str().into(),
        ]);
        payments.push([
            order_id.into(),
            "invoice".into(),
            format!("ICBC-{order_id}").into(),
            total_fen.into(),
            finance.into(),
            paid_at.as_str().into(),
        ]);
        if accepted {
            let at = crate::time::timestamp(paid + Duration::days(rng.range(2, 6)));
            events.push([order_id.into(), "delivered".into(), "accepted".into(), buyer.user.into(), at.as_str().into(), "".into()]);
            for c in &coops_rated {
                ratings.push([order_id.into(), (*c).into(), rng.range(3, 5).into(), "".into(), buyer.user.into(), at.as_str().into()]);
            }
        }
        built.orders += 1;
        built.lines += chosen.len();
        order_id += 1;
        if entries.rows() >= 20_000 {
            for b in [&mut orders, &mut lines, &mut allocations, &mut payments, &mut events, &mut ratings, &mut entries] {
                b.flush(&mut tx).await?;
            }
            tx.commit().await?;
            tx = begin(db).await?;
            progress(Progress { step: "orders and ledger", done: written, total: target });
        }
    }
    for b in [&mut orders, &mut lines, &mut allocations, &mut payments, &mut events, &mut ratings, &mut entries] {
        b.flush(&mut tx).await?;
    }
    tx.commit().await?;
    progress(Progress { step: "orders and ledger", done: written, total: target });

    // The refunds, in the order they were made, and their entries (the
    // ledger's attribute_refunds: the line's shares re-split over what is
    // left paid, the differences posted).
    pending_refunds.sort_by_key(|r| r.at);
    let mut tx = begin(db).await?;
    for PendingRefund { order, line, mut shares, product, buyer_kind: kind, buyer_org, delivery, quantity: q, amount, at } in
        pending_refunds
    {
        let product = &products[product];
        let coop = &coops[product.coop];
        let refunded = q * product.price_fen;
        let stamp = crate::time::timestamp(at);
        refunds.push([
            refund_id.into(),
            order.into(),
            "credit_note".into(),
            format!("CN-KS{order:08}-1").into(),
            "issued".into(),
            "途中损耗，按实收数量退款".into(),
            refunded.into(),
            0i64.into(),
            finance.into(),
            stamp.as_str().into(),
            stamp.as_str().into(),
        ]);
        refund_lines.push([refund_id.into(), line.into(), q.into(), refunded.into()]);
        refund_id += 1;
        shares.sort_by_key(|s| (s.0, s.1));
        let left = amount - refunded;
        let sale_gross: Vec<i64> = shares.iter().map(|s| s.2).collect();
        let sale_income: Vec<i64> = shares.iter().map(|s| s.3).collect();
        let income_total: i64 = sale_income.iter().sum();
        let gross_target = largest_remainder(left, &sale_gross)?;
        let income_target = if income_total == 0 {
            vec![0; shares.len()]
        } else {
            largest_remainder((income_total as i128 * left as i128 / amount as i128) as i64, &sale_income)?
        };
        let day = crate::time::format_date(crate::time::china_date_of(at));
        for ((lot, h, g, inc), (tg, ti)) in shares.iter().zip(gross_target.into_iter().zip(income_target)) {
            let (dg, di) = (tg - g, ti - inc);
            if dg == 0 && di == 0 {
                continue;
            }
            let household = households[(*h - first_household) as usize];
            refund_entries.push([
                entry_id.into(),
                order.into(),
                line.into(),
                (*lot).into(),
                (*h).into(),
                "refund".into(),
                dg.into(),
                di.into(),
                stamp.as_str().into(),
                villages_of[household.village as usize].into(),
                household.status.into(),
                coop.id.into(),
                product.id.into(),
                product.category.into(),
                product.origin.as_str().into(),
                buyer_org.into(),
                kind.into(),
                delivery.as_str().into(),
                day.as_str().into(),
                day[..7].into(),
            ]);
            entry_id += 1;
            built.entries += 1;
        }
        built.refunds += 1;
        if refund_entries.rows() >= 20_000 {
            refunds.flush(&mut tx).await?;
            refund_lines.flush(&mut tx).await?;
            refund_entries.flush(&mut tx).await?;
            tx.commit().await?;
            tx = begin(db).await?;
        }
    }
    refunds.flush(&mut tx).await?;
    refund_lines.flush(&mut tx).await?;
    refund_entries.flush(&mut tx).await?;
    tx.commit().await?;
    lap(&mut built, "orders and ledger");

    // Lots remember what is allocated of them.
    let mut tx = begin(db).await?;
    for chunk in lots.chunks(5_000) {
        let first = chunk[0].id;
        let last = chunk[chunk.len() - 1].id;
        sqlx::query(
            "UPDATE lots SET allocated = CAST(COALESCE((SELECT SUM(a.quantity) FROM allocations a WHERE a.lot_id = lots.id), 0) AS BIGINT) \
             WHERE id BETWEEN $1 AND $2",
        )
        .bind(first)
        .bind(last)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM lots t WHERE t.allocated <> CAST(COALESCE((SELECT SUM(a.quantity) FROM allocations a WHERE a.lot_id = t.id), 0) AS BIGINT)",
    )
    .fetch_one(db.pool())
    .await?;
    anyhow::ensure!(mismatched == 0, "{mismatched} lots' allocated quantities differ from their allocations");
    let planned: i64 = lots.iter().map(|l| l.allocated).sum();
    let stored: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(allocated), 0) AS BIGINT) FROM lots").fetch_one(db.pool()).await?;
    anyhow::ensure!(planned == stored, "allocated {stored} units, planned {planned}");
    lap(&mut built, "lots allocated");

    // The monthly totals: the grouping of migration 0010's back-fill
    // (the same groups; listed in each table's key order, so the rows
    // arrive in key order).
    progress(Progress { step: "monthly totals", done: 0, total: 2 });
    let mut tx = begin(db).await?;
    sqlx::query(
        "INSERT INTO ledger_household_months (month, household_id, village_code, household_status, cooperative_id, gross_fen, income_fen) \
         SELECT month, household_id, village_code, household_status, cooperative_id, SUM(gross_fen), SUM(income_fen) \
         FROM attribution_entries GROUP BY household_id, month, village_code, household_status, cooperative_id \
         ORDER BY household_id, month, village_code, household_status, cooperative_id",
    )
    .execute(&mut *tx)
    .await?;
    progress(Progress { step: "monthly totals", done: 1, total: 2 });
    sqlx::query(
        "INSERT INTO ledger_region_months (month, village_code, household_status, cooperative_id, buyer_org_id, buyer_kind, gross_fen, income_fen) \
         SELECT month, village_code, household_status, cooperative_id, buyer_org_id, MIN(buyer_kind), SUM(gross_fen), SUM(income_fen) \
         FROM attribution_entries GROUP BY village_code, month, household_status, cooperative_id, buyer_org_id \
         ORDER BY village_code, month, household_status, cooperative_id, buyer_org_id",
    )
    .execute(&mut *tx)
    .await?;
    // Migration 0012's small totals, by the same grouping.
    for sql in crate::orders::SMALL_TOTALS_FROM_LEDGER {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    progress(Progress { step: "monthly totals", done: 2, total: 2 });
    lap(&mut built, "monthly totals");

    // The dropped indexes, from their own definitions.
    let total = dropped.len() as u64;
    for (i, (_, sql)) in dropped.iter().enumerate() {
        progress(Progress { step: "indexes", done: i as u64, total });
        sqlx::query(sql).execute(db.pool()).await?;
    }
    progress(Progress { step: "indexes", done: total, total });
    for table in [
        "households",
        "products",
        "lots",
        "orders",
        "order_lines",
        "allocations",
        "attribution_entries",
        "refunds",
        "payments",
        "order_events",
    ] {
        reset_identity(db, table).await?;
    }
    lap(&mut built, "indexes");

    // Fresh statistics, as autovacuum gives PostgreSQL within a minute of
    // such a write; on SQLite ANALYZE fills sqlite_stat1, which its
    // planner reads when choosing between indexes.
    progress(Progress { step: "analyse", done: 0, total: 1 });
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    progress(Progress { step: "analyse", done: 1, total: 1 });
    lap(&mut built, "analyse");

    built.household_months = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_household_months").fetch_one(db.pool()).await?;
    built.region_months = sqlx::query_scalar("SELECT COUNT(*) FROM ledger_region_months").fetch_one(db.pool()).await?;

    // Nothing is handed over that `zhunong verify` does not find clean.
    progress(Progress { step: "verify", done: 0, total: 1 });
    let report = crate::reports::verify::verify(db).await?;
    progress(Progress { step: "verify", done: 1, total: 1 });
    if !report.is_clean() {
        let found: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.differences > 0)
            .map(|c| format!("{} ({} differences, e.g. {})", c.what, c.differences, c.examples.join("; ")))
            .collect();
        anyhow::bail!("the data set does not verify: {}", found.join(" | "));
    }
    anyhow::ensure!(report.entries as usize == built.entries, "wrote {} entries, the ledger holds {}", built.entries, report.entries);
    built.verified_entries = report.entries;
    lap(&mut built, "verify");
    Ok(built)
}

/// The database's size on disk in bytes: SQLite's pages (the WAL is
/// checkpointed into the file when the database closes), PostgreSQL's
/// `pg_database_size`.
pub async fn database_size(db: &Db) -> sqlx::Result<i64> {
    match db.backend() {
        Backend::Sqlite => {
            let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(db.pool()).await?;
            let size: i64 = sqlx::query_scalar("PRAGMA page_size").fetch_one(db.pool()).await?;
            Ok(pages * size)
        }
        Backend::Postgres => sqlx::query_scalar("SELECT CAST(pg_database_size(current_database()) AS BIGINT)").fetch_one(db.pool()).await,
    }
}

/// Whether region `outer` (a code, any level) contains region `inner`.
fn region_contains(outer: &str, inner: &str) -> bool {
    let significant = outer.trim_end_matches('0');
    // A province or prefecture code ends in zeros that belong to it
    // (4403 → 440300…): keep whole pairs.
    let keep = significant.len().div_ceil(2) * 2;
    inner.starts_with(&outer[..keep.min(outer.len())])
}

/// A bijection of the 40 low bits (an odd multiplier and a xor-shift are
/// both invertible modulo 2⁴⁰): distinct household ids give distinct
/// 8-character pseudonyms, however many there are.
fn spread(id: u64) -> u64 {
    const MASK: u64 = (1 << 40) - 1;
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4B) & MASK;
    x ^= x >> 17;
    x = x.wrapping_mul(0xD6E8_FEB8_6659) & MASK;
    x ^= x >> 13;
    x & MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn household_pseudonyms_are_distinct_for_distinct_ids() {
        let mut seen = HashSet::new();
        for id in 1..200_000u64 {
            assert!(seen.insert(crate::households::pseudonym(spread(id))), "id {id} repeats a pseudonym");
        }
    }

    #[test]
    fn a_region_contains_the_codes_under_it_only() {
        assert!(region_contains("440300000000", "440304000000"));
        assert!(!region_contains("440300000000", "440104000000"));
        assert!(region_contains("440000000000", "440104000000"));
        assert!(region_contains("310000000000", "310115000000"));
        assert!(!region_contains("370000000000", "310115000000"));
    }
}
