//! Reports (issue 13 §2, §4): households, regions, cooperatives. Golden
//! tests work out the expected numbers from the ledger entries of the
//! orders the test places; a property test checks that after random
//! orders and refunds every report's totals equal the ledger's sums, over
//! whole months (read from the monthly totals) and over other date ranges
//! (read from the ledger) alike; privacy and tenancy are checked per role.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::{Value, json};
use zhunong::auth::Role;

const JIASHI: &str = "653129000000";
const YECHENG: &str = "653126000000";

/// Pays an invoice order of `quantity` × `product` by the agency buyer;
/// returns the order's internal id.
async fn paid(app: &TestApp, product: i64, quantity: i64) -> i64 {
    paid_line(app, product, quantity).await.0
}

/// [`paid`], with the opaque id of the order's line.
async fn paid_line(app: &TestApp, product: i64, quantity: i64) -> (i64, String) {
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, quantity)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let res = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": format!("T-{id}")}), Some(&finance)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    (zhunong::ids::parse(&id).unwrap(), res.json()["lines"][0]["id"].as_str().unwrap().to_owned())
}

/// A product of a cooperative in `county` with stock.
async fn product_in(app: &TestApp, county: &str) -> i64 {
    app.count(&format!(
        "SELECT MIN(p.id) FROM products p JOIN organisations o ON o.id = p.cooperative_id \
         WHERE o.region_code LIKE '{}%' AND p.active = 1 AND EXISTS (SELECT 1 FROM lots l WHERE l.product_id = p.id AND l.quantity - l.allocated >= 20)",
        &county[..6]
    ))
    .await
}

/// Signs in a new official of `region` (a poverty office made for the
/// test).
async fn official_of(app: &TestApp, region: &str, email: &str) -> String {
    let mut tx = app.db().begin_write().await.unwrap();
    let org: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (kind, name, region_code, created_at) VALUES ('government', $1, $2, '2026-01-01T00:00:00.000000Z') RETURNING id",
    )
    .bind(format!("{email} 乡村振兴局"))
    .bind(region)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    let hash = zhunong::auth::hash_password("zhunong-demo");
    let user = zhunong::auth::NewUser { email, password_hash: &hash, display_name: "审计员", org_id: org, roles: &[Role::Official] };
    zhunong::auth::create_user(&mut tx, &user).await.unwrap();
    tx.commit().await.unwrap();
    app.login(email).await
}

/// The ledger's sum of `column` over entries matching `condition`.
async fn ledger(app: &TestApp, column: &str, condition: &str) -> i64 {
    app.count(&format!("SELECT CAST(COALESCE(SUM({column}), 0) AS BIGINT) FROM attribution_entries WHERE {condition}")).await
}

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["rows"].as_array().unwrap().iter().find(|r| r["code"] == code).unwrap_or_else(|| panic!("no row {code} in {report}"))
}

fn fen(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number of fen: {v}"))
}

#[tokio::test]
async fn an_official_sees_how_much_reached_the_registered_poor_of_each_township_and_drills_down_to_the_villages() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let before = app.get("/api/v1/reports/regions", Some(&official)).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.text);
    let before = before.json();
    assert_eq!(before["parent"]["code"], JIASHI, "an official starts from the own county");
    assert_eq!(before["level"], "township");

    let order = paid(&app, product_in(&app, JIASHI).await, 12).await;
    let after = app.get("/api/v1/reports/regions", Some(&official)).await.json();

    // Worked out from the order's own entries: what each township gained,
    // in all and from registered poor households.
    let townships: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT SUBSTR(village_code, 1, 9) FROM attribution_entries WHERE order_id = {order} ORDER BY 1"
    ))
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert!(!townships.is_empty());
    for t in &townships {
        let code = format!("{t}000");
        let cond = format!("order_id = {order} AND village_code LIKE '{t}%'");
        let gross = ledger(&app, "gross_fen", &cond).await;
        let poor = ledger(&app, "gross_fen", &format!("{cond} AND household_status = 'registered_poor'")).await;
        let (b, a) = (row(&before, &code), row(&after, &code));
        assert_eq!(fen(&a["gross_sales_fen"]) - fen(&b["gross_sales_fen"]), gross, "township {code}");
        assert_eq!(fen(&a["registered_poor_sales_fen"]) - fen(&b["registered_poor_sales_fen"]), poor);
        let share = a["registered_poor_share_percent"].as_f64().unwrap();
        let expected = fen(&a["registered_poor_sales_fen"]) as f64 * 100.0 / fen(&a["gross_sales_fen"]) as f64;
        assert!((share - expected).abs() <= 0.05, "{share} vs {expected}");
        let registered =
            app.count(&format!("SELECT COUNT(*) FROM households WHERE status = 'registered_poor' AND village_code LIKE '{t}%'")).await;
        assert_eq!(a["registered_poor_households"], registered);
    }
    let total = ledger(&app, "gross_fen", &format!("order_id = {order}")).await;
    assert_eq!(fen(&after["totals"]["gross_sales_fen"]) - fen(&before["totals"]["gross_sales_fen"]), total);
    assert_eq!(after["totals"]["code"], JIASHI);

    // Drill down: the township's villages, by month.
    let township = format!("{}000", townships[0]);
    let villages = app.get(&format!("/api/v1/reports/regions?parent={township}&by=month"), Some(&official)).await.json();
    assert_eq!(villages["level"], "village");
    assert_eq!(villages["parent"]["chain"].as_array().unwrap().len(), 4, "province › prefecture › county › township");
    assert_eq!(fen(&villages["totals"]["gross_sales_fen"]), fen(&row(&after, &township)["gross_sales_fen"]));
    let months = villages["totals"]["months"].as_array().unwrap();
    assert_eq!(months.len(), 12, "every month of this year");
    assert_eq!(months.iter().map(|m| fen(&m["gross_sales_fen"])).sum::<i64>(), fen(&villages["totals"]["gross_sales_fen"]));
    let by_village: i64 = villages["rows"].as_array().unwrap().iter().map(|r| fen(&r["gross_sales_fen"])).sum();
    assert_eq!(by_village, fen(&villages["totals"]["gross_sales_fen"]));
}

#[tokio::test]
async fn regional_reports_stay_inside_the_readers_reach_and_refuse_bad_questions() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let outside = app.get(&format!("/api/v1/reports/regions?parent={YECHENG}"), Some(&official)).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND, "another county is not the official's to read");
    let villages = app.get("/api/v1/reports/regions?level=village", Some(&official)).await;
    assert_eq!(villages.status, StatusCode::OK, "without a parent the official reads the own county");
    assert!(villages.json()["rows"].as_array().unwrap().iter().all(|r| r["code"].as_str().unwrap().starts_with("653129")));
    let above = app.get("/api/v1/reports/regions?level=province", Some(&official)).await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY, "the provinces are not below the own county");
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(app.get("/api/v1/reports/regions", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    // The 重庆 partner city reads the region it is paired with (昌都).
    let partner = app.login("buyer@partner.zhunong.demo").await;
    let paired = app.get("/api/v1/reports/regions", Some(&partner)).await;
    assert_eq!(paired.status, StatusCode::OK, "{}", paired.text);
    assert_eq!(paired.json()["parent"]["code"], "540300000000");
    assert_eq!(app.get(&format!("/api/v1/reports/regions?parent={JIASHI}"), Some(&partner)).await.status, StatusCode::NOT_FOUND);

    let admin = app.login("admin@zhunong.demo").await;
    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("from=2026-05-01&to=2026-04-01", "to"),
        ("parent=653129000000&level=county", "level"),
        ("parent=12345", "parent"),
        ("by=week", "by"),
        ("format=pdf", "format"),
    ] {
        let res = app.get(&format!("/api/v1/reports/regions?{query}"), Some(&admin)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", res.text);
        assert!(res.text.contains(&format!("\"{field}\"")), "{query} names {field}: {}", res.text);
    }
}

#[tokio::test]
async fn the_households_report_shows_identities_only_to_the_households_officials_and_cooperative() {
    let app = TestApp::demo().await;
    let order = paid(&app, product_in(&app, JIASHI).await, 10).await;
    let (household, gross, income): (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT household_id, CAST(SUM(gross_fen) AS BIGINT), CAST(SUM(income_fen) AS BIGINT) FROM attribution_entries \
         WHERE order_id = {order} GROUP BY household_id ORDER BY 2 DESC LIMIT 1"
    ))
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let (village, size): (String, i64) = sqlx::query_as(&format!("SELECT village_code, size FROM households WHERE id = {household}"))
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let before_this: i64 = ledger(&app, "gross_fen", &format!("household_id = {household} AND order_id <> {order}")).await;
    let before_income: i64 = ledger(&app, "income_fen", &format!("household_id = {household} AND order_id <> {order}")).await;

    let official = app.login("official@county.zhunong.demo").await;
    let res = app.get(&format!("/api/v1/reports/households?region={village}&sort=-gross_sales&per_page=200"), Some(&official)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let report = res.json();
    let line = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str().and_then(zhunong::ids::parse) == Some(household))
        .expect("the household is listed");
    assert_eq!(fen(&line["gross_sales_fen"]), gross + before_this);
    assert_eq!(fen(&line["household_income_fen"]), income + before_income);
    assert_eq!(fen(&line["per_capita_income_fen"]), (income + before_income) / size);
    assert_eq!(line["village"]["code"], village);
    assert!(line["village"]["chain"].as_str().unwrap().starts_with("伽师县 › "), "{}", line["village"]["chain"]);
    // Sorted by gross sales, most first; totals over every row.
    let grosses: Vec<i64> = report["items"].as_array().unwrap().iter().map(|r| fen(&r["gross_sales_fen"])).collect();
    assert!(grosses.windows(2).all(|w| w[0] >= w[1]), "{grosses:?}");
    assert_eq!(
        fen(&report["totals"]["gross_sales_fen"]),
        ledger(
            &app,
            "gross_fen",
            &format!(
                "household_id IN (SELECT id FROM households WHERE village_code = '{village}') AND day >= '{}'",
                &report["from"].as_str().unwrap()
            )
        )
        .await
    );
    assert_eq!(report["total"], app.count(&format!("SELECT COUNT(*) FROM households WHERE village_code = '{village}'")).await);

    // One household's report: its months and cooperatives add up.
    let one = app.get(&format!("/api/v1/reports/households/{household}"), Some(&official)).await.json();
    let months: i64 = one["months"].as_array().unwrap().iter().map(|m| fen(&m["gross_sales_fen"])).sum();
    assert_eq!(months, gross + before_this);
    let coops: Vec<i64> = one["cooperatives"].as_array().unwrap().iter().map(|c| fen(&c["gross_sales_fen"])).collect();
    assert_eq!(coops.iter().sum::<i64>(), gross + before_this);
    assert!(coops.windows(2).all(|w| w[0] >= w[1]), "cooperatives by sales, most first: {coops:?}");
    let distinct: std::collections::HashSet<&str> =
        one["cooperatives"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(distinct.len(), coops.len(), "each cooperative once");

    // Identities: the official of the household's county sees them (when
    // the household has any on record), the platform a pseudonym only.
    let identified = app.count(&format!("SELECT COUNT(*) FROM households WHERE id = {household} AND head_name IS NOT NULL")).await;
    if identified == 1 {
        assert!(line["head_name"].is_string(), "the county's official sees the head's name");
    }
    let admin = app.login("admin@zhunong.demo").await;
    let text = app.get(&format!("/api/v1/reports/households?region={village}&per_page=200"), Some(&admin)).await.text;
    assert!(!text.contains("head_name") && !text.contains("register_number"), "the platform reads pseudonyms");
    // Another county's official: not these households, not this one.
    let yecheng = official_of(&app, YECHENG, "official@yecheng.test").await;
    let theirs = app.get(&format!("/api/v1/reports/households?region={village}"), Some(&yecheng)).await.json();
    assert_eq!(theirs["total"], 0, "an official of 叶城县 reads no 伽师县 household");
    assert_eq!(app.get(&format!("/api/v1/reports/households/{household}"), Some(&yecheng)).await.status, StatusCode::NOT_FOUND);
    let own = app.get("/api/v1/reports/households?per_page=200", Some(&yecheng)).await.json();
    for item in own["items"].as_array().unwrap() {
        assert!(item["village"]["code"].as_str().unwrap().starts_with("653126"), "{item}");
    }
    // Agencies and partner cities never read households.
    for who in ["buyer@agency.zhunong.demo", "buyer@partner.zhunong.demo"] {
        let token = app.login(who).await;
        assert_eq!(app.get("/api/v1/reports/households", Some(&token)).await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(app.get(&format!("/api/v1/reports/households/{household}"), Some(&token)).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_cooperative_reads_only_its_own_members_and_its_own_sales() {
    let app = TestApp::demo().await;
    let manager = app.login("manager@coop.zhunong.demo").await;
    let coop = app.count("SELECT org_id FROM users WHERE email = 'manager@coop.zhunong.demo'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop} AND active = 1")).await;
    let order = paid(&app, product, 6).await;

    let report = app.get("/api/v1/reports/cooperatives", Some(&manager)).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    let report = report.json();
    assert_eq!(report["rows"].as_array().unwrap().len(), 1, "only the own cooperative");
    let mine = &report["rows"][0];
    assert_eq!(mine["id"], coop.to_string());
    let year = &report["from"].as_str().unwrap()[..4];
    let cond = format!("cooperative_id = {coop} AND day >= '{year}-01-01' AND day <= '{year}-12-31'");
    assert_eq!(fen(&mine["gross_sales_fen"]), ledger(&app, "gross_fen", &cond).await);
    assert_eq!(fen(&mine["household_income_fen"]), ledger(&app, "income_fen", &cond).await);
    let supplied = app
        .count(&format!(
            "SELECT COUNT(*) FROM (SELECT household_id FROM attribution_entries WHERE {cond} GROUP BY household_id HAVING SUM(gross_fen) > 0) x"
        ))
        .await;
    assert_eq!(mine["households_supplied"], supplied);
    assert!(ledger(&app, "gross_fen", &format!("order_id = {order}")).await > 0);

    // The households report: members only, sales through this cooperative
    // only, identities shown (they are its members).
    let households = app.get("/api/v1/reports/households?per_page=200", Some(&manager)).await.json();
    assert_eq!(households["total"], app.count(&format!("SELECT COUNT(*) FROM cooperative_members WHERE cooperative_id = {coop}")).await);
    assert_eq!(fen(&households["totals"]["gross_sales_fen"]), ledger(&app, "gross_fen", &cond).await);
    let someone_else = app.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id <> {coop} AND household_id NOT IN (SELECT household_id FROM cooperative_members WHERE cooperative_id = {coop})")).await;
    assert_eq!(app.get(&format!("/api/v1/reports/households/{someone_else}"), Some(&manager)).await.status, StatusCode::NOT_FOUND);

    // The official of 伽师县 reads the cooperatives of the county; the
    // platform all of them.
    let official = app.login("official@county.zhunong.demo").await;
    let county = app.get("/api/v1/reports/cooperatives", Some(&official)).await.json();
    for r in county["rows"].as_array().unwrap() {
        assert!(r["region_code"].as_str().unwrap().starts_with("653129"), "{r}");
    }
    let admin = app.login("admin@zhunong.demo").await;
    let all = app.get("/api/v1/reports/cooperatives", Some(&admin)).await.json();
    assert_eq!(all["rows"].as_array().unwrap().len() as i64, app.count("SELECT COUNT(*) FROM cooperatives").await);
    let sum: i64 = all["rows"].as_array().unwrap().iter().map(|r| fen(&r["gross_sales_fen"])).sum();
    assert_eq!(sum, fen(&all["totals"]["gross_sales_fen"]));
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(app.get("/api/v1/reports/cooperatives", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
}

/// A small deterministic generator (xorshift), so a failing case can be
/// replayed from its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn after_random_orders_and_refunds_every_reports_totals_equal_the_ledgers_sums() {
    for seed in [7_u64, 1_234_567] {
        let app = TestApp::demo().await;
        let mut rng = Rng(seed);
        let products: Vec<i64> = sqlx::query_scalar(
            "SELECT p.id FROM products p WHERE p.active = 1 AND EXISTS (SELECT 1 FROM lots l WHERE l.product_id = p.id AND l.quantity - l.allocated >= 40) ORDER BY p.id",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap();
        let finance = app.login("finance@zhunong.demo").await;
        for _ in 0..6 {
            let product = products[rng.below(products.len() as u64) as usize];
            let quantity = 1 + rng.below(8) as i64;
            let (order, line) = paid_line(&app, product, quantity).await;
            if rng.below(2) == 0 {
                let back = 1 + rng.below(quantity as u64) as i64;
                let body = json!({"lines": [{"line_id": line, "quantity": back}], "reason": "抽检不合格"});
                let res = app.post(&format!("/api/v1/orders/{order}/refunds"), body, Some(&finance)).await;
                assert_eq!(res.status, StatusCode::CREATED, "seed {seed}: {}", res.text);
            }
        }
        assert!(zhunong::reports::verify::verify(app.db()).await.unwrap().is_clean(), "seed {seed}");
        let today = zhunong::time::format_date(zhunong::time::china_date_of(time::OffsetDateTime::now_utc()));
        let year = &today[..4];
        let admin = app.login("admin@zhunong.demo").await;
        // A calendar year (the yearly totals), whole months across a new
        // year (the monthly totals) and a range that starts mid-month (the
        // ledger) must all equal the ledger's sums and distinct counts.
        let last_year: i32 = year.parse::<i32>().unwrap() - 1;
        for (from, to) in [
            (format!("{year}-01-01"), format!("{year}-12-31")),
            (format!("{last_year}-12-01"), format!("{year}-12-31")),
            (today.clone(), today.clone()),
        ] {
            let period = format!("from={from}&to={to}");
            let cond = format!("day >= '{from}' AND day <= '{to}'");
            let gross = ledger(&app, "gross_fen", &cond).await;
            let income = ledger(&app, "income_fen", &cond).await;
            let poor = ledger(&app, "gross_fen", &format!("{cond} AND household_status = 'registered_poor'")).await;
            let h = app.get(&format!("/api/v1/reports/households?{period}"), Some(&admin)).await.json();
            assert_eq!(fen(&h["totals"]["gross_sales_fen"]), gross, "seed {seed} {period}: households");
            assert_eq!(fen(&h["totals"]["household_income_fen"]), income, "seed {seed} {period}: households' income");
            let with_sales = app
                .count(&format!(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT household_id FROM attribution_entries WHERE {cond} \
                     GROUP BY household_id HAVING SUM(gross_fen) > 0) x"
                ))
                .await;
            assert_eq!(fen(&h["totals"]["households_with_sales"]), with_sales, "seed {seed} {period}: households with sales");
            let r = app.get(&format!("/api/v1/reports/regions?{period}"), Some(&admin)).await.json();
            assert_eq!(fen(&r["totals"]["gross_sales_fen"]), gross, "seed {seed} {period}: regions");
            assert_eq!(fen(&r["totals"]["registered_poor_sales_fen"]), poor, "seed {seed} {period}: registered poor");
            let by_province: i64 = r["rows"].as_array().unwrap().iter().map(|x| fen(&x["gross_sales_fen"])).sum();
            assert_eq!(by_province, gross);
            // Counted distinct, overall and in each province (the figures
            // that cannot be summed from smaller regions).
            // And one level down, the prefectures of each province with
            // sales (a calendar year reads their yearly counts).
            let mut lines: Vec<(String, Value)> = vec![(String::new(), r["totals"].clone())];
            for province in r["rows"].as_array().unwrap() {
                let code = province["code"].as_str().unwrap();
                lines.push((code[..2].to_owned(), province.clone()));
                if fen(&province["gross_sales_fen"]) != 0 {
                    let down = app.get(&format!("/api/v1/reports/regions?parent={code}&{period}"), Some(&admin)).await.json();
                    for x in down["rows"].as_array().unwrap() {
                        lines.push((x["code"].as_str().unwrap()[..4].to_owned(), x.clone()));
                    }
                }
            }
            for (prefix, got) in lines.iter().map(|(p, x)| (p.clone(), x)) {
                let within = format!("{cond} AND village_code LIKE '{prefix}%'");
                let with_sales = app
                    .count(&format!(
                        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT household_id FROM attribution_entries WHERE {within} \
                         GROUP BY household_id HAVING SUM(gross_fen) > 0) x"
                    ))
                    .await;
                let cooperatives = app
                    .count(&format!("SELECT CAST(COUNT(DISTINCT cooperative_id) AS BIGINT) FROM attribution_entries WHERE {within}"))
                    .await;
                let buyers = app
                    .count(&format!("SELECT CAST(COUNT(DISTINCT buyer_org_id) AS BIGINT) FROM attribution_entries WHERE {within}"))
                    .await;
                let counted = (fen(&got["households_with_sales"]), fen(&got["cooperatives"]), fen(&got["buyers"]));
                assert_eq!(
                    counted,
                    (with_sales, cooperatives, buyers),
                    "seed {seed} {period} region {prefix:?}: households, cooperatives, buyers"
                );
            }
            let c = app.get(&format!("/api/v1/reports/cooperatives?{period}"), Some(&admin)).await.json();
            assert_eq!(fen(&c["totals"]["gross_sales_fen"]), gross, "seed {seed} {period}: cooperatives");
            assert_eq!(fen(&c["totals"]["household_income_fen"]), income);
        }
    }
}

#[tokio::test]
async fn the_demo_year_of_sales_reconciles_and_fills_every_month() {
    let app = TestApp::demo().await;
    let made = zhunong::demo::history::run(app.db()).await.unwrap();
    assert_eq!(made, 60, "five orders a month for twelve months");
    assert_eq!(zhunong::demo::history::run(app.db()).await.unwrap(), 0, "made once");
    let found = zhunong::reports::verify::verify(app.db()).await.unwrap();
    assert!(found.is_clean(), "{:?}", found.checks);
    let months: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT month FROM attribution_entries ORDER BY month").fetch_all(app.db().pool()).await.unwrap();
    assert_eq!(months.len(), 12, "{months:?}");
}

#[tokio::test]
async fn on_the_demo_year_each_report_says_what_the_ledger_says() {
    let app = TestApp::demo().await;
    zhunong::demo::history::run(app.db()).await.unwrap();
    let official = app.login("official@county.zhunong.demo").await;
    let (first, last): (String, String) =
        sqlx::query_as("SELECT MIN(day), MAX(day) FROM attribution_entries").fetch_one(app.db().pool()).await.unwrap();
    let period = format!("from={}-01&to={}", &first[..7], last);

    // 伽师县 by township and month.
    let county = app.get(&format!("/api/v1/reports/regions?{period}&by=month"), Some(&official)).await.json();
    let jiashi = "village_code LIKE '653129%'";
    assert!(ledger(&app, "gross_fen", jiashi).await > 0, "the demo sells 伽师县 produce");
    assert_eq!(fen(&county["totals"]["gross_sales_fen"]), ledger(&app, "gross_fen", jiashi).await);
    for m in county["totals"]["months"].as_array().unwrap() {
        let month = m["month"].as_str().unwrap();
        assert_eq!(fen(&m["gross_sales_fen"]), ledger(&app, "gross_fen", &format!("{jiashi} AND month = '{month}'")).await, "{month}");
    }
    let households_with_sales = app
        .count(&format!(
            "SELECT COUNT(*) FROM (SELECT household_id FROM attribution_entries WHERE {jiashi} GROUP BY household_id HAVING SUM(gross_fen) > 0) x"
        ))
        .await;
    assert_eq!(county["totals"]["households_with_sales"], households_with_sales);

    // The household that earned most in 伽师县 heads its report.
    let (top, gross): (i64, i64) = sqlx::query_as(
        "SELECT e.household_id, CAST(SUM(e.gross_fen) AS BIGINT) FROM attribution_entries e JOIN households h ON h.id = e.household_id \
         WHERE h.village_code LIKE '653129%' GROUP BY e.household_id ORDER BY 2 DESC, MIN(h.code) LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let households = app.get(&format!("/api/v1/reports/households?{period}&sort=-gross_sales&per_page=5"), Some(&official)).await.json();
    assert_eq!(fen(&households["items"][0]["gross_sales_fen"]), gross);
    assert_eq!(households["items"][0]["id"], top.to_string());

    // Each cooperative of the county.
    let coops = app.get(&format!("/api/v1/reports/cooperatives?{period}"), Some(&official)).await.json();
    for r in coops["rows"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        assert_eq!(fen(&r["gross_sales_fen"]), ledger(&app, "gross_fen", &format!("cooperative_id = {id}")).await, "{}", r["name"]);
    }
}

#[tokio::test]
async fn each_reports_csv_and_xlsx_say_what_its_json_says() {
    use crate::exports::{csv_records, fetch, xlsx_rows};
    use calamine::{Data, DataType};
    let app = TestApp::demo().await;
    zhunong::demo::history::run(app.db()).await.unwrap();
    let official = app.login("official@county.zhunong.demo").await;
    let yuan = |fen: i64| zhunong::money::Fen::new(fen).yuan_text();

    // Regions: a row per township, then the county's line as the totals.
    let json = app.get("/api/v1/reports/regions", Some(&official)).await.json();
    let csv = fetch(&app, "/api/v1/reports/regions?format=csv", &official, None).await;
    assert_eq!(csv.status, StatusCode::OK);
    let records = csv_records(&csv.bytes);
    assert_eq!(records[0][0], "地区");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(records.len(), rows.len() + 2, "header, a row per township, totals");
    for (record, row) in records[1..].iter().zip(rows) {
        assert_eq!(record[0], row["name"].as_str().unwrap());
        assert_eq!(record[1], yuan(fen(&row["gross_sales_fen"])));
        assert_eq!(record[2], yuan(fen(&row["registered_poor_sales_fen"])));
    }
    let total = records.last().unwrap();
    assert_eq!((total[0].as_str(), total[1].clone()), ("合计", yuan(fen(&json["totals"]["gross_sales_fen"]))));
    assert_eq!(total[5], json["totals"]["households_with_sales"].to_string(), "households counted once, not summed");

    // Households: every household of the county, identities for its
    // official, the totals of the JSON.
    let json = app.get("/api/v1/reports/households?per_page=1", Some(&official)).await.json();
    let xlsx = fetch(&app, "/api/v1/reports/households?format=xlsx", &official, None).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let sheet = xlsx_rows(&xlsx.bytes);
    assert_eq!(sheet[0][0], Data::String("农户编号".into()));
    assert_eq!(sheet.len() as i64, json["total"].as_i64().unwrap() + 2, "header, every household, totals");
    let gross: f64 = sheet[1..sheet.len() - 1].iter().map(|r| r[6].as_f64().unwrap_or(0.0)).sum();
    let expected = fen(&json["totals"]["gross_sales_fen"]) as f64 / 100.0;
    assert!((gross - expected).abs() < 0.005, "{gross} vs {expected}");
    assert_eq!(sheet.last().unwrap()[6].as_f64().unwrap(), expected);
    assert_eq!(sheet[1][0], Data::String(json["items"][0]["household_code"].as_str().unwrap().into()), "the report's order");
    let named = sheet[1..].iter().filter(|r| matches!(&r[1], Data::String(s) if !s.is_empty())).count();
    assert!(named > 0, "the county's official sees heads' names");
    // The platform's download of the same households names no one.
    let admin = app.login("admin@zhunong.demo").await;
    let theirs = xlsx_rows(&fetch(&app, "/api/v1/reports/households?format=xlsx&region=653129000000", &admin, None).await.bytes);
    assert!(theirs[1..].iter().all(|r| matches!(&r[1], Data::String(s) if s.is_empty()) || r[1] == Data::Empty));

    // Cooperatives, in English.
    let csv = fetch(&app, "/api/v1/reports/cooperatives?format=csv", &official, Some("zn_lang=en")).await;
    let records = csv_records(&csv.bytes);
    assert_eq!(records[0][0], "name");
    let json = app.get("/api/v1/reports/cooperatives", Some(&official)).await.json();
    assert_eq!(records.last().unwrap()[2], yuan(fen(&json["totals"]["gross_sales_fen"])));
    assert_eq!(fetch(&app, "/api/v1/reports/cooperatives?format=pdf", &official, None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_compressed_download_arrives_whole() {
    // The gzip layer polls a body once more after its end; a download's
    // body once panicked there, which reset every compressed download
    // (browsers always ask for gzip).
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    for format in ["csv", "xlsx"] {
        let req = axum::http::Request::get(format!("/api/v1/reports/households?format={format}"))
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {official}"))
            .header(axum::http::header::ACCEPT_ENCODING, "gzip")
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[axum::http::header::CONTENT_ENCODING], "gzip", "{format}");
        let body = res.into_body().collect().await.expect("the whole body arrives").to_bytes();
        assert!(body.len() > 100, "{format}: {} bytes", body.len());
    }
}

#[tokio::test]
async fn the_red_and_orange_households_download_with_their_reasons_in_words() {
    use crate::exports::{csv_records, fetch};
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let json = app.get("/api/v1/reports/monitoring", Some(&official)).await.json();
    let flagged = json["counts"]["red"].as_i64().unwrap() + json["counts"]["orange"].as_i64().unwrap();
    assert!(flagged > 0, "the demo has red and orange households in 伽师县");
    let csv = fetch(&app, "/api/v1/reports/monitoring?format=csv", &official, None).await;
    assert_eq!(csv.status, StatusCode::OK);
    let records = csv_records(&csv.bytes);
    assert_eq!(records[0][0], "农户编号");
    let rows: Vec<&Vec<String>> = records[1..].iter().filter(|r| r[0].starts_with("HH-")).collect();
    assert_eq!(rows.len() as i64, flagged, "every red and orange household, not a page of them");
    for r in &rows {
        assert!(r[5] == "红色" || r[5] == "橙色", "{r:?}");
        assert!(!r[7].is_empty() && !r[7].contains('_'), "reasons in words, not codes: {r:?}");
    }
    let red_note = records.iter().find(|r| r[0] == "红色（户）").expect("the counts as notes");
    assert_eq!(red_note[1], json["counts"]["red"].to_string());
}
