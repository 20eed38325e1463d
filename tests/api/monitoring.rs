//! Monitoring (监测帮扶): the colour rule at its boundaries through the
//! API, who may record visits, what a visit must look like, alerts raised
//! once and acknowledged with a note, two evaluations at once, the report
//! against a count worked out here, and the visit import, all or nothing.
//! Every test runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.

use crate::buying::{input, post as post_form};
use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use std::collections::HashMap;
use zhunong::monitoring::{Rules, Trigger};

const OFFICIAL: &str = "official@county.zhunong.demo";
/// 伽师县's monitoring line in the demo's year: the default 7,200 yuan.
const LINE_FEN: i64 = 720_000;

fn this_year() -> i32 {
    zhunong::time::china_today().year()
}

fn today() -> String {
    zhunong::time::format_date(zhunong::time::china_today())
}

/// A 伽师县 household (id, size) whose colour this year is `colour`,
/// never visited nor alerted, the `skip`th such in id order.
async fn household_of(app: &TestApp, county: &str, colour: &str, skip: i64) -> (i64, i64) {
    sqlx::query_as(
        "SELECT h.id, h.size FROM households h JOIN household_colours c ON c.household_id = h.id AND c.year = $1 \
         WHERE h.village_code LIKE $2 AND c.colour = $3 \
         AND NOT EXISTS (SELECT 1 FROM monitoring_alerts a WHERE a.household_id = h.id) \
         AND NOT EXISTS (SELECT 1 FROM household_visits v WHERE v.household_id = h.id) ORDER BY h.id LIMIT 1 OFFSET $4",
    )
    .bind(this_year() as i64)
    .bind(format!("{county}%"))
    .bind(colour)
    .bind(skip)
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

fn visit(other_income_fen: i64, factors: &[&str]) -> Value {
    json!({
        "visited_on": today(),
        "other_income_fen": other_income_fen,
        "risk_factors": factors,
        "checks": {"food": true, "clothing": true, "schooling": true, "medical": true, "housing": true, "water": true},
        "note": "入户走访"
    })
}

async fn record(app: &TestApp, token: &str, household: i64, body: Value) -> Res {
    app.post(&format!("/api/v1/households/{household}/visits"), body, Some(token)).await
}

#[tokio::test]
async fn a_visit_colours_the_household_by_the_rule_at_every_boundary() {
    let app = TestApp::demo().await;
    let token = app.login(OFFICIAL).await;
    let (household, size) = household_of(&app, "653129", "green", 0).await;
    let bar = LINE_FEN * size;
    let mut water = visit(bar * 2, &[]);
    water["checks"]["water"] = json!(false);
    // (body, colour): the latest visit of the year decides.
    let table = [
        (visit(bar - 1, &[]), "red"),            // a fen below the line for the household
        (visit(bar, &[]), "orange"),             // exactly at the line
        (visit(bar * 110 / 100, &[]), "orange"), // exactly 10 % above
        (visit(bar * 110 / 100 + 1, &[]), "yellow"),
        (visit(bar * 130 / 100, &[]), "yellow"), // exactly 30 % above
        (visit(bar * 130 / 100 + 1, &[]), "green"),
        (visit(bar * 2, &["illness"]), "orange"), // a risk factor: at least orange
        (water, "orange"),                        // a failed check: at least orange
        (visit(bar * 2, &[]), "green"),
    ];
    for (body, want) in table {
        let income = body["other_income_fen"].clone();
        let res = record(&app, &token, household, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.json()["colour"], want, "other income {income} for {size} people: {}", res.text);
    }
    // The drop rule: last year 2,000,000 fen per person declared. This
    // year 1,400,000 is exactly 30 % less: not more than 30 %, green.
    // One fen less per household is a drop of more than 30 %: yellow.
    sqlx::query("INSERT INTO household_incomes (household_id, year, other_income_fen) VALUES ($1, $2, $3)")
        .bind(household)
        .bind(this_year() as i64 - 1)
        .bind(2_000_000 * size)
        .execute(app.db().pool())
        .await
        .unwrap();
    let res = record(&app, &token, household, visit(1_400_000 * size, &[])).await;
    assert_eq!(res.json()["colour"], "green", "{}", res.text);
    let res = record(&app, &token, household, visit(1_400_000 * size - 1, &[])).await;
    assert_eq!(res.json()["colour"], "yellow", "{}", res.text);
    assert_eq!(res.json()["reasons"], json!(["income_drop"]));
    // The year's declared other income is the latest visit's.
    let declared = app
        .count(&format!("SELECT other_income_fen FROM household_incomes WHERE household_id = {household} AND year = {}", this_year()))
        .await;
    assert_eq!(declared, 1_400_000 * size - 1);
}

#[tokio::test]
async fn only_an_official_of_the_households_region_records_a_visit() {
    let app = TestApp::demo().await;
    let official = app.login(OFFICIAL).await;
    let yecheng: i64 = app.count("SELECT MIN(id) FROM households WHERE village_code LIKE '653126%'").await;
    let jiashi: i64 = app.count("SELECT MIN(id) FROM households WHERE village_code LIKE '653129%'").await;
    let before = app.count("SELECT COUNT(*) FROM household_visits").await;
    // 伽师县's official knows nothing of a 叶城县 household.
    let res = record(&app, &official, yecheng, visit(1_000_000, &[])).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = record(&app, &official, 999_999_999, visit(1_000_000, &[])).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    // A cooperative manager, even of the household's own cooperative, and
    // a buyer are not officials.
    for who in ["manager@coop.zhunong.demo", "buyer@agency.zhunong.demo", "admin@zhunong.demo"] {
        let token = app.login(who).await;
        let res = record(&app, &token, jiashi, visit(1_000_000, &[])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{who}: {}", res.text);
    }
    let res = app.post(&format!("/api/v1/households/{jiashi}/visits"), visit(1_000_000, &[]), None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT COUNT(*) FROM household_visits").await, before, "nothing was recorded");
    let res = record(&app, &official, jiashi, visit(1_000_000, &[])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let recorded_by = app.count(&format!("SELECT recorded_by FROM household_visits WHERE household_id = {jiashi}")).await;
    let official_id = app.count("SELECT id FROM users WHERE email = 'official@county.zhunong.demo'").await;
    assert_eq!(recorded_by, official_id, "the visit says who recorded it");
}

#[tokio::test]
async fn every_bad_field_of_a_visit_is_named_and_nothing_is_recorded() {
    let app = TestApp::demo().await;
    let token = app.login(OFFICIAL).await;
    let (household, _) = household_of(&app, "653129", "green", 0).await;
    let tomorrow = zhunong::time::format_date(zhunong::time::china_today() + time::Duration::days(1));
    let cases = [
        (json!({"visited_on": tomorrow}), "visited_on", "visit_date"),
        (json!({"visited_on": "1999-12-31"}), "visited_on", "visit_date"),
        (json!({"visited_on": "2025-02-29"}), "visited_on", "visit_date"),
        (json!({"other_income_fen": 100_000_001}), "other_income_fen", "other_income"),
        (json!({"other_income_fen": -1}), "other_income_fen", "other_income"),
        (json!({"note": "话".repeat(501)}), "note", "too_long"),
        (json!({"risk_factors": ["illness", "laziness"]}), "risk_factors[1]", "unknown_risk_factor"),
    ];
    for (change, field, code) in cases {
        let mut body = visit(1_000_000, &[]);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = record(&app, &token, household, body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", res.text);
        let errors = &res.json()["errors"];
        assert_eq!(errors[0]["field"], field, "{}", res.text);
        assert_eq!(errors[0]["code"], code, "{}", res.text);
        if code == "unknown_risk_factor" {
            assert!(errors[0]["message"].as_str().unwrap().contains("laziness"), "the unknown factor is named: {}", res.text);
        }
    }
    let res = record(&app, &token, household, json!({"visited_on": today(), "other_income_fen": 1})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "the checks are required: {}", res.text);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM household_visits WHERE household_id = {household}")).await, 0);
}

#[tokio::test]
async fn a_household_that_turns_red_raises_one_alert_until_an_official_acknowledges_it_with_a_note() {
    let app = TestApp::demo().await;
    let token = app.login(OFFICIAL).await;
    let (household, size) = household_of(&app, "653129", "green", 0).await;
    let res = record(&app, &token, household, visit(LINE_FEN * size / 2, &["illness"])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!((res.json()["colour"].as_str(), res.json()["alert_raised"].as_bool()), (Some("red"), Some(true)));
    // Red again: no second alert while the first is open.
    let res = record(&app, &token, household, visit(LINE_FEN * size / 3, &[])).await;
    assert_eq!(res.json()["alert_raised"], false, "{}", res.text);
    let open = format!("SELECT COUNT(*) FROM monitoring_alerts WHERE household_id = {household} AND acknowledged_at IS NULL");
    assert_eq!(app.count(&open).await, 1);

    let list = app.get("/api/v1/alerts", Some(&token)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let alert =
        list.json()["items"].as_array().unwrap().iter().find(|a| a["household_id"] == json!(household.to_string())).cloned().unwrap();
    assert_eq!(alert["colour"], "red");
    assert!(alert["head_name"].is_string(), "the official of the region sees whose household it is");
    assert_eq!(alert["reasons"], json!(["below_line", "illness"]));
    let id = alert["id"].as_str().unwrap();
    // The administrator sees it, without the name, and cannot acknowledge.
    let admin = app.login("admin@zhunong.demo").await;
    let seen = app.get("/api/v1/alerts?region=653129", Some(&admin)).await;
    let theirs = seen.json()["items"].as_array().unwrap().iter().find(|a| a["id"] == id).cloned().unwrap();
    assert!(theirs.get("head_name").is_none());
    let res = app.post(&format!("/api/v1/alerts/{id}/ack"), json!({"note": "已核实"}), Some(&admin)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Another county's official may not read 伽师县's alerts.
    let res = app.get("/api/v1/alerts?region=653126", Some(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);

    let res = app.post(&format!("/api/v1/alerts/{id}/ack"), json!({"note": "  "}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "a note is needed: {}", res.text);
    let res = app.post(&format!("/api/v1/alerts/{id}/ack"), json!({"note": "已联系乡卫生院，落实大病救助"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["note"], "已联系乡卫生院，落实大病救助");
    assert_eq!(res.json()["acknowledged_by"], "伽师县乡村振兴局 审计员");
    let res = app.post(&format!("/api/v1/alerts/{id}/ack"), json!({"note": "再次确认"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert_eq!(app.count(&open).await, 0);
    let list = app.get("/api/v1/alerts", Some(&token)).await;
    assert!(list.json()["items"].as_array().unwrap().iter().all(|a| a["id"] != id), "acknowledged alerts leave the open list");
    let all = app.get("/api/v1/alerts?state=all", Some(&token)).await;
    assert!(all.json()["items"].as_array().unwrap().iter().any(|a| a["id"] == id));
}

#[tokio::test]
async fn two_evaluations_at_once_raise_one_alert() {
    let app = TestApp::demo().await;
    let (household, size) = household_of(&app, "653129", "green", 0).await;
    // The household's declared income falls below the line behind the
    // stored colour's back; two evaluations then race to notice.
    sqlx::query("UPDATE household_incomes SET other_income_fen = $1 WHERE household_id = $2 AND year = $3")
        .bind(LINE_FEN * size / 2)
        .bind(household)
        .bind(this_year() as i64)
        .execute(app.db().pool())
        .await
        .unwrap();
    let rules = Rules::of(&app.app.state.config);
    let evaluate = || {
        let (db, rules) = (app.db().clone(), rules.clone());
        async move {
            let mut tx = db.begin_write().await.unwrap();
            let done = zhunong::monitoring::evaluate_in(&mut tx, &rules, this_year(), &[household], Trigger::Change).await.unwrap();
            tx.commit().await.unwrap();
            done
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(evaluate()), tokio::spawn(evaluate()));
    let raised = [a.unwrap(), b.unwrap()].iter().flatten().filter(|e| e.alert.is_some()).count();
    assert_eq!(raised, 1, "one of the two raised the alert");
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM monitoring_alerts WHERE household_id = {household}")).await, 1);
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM household_colours WHERE household_id = {household} AND colour = 'red'")).await, 1);
}

#[tokio::test]
async fn the_monitoring_report_counts_what_the_rule_says_of_each_household() {
    let app = TestApp::demo().await;
    let token = app.login(OFFICIAL).await;
    // Worked out here from the raw figures: the demo has no sales yet, so
    // a household's income is its declared other income; the latest
    // visit's findings make it at least orange.
    let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT h.id, h.size, COALESCE(i.other_income_fen, 0), \
                COALESCE((SELECT v.risk_factors FROM household_visits v WHERE v.household_id = h.id AND v.year = $1 ORDER BY v.visited_on DESC, v.id DESC LIMIT 1), ''), \
                COALESCE((SELECT v.failed_checks FROM household_visits v WHERE v.household_id = h.id AND v.year = $1 ORDER BY v.visited_on DESC, v.id DESC LIMIT 1), '') \
         FROM households h LEFT JOIN household_incomes i ON i.household_id = h.id AND i.year = $1 WHERE h.village_code LIKE '653129%'",
    )
    .bind(this_year() as i64)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let mut want: HashMap<&str, i64> = HashMap::new();
    for (_, size, income, factors, failed) in &rows {
        let bar = LINE_FEN * size;
        let by_income = if *income < bar {
            3
        } else if income * 100 <= bar * 110 {
            2
        } else if income * 100 <= bar * 130 {
            1
        } else {
            0
        };
        let rank = if factors.is_empty() && failed.is_empty() { by_income } else { by_income.max(2) };
        *want.entry(["green", "yellow", "orange", "red"][rank]).or_default() += 1;
    }
    let res = app.get("/api/v1/reports/monitoring?per_page=200", Some(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let report = res.json();
    for colour in ["red", "orange", "yellow", "green"] {
        assert_eq!(report["counts"][colour].as_i64().unwrap(), want.get(colour).copied().unwrap_or(0), "{colour}");
        assert!(want.get(colour).copied().unwrap_or(0) > 0, "the demo has {colour} households in 伽师县");
        let by_children: i64 = report["children"].as_array().unwrap().iter().map(|c| c["counts"][colour].as_i64().unwrap()).sum();
        assert_eq!(by_children, report["counts"][colour].as_i64().unwrap(), "the townships add up ({colour})");
    }
    assert_eq!(report["region"]["code"], "653129000000", "an official reads their own region by default");
    let flagged = report["households"].as_array().unwrap();
    assert_eq!(report["total"].as_i64().unwrap(), want["red"] + want["orange"]);
    assert_eq!(flagged.len() as i64, (want["red"] + want["orange"]).min(200));
    assert!(flagged.iter().all(|h| h["colour"] == "red" || h["colour"] == "orange"));
    assert!(flagged.iter().any(|h| h["head_name"].is_string()), "the official sees the names in their region");
    assert!(report["overdue_total"].as_i64().unwrap() > 0, "most demo villages were never visited");
    // One township of the drill-down: its counts are its households'.
    let township = report["children"][0]["code"].as_str().unwrap().to_owned();
    let res = app.get(&format!("/api/v1/reports/monitoring?region={township}"), Some(&token)).await;
    assert_eq!(res.json()["counts"], report["children"][0]["counts"]);
    // The administrator reads it too, without identities; 叶城县 is not
    // the official's.
    let admin = app.login("admin@zhunong.demo").await;
    let res = app.get("/api/v1/reports/monitoring?region=653129&per_page=200", Some(&admin)).await;
    assert_eq!(res.json()["counts"], report["counts"]);
    assert!(
        res.json()["households"].as_array().unwrap().iter().all(|h| h.get("head_name").is_none() && h.get("register_number").is_none())
    );
    let res = app.get("/api/v1/reports/monitoring?region=653126", Some(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let coop = app.login("manager@coop.zhunong.demo").await;
    let res = app.get("/api/v1/reports/monitoring", Some(&coop)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app.get("/api/v1/reports/monitoring?year=1999", Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The dashboard's door gives the same counts.
    let region = zhunong::regions::RegionCode::parse("653129").unwrap();
    let counts = zhunong::monitoring::counts(app.db(), Some(region), this_year()).await.unwrap();
    assert_eq!(counts.red, want["red"]);
}

fn multipart(csv: &str, token: &str) -> Request<Body> {
    let boundary = "zhunongboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"visits.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    Request::post("/api/v1/households/visits/import")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn an_import_with_one_bad_row_records_no_visit_and_a_good_one_records_all() {
    let app = TestApp::demo().await;
    let token = app.login(OFFICIAL).await;
    let mut codes = Vec::new();
    for sql in [
        "SELECT code FROM households WHERE village_code LIKE '653129%' ORDER BY id LIMIT 1",
        "SELECT code FROM households WHERE village_code LIKE '653129%' ORDER BY id DESC LIMIT 1",
        "SELECT code FROM households WHERE village_code LIKE '653126%' ORDER BY id LIMIT 1",
    ] {
        codes.push(sqlx::query_scalar::<_, String>(sql).fetch_one(app.db().pool()).await.unwrap());
    }
    let [jiashi_a, jiashi_b, yecheng] = [codes[0].clone(), codes[1].clone(), codes[2].clone()];
    let before = app.count("SELECT COUNT(*) FROM household_visits").await;
    let day = today();
    let bad = format!(
        "农户编号,走访日期,其他收入（元）,风险因素,未达标项,备注\n\
         {jiashi_a},{day},14000,因病、因学,饮水,老人住院\n\
         {yecheng},{day},9000,,,\n\
         {jiashi_b},{day},abc,因懒,,\n"
    );
    let res = app.raw(multipart(&bad, &token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let errors = res.json()["errors"].as_array().unwrap().clone();
    let fields: Vec<&str> = errors.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["row 3", "row 4"], "{}", res.text);
    assert!(errors[0]["message"].as_str().unwrap().contains("not a household of your region"));
    assert!(errors[1]["message"].as_str().unwrap().contains("因懒"), "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM household_visits").await, before, "nothing of the file was recorded");

    let good = format!(
        "household_code,visited_on,other_income_yuan,risk_factors,failed_checks,note\n\
         {jiashi_a},{day},14000,illness;schooling,water,\n\
         {jiashi_b},{day},26000.50,,,\n"
    );
    let res = app.raw(multipart(&good, &token)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!((res.json()["visits"].as_i64(), res.json()["households"].as_i64()), (Some(2), Some(2)));
    assert_eq!(app.count("SELECT COUNT(*) FROM household_visits").await, before + 2);
    let factors: String = sqlx::query_scalar("SELECT risk_factors FROM household_visits WHERE source = 'import' ORDER BY id LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(factors, "illness,schooling");
    // A cooperative manager imports no visits.
    let coop = app.login("manager@coop.zhunong.demo").await;
    assert_eq!(app.raw(multipart(&good, &coop)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_sale_reaches_the_households_colour_through_the_sweep() {
    let app = TestApp::demo().await;
    let product: i64 =
        app.count("SELECT MIN(p.id) FROM products p JOIN lots l ON l.product_id = p.id WHERE l.quantity > l.allocated + 5").await;
    app.paid_order_to(product, 5, "653101000000").await;
    let rules = Rules::of(&app.app.state.config);
    let swept = zhunong::monitoring::sweep(app.db(), &rules, "test").await.unwrap();
    assert!(swept.evaluated > 0, "the households of the sale were evaluated");
    // Each household's stored income is its ledger income of the year.
    let differ = app
        .count(&format!(
            "SELECT COUNT(*) FROM household_colours c WHERE c.year = {} AND c.income_fen <> \
             (SELECT CAST(COALESCE(SUM(e.income_fen), 0) AS BIGINT) FROM attribution_entries e WHERE e.household_id = c.household_id)",
            this_year()
        ))
        .await;
    assert_eq!(differ, 0);
    let credited = app.count(&format!("SELECT COUNT(*) FROM household_colours WHERE year = {} AND income_fen > 0", this_year())).await;
    assert!(credited > 0, "some household's colour counts the sale");
}

#[tokio::test]
async fn the_officials_pages_speak_chinese_and_a_visit_is_recorded_from_the_form() {
    let app = TestApp::demo().await;
    let token = app.login(OFFICIAL).await;
    let get = |path: String| {
        let token = token.clone();
        let app = &app;
        async move { app.raw(Request::get(path).header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap()).await }
    };
    let page = get("/monitoring".into()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    for words in ["防返贫监测", "红色", "待处理预警", "本周未走访的村", "伽师"] {
        assert!(page.text.contains(words), "{words}");
    }
    assert!(!page.text.contains("653129000000\u{003c}"), "no bare region codes as text");
    let (household, size) = household_of(&app, "653129", "green", 1).await;
    let form = get(format!("/monitoring/households/{household}/visit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(input(&form, "visited_on"), today(), "the form is dated today, China time");
    let csrf = input(&form, "csrf");
    let bad = post_form(
        &app,
        &format!("/monitoring/households/{household}/visit"),
        &token,
        &[("csrf", &csrf), ("visited_on", "1999-01-01"), ("other_income", "abc")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains("走访日期") && bad.text.contains("全年其他收入"), "{}", bad.text);
    let income = format!("{}", LINE_FEN * size / 200);
    let checks = ["food", "clothing", "schooling", "medical", "housing", "water"];
    let mut fields = vec![("csrf", csrf.as_str()), ("visited_on", "")];
    let day = today();
    fields[1].1 = &day;
    fields.push(("other_income", &income));
    fields.push(("factor", "accident"));
    fields.extend(checks.iter().map(|c| ("check", *c)));
    let ok = post_form(&app, &format!("/monitoring/households/{household}/visit"), &token, &fields).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert!(ok.text.contains("红色") && ok.text.contains("因意外"), "{}", ok.text);
    // Acknowledged from the monitoring page, with a note.
    let alert = app.count(&format!("SELECT id FROM monitoring_alerts WHERE household_id = {household}")).await;
    let res = post_form(&app, &format!("/monitoring/alerts/{alert}/ack"), &token, &[("csrf", &csrf), ("note", "")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = post_form(&app, &format!("/monitoring/alerts/{alert}/ack"), &token, &[("csrf", &csrf), ("note", "已入户核实")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    // Someone who is no official does not get the page.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let res = app.raw(Request::get("/monitoring").header(header::COOKIE, format!("zn_session={buyer}")).body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}
