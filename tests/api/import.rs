//! Importing lots from CSV and XLSX: all or nothing, every bad row named.

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use std::io::Write;

struct Fixture {
    token: String,
    product: i64,
    node: i64,
    households: Vec<String>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let node = app.count(&format!("SELECT MIN(node_id) FROM lots WHERE product_id = {product}")).await;
    let households = sqlx::query_scalar("SELECT h.code FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1 ORDER BY h.code LIMIT 3")
        .bind(coop)
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    Fixture { token, product, node, households }
}

async fn upload(app: &TestApp, token: &str, content_type: &str, body: Vec<u8>) -> crate::helpers::Res {
    let req = Request::post("/api/v1/lots/import")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

const HEADER: &str = "lot,product_id,quantity,harvested_on,expires_on,node_id,household_code,household_quantity";

#[tokio::test]
async fn a_good_csv_records_every_lot_with_its_contributions() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let (p, n, h) = (f.product, f.node, &f.households);
    let csv = format!(
        "\u{feff}{HEADER}\nA,{p},300,2026-09-01,2027-03-01,{n},{},120\nA,{p},300,2026-09-01,2027-03-01,{n},{},180\nB,{p},50,2026-10-01,2027-04-01,{n},{},50\n",
        h[0], h[1], h[2]
    );
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let res = upload(&app, &f.token, "text/csv", csv.into_bytes()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), serde_json::json!({"lots": 2, "contributions": 3, "units": 350}));
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before + 2);
    let receipts = app.count(&format!("SELECT COUNT(*) FROM stock_movements m JOIN lots l ON l.id = m.lot_id WHERE l.product_id = {p} AND m.reason = 'receipt' AND m.delta IN (300, 50)")).await;
    assert!(receipts >= 2, "each imported lot is received in its history");
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_every_bad_row_is_named() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let (p, n, h) = (f.product, f.node, &f.households);
    let csv = format!(
        "{HEADER}\n\
         A,{p},300,2026-09-01,2027-03-01,{n},{},300\n\
         B,{p},60,2026-09-01,2027-03-01,{n},{},50\n\
         C,{p},ten,2026-13-01,2027-03-01,{n},HH-NOTAMEMBER,5\n",
        h[0], h[1]
    );
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let res = upload(&app, &f.token, "text/csv", csv.into_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let errors = res.json()["errors"].clone();
    let rows: Vec<&str> = errors.as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(rows, ["row 3", "row 4"], "{errors}");
    let text = errors.to_string();
    assert!(text.contains("add up to 50, but the lot holds 60"));
    assert!(text.contains("quantity must be a whole number") && text.contains("harvested_on") && text.contains("HH-NOTAMEMBER"));
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before, "the good lot A was not recorded either");

    let missing = upload(&app, &f.token, "text/csv", b"lot,product_id\nA,1\n".to_vec()).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.json()["errors"][0]["message"].as_str().unwrap().contains("missing column \"quantity\""));
}

/// A minimal XLSX with one sheet of inline strings and numbers.
fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, v) in row.iter().enumerate() {
            let cell = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            if v.parse::<i64>().is_ok() {
                sheet.push_str(&format!("<c r=\"{cell}\"><v>{v}</v></c>"));
            } else {
                sheet.push_str(&format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="lots" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, body) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[tokio::test]
async fn an_xlsx_file_imports_like_a_csv() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let mut rows = vec![HEADER.split(',').map(str::to_owned).collect::<Vec<_>>()];
    for (h, q) in [(&f.households[0], "20"), (&f.households[1], "22")] {
        rows.push(["X", &f.product.to_string(), "42", "2026-09-01", "2027-03-01", &f.node.to_string(), h, q].map(str::to_owned).to_vec());
    }
    let res = upload(&app, &f.token, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx(&rows)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["units"], 42);
    let broken =
        upload(&app, &f.token, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK not really".to_vec()).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.content_type(), "application/problem+json");
}
