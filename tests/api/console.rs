//! The cooperative stock console pages.

use crate::helpers::{Res, Seed, TestApp, order_body};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Res {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header(header::COOKIE, format!("zn_session={t}"));
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

async fn post(app: &TestApp, path: &str, token: &str, form: &str) -> Res {
    let req = Request::post(path)
        .header(header::COOKIE, format!("zn_session={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    app.raw(req).await
}

/// The CSRF token of the manager's session, read from a form.
fn csrf(page: &Res) -> String {
    let at = page.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page.text[at..at + 64].to_owned()
}

#[tokio::test]
async fn only_a_cooperative_manager_gets_the_console() {
    let app = TestApp::demo().await;
    let visitor = get(&app, "/console", None).await;
    assert_eq!(visitor.status, StatusCode::SEE_OTHER);
    assert_eq!(visitor.headers.get(header::LOCATION).unwrap(), "/login?next=/console", "the sign-in page comes back to the console");
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(get(&app, "/console", Some(&buyer)).await.status, StatusCode::FORBIDDEN);

    let manager = app.login("manager@coop.zhunong.demo").await;
    let page = get(&app, "/console", Some(&manager)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("伽师瓜") && !page.text.contains("叶城薄皮核桃"), "own products only");
}

#[tokio::test]
async fn a_manager_records_a_lot_from_the_form_and_mistakes_come_back_explained() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/lots/new", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf(&form);
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT household_id FROM cooperative_members WHERE cooperative_id = $1 ORDER BY household_id LIMIT 2")
            .bind(coop)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;

    // Contributions of 30 + 20 for a lot of 60: refused, explained, kept.
    let body = format!(
        "csrf={csrf}&product_id={product}&quantity=60&harvested_on=2026-11-01&expires_on=2026-12-31&node_id={node}&household={}&share=30&household={}&share=20&household=&share=",
        members[0], members[1]
    );
    let refused = post(&app, "/console/lots", &token, &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("各农户供货数量之和为 50，但批次数量为 60"), "the reason is shown, in Chinese");
    assert!(refused.text.contains("value=\"60\""), "the input is kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before);

    let fixed = body.replace("quantity=60", "quantity=50");
    let created = post(&app, "/console/lots", &token, &fixed).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let location = created.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let lot = get(&app, &location, Some(&token)).await;
    assert!(lot.text.contains("id=\"quantity\">50 "));
    assert!(lot.text.contains("入库"), "history starts with the receipt");

    // Forged form: no CSRF token, nothing happens.
    let forged = post(&app, "/console/lots", &token, &fixed.replace(&format!("csrf={csrf}"), "csrf=x")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before + 1);
}

#[tokio::test]
async fn an_adjustment_below_what_orders_hold_is_refused_on_the_page() {
    // One buyer may hold all of it (the hold cap is not what is tested here).
    let app = TestApp::configured(Seed::Demo, &[("ZHUNONG_HOLD_SHARE_PERCENT", "100")]).await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    // An order takes all but 5 of the product's free units; lots are sold
    // first expiry first, so the 5 are left on the lot that expires last.
    let today = zhunong::time::format_date(zhunong::time::today());
    let lot = app.count(&format!("SELECT id FROM lots WHERE product_id = {product} ORDER BY expires_on DESC, id DESC LIMIT 1")).await;
    let free = app
        .count(&format!(
            "SELECT CAST(SUM(quantity - allocated) AS BIGINT) FROM lots WHERE product_id = {product} AND expires_on >= '{today}'"
        ))
        .await;
    let buyer = app.login("buyer@partner.zhunong.demo").await;
    let placed = app.post("/api/v1/orders", order_body(&[(product, free - 5)]), Some(&buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    assert_eq!(app.count(&format!("SELECT quantity - allocated FROM lots WHERE id = {lot}")).await, 5);
    let page = get(&app, &format!("/console/lots/{lot}"), Some(&token)).await;
    let csrf = csrf(&page);
    let refused =
        post(&app, &format!("/console/lots/{lot}/adjustments"), &token, &format!("csrf={csrf}&delta=-6&reason=spoilage&note=")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("只有 5 未被订单占用"), "{}", refused.text);
    let ok = post(
        &app,
        &format!("/console/lots/{lot}/adjustments"),
        &token,
        &format!("csrf={csrf}&delta=-5&reason=spoilage&note=%E7%83%82%E6%9E%9C"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let after = get(&app, &format!("/console/lots/{lot}"), Some(&token)).await;
    assert!(after.text.contains("烂果"), "the note is in the history");

    // Another cooperative's lot does not exist for this manager.
    let other =
        app.count(&format!("SELECT MIN(l.id) FROM lots l JOIN products p ON p.id = l.product_id WHERE p.cooperative_id <> {coop}")).await;
    assert_eq!(get(&app, &format!("/console/lots/{other}"), Some(&token)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_members_page_lists_what_each_household_supplied() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let page = get(&app, "/console/households", Some(&token)).await;
    assert_eq!(page.status, StatusCode::OK);
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let top = app
        .count(&format!(
            "SELECT CAST(MAX(s) AS BIGINT) FROM (SELECT SUM(c.quantity) AS s FROM lot_contributions c JOIN lots l ON l.id = c.lot_id \
             JOIN products p ON p.id = l.product_id WHERE p.cooperative_id = {coop} GROUP BY c.household_id) t"
        ))
        .await;
    assert!(page.text.contains(&format!("data-label=\"累计供货\">{top}</td>")), "the biggest supplier's total");
}

#[tokio::test]
async fn the_import_page_lists_bad_rows_and_records_nothing() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/import", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf(&form);
    let csv = "lot,product_id,quantity,harvested_on,expires_on,node_id,household_code,household_quantity\nA,1,10,2026-09-01,2027-03-01,1,HH-NOBODY,10\n";
    let boundary = "zhunongboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lots.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let req = Request::post("/console/import")
        .header(header::COOKIE, format!("zn_session={token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let res = app.raw(req).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("未导入任何数据") && res.text.contains("HH-NOBODY"), "every bad row is listed");
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before);
}

#[tokio::test]
async fn a_manager_lists_a_product_from_the_form_with_prices_in_yuan_and_edits_it() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/products/new", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf(&form);
    let village = app.get("/api/v1/me", Some(&token)).await.json()["org"]["region_code"].as_str().unwrap().to_owned();
    let body = format!(
        "csrf={csrf}&name=%E4%BC%BD%E5%B8%88%E8%9C%9C%E7%93%9C&name_en=Jiashi+honeydew&category=fruit&unit=kg&spec=&storage=ambient&unit_weight_g=1000&origin_code={village}&description=\
         &tier_min=1&tier_price=32.50&tier_min=100&tier_price=29.9&tier_min=&tier_price=&cert_kind=&cert_number=&cert_until=&active=on"
    );
    let created = post(&app, "/console/products", &token, &body).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    let location = created.headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap().to_owned();
    let product = app.get(&format!("/api/v1/products/{id}"), None).await.json();
    assert_eq!(product["name"], "伽师蜜瓜");
    assert_eq!(product["price_tiers"][0]["unit_price_fen"], 3250);
    assert_eq!(product["price_tiers"][1]["unit_price_fen"], 2990, "29.9 yuan is exactly 2,990 fen");

    let edit = get(&app, &format!("/console/products/{id}/edit"), Some(&token)).await;
    assert!(edit.text.contains("value=\"32.50\""), "prices shown back in yuan");
    let rising = body.replace("tier_price=29.9", "tier_price=35");
    let refused = post(&app, &format!("/console/products/{id}"), &token, &rising).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("第 2 档的单价须低于上一档的单价"), "{}", refused.text);

    let other = app.count("SELECT MAX(id) FROM products WHERE cooperative_id <> (SELECT cooperative_id FROM products WHERE id = (SELECT MIN(id) FROM products))").await;
    assert_eq!(get(&app, &format!("/console/products/{other}/edit"), Some(&token)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_product_form_offers_origin_villages_by_township_and_name_without_their_codes() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/products/new", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    let village = app.get("/api/v1/me", Some(&token)).await.json()["org"]["region_code"].as_str().unwrap().to_owned();
    let township: String =
        sqlx::query_scalar(&format!("SELECT t.name FROM regions t JOIN regions v ON v.parent_code = t.code WHERE v.code = '{village}'"))
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    // The cooperative's own village is chosen, under its township, the
    // code only in the option's value and tooltip.
    assert!(form.text.contains(&format!("<optgroup label=\"{township}\">")), "{}", form.text);
    assert!(form.text.contains(&format!("<option value=\"{village}\" title=\"区划代码 {village}\" selected>")), "{}", form.text);
    let text = crate::report_pages::visible(&form.text);
    assert!(!crate::report_pages::has_region_code(&text), "a region code shown on the product form:\n{text}");
}

#[tokio::test]
async fn the_visits_import_page_names_its_own_form_and_records_all_visits_or_none() {
    let app = TestApp::demo().await;
    let token = app.login("official@county.zhunong.demo").await;
    let form = get(&app, "/monitoring/import", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(r#"action="/monitoring/import""#), "posts to the visits import");
    assert!(form.text.contains(r#"<a href="/monitoring">"#), "leads back to monitoring");
    assert!(
        form.text.contains("household_code,visited_on") && form.text.contains("href=\"/monitoring/import/sample.csv\""),
        "its own columns and sample"
    );
    assert!(!form.text.contains("/console/import"), "not the lots import");
    let csrf = csrf(&form);
    let code: String =
        sqlx::query_scalar("SELECT MIN(code) FROM households WHERE village_code LIKE '653129%'").fetch_one(app.db().pool()).await.unwrap();
    let today = zhunong::time::format_date(zhunong::time::china_today());
    let upload = |csv: String| {
        let boundary = "zhunongboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"visits.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        );
        Request::post("/monitoring/import")
            .header(header::COOKIE, format!("zn_session={token}"))
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    let visits_before = app.count("SELECT COUNT(*) FROM household_visits").await;
    let header_row = "household_code,visited_on,other_income_yuan,risk_factors,failed_checks,note";
    let bad = app.raw(upload(format!("{header_row}\n{code},{today},1000,,,\nHH-NOBODY,{today},1000,,,\n"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert!(bad.text.contains("未导入任何数据") && bad.text.contains("HH-NOBODY"), "the bad row is listed");
    assert_eq!(app.count("SELECT COUNT(*) FROM household_visits").await, visits_before, "nothing of a bad file");
    let good = app.raw(upload(format!("{header_row}\n{code},{today},1000,,,\n"))).await;
    assert_eq!(good.status, StatusCode::CREATED, "{}", good.text);
    assert!(good.text.contains(r#"role="status""#), "says what was imported");
    assert_eq!(app.count("SELECT COUNT(*) FROM household_visits").await, visits_before + 1);
}

/// A member of cooperative `coop`: (code, head's name, village name).
async fn a_member(app: &TestApp, coop: i64) -> (String, String, String) {
    sqlx::query_as(
        "SELECT h.code, h.head_name, r.name FROM households h JOIN cooperative_members m ON m.household_id = h.id \
         JOIN regions r ON r.code = h.village_code WHERE m.cooperative_id = $1 AND h.head_name IS NOT NULL ORDER BY h.code LIMIT 1",
    )
    .bind(coop)
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

/// The picker's options in a page or fragment: (value, label).
fn options(html: &str) -> Vec<(String, String)> {
    html.split("<option value=\"")
        .skip(1)
        .filter_map(|o| {
            let (value, rest) = o.split_once('"')?;
            let label = rest.split_once('>')?.1.split("</option>").next()?;
            Some((value.to_owned(), label.to_owned()))
        })
        .filter(|(v, _)| !v.is_empty())
        .collect()
}

#[tokio::test]
async fn the_household_picker_finds_own_members_by_code_name_and_village_and_no_one_else() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let other = app.count(&format!("SELECT MIN(cooperative_id) FROM cooperative_members WHERE cooperative_id <> {coop}")).await;
    let (code, name, _) = a_member(&app, coop).await;
    // A household of another cooperative whose name no own member shares.
    let (stranger_code, stranger): (String, String) = sqlx::query_as(
        "SELECT h.code, h.head_name FROM households h JOIN cooperative_members m ON m.household_id = h.id \
         WHERE m.cooperative_id = $1 AND h.head_name IS NOT NULL AND h.head_name NOT IN \
         (SELECT o.head_name FROM households o JOIN cooperative_members om ON om.household_id = o.id \
          WHERE om.cooperative_id = $2 AND o.head_name IS NOT NULL) ORDER BY h.code LIMIT 1",
    )
    .bind(other)
    .bind(coop)
    .fetch_one(app.db().pool())
    .await
    .unwrap();

    // By code (any case), by the head's name: the member, named.
    let found = get(&app, &format!("/console/lots/households?q={}", code.to_lowercase()), Some(&token)).await;
    assert_eq!(found.status, StatusCode::OK);
    let found = options(&found.text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.starts_with(&format!("{code} {name} · ")), "code, name, village, status: {found:?}");
    assert!(!found[0].1.contains("registered_poor") && !found[0].1.contains("none"), "the status is a word: {found:?}");
    let by_name = options(&get(&app, &format!("/console/lots/households?q={}", urlencode(&name)), Some(&token)).await.text);
    assert!(by_name.iter().any(|(_, label)| label.starts_with(&code)), "{by_name:?}");

    // By village: every find lives there.
    let village: String = sqlx::query_scalar("SELECT name FROM regions WHERE code = (SELECT region_code FROM organisations WHERE id = $1)")
        .bind(coop)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let short = zhunong::regions::short_name(&village);
    let stem = short.trim_end_matches('村');
    let by_village = options(&get(&app, &format!("/console/lots/households?q={}", urlencode(stem)), Some(&token)).await.text);
    assert!(!by_village.is_empty() && by_village.iter().all(|(_, label)| label.contains(stem)), "{by_village:?}");

    // Another cooperative's household is not there, by name or by code.
    for q in [&stranger, &stranger_code] {
        let none = get(&app, &format!("/console/lots/households?q={}", urlencode(q)), Some(&token)).await;
        assert!(options(&none.text).is_empty() && !none.text.contains(stranger.as_str()), "{}", none.text);
        assert!(none.text.contains("没有符合的成员农户"), "{}", none.text);
    }
    // Nobody but a manager searches at all.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(get(&app, "/console/lots/households?q=HH", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    let official = app.login("official@county.zhunong.demo").await;
    assert_eq!(get(&app, "/console/lots/households?q=HH", Some(&official)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_picker_search_is_bounded_in_length_and_in_results() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let members = app.count(&format!("SELECT COUNT(*) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    assert!(members > 30, "the demo cooperative has more members than one search shows");

    // Everyone matches an empty search: 30 shown, and the page says how many more.
    let all = get(&app, "/console/lots/households?q=", Some(&token)).await;
    assert_eq!(options(&all.text).len(), 30);
    assert!(all.text.contains(&format!("显示 30 户，共 {members} 户符合")), "{}", all.text);
    // The form starts the same way: five rows of 30 households, not of every member.
    let form = get(&app, "/console/lots/new", Some(&token)).await;
    assert_eq!(
        options(&form.text).iter().filter(|(v, _)| v.parse::<i64>().is_ok()).count(),
        5 * 30 + {
            // (the product and node lists are options too)
            let products = app.count(&format!("SELECT COUNT(*) FROM products WHERE cooperative_id = {coop} AND active = 1")).await;
            let nodes = form.text.split("name=\"node_id\"").nth(1).unwrap().split("</select>").next().unwrap().matches("<option").count();
            (products + nodes as i64) as usize
        }
    );

    // 41 characters are refused, in Chinese; 40 are searched.
    let long = get(&app, &format!("/console/lots/households?q={}", "瓜".repeat(41)), Some(&token)).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(long.text.contains("查找内容最多 40 个字") && options(&long.text).is_empty(), "{}", long.text);
    let forty = get(&app, &format!("/console/lots/households?q={}", "瓜".repeat(40)), Some(&token)).await;
    assert_eq!(forty.status, StatusCode::OK);
    // LIKE's wildcards are searched for as themselves, not as "anything".
    assert!(options(&get(&app, "/console/lots/households?q=%25", Some(&token)).await.text).is_empty());
}

#[tokio::test]
async fn without_a_script_the_lot_form_finds_households_and_grows_rows_keeping_what_was_typed() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let form = get(&app, "/console/lots/new", Some(&token)).await;
    let csrf = csrf(&form);
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let (code, name, _) = a_member(&app, coop).await;
    // The member chosen in row 1 is one the search below does not find.
    let chosen: (i64, String) = sqlx::query_as(
        "SELECT h.id, h.code FROM households h JOIN cooperative_members m ON m.household_id = h.id \
         WHERE m.cooperative_id = $1 AND h.code <> $2 ORDER BY h.code DESC LIMIT 1",
    )
    .bind(coop)
    .bind(&code)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let body = format!(
        "csrf={csrf}&quantity=42&harvested_on=2026-11-01&expires_on=2026-12-31&household={}&share=42&household=&share=&q={}",
        chosen.0,
        urlencode(&code)
    );

    let found = post(&app, "/console/lots", &token, &format!("{body}&action=find")).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert!(found.text.contains("value=\"42\""), "the typed quantity is kept");
    let rows: Vec<&str> = found.text.split("name=\"household\"").skip(1).collect();
    assert_eq!(rows.len(), 5);
    let first = options(rows[0].split("</select>").next().unwrap());
    assert!(first.iter().any(|(v, l)| *v == chosen.0.to_string() && l.starts_with(&chosen.1)), "row 1 keeps its choice: {first:?}");
    assert!(rows[0].contains(&format!("value=\"{}\" selected", chosen.0)));
    assert!(first.iter().any(|(_, l)| l.starts_with(&format!("{code} {name}"))), "and offers the find: {first:?}");

    let more = post(&app, "/console/lots", &token, &format!("{body}&action=more")).await;
    assert_eq!(more.status, StatusCode::OK);
    assert_eq!(more.text.matches("name=\"household\"").count(), 7, "the two rows sent and five more");
    assert!(more.text.contains(&format!("value=\"{}\" selected", chosen.0)));
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before, "neither button records a lot");
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'-' { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

// ---- imports by name (issue 14 §2; h-money) ----

#[tokio::test]
async fn the_visits_sample_offered_on_the_import_page_imports_cleanly_for_the_official() {
    let app = TestApp::demo().await;
    let token = app.login("official@county.zhunong.demo").await;
    let form = get(&app, "/monitoring/import", Some(&token)).await;
    let csrf = csrf(&form);
    let sample = get(&app, "/monitoring/import/sample.csv", Some(&token)).await;
    assert_eq!(sample.status, StatusCode::OK);
    assert!(sample.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let boundary = "zhunongboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"visits-sample.csv\"\r\nContent-Type: text/csv\r\n\r\n{}\r\n--{boundary}--\r\n",
        sample.text
    );
    let visits_before = app.count("SELECT COUNT(*) FROM household_visits").await;
    let res = app
        .raw(
            Request::post("/monitoring/import")
                .header(header::COOKIE, format!("zn_session={token}"))
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM household_visits").await, visits_before + 2, "both sample visits recorded");
    // A cooperative manager has no visits sample.
    let manager = app.login("manager@coop.zhunong.demo").await;
    assert_eq!(get(&app, "/monitoring/import/sample.csv", Some(&manager)).await.status, StatusCode::FORBIDDEN);
}
