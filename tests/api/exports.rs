//! Exports (issue 13 §3): a report's CSV and XLSX, parsed back, say what
//! its JSON says; CSV is UTF-8 with a byte-order mark and a real writer's
//! quoting; XLSX has Chinese headers, a frozen header row, yuan as numbers
//! and a totals row; a wrong `format` is a 422 naming the choices.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use http_body_util::BodyExt;
use serde_json::Value;
use std::io::{Cursor, Read};
use tower::ServiceExt;
use zhunong::money::Fen;
use zhunong::reports::export::{Cell, Column, Export, Format, Totals};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A downloaded file: status, headers and the bytes as they came.
pub(crate) struct File {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) bytes: Vec<u8>,
}

impl File {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// GETs `path` as `token`'s user (with `cookie`, if any) and keeps the
/// body's bytes (the harness reads bodies as text).
pub(crate) async fn fetch(app: &TestApp, path: &str, token: &str, cookie: Option<&str>) -> File {
    let mut req = Request::get(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.expect("the whole body arrives").to_bytes().to_vec();
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if let Err(e) = crate::contract::check("GET", path.split('?').next().unwrap(), status.as_u16(), &ct, &String::from_utf8_lossy(&bytes)) {
        panic!("the answer is not what src/api/openapi.json documents: {e}");
    }
    File { status, headers, bytes }
}

/// The demo agency and its buyer's token.
async fn agency(app: &TestApp) -> (i64, String) {
    let org = app.count("SELECT org_id FROM users WHERE email = 'buyer@agency.zhunong.demo'").await;
    (org, app.login("buyer@agency.zhunong.demo").await)
}

/// An order of `quantity` 伽师瓜 by the demo agency, paid, delivered,
/// accepted and rated: it counts towards the reserved share this month.
async fn counted_order(app: &TestApp, buyer: &str, quantity: i64) {
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let placed = app.post("/api/v1/orders", crate::helpers::order_body(&[(product, quantity)]), Some(buyer)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let paid =
        app.post(&format!("/api/v1/orders/{id}/payments/invoice"), serde_json::json!({"reference": "ICBC-13"}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    app.deliver_all(&id).await;
    let coop = paid.json()["lines"][0]["cooperative_id"].as_str().unwrap().to_owned();
    let ratings = serde_json::json!({"ratings": [{"cooperative_id": coop, "stars": 5}]});
    let accepted = app.post(&format!("/api/v1/orders/{id}/accept"), ratings, Some(buyer)).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text);
}

/// The CSV's records, after its byte-order mark.
pub(crate) fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a byte-order mark, so Excel reads the Chinese");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.expect("a well-formed CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// The first sheet's cells, row by row.
pub(crate) fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an XLSX calamine opens");
    let range = book.worksheet_range_at(0).expect("one sheet").expect("a readable sheet");
    range.rows().map(|r| r.to_vec()).collect()
}

/// A worksheet part of the XLSX archive, as text.
fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut xml).unwrap();
    xml
}

/// Yuan in a spreadsheet cell as exact fen.
fn fen_of(d: &Data) -> i64 {
    match d {
        Data::Float(f) => (f * 100.0).round() as i64,
        Data::Int(i) => i * 100,
        other => panic!("not a number of yuan: {other:?}"),
    }
}

#[tokio::test]
async fn the_reserved_share_report_as_csv_and_xlsx_says_what_its_json_says() {
    let app = TestApp::demo().await;
    let (org, buyer) = agency(&app).await;
    counted_order(&app, &buyer, 3).await;
    let year = zhunong::time::today().year();
    let base = format!("/api/v1/reports/agencies/{org}/reserved-share?year={year}");
    let json: Value = serde_json::from_slice(&fetch(&app, &base, &buyer, None).await.bytes).unwrap();
    let months: Vec<(String, i64)> = json["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["month"].as_str().unwrap().to_owned(), m["counted_fen"].as_i64().unwrap()))
        .collect();
    let counted = json["counted_fen"].as_i64().unwrap();
    let target = json["target_fen"].as_i64().unwrap();
    assert!(counted > 0 && target > 0, "the demo's accepted order counts towards a set target, so the comparison can fail: {json}");

    // CSV, Chinese by default.
    let csv = fetch(&app, &format!("{base}&format=csv"), &buyer, None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    assert_eq!(csv.header(header::CONTENT_DISPOSITION), format!("attachment; filename=\"reserved-share-{year}.csv\""));
    let r = csv_records(&csv.bytes);
    assert_eq!(r[0], ["月份", "计入金额（元）"]);
    for (i, (month, fen)) in months.iter().enumerate() {
        assert_eq!(r[1 + i], [month.clone(), Fen::new(*fen).yuan_text()], "month {month}");
    }
    assert_eq!(r[13], ["合计".to_owned(), Fen::new(counted).yuan_text()]);
    assert_eq!(r[14], ["全年预留份额（元）".to_owned(), Fen::new(target).yuan_text()]);
    assert_eq!(r[15], ["完成比例".to_owned(), json["percent"].as_f64().unwrap().to_string()]);
    assert_eq!(r.len(), 16);

    // In English (the pages' language cookie) the headers are the keys.
    let en = fetch(&app, &format!("{base}&format=csv"), &buyer, Some("zn_lang=en")).await;
    let r = csv_records(&en.bytes);
    assert_eq!(r[0], ["month", "counted_yuan"]);
    assert_eq!(r[13], ["total".to_owned(), Fen::new(counted).yuan_text()]);
    assert_eq!(r[14], ["target_yuan".to_owned(), Fen::new(target).yuan_text()]);

    // XLSX.
    let xlsx = fetch(&app, &format!("{base}&format=xlsx"), &buyer, None).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx.header(header::CONTENT_TYPE), XLSX);
    assert_eq!(xlsx.header(header::CONTENT_DISPOSITION), format!("attachment; filename=\"reserved-share-{year}.xlsx\""));
    let rows = xlsx_rows(&xlsx.bytes);
    assert_eq!(rows[0], [Data::String("月份".into()), Data::String("计入金额（元）".into())]);
    for (i, (month, fen)) in months.iter().enumerate() {
        assert_eq!(rows[1 + i][0], Data::String(month.clone()));
        assert_eq!(fen_of(&rows[1 + i][1]), *fen, "month {month}");
    }
    assert_eq!(rows[13][0], Data::String("合计".into()), "the totals row");
    assert_eq!(fen_of(&rows[13][1]), counted);
    assert_eq!(fen_of(&rows[14][1]), target);
    assert_eq!(rows[15][1], Data::Float(json["percent"].as_f64().unwrap() / 100.0));
    let sheet = xlsx_part(&xlsx.bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#), "the header row is frozen: {sheet}");
    assert!(xlsx_part(&xlsx.bytes, "xl/styles.xml").contains("¥#,##0.00"), "yuan have a yuan number format");
}

#[tokio::test]
async fn a_format_other_than_json_csv_or_xlsx_is_refused_naming_the_choices() {
    let app = TestApp::demo().await;
    let (org, buyer) = agency(&app).await;
    let res = app.get(&format!("/api/v1/reports/agencies/{org}/reserved-share?format=pdf"), Some(&buyer)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let error = &res.json()["errors"][0];
    assert_eq!(error["field"], "format");
    assert_eq!(error["message"], "must be json, csv or xlsx", "{}", res.text);
}

#[tokio::test]
async fn others_get_no_export_of_an_agencys_report() {
    let app = TestApp::demo().await;
    let (org, _) = agency(&app).await;
    let partner = app.login("buyer@partner.zhunong.demo").await;
    let file = fetch(&app, &format!("/api/v1/reports/agencies/{org}/reserved-share?format=xlsx"), &partner, None).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
    assert!(!file.bytes.starts_with(b"PK"), "no workbook leaks out");
}

/// The download helper itself, with text no report has yet.
#[tokio::test]
async fn a_field_with_a_comma_a_quote_and_a_line_break_round_trips_through_a_download() {
    const COLUMNS: &[Column] = &[Column::text("name", "名称", "Name"), Column::yuan("gross_fen", "销售额（元）", "Gross (yuan)")];
    let tricky = "伽师县, \"新城\"\n二组";
    let export = || {
        Export::new("tricky", ("测试", "Test"), COLUMNS)
            .rows_from(vec![vec![Cell::from(tricky), Fen::new(1_234_567).into()], vec!["=1+1".into(), Fen::new(-1).into()]])
            .totals(Totals::Sum)
    };
    let read = |res: axum::response::Response| async move { res.into_body().collect().await.unwrap().to_bytes().to_vec() };

    let csv = zhunong::http::download(export(), Format::Csv, &HeaderMap::new()).await.unwrap();
    let r = csv_records(&read(csv).await);
    assert_eq!(r[1], [tricky, "12345.67"]);
    assert_eq!(r[2], ["'=1+1", "-0.01"], "a formula is made inert");
    assert_eq!(r[3], ["合计", "12345.66"]);

    let mut english = HeaderMap::new();
    english.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en-US,en;q=0.9"));
    let xlsx = zhunong::http::download(export(), Format::Xlsx, &english).await.unwrap();
    let rows = xlsx_rows(&read(xlsx).await);
    assert_eq!(rows[0], [Data::String("Name".into()), Data::String("Gross (yuan)".into())]);
    assert_eq!(rows[1][0], Data::String(tricky.into()));
    assert_eq!(rows[3][0], Data::String("Total".into()));
    assert_eq!(fen_of(&rows[3][1]), 1_234_566);

    let json = zhunong::http::download(export(), Format::Json, &HeaderMap::new()).await.unwrap();
    let v: Value = serde_json::from_slice(&read(json).await).unwrap();
    assert_eq!(v["rows"][0]["name"], tricky);
    assert_eq!(v["totals"]["gross_fen"], 1_234_566);
}

/// The pattern every report follows: rows streamed from the database by
/// sqlx `fetch` inside the producer, which owns its clone of the pool.
#[tokio::test]
async fn rows_streamed_from_the_database_arrive_in_order_with_their_totals() {
    use futures_util::TryStreamExt;
    const COLUMNS: &[Column] = &[
        Column::text("product", "产品", "Product"),
        Column::integer("sold", "销量", "Sold"),
        Column::yuan("lowest_price_fen", "最低价（元）", "Lowest price (yuan)"),
    ];
    const SQL: &str = "SELECT p.name, p.sales_count, CAST(MIN(t.unit_price_fen) AS BIGINT) FROM products p \
                       JOIN price_tiers t ON t.product_id = p.id GROUP BY p.id, p.name, p.sales_count ORDER BY p.id";
    let app = TestApp::demo().await;
    let expected: Vec<(String, i64, i64)> = sqlx::query_as(SQL).fetch_all(app.db().pool()).await.unwrap();
    assert!(expected.len() > 10, "the demo has products");
    let db = app.db().clone();
    let export = Export::new("products", ("产品", "Products"), COLUMNS).totals(Totals::Sum).rows(move |mut out| async move {
        let mut rows = sqlx::query_as::<_, (String, i64, i64)>(SQL).fetch(db.pool());
        while let Some((name, sold, price)) = rows.try_next().await? {
            out.send(vec![name.into(), sold.into(), Fen::new(price).into()]).await?;
        }
        Ok(())
    });
    let res = zhunong::http::download(export, Format::Csv, &HeaderMap::new()).await.unwrap();
    let r = csv_records(&res.into_body().collect().await.unwrap().to_bytes());
    assert_eq!(r.len(), expected.len() + 2, "header, rows, totals");
    for (row, (name, sold, price)) in r[1..].iter().zip(&expected) {
        assert_eq!(row, &[name.clone(), sold.to_string(), Fen::new(*price).yuan_text()]);
    }
    let total: i64 = expected.iter().map(|e| e.2).sum();
    assert_eq!(r.last().unwrap()[2], Fen::new(total).yuan_text());
}

// ---- the partner city's pledge report (issue 13, dashboards part) ----

/// Places and pays an order by `buyer` of `bags` 昌都牦牛肉干 (88.00 a
/// bag) for delivery into 重庆.
async fn jerky_to_chongqing(app: &TestApp, buyer: &str, bags: i64) {
    let token = app.login(buyer).await;
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '昌都牦牛肉干'").await;
    let mut body = crate::helpers::order_body(&[(product, bags)]);
    body["delivery"]["region_code"] = serde_json::json!("500103000000");
    let placed = app.post("/api/v1/orders", body, Some(&token)).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.text);
    let id = placed.json()["id"].as_str().unwrap().to_owned();
    let finance = app.login("finance@zhunong.demo").await;
    let paid =
        app.post(&format!("/api/v1/orders/{id}/payments/invoice"), serde_json::json!({"reference": "ICBC-88"}), Some(&finance)).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
}

#[tokio::test]
async fn the_pledge_report_as_csv_and_xlsx_says_what_its_json_says() {
    let app = TestApp::demo().await;
    let partner = app.count("SELECT org_id FROM users WHERE email = 'buyer@partner.zhunong.demo'").await;
    let year = zhunong::time::china_today().year();
    // A pledge small enough for the percentage to show: 1,000.00 yuan.
    sqlx::query("UPDATE partner_pledges SET pledge_fen = 100000 WHERE partner_id = $1 AND year = $2")
        .bind(partner)
        .bind(year as i64)
        .execute(app.db().pool())
        .await
        .unwrap();
    jerky_to_chongqing(&app, "buyer@partner.zhunong.demo", 4).await; // direct: 352.00
    jerky_to_chongqing(&app, "buyer@agency.zhunong.demo", 3).await; // helped: 264.00
    let token = app.login("buyer@partner.zhunong.demo").await;
    let base = format!("/api/v1/reports/partners/{partner}/pledge?year={year}");
    let json: Value = serde_json::from_slice(&fetch(&app, &base, &token, None).await.bytes).unwrap();
    let region = &json["regions"][0];
    assert_eq!((region["direct_fen"].as_i64(), region["helped_fen"].as_i64()), (Some(35_200), Some(26_400)), "{json}");
    let percent = region["percent"].as_f64().unwrap();
    assert_eq!(percent, 61.6);
    let month = zhunong::time::format_date(zhunong::time::china_today())[..7].to_owned();
    let at = json["months"].as_array().unwrap().iter().position(|m| m["month"] == month.as_str()).unwrap();

    let csv = fetch(&app, &format!("{base}&format=csv"), &token, None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header(header::CONTENT_DISPOSITION), format!("attachment; filename=\"pledge-{year}.csv\""));
    let r = csv_records(&csv.bytes);
    assert_eq!(r[0], ["对口地区", "月份", "帮扶承诺额（元）", "直接采购（元）", "带动销售（元）", "完成比例"]);
    assert_eq!(r[1 + at], ["昌都市", month.as_str(), "", "352.00", "264.00", ""], "this month");
    assert_eq!(r[13], ["昌都市", "", "1000.00", "352.00", "264.00", &percent.to_string()], "the region's year");
    assert_eq!(r[14], ["合计", "", "1000.00", "352.00", "264.00", &percent.to_string()], "the totals");
    assert_eq!(r.len(), 15);

    let xlsx = fetch(&app, &format!("{base}&format=xlsx"), &token, None).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx.header(header::CONTENT_TYPE), XLSX);
    let rows = xlsx_rows(&xlsx.bytes);
    assert_eq!(rows[0][0], Data::String("对口地区".into()));
    assert_eq!((fen_of(&rows[1 + at][3]), fen_of(&rows[1 + at][4])), (35_200, 26_400));
    assert_eq!(rows[14][0], Data::String("合计".into()));
    assert_eq!((fen_of(&rows[14][2]), fen_of(&rows[14][3]), fen_of(&rows[14][4])), (100_000, 35_200, 26_400));
    assert_eq!(rows[14][5], Data::Float(percent / 100.0));

    // Another partner city gets no file either.
    let tianjin =
        crate::pledges::user_in(&app, "天津市对口支援昌都工作组", "buyer@tianjin.example", zhunong::auth::Role::PartnerBuyer).await;
    let file = fetch(&app, &format!("{base}&format=xlsx"), &tianjin, None).await;
    assert_eq!(file.status, StatusCode::NOT_FOUND);
    assert!(!file.bytes.starts_with(b"PK"), "no workbook leaks out");
}
