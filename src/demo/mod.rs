//! Demo data: real places of 喀什地区, 昌都市 and 恩施州 with invented
//! cooperatives, households, agencies, partner cities and sign-ins, so a
//! fresh `cargo run --release` shows a living marketplace.
//!
//! Loading is one transaction guarded by a `meta` mark: it either happens
//! completely, once, or not at all — running it twice adds nothing. The
//! data is generated from a fixed seed, so every demo database is alike.

mod data;
pub mod history;
pub mod journeys;
pub mod scale;

use crate::auth::{self, Role};
use crate::catalog::{self, NewCertificate, NewProduct, PriceTier};
use crate::db::{Db, Tx};
use crate::households;
use crate::money::{Fen, largest_remainder};
use crate::regions::{RegionCode, RegionLevel, short_name};
use crate::stock::{self, NewContribution, NewLot};
use anyhow::Context;
use data::*;

/// The password of every demo sign-in. Demo only: never on a real server.
pub const DEMO_PASSWORD: &str = "zhunong-demo";

/// What loading did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The demo was loaded now.
    Loaded {
        /// Cooperatives created.
        cooperatives: usize,
        /// Products created.
        products: usize,
        /// Households created.
        households: usize,
    },
    /// The demo was already there; nothing changed.
    AlreadyLoaded,
}

/// True when the database holds no organisations yet (a fresh install).
pub async fn database_is_empty(db: &Db) -> sqlx::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations").fetch_one(db.pool()).await?;
    Ok(n == 0)
}

/// Loads the demo unless it is loaded already. The shipped regions must be
/// loaded first.
pub async fn load(db: &Db) -> anyhow::Result<Outcome> {
    if db.meta("demo.loaded").await?.is_some() {
        return Ok(Outcome::AlreadyLoaded);
    }
    let mut tx = db.begin_write().await?;
    // The mark is claimed first, in the loading transaction: one conditional
    // insert, not a read and a later write. Two instances starting together
    // on one empty database both pass the check above; on PostgreSQL the
    // second's insert then waits on the first's uncommitted row and, once
    // the first commits, inserts nothing — the demo is loaded once (a read
    // under READ COMMITTED would have seen no mark and loaded it again). If
    // the first rolls back, the second loads it. SQLite's one writer gives
    // the same order.
    let claimed = sqlx::query("INSERT INTO meta (key, value) VALUES ('demo.loaded', $1) ON CONFLICT (key) DO NOTHING")
        .bind(crate::time::now())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed == 0 {
        tx.rollback().await?;
        return Ok(Outcome::AlreadyLoaded);
    }
    let outcome = Loader { tx: &mut tx, rng: Rng(0x5a48_554e_4f4e_4721), password_hash: auth::hash_password(DEMO_PASSWORD) }
        .run()
        .await
        .context("loading the demo data")?;
    tx.commit().await?;
    Ok(outcome)
}

/// splitmix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

struct Loader<'t> {
    tx: &'t mut Tx,
    rng: Rng,
    password_hash: String,
}

struct Coop {
    id: i64,
    village: RegionCode,
    members: Vec<i64>,
    node: i64,
}

impl Loader<'_> {
    async fn run(mut self) -> anyhow::Result<Outcome> {
        let platform = self.org("platform", "助农平台运营中心", "110000000000").await?;
        self.user("admin@zhunong.demo", "平台管理员", platform, &[Role::PlatformAdmin]).await?;
        self.user("finance@zhunong.demo", "平台财务", platform, &[Role::PlatformFinance]).await?;

        let mut coops = Vec::new();
        let mut household_count = 0;
        let mut product_count = 0;
        for (index, spec) in COOPS.iter().enumerate() {
            let coop = self.cooperative(index, spec).await?;
            household_count += coop.members.len();
            coops.push(coop);
        }
        self.nodes(&mut coops).await?;
        for (coop, spec) in coops.iter().zip(COOPS) {
            product_count += self.products(coop, spec).await?;
        }
        let first_coop = coops[0].id;
        self.user("manager@coop.zhunong.demo", "合作社经理 阿卜杜拉", first_coop, &[Role::CoopManager]).await?;

        for (i, (name, region, limit, share)) in AGENCIES.iter().enumerate() {
            let id = self.org("agency", name, region).await?;
            sqlx::query("INSERT INTO agencies (org_id, approval_limit_fen) VALUES ($1, $2)")
                .bind(id)
                .bind(Fen::yuan(*limit).get())
                .execute(&mut **self.tx)
                .await?;
            let year = crate::time::this_year() as i64;
            for (y, target) in [(year - 1, share * 9 / 10), (year, *share)] {
                sqlx::query("INSERT INTO agency_reserved_shares (agency_id, year, target_fen) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(y)
                    .bind(Fen::yuan(target).get())
                    .execute(&mut **self.tx)
                    .await?;
            }
            if i == 0 {
                self.user("buyer@agency.zhunong.demo", "食堂采购 王老师", id, &[Role::AgencyBuyer]).await?;
                self.user("approver@agency.zhunong.demo", "后勤主任 李主任", id, &[Role::AgencyApprover]).await?;
            }
        }

        for (i, (name, region, programme, paired, pledge)) in PARTNERS.iter().enumerate() {
            let id = self.org("partner_city", name, region).await?;
            let year = crate::time::this_year() as i64;
            for code in paired.iter() {
                sqlx::query("INSERT INTO partner_pairings (partner_id, region_code, programme) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(code)
                    .bind(programme)
                    .execute(&mut **self.tx)
                    .await?;
                for (y, amount) in [(year - 1, pledge * 9 / 10), (year, *pledge)] {
                    sqlx::query("INSERT INTO partner_pledges (partner_id, region_code, year, pledge_fen) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(code)
                        .bind(y)
                        .bind(Fen::yuan(amount).get())
                        .execute(&mut **self.tx)
                        .await?;
                }
            }
            if i == 0 {
                self.user("buyer@partner.zhunong.demo", "重庆采购专员 陈工", id, &[Role::PartnerBuyer]).await?;
            }
        }

        let mut official = None;
        for (i, (name, region)) in OFFICES.iter().enumerate() {
            let id = self.org("government", name, region).await?;
            if i == 0 {
                official = Some(self.user("official@county.zhunong.demo", "伽师县乡村振兴局 审计员", id, &[Role::Official]).await?);
            }
        }
        if let Some(official) = official {
            self.monitoring(official).await?;
        }

        Ok(Outcome::Loaded { cooperatives: coops.len(), products: product_count, households: household_count })
    }

    async fn org(&mut self, kind: &str, name: &str, region: &str) -> anyhow::Result<i64> {
        sqlx::query_scalar("INSERT INTO organisations (kind, name, region_code, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(kind)
            .bind(name)
            .bind(region)
            .bind(crate::time::now())
            .fetch_one(&mut **self.tx)
            .await
            .with_context(|| format!("organisation {name}"))
    }

    async fn user(&mut self, email: &str, name: &str, org: i64, roles: &[Role]) -> anyhow::Result<i64> {
        // One argon2 hash for all demo users (same password): hashing is
        // deliberately slow, and the demo should load in a second.
        let user = auth::NewUser { email, password_hash: &self.password_hash, display_name: name, org_id: org, roles };
        auth::create_user(self.tx, &user).await
    }

    /// Rural villages (committee codes 200 and up) of a county, in code order.
    async fn villages(&mut self, county: &str) -> anyhow::Result<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT code, name FROM regions WHERE level = 'village' AND code LIKE $1 AND substr(code, 10, 3) >= '200' ORDER BY code",
        )
        .bind(format!("{county}%"))
        .fetch_all(&mut **self.tx)
        .await?;
        anyhow::ensure!(!rows.is_empty(), "no villages of county {county} are loaded");
        Ok(rows)
    }

    async fn cooperative(&mut self, index: usize, spec: &CoopSpec) -> anyhow::Result<Coop> {
        let villages = self.villages(spec.county).await?;
        let (code, name) = villages[spec.village_index % villages.len()].clone();
        let village = RegionCode::parse(&code)?;
        let county_name: String = sqlx::query_scalar("SELECT name FROM regions WHERE code = $1")
            .bind(format!("{}000000", spec.county))
            .fetch_one(&mut **self.tx)
            .await?;
        let coop_name = format!("{county_name}{}{}农民专业合作社", short_name(&name), spec.trade);
        let id = self.org("cooperative", &coop_name, &code).await?;
        if !spec.trade_en.is_empty() {
            let en = |name: &str| crate::regions::english_name(name);
            let name_en = format!("{} {} Cooperative, {}", en(&name), spec.trade_en, en(&county_name));
            sqlx::query("UPDATE organisations SET name_en = $1 WHERE id = $2").bind(name_en).bind(id).execute(&mut **self.tx).await?;
        }
        sqlx::query("INSERT INTO cooperatives (org_id, payout_ratio_bp, registration_number, description) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(spec.payout_bp)
            .bind(format!("93{}MA{:07}", &spec.county, 1_000 + index))
            .bind(format!("{}的{}合作社，带动本村及周边农户增收。", short_name(&name), spec.trade))
            .execute(&mut **self.tx)
            .await?;

        // Members live in the coop's village and its township's neighbours.
        let township = village.ancestor(RegionLevel::Township).expect("a village has a township").prefix();
        let neighbours: Vec<String> = villages.iter().filter(|(c, _)| c.starts_with(&township)).map(|(c, _)| c.clone()).take(4).collect();
        let count = self.rng.range(140, 175);
        let mut members = Vec::with_capacity(count as usize);
        for n in 0..count {
            let village_code = if n % 2 == 0 { code.clone() } else { self.rng.pick(&neighbours).clone() };
            let roll = self.rng.range(0, 99);
            let status = match roll {
                0..=33 => "registered_poor",
                34..=41 => "monitored",
                42..=46 => "edge",
                47..=71 => "lifted",
                _ => "none",
            };
            let identified = matches!(status, "registered_poor" | "monitored" | "edge" | "lifted");
            let register_number = identified.then(|| format!("{}{:04}", village_code, n + 1));
            let head_name = self.head_name(spec.county);
            let size = self.rng.range(1, 7);
            let hh_code = households::pseudonym(self.rng.next());
            let hid: i64 = sqlx::query_scalar(
                "INSERT INTO households (code, village_code, size, status, register_number, head_name, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&hh_code)
            .bind(&village_code)
            .bind(size)
            .bind(status)
            .bind(register_number)
            .bind(head_name)
            .bind(crate::time::now())
            .fetch_one(&mut **self.tx)
            .await?;
            sqlx::query("INSERT INTO cooperative_members (cooperative_id, household_id, joined_on) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(hid)
                .bind(format!("{}-03-01", crate::time::this_year() - self.rng.range(1, 5) as i32))
                .execute(&mut **self.tx)
                .await?;
            let other_income = Fen::yuan(self.rng.range(3_000, 30_000) * size).get();
            sqlx::query("INSERT INTO household_incomes (household_id, year, other_income_fen) VALUES ($1, $2, $3)")
                .bind(hid)
                .bind(crate::time::this_year() as i64)
                .bind(other_income)
                .execute(&mut **self.tx)
                .await?;
            members.push(hid);
        }
        Ok(Coop { id, village, members, node: 0 })
    }

    /// Monitoring: every household's colour of this year worked out (a
    /// baseline, with the default rules — a server configured otherwise
    /// works them out again at its first sweep), then four visits by the
    /// official of 伽师县 to households that were green: one turns red
    /// (因病), one orange, one yellow, one stays green — so the demo shows
    /// every colour and two open alerts. Uses no random numbers, so the
    /// rest of the demo is as it was.
    async fn monitoring(&mut self, official: i64) -> anyhow::Result<()> {
        use crate::monitoring::{Check, RiskFactor, Rules, Trigger, evaluate_in, visits};
        let rules = Rules::of(&crate::config::Config::defaults());
        let today = crate::time::china_today();
        let year = today.year();
        let Some(line) = rules.line(year) else { return Ok(()) };
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM households ORDER BY id").fetch_all(&mut **self.tx).await?;
        for chunk in ids.chunks(crate::monitoring::evaluate::BATCH) {
            evaluate_in(self.tx, &rules, year, chunk, Trigger::Baseline).await?;
        }
        let green: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT h.id, h.village_code, h.size FROM households h JOIN household_colours c ON c.household_id = h.id AND c.year = $1 \
             WHERE h.village_code LIKE '653129%' AND c.colour = 'green' ORDER BY h.id LIMIT 4",
        )
        .bind(year as i64)
        .fetch_all(&mut **self.tx)
        .await?;
        let jan_first = time::Date::from_calendar_date(year, time::Month::January, 1)?;
        // (per-person income in percent of the line, factors, failed checks, note)
        let plans: [(i64, &[RiskFactor], &[Check], &str); 4] = [
            (60, &[RiskFactor::Illness], &[Check::Medical], "户主住院治疗，家中无劳动力"),
            (105, &[], &[], "务工收入减少"),
            (120, &[], &[], "收入稳定，继续跟踪"),
            (250, &[], &[], "家庭收入稳定"),
        ];
        for (k, ((household, village, size), (percent, factors, failed, note))) in green.iter().zip(plans).enumerate() {
            let visit = visits::CheckedVisit {
                visited_on: (today - time::Duration::days(k as i64 + 1)).max(jan_first),
                other_income: Fen::new(line.get() * size * percent / 100),
                factors: factors.to_vec(),
                failed: failed.to_vec(),
                note: note.to_string(),
            };
            visits::record_in(self.tx, &rules, official, *household, village, &visit, visits::Source::Form).await?;
        }
        Ok(())
    }

    fn head_name(&mut self, county: &str) -> String {
        if county.starts_with("6531") {
            format!("{}·{}", self.rng.pick(UYGHUR_GIVEN), self.rng.pick(UYGHUR_GIVEN))
        } else if county.starts_with("5403") {
            format!("{}{}", self.rng.pick(TIBETAN_GIVEN), self.rng.pick(TIBETAN_GIVEN))
        } else {
            format!("{}{}", self.rng.pick(ENSHI_SURNAMES), self.rng.pick(ENSHI_GIVEN))
        }
    }

    async fn node(
        &mut self,
        kind: &str,
        name: &str,
        region: &str,
        cold: bool,
        capacity_kg: i64,
        operator: Option<i64>,
    ) -> anyhow::Result<i64> {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM nodes WHERE name = $1").bind(name).fetch_optional(&mut **self.tx).await?;
        if let Some(id) = existing {
            return Ok(id);
        }
        Ok(sqlx::query_scalar(
            "INSERT INTO nodes (kind, name, region_code, cold_storage, capacity_kg, operator_org_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(kind)
        .bind(name)
        .bind(region)
        .bind(cold as i64)
        .bind(capacity_kg)
        .bind(operator)
        .fetch_one(&mut **self.tx)
        .await?)
    }

    /// The chain: a village point per cooperative village, a sorting centre
    /// for most townships, a distribution centre per county and a hub per
    /// prefecture. The operator of 伽师县's centre has the demo sign-in.
    async fn nodes(&mut self, coops: &mut [Coop]) -> anyhow::Result<()> {
        let jiashi_operator = self.org("hub_operator", "伽师县供销物流有限公司", "653129000000").await?;
        self.user("operator@hub.zhunong.demo", "伽师配送中心 调度员", jiashi_operator, &[Role::HubOperator]).await?;
        let yecheng_operator = self.org("hub_operator", "叶城县邮政快递物流中心", "653126000000").await?;
        self.user("operator@yecheng.hub.zhunong.demo", "叶城配送中心 调度员", yecheng_operator, &[Role::HubOperator]).await?;
        for (index, coop) in coops.iter_mut().enumerate() {
            let chain = crate::regions::get_many_in(self.tx, &[coop.village]).await?;
            let region = chain.get(&coop.village).context("coop village")?;
            let name_at = |level| region.at(level).map(|l| short_name(&l.name)).unwrap_or_default();
            let code_at = |level| region.at(level).map(|l| l.code.to_string()).unwrap_or_default();
            let county = code_at(RegionLevel::County);
            let operator = match county.as_str() {
                "653129000000" => Some(jiashi_operator),
                "653126000000" => Some(yecheng_operator),
                _ => None,
            };
            let prefecture = name_at(RegionLevel::Prefecture);
            self.node("prefecture_hub", &format!("{prefecture}集散分流中心"), &code_at(RegionLevel::Prefecture), true, 500_000, None)
                .await?;
            let cold = COLD_COUNTY_CENTRES.iter().any(|c| county.starts_with(c));
            self.node("county_distribution", &format!("{}配送中心", name_at(RegionLevel::County)), &county, cold, 120_000, operator)
                .await?;
            if !NO_SORTING_CENTRE.contains(&index) {
                let name = format!("{}{}分拣中心", name_at(RegionLevel::County), name_at(RegionLevel::Township));
                self.node("township_sorting", &name, &code_at(RegionLevel::Township), index % 3 == 0, 30_000, operator).await?;
            }
            let name = format!("{}{}合作社集货点", name_at(RegionLevel::County), name_at(RegionLevel::Village));
            // 伽师县's supply-and-marketing company also runs the county's
            // village collection points, so its operator scans goods from
            // the village up to the county centre.
            coop.node = self.node("village_point", &name, &coop.village.to_string(), false, 8_000, operator).await?;
        }
        Ok(())
    }

    async fn products(&mut self, coop: &Coop, spec: &CoopSpec) -> anyhow::Result<usize> {
        let today = crate::time::today();
        for p in spec.products {
            let new = NewProduct {
                name: p.name.into(),
                name_en: Some(p.en.into()),
                category: p.category.into(),
                unit: p.unit.into(),
                spec: p.spec.into(),
                storage: p.storage.into(),
                unit_weight_g: Some(unit_weight_g(p.unit, p.spec)),
                origin_code: coop.village.to_string(),
                description: p.description.into(),
                price_tiers: p.tiers.iter().map(|(q, fen)| PriceTier { min_quantity: *q, unit_price_fen: Fen::new(*fen) }).collect(),
                certificates: p
                    .certs
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| NewCertificate {
                        kind: (*kind).into(),
                        number: format!(
                            "{}-{}-{:04}",
                            if *kind == "poverty_alleviation" { "FP2024" } else { "CN-GI" },
                            &spec.county,
                            coop.id * 10 + i as i64
                        ),
                        valid_until: format!("{}-12-31", today.year() + 1 + (i as i32)),
                    })
                    .collect(),
            };
            let origin = catalog::validate(&new, coop.village).map_err(|e| anyhow::anyhow!("demo product {}: {e}", p.name))?;
            let product = catalog::create(self.tx, coop.id, &new, origin).await?;
            sqlx::query("UPDATE products SET sales_count = $1 WHERE id = $2")
                .bind(self.rng.range(0, 4_000))
                .bind(product)
                .execute(&mut **self.tx)
                .await?;

            for l in 0..self.rng.range(2, 3) {
                let quantity = self.rng.range(8, 60) * 10;
                let harvested = today - time::Duration::days(self.rng.range(1, 20) + l * 10);
                let expires = harvested + time::Duration::days(p.shelf_days);
                let n = self.rng.range(4, 12) as usize;
                let start = self.rng.range(0, coop.members.len() as i64 - 1) as usize;
                let households: Vec<i64> = (0..n).map(|k| coop.members[(start + k * 7) % coop.members.len()]).collect();
                let weights: Vec<i64> = (0..n).map(|_| self.rng.range(1, 10)).collect();
                let shares = largest_remainder(quantity, &weights)?;
                let contributions = households
                    .iter()
                    .zip(shares)
                    .filter(|(_, q)| *q > 0)
                    .map(|(h, q)| NewContribution { household_id: *h, quantity: q })
                    .collect();
                let lot = NewLot {
                    product_id: product,
                    quantity,
                    harvested_on: crate::time::format_date(harvested),
                    expires_on: crate::time::format_date(expires),
                    node_id: coop.node,
                    contributions,
                };
                stock::create_lot_in(self.tx, coop.id, None, &lot).await.map_err(|e| anyhow::anyhow!("demo lot of {}: {e}", p.name))?;
            }
        }
        Ok(spec.products.len())
    }
}

/// The packed weight of one unit of a demo product, read from its unit and
/// specification: a kilogram for goods sold by the kilogram; else the
/// first weight or volume in the specification ("约5kg/箱" → 5 kg, "250ml×12瓶"
/// → 3 kg, "500g×10袋" → 5 kg), with a tenth added for the packing; a box
/// of 30 eggs is weighed by hand.
pub fn unit_weight_g(unit: &str, spec: &str) -> i64 {
    if unit == "kg" {
        return 1000;
    }
    if spec.starts_with("30枚") {
        return 2_000;
    }
    let digits: String = spec.chars().skip_while(|c| !c.is_ascii_digit()).collect();
    let number: String = digits.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let rest = &digits[number.len()..];
    let value: f64 = number.parse().unwrap_or(0.0);
    let grams = if rest.starts_with("kg") {
        value * 1000.0
    } else if rest.starts_with('g') || rest.starts_with("ml") {
        value
    } else {
        0.0
    };
    let count: f64 = rest
        .split_once('×')
        .map(|(_, n)| n.chars().take_while(|c| c.is_ascii_digit()).collect::<String>())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1.0);
    ((grams * count * 1.1).round() as i64).max(0)
}

#[cfg(test)]
mod weight_tests {
    use super::*;

    #[test]
    fn every_demo_product_has_a_weight_read_from_its_specification() {
        assert_eq!(unit_weight_g("箱", "约5kg/箱，2-3个"), 5_500);
        assert_eq!(unit_weight_g("箱", "250ml×12瓶"), 3_300);
        assert_eq!(unit_weight_g("袋", "500g/袋"), 550);
        assert_eq!(unit_weight_g("kg", "一级"), 1_000);
        for coop in COOPS {
            for p in coop.products {
                let g = unit_weight_g(p.unit, p.spec);
                assert!((100..=10_000).contains(&g), "{}: {} g from {:?} {:?}", p.name, g, p.unit, p.spec);
            }
        }
    }
}
