//! The ledger remembers the facts of the sale (issue 13 §1), keeps its
//! monthly totals in step in the same transaction, and `zhunong verify`
//! finds any difference between the totals, the ledger and the orders.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::json;

/// An invoice order of `quantity` 伽师瓜 by the agency buyer, paid; its
/// internal id and its first line's opaque id.
async fn paid_melons(app: &TestApp, quantity: i64) -> (i64, String) {
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, quantity)]), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let paid = app.post(&format!("/api/v1/orders/{id}/payments/invoice"), json!({"reference": "ICBC-78"}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    let line = paid.json()["lines"][0]["id"].as_str().unwrap().to_owned();
    (zhunong::ids::parse(&id).unwrap(), line)
}

async fn verify_clean(app: &TestApp) -> zhunong::reports::verify::Report {
    zhunong::reports::verify::verify(app.db()).await.unwrap()
}

/// (household, village, status, buyer kind, delivery region, category, day)
type Facts = (i64, String, String, String, String, String, String);

async fn facts_of(app: &TestApp, order: i64) -> Vec<Facts> {
    sqlx::query_as(
        "SELECT household_id, village_code, household_status, buyer_kind, delivery_region, category, day \
         FROM attribution_entries WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(app.db().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_sale_remembers_the_household_the_buyer_and_the_china_date_as_they_were_then() {
    let app = TestApp::demo().await;
    let (order, _) = paid_melons(&app, 4).await;
    let facts = facts_of(&app, order).await;
    assert!(!facts.is_empty());
    let today = zhunong::time::format_date(zhunong::time::china_date_of(time::OffsetDateTime::now_utc()));
    for (household, village, status, kind, delivery, category, day) in &facts {
        let (now_village, now_status): (String, String) = sqlx::query_as("SELECT village_code, status FROM households WHERE id = $1")
            .bind(household)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!((village, status), (&now_village, &now_status));
        assert_eq!(kind, "agency");
        assert_eq!(delivery, "653101000000", "the canteen's region");
        assert_eq!(category, "fruit");
        assert_eq!(day, &today, "the China date of the payment");
    }

    // The household is lifted out of poverty and moves village: the sale
    // it was credited with still belongs to where and what it was then.
    let household = facts[0].0;
    sqlx::query("UPDATE households SET status = 'lifted' WHERE id = $1").bind(household).execute(app.db().pool()).await.unwrap();
    assert_eq!(facts_of(&app, order).await, facts);
    let poor_then: i64 = app
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(gross_fen), 0) AS BIGINT) FROM ledger_household_months WHERE household_id = {household} AND household_status = '{}'",
            facts[0].2
        ))
        .await;
    assert!(poor_then > 0, "the monthly total keeps the status at the sale");
    assert!(verify_clean(&app).await.is_clean());
}

/// Every household's net total per status at the sale, non-zero ones only.
async fn nets(app: &TestApp) -> Vec<(i64, String, i64)> {
    sqlx::query_as(
        "SELECT household_id, household_status, CAST(SUM(gross_fen) AS BIGINT) FROM ledger_household_months \
         GROUP BY household_id, household_status HAVING SUM(gross_fen) <> 0 ORDER BY household_id, household_status",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_refund_repeats_the_facts_of_the_sale_so_every_slice_nets_out() {
    let app = TestApp::demo().await;
    let before = nets(&app).await;
    let (order, line) = paid_melons(&app, 5).await;
    let sale = facts_of(&app, order).await;
    // Reclassified between the sale and the refund.
    sqlx::query("UPDATE households SET status = 'none' WHERE id IN (SELECT household_id FROM attribution_entries WHERE order_id = $1)")
        .bind(order)
        .execute(app.db().pool())
        .await
        .unwrap();
    let finance = app.login("finance@zhunong.demo").await;
    let body = json!({"lines": [{"line_id": line, "quantity": 5}], "reason": "全部退货"});
    let res = app.post(&format!("/api/v1/orders/{order}/refunds"), body, Some(&finance)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let all = facts_of(&app, order).await;
    assert!(all.len() > sale.len(), "refund entries were posted");
    for r in &all[sale.len()..] {
        let s = sale.iter().find(|s| s.0 == r.0).expect("a refund reverses a sale of the same household");
        assert_eq!((&r.1, &r.2, &r.3, &r.4, &r.5), (&s.1, &s.2, &s.3, &s.4, &s.5), "the facts of the sale");
    }
    // Fully refunded: every household's net per status is what it was
    // before the sale — nothing is left under the status it has now.
    assert_eq!(nets(&app).await, before);
    assert!(verify_clean(&app).await.is_clean());
}

#[tokio::test]
async fn verify_is_clean_on_the_demo_and_finds_every_kind_of_tampering() {
    let app = TestApp::demo().await;
    paid_melons(&app, 3).await;
    let clean = verify_clean(&app).await;
    assert!(clean.entries > 0);
    assert!(clean.is_clean(), "{:?}", clean.checks);

    let failing = |report: zhunong::reports::verify::Report| -> Vec<&'static str> {
        report.checks.iter().filter(|c| c.differences > 0).map(|c| c.what).collect()
    };
    let pool = app.db().pool();

    // A total changed behind the ledger's back.
    sqlx::query("UPDATE ledger_region_months SET gross_fen = gross_fen + 1 WHERE village_code = (SELECT MIN(village_code) FROM ledger_region_months)")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(failing(verify_clean(&app).await), ["every region-month total equals its ledger entries"]);
    sqlx::query("UPDATE ledger_region_months SET gross_fen = gross_fen - 1 WHERE village_code = (SELECT MIN(village_code) FROM ledger_region_months)")
        .execute(pool)
        .await
        .unwrap();
    assert!(verify_clean(&app).await.is_clean());

    // A total missing, and one with no entries.
    sqlx::query(
        "UPDATE ledger_household_months SET month = '1999-01' WHERE household_id = (SELECT MIN(household_id) FROM ledger_household_months)",
    )
    .execute(pool)
    .await
    .unwrap();
    let found = verify_clean(&app).await;
    assert_eq!(
        failing(found.clone()),
        ["every household-month total equals its ledger entries", "no household-month total exists without ledger entries"]
    );
    assert!(found.checks[3].examples[0].contains("missing"), "{:?}", found.checks[3].examples);
    sqlx::query("UPDATE ledger_household_months SET month = (SELECT MIN(month) FROM attribution_entries) WHERE month = '1999-01'")
        .execute(pool)
        .await
        .unwrap();

    assert!(verify_clean(&app).await.is_clean());

    // Migration 0012's totals: a village-month and a household-year
    // changed, a party moved to a month it has no entries in.
    for (table, key, what) in [
        ("ledger_village_months", "village_code", "every village-month total equals its ledger entries"),
        ("ledger_household_years", "household_id", "every household-year total equals its ledger entries"),
    ] {
        let change = |by: i64| format!("UPDATE {table} SET income_fen = income_fen + {by} WHERE {key} = (SELECT MIN({key}) FROM {table})");
        sqlx::query(&change(1)).execute(pool).await.unwrap();
        assert_eq!(failing(verify_clean(&app).await), [what]);
        sqlx::query(&change(-1)).execute(pool).await.unwrap();
        assert!(verify_clean(&app).await.is_clean());
    }
    let (month, prefix): (String, String) =
        sqlx::query_as("SELECT month, region_prefix FROM ledger_region_parties WHERE digits = 9 ORDER BY region_prefix, month, party_kind, party_id LIMIT 1")
            .fetch_one(pool)
            .await
            .unwrap();
    let moved = sqlx::query("UPDATE ledger_region_parties SET month = '1999-01' WHERE digits = 9 AND region_prefix = $1 AND month = $2")
        .bind(&prefix)
        .bind(&month)
        .execute(pool)
        .await
        .unwrap();
    assert!(moved.rows_affected() > 0);
    assert_eq!(
        failing(verify_clean(&app).await),
        [
            "every cooperative and buyer with entries in a region and month is listed there",
            "no cooperative or buyer is listed in a region and month without entries there",
            "every cooperative and buyer listed in a region's month is listed in its year, and no other"
        ]
    );
    sqlx::query("UPDATE ledger_region_parties SET month = $1 WHERE month = '1999-01'").bind(&month).execute(pool).await.unwrap();
    assert!(verify_clean(&app).await.is_clean());

    // The ledger itself out of step with what was paid.
    sqlx::query("UPDATE attribution_entries SET gross_fen = gross_fen + 5, income_fen = income_fen WHERE id = (SELECT MIN(id) FROM attribution_entries)")
        .execute(pool)
        .await
        .unwrap();
    let found = failing(verify_clean(&app).await);
    assert!(found.contains(&"each paid line's entries add up to its amount less its answered refunds"), "{found:?}");
}

/// The households with sales that the regions report of 伽师县 (by
/// township, this calendar year) and a distinct count over the ledger's
/// entries give: the county's total, then each township's.
async fn households_with_sales_by_township(app: &TestApp, official: &str) -> Vec<(String, i64, i64)> {
    let year = &zhunong::time::format_date(zhunong::time::china_date_of(time::OffsetDateTime::now_utc()))[..4];
    let report = app.get(&format!("/api/v1/reports/regions?from={year}-01-01&to={year}-12-31"), Some(official)).await.json();
    let counted = |prefix: String| {
        format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT household_id FROM attribution_entries WHERE village_code LIKE '{prefix}%' \
             AND month >= '{year}-01' AND month <= '{year}-12' GROUP BY household_id HAVING SUM(gross_fen) > 0) x"
        )
    };
    let mut out = vec![(
        "653129".to_owned(),
        report["totals"]["households_with_sales"].as_i64().unwrap(),
        app.count(&counted("653129".to_owned())).await,
    )];
    for row in report["rows"].as_array().unwrap() {
        let prefix = row["code"].as_str().unwrap()[..9].to_owned();
        out.push((prefix.clone(), row["households_with_sales"].as_i64().unwrap(), app.count(&counted(prefix)).await));
    }
    out
}

/// After a paid order of `quantity` 伽师瓜: a household it credited, its
/// village, and a village of another township of 伽师县 to move it to.
async fn a_seller_and_a_village_elsewhere(app: &TestApp, quantity: i64) -> (i64, String, String) {
    let (order, _) = paid_melons(app, quantity).await;
    let facts = facts_of(app, order).await;
    let (household, village) = (facts[0].0, facts[0].1.clone());
    let elsewhere: String = sqlx::query_scalar(
        "SELECT MIN(code) FROM regions WHERE level = 'village' AND code LIKE '653129%' AND substr(code, 1, 9) <> substr($1, 1, 9)",
    )
    .bind(&village)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    (household, village, elsewhere)
}

#[tokio::test]
async fn a_household_that_moves_township_counts_once_in_its_county_and_once_in_each_township_it_sold_from_and_verify_checks_the_counts() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    // It moves to a village of another township of 伽师县 and sells again.
    let (household, village, elsewhere) = a_seller_and_a_village_elsewhere(&app, 4).await;
    sqlx::query("UPDATE households SET village_code = $1 WHERE id = $2")
        .bind(&elsewhere)
        .bind(household)
        .execute(app.db().pool())
        .await
        .unwrap();
    // And another household of its village is lifted out of poverty: the
    // registered poor households of each township are today's.
    sqlx::query("UPDATE households SET status = 'lifted' WHERE id = (SELECT MIN(id) FROM households WHERE village_code = $1 AND status = 'registered_poor')")
        .bind(&village)
        .execute(app.db().pool())
        .await
        .unwrap();
    let report = app.get("/api/v1/reports/regions", Some(&official)).await.json();
    for row in report["rows"].as_array().unwrap() {
        let township = &row["code"].as_str().unwrap()[..9];
        let registered = app
            .count(&format!("SELECT COUNT(*) FROM households WHERE status = 'registered_poor' AND village_code LIKE '{township}%'"))
            .await;
        assert_eq!(row["registered_poor_households"], registered, "{township}");
    }
    let (order, line) = paid_melons(&app, 3).await;
    assert!(
        facts_of(&app, order).await.iter().any(|f| f.0 == household && f.1 == elsewhere),
        "the new sale is credited to the new village"
    );

    let counts = households_with_sales_by_township(&app, &official).await;
    for (region, report, ledger) in &counts {
        assert_eq!(report, ledger, "{region}: households with sales, report vs ledger");
    }
    let in_both =
        counts.iter().filter(|(r, n, _)| *n > 0 && (village.starts_with(r.as_str()) || elsewhere.starts_with(r.as_str()))).count();
    assert_eq!(in_both, 3, "the county and both townships count it: {counts:?}");
    assert!(verify_clean(&app).await.is_clean());

    // The second sale refunded in full: the new township no longer counts
    // the household, the county still does (its first sale stands).
    let finance = app.login("finance@zhunong.demo").await;
    let body = json!({"lines": [{"line_id": line, "quantity": 3}], "reason": "全部退货"});
    let res = app.post(&format!("/api/v1/orders/{order}/refunds"), body, Some(&finance)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let after = households_with_sales_by_township(&app, &official).await;
    for (region, report, ledger) in &after {
        assert_eq!(report, ledger, "{region} after the refund: households with sales, report vs ledger");
    }
    assert!(verify_clean(&app).await.is_clean());

    // The counts behind it, tampered with, are found by verify.
    let failing = |report: zhunong::reports::verify::Report| -> Vec<&'static str> {
        report.checks.iter().filter(|c| c.differences > 0).map(|c| c.what).collect()
    };
    let pool = app.db().pool();
    sqlx::query("UPDATE ledger_village_years SET households_with_sales = households_with_sales + 1 WHERE village_code = $1")
        .bind(&village)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        failing(verify_clean(&app).await),
        ["every village-year count of households with sales equals its household-years with positive sales"]
    );
    sqlx::query("UPDATE ledger_village_years SET households_with_sales = households_with_sales - 1 WHERE village_code = $1")
        .bind(&village)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE ledger_household_year_villages SET villages = 1 WHERE household_id = $1")
        .bind(household)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(failing(verify_clean(&app).await), ["each household-year counts at least its villages"]);
    sqlx::query("UPDATE ledger_household_year_villages SET villages = 2 WHERE household_id = $1")
        .bind(household)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE village_households SET registered_poor = registered_poor + 1 WHERE village_code = $1")
        .bind(&elsewhere)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        failing(verify_clean(&app).await),
        ["every village's count of households, of registered poor households and of people equals its households"]
    );
    sqlx::query("UPDATE village_households SET registered_poor = registered_poor - 1 WHERE village_code = $1")
        .bind(&elsewhere)
        .execute(pool)
        .await
        .unwrap();
    let tampered =
        sqlx::query("UPDATE village_colours SET red = red + 1 WHERE village_code = (SELECT MIN(village_code) FROM village_colours)")
            .execute(pool)
            .await
            .unwrap();
    assert!(tampered.rows_affected() > 0, "the demo's households have colours");
    assert_eq!(
        failing(verify_clean(&app).await),
        ["every village's count of households by monitoring colour equals its households' colours"]
    );
}

/// What the households report of this calendar year must say for the
/// households living inside `prefix` today, from the ledger's entries:
/// (code, gross, income) most sales first then by code, and the totals
/// (households, people, households with sales, gross, income).
async fn households_by_gross(app: &TestApp, prefix: &str) -> (Vec<(String, i64, i64)>, [i64; 5]) {
    let year = &zhunong::time::format_date(zhunong::time::china_date_of(time::OffsetDateTime::now_utc()))[..4];
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT h.code, CAST(COALESCE(SUM(e.gross_fen), 0) AS BIGINT), CAST(COALESCE(SUM(e.income_fen), 0) AS BIGINT), h.size \
         FROM households h LEFT JOIN attribution_entries e ON e.household_id = h.id AND e.month >= '{year}-01' AND e.month <= '{year}-12' \
         WHERE h.village_code LIKE '{prefix}%' GROUP BY h.id, h.code, h.size ORDER BY 2 DESC, h.code"
    ))
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let totals = [
        rows.len() as i64,
        rows.iter().map(|r| r.3).sum(),
        rows.iter().filter(|r| r.1 > 0).count() as i64,
        rows.iter().map(|r| r.1).sum(),
        rows.iter().map(|r| r.2).sum(),
    ];
    (rows.into_iter().map(|(code, g, i, _)| (code, g, i)).collect(), totals)
}

/// Checks the households report of this year by gross sales, pages of 1,
/// 3 and 50 rows, for each region against the ledger.
async fn households_report_agrees(app: &TestApp, official: &str, regions: &[&str], when: &str) {
    let year = &zhunong::time::format_date(zhunong::time::china_date_of(time::OffsetDateTime::now_utc()))[..4];
    for code in regions {
        let prefix = code.trim_end_matches('0');
        let prefix = &code[..[2, 4, 6, 9, 12].into_iter().find(|n| *n >= prefix.len()).unwrap()];
        let (ranked, totals) = households_by_gross(app, prefix).await;
        let with_sales = totals[2] as usize;
        assert!(with_sales > 0, "{when}: {code} has households with sales");
        for per_page in [1usize, 3, 50] {
            // Every page of households with sales, and the first that
            // reaches households without.
            for page in 1..=(with_sales / per_page + 1).min(5) {
                let report = app
                    .get(
                        &format!(
                            "/api/v1/reports/households?region={code}&sort=-gross_sales&per_page={per_page}&page={page}&from={year}-01-01&to={year}-12-31"
                        ),
                        Some(official),
                    )
                    .await
                    .json();
                let got: Vec<(String, i64, i64)> = report["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["household_code"].as_str().unwrap().to_owned(),
                            r["gross_sales_fen"].as_i64().unwrap(),
                            r["household_income_fen"].as_i64().unwrap(),
                        )
                    })
                    .collect();
                let want: Vec<(String, i64, i64)> = ranked.iter().skip((page - 1) * per_page).take(per_page).cloned().collect();
                assert_eq!(got, want, "{when}: {code}, page {page} of {per_page}");
                let t = &report["totals"];
                let got_totals = ["households", "people", "households_with_sales", "gross_sales_fen", "household_income_fen"]
                    .map(|k| t[k].as_i64().unwrap());
                assert_eq!(got_totals, totals, "{when}: {code} totals (households, people, with sales, gross, income)");
            }
        }
    }
}

#[tokio::test]
async fn the_households_report_by_sales_reads_the_village_totals_and_still_places_a_household_that_moved_where_it_lives() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let (household, village, elsewhere) = a_seller_and_a_village_elsewhere(&app, 6).await;
    let regions = ["653129000000".to_owned(), format!("{}000", &village[..9]), village.clone()];
    let regions: Vec<&str> = regions.iter().map(String::as_str).collect();
    households_report_agrees(&app, &official, &regions, "before the move").await;

    // It moves to another township of 伽师县 (one more person too) and
    // sells there again; its first sale stays with its old village in the
    // ledger, and the report places all of it where it lives.
    sqlx::query("UPDATE households SET village_code = $1, size = size + 1 WHERE id = $2")
        .bind(&elsewhere)
        .bind(household)
        .execute(app.db().pool())
        .await
        .unwrap();
    let (order, _) = paid_melons(&app, 5).await;
    assert!(
        facts_of(&app, order).await.iter().any(|f| f.0 == household && f.1 == elsewhere),
        "the new sale is credited to the new village"
    );
    let moved = [format!("{}000", &elsewhere[..9]), elsewhere.clone()];
    let regions: Vec<&str> = regions.iter().copied().chain(moved.iter().map(String::as_str)).collect();
    households_report_agrees(&app, &official, &regions, "after the move").await;
    assert!(verify_clean(&app).await.is_clean());

    // The list of households that moved, emptied, is found by verify.
    sqlx::query("DELETE FROM household_moves").execute(app.db().pool()).await.unwrap();
    let report = verify_clean(&app).await;
    let failing: Vec<&str> = report.checks.iter().filter(|c| c.differences > 0).map(|c| c.what).collect();
    assert_eq!(failing, ["every household with sales credited in another village than its own is listed as moved"]);
}

/// Two orders of 5 melons of `product` by the agency buyer, placed, then
/// paid by invoice at once. On PostgreSQL the test holds an uncommitted
/// row of `household`'s month (`(id, village, status)`, through `coop`),
/// the first row both payments write, so both line up behind it and go
/// together once PostgreSQL reports both waiting.
async fn two_payments_at_once(app: &TestApp, product: i64, household: (i64, &str, &str), coop: i64, month: &str) {
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        let res = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, 5)]), Some(&buyer)).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        orders.push(res.json()["id"].as_str().unwrap().to_owned());
    }
    let holder = match crate::helpers::backend() {
        crate::helpers::Backend::Postgres(_) => {
            let mut tx = app.db().begin_write().await.unwrap();
            sqlx::query(
                "INSERT INTO ledger_household_months (month, household_id, village_code, household_status, cooperative_id, gross_fen, income_fen) \
                 VALUES ($1, $2, $3, $4, $5, 0, 0)",
            )
            .bind(month)
            .bind(household.0)
            .bind(household.1)
            .bind(household.2)
            .bind(coop)
            .execute(&mut *tx)
            .await
            .unwrap();
            Some(tx)
        }
        crate::helpers::Backend::Sqlite => None,
    };
    let finance = app.login("finance@zhunong.demo").await;
    let paths: Vec<String> = orders.iter().map(|id| format!("/api/v1/orders/{id}/payments/invoice")).collect();
    let body = json!({"reference": "ICBC-79"});
    let (a, b, ()) = tokio::join!(
        app.post(&paths[0], body.clone(), Some(&finance)),
        app.post(&paths[1], body.clone(), Some(&finance)),
        crate::concurrency::release_when_waiting(app.db(), holder, 2)
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK), "{} {}", a.text, b.text);
}

/// Two payments at once crediting one household that had sold nothing
/// this year. On PostgreSQL the test holds an uncommitted row of the
/// household's month, so both payments line up behind it with the
/// household's year row absent and go together once PostgreSQL reports
/// both waiting. The ledger's upserts (no read before a write) make
/// whichever goes second wait at that row for the first to commit and add
/// to it, so the village counts the household once, the household's year
/// has one village row and `verify` is clean.
#[tokio::test]
async fn two_payments_at_once_crediting_a_household_new_this_year_count_it_once_in_its_village() {
    let app = TestApp::demo().await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE name = '伽师瓜' AND cooperative_id = {coop}")).await;
    app.empty_stock(product).await;
    let today = zhunong::time::format_date(zhunong::time::china_today());
    let (year, month) = (today[..4].to_owned(), today[..7].to_owned());
    let (household, village, status): (i64, String, String) = sqlx::query_as(
        "SELECT h.id, h.village_code, h.status FROM households h JOIN cooperative_members m ON m.household_id = h.id \
         WHERE m.cooperative_id = $1 AND NOT EXISTS (SELECT 1 FROM ledger_household_years y WHERE y.household_id = h.id AND y.year = $2) \
         ORDER BY h.id LIMIT 1",
    )
    .bind(coop)
    .bind(&year)
    .fetch_one(app.db().pool())
    .await
    .expect("a member household with no sales this year");
    app.lot_from(coop, product, &[(household, 20)]).await;
    let counted = || async {
        sqlx::query_scalar::<_, i64>("SELECT households_with_sales FROM ledger_village_years WHERE year = $1 AND village_code = $2")
            .bind(&year)
            .bind(&village)
            .fetch_optional(app.db().pool())
            .await
            .unwrap()
            .unwrap_or(0)
    };
    let before = counted().await;

    two_payments_at_once(&app, product, (household, &village, &status), coop, &month).await;

    let (gross, villages): (i64, i64) = sqlx::query_as(
        "SELECT CAST(y.gross_fen AS BIGINT), CAST(v.villages AS BIGINT) FROM ledger_household_years y \
         JOIN ledger_household_year_villages v ON v.year = y.year AND v.household_id = y.household_id \
         WHERE y.year = $1 AND y.household_id = $2",
    )
    .bind(&year)
    .bind(household)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(gross, 2 * 5 * 6_800, "both payments credited the household: 10 boxes at ¥68");
    assert_eq!(villages, 1, "one village row for the household's year");
    assert_eq!(counted().await, before + 1, "its village counts it once");
    assert!(verify_clean(&app).await.is_clean());
}

/// Two payments at once, by one buyer through one cooperative, crediting
/// a household of a township where neither has sold this year: the
/// township's year lists each party once and counts one cooperative and
/// one buyer (migration 0022). On PostgreSQL both payments are lined up
/// behind a held row as above and go together; the second waits for the
/// first (at the household's month, the first row both write) and then
/// finds the parties listed, so it neither lists nor counts them again.
#[tokio::test]
async fn two_payments_at_once_by_a_buyer_new_to_a_township_this_year_count_it_and_the_cooperative_once() {
    let app = TestApp::demo().await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE name = '伽师瓜' AND cooperative_id = {coop}")).await;
    let buyer_org = app.count("SELECT org_id FROM users WHERE email = 'buyer@agency.zhunong.demo'").await;
    app.empty_stock(product).await;
    let today = zhunong::time::format_date(zhunong::time::china_today());
    let (year, month) = (today[..4].to_owned(), today[..7].to_owned());
    // A household of 伽师县 in a township where neither party sold this
    // year joins the cooperative and brings melons.
    let (household, village, status): (i64, String, String) = sqlx::query_as(
        "SELECT h.id, h.village_code, h.status FROM households h WHERE h.village_code LIKE '653129%' \
         AND NOT EXISTS (SELECT 1 FROM ledger_region_party_years p WHERE p.digits = 9 AND p.region_prefix = substr(h.village_code, 1, 9) \
                         AND p.year = $1 AND p.party_id IN ($2, $3)) \
         ORDER BY h.id LIMIT 1",
    )
    .bind(&year)
    .bind(coop)
    .bind(buyer_org)
    .fetch_one(app.db().pool())
    .await
    .expect("a household of 伽师县 in a township without this year's sales by the agency or the cooperative");
    let township = village[..9].to_owned();
    sqlx::query(
        "INSERT INTO cooperative_members (cooperative_id, household_id, joined_on) VALUES ($1, $2, $3) \
         ON CONFLICT (cooperative_id, household_id) DO NOTHING",
    )
    .bind(coop)
    .bind(household)
    .bind(&today)
    .execute(app.db().pool())
    .await
    .unwrap();
    app.lot_from(coop, product, &[(household, 20)]).await;

    two_payments_at_once(&app, product, (household, &village, &status), coop, &month).await;

    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT party_kind, CAST(parties AS BIGINT) FROM ledger_region_party_counts WHERE digits = 9 AND region_prefix = $1 AND year = $2 \
         ORDER BY party_kind",
    )
    .bind(&township)
    .bind(&year)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(counts, [("buyer".to_owned(), 1), ("cooperative".to_owned(), 1)], "township {township}");
    assert!(verify_clean(&app).await.is_clean());
    // The township's rollup says so.
    let admin = app.login("admin@zhunong.demo").await;
    let county =
        app.get(&format!("/api/v1/reports/regions?parent=653129000000&from={year}-01-01&to={year}-12-31"), Some(&admin)).await.json();
    let row = county["rows"].as_array().unwrap().iter().find(|r| r["code"].as_str().unwrap().starts_with(&township)).unwrap();
    assert_eq!((row["cooperatives"].as_i64(), row["buyers"].as_i64()), (Some(1), Some(1)), "{row}");
    // And its village's, one level down (migration 0023's counts).
    let villages =
        app.get(&format!("/api/v1/reports/regions?parent={township}000&from={year}-01-01&to={year}-12-31"), Some(&admin)).await.json();
    let row = villages["rows"].as_array().unwrap().iter().find(|r| r["code"] == village.as_str()).unwrap();
    assert_eq!((row["cooperatives"].as_i64(), row["buyers"].as_i64()), (Some(1), Some(1)), "{row}");

    // Tampered with, the year's list and its count are found by verify.
    let failing = |report: zhunong::reports::verify::Report| -> Vec<&'static str> {
        report.checks.iter().filter(|c| c.differences > 0).map(|c| c.what).collect()
    };
    let pool = app.db().pool();
    let count = |delta: i64| {
        format!(
            "UPDATE ledger_region_party_counts SET parties = parties + {delta} WHERE digits = 9 AND region_prefix = '{township}' AND year = '{year}'"
        )
    };
    sqlx::query(&count(1)).execute(pool).await.unwrap();
    assert_eq!(failing(verify_clean(&app).await), ["every region's count of cooperatives and buyers in a year equals those listed"]);
    sqlx::query(&count(-1)).execute(pool).await.unwrap();
    sqlx::query("DELETE FROM ledger_region_party_years WHERE digits = 9 AND region_prefix = $1 AND year = $2 AND party_kind = 'buyer'")
        .bind(&township)
        .bind(&year)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        failing(verify_clean(&app).await),
        [
            "every cooperative and buyer listed in a region's month is listed in its year, and no other",
            "every region's count of cooperatives and buyers in a year equals those listed"
        ]
    );
    // The village's list too (migration 0023).
    sqlx::query("DELETE FROM ledger_village_party_years WHERE village_code = $1 AND year = $2 AND party_kind = 'cooperative'")
        .bind(&village)
        .bind(&year)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        failing(verify_clean(&app).await),
        [
            "every cooperative and buyer listed in a region's month is listed in its year, and no other",
            "every cooperative and buyer with entries in a village and year is listed there, and no other",
            "every region's count of cooperatives and buyers in a year equals those listed"
        ]
    );
}
