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

/// A minimal XLSX with one sheet of inline strings and numbers (also used
/// by the property tests).
pub(crate) fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut sheet = String::new();
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
    workbook("", &sheet, zip::CompressionMethod::Stored)
}

/// An XLSX whose one sheet has `dimension` (e.g. `<dimension ref="A1:B2"/>`
/// or nothing) before `sheet_data`, the XML inside `<sheetData>`.
fn workbook(dimension: &str, sheet_data: &str, method: zip::CompressionMethod) -> Vec<u8> {
    workbook_with(dimension, sheet_data, method, None)
}

/// [`workbook`] with a shared strings part.
fn workbook_with(dimension: &str, sheet_data: &str, method: zip::CompressionMethod, shared_strings: Option<&str>) -> Vec<u8> {
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="lots" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let shared = shared_strings.map(|xml| ("xl/sharedStrings.xml", xml.to_owned()));
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, body) in files.into_iter().chain(shared) {
        zip.start_file(name, zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The sheet of issue 16: two cells, at the first and the last cell a
/// sheet can have; read as a dense range it is 16,384 × 1,048,576 cells.
fn sparse_sheet(dimension: &str) -> Vec<u8> {
    workbook(
        dimension,
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>lot</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
        zip::CompressionMethod::Stored,
    )
}

/// The first problem of a 422, as text.
fn first_problem(res: &crate::helpers::Res) -> String {
    res.json()["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}
#[tokio::test]
async fn an_xlsx_file_imports_like_a_csv() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let mut rows = vec![HEADER.split(',').map(str::to_owned).collect::<Vec<_>>()];
    for (h, q) in [(&f.households[0], "20"), (&f.households[1], "22")] {
        rows.push(["X", &f.product.to_string(), "42", "2026-09-01", "2027-03-01", &f.node.to_string(), h, q].map(str::to_owned).to_vec());
    }
    let res = upload(&app, &f.token, XLSX, xlsx(&rows)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["units"], 42);
    let broken = upload(&app, &f.token, XLSX, b"PK not really".to_vec()).await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.content_type(), "application/problem+json");
}

#[tokio::test]
async fn a_sparse_xlsx_with_cells_at_a1_and_xfd1048576_is_refused_and_the_server_keeps_answering() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    // Once without a declared dimension (the cells are streamed and the
    // last one is over the row budget), once with one (refused before a
    // cell is read).
    for dimension in ["", r#"<dimension ref="A1:XFD1048576"/>"#] {
        let file = sparse_sheet(dimension);
        assert!(file.len() < 4096, "a file of a few KB");
        let res = upload(&app, &f.token, XLSX, file).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
        assert_eq!(res.content_type(), "application/problem+json");
        let problem = first_problem(&res);
        assert!(problem.contains("more than 5000 rows") || problem.contains("declares 1048576 rows and 16384 columns"), "{problem}");
    }
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let mut rows = vec![HEADER.split(',').map(str::to_owned).collect::<Vec<_>>()];
    rows.push(
        ["S", &f.product.to_string(), "7", "2026-09-01", "2027-03-01", &f.node.to_string(), &f.households[0], "7"]
            .map(str::to_owned)
            .to_vec(),
    );
    let good = upload(&app, &f.token, XLSX, xlsx(&rows)).await;
    assert_eq!(good.status, StatusCode::CREATED, "imports still work after the refusal: {}", good.text);
}

#[tokio::test]
async fn a_workbook_claiming_a_hundred_billion_shared_strings_is_refused_before_room_is_made_for_them() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    // calamine reserves room for `uniqueCount` strings before reading one:
    // 10¹¹ of them is 2.4 TB, and a failed allocation aborts the process.
    let sst = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="100000000000"><si><t>lot</t></si></sst>"#;
    let file = workbook_with("", r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, zip::CompressionMethod::Stored, Some(sst));
    let res = upload(&app, &f.token, XLSX, file).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(first_problem(&res).contains("more than 100000 cells"), "{}", res.text);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_workbook_of_more_shared_strings_than_the_cell_budget_is_refused_before_they_are_loaded() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    // Each empty string costs calamine 24 bytes; 32 MiB of them would be
    // 160 MB. The count is over the budget without claiming anything.
    let sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>"#,
        "<si/>".repeat(100_001)
    );
    let file = workbook_with("", r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, zip::CompressionMethod::Deflated, Some(&sst));
    let res = upload(&app, &f.token, XLSX, file).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(first_problem(&res).contains("more than 100000 cells"), "{}", res.text);
}

#[tokio::test]
async fn a_zip_bomb_is_refused_by_its_declared_size_before_it_is_inflated() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    // 40 MiB of identical rows deflate to a few dozen KB.
    let row = r#"<row><c t="inlineStr"><is><t>伽师瓜</t></is></c></row>"#;
    let bomb = workbook("", &row.repeat(40 * 1024 * 1024 / row.len()), zip::CompressionMethod::Deflated);
    assert!(bomb.len() < 512 * 1024, "the bomb is small: {} bytes", bomb.len());
    let res = upload(&app, &f.token, XLSX, bomb).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert!(first_problem(&res).contains("unpacks to more than 33554432 bytes"), "{}", res.text);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_zip_bomb_that_understates_its_size_is_refused_while_it_inflates() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let row = r#"<row><c t="inlineStr"><is><t>伽师瓜</t></is></c></row>"#;
    let mut bomb = workbook("", &row.repeat(40 * 1024 * 1024 / row.len()), zip::CompressionMethod::Deflated);
    // Rewrite the sheet's declared uncompressed size, in its local header
    // (offset 22) and its central directory entry (offset 24), to 1 KB.
    let name = b"xl/worksheets/sheet1.xml";
    let mut patched = 0;
    for (signature, size_at) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let name_at = if signature[2] == 3 { 30 } else { 46 };
        let at = (0..bomb.len() - name_at - name.len())
            .find(|&i| bomb[i..i + 4] == signature[..] && bomb[i + name_at..i + name_at + name.len()] == name[..])
            .expect("the sheet's header");
        bomb[at + size_at..at + size_at + 4].copy_from_slice(&1024u32.to_le_bytes());
        patched += 1;
    }
    assert_eq!(patched, 2);
    let res = upload(&app, &f.token, XLSX, bomb).await;
    assert!(res.status == StatusCode::UNPROCESSABLE_ENTITY || res.status == StatusCode::BAD_REQUEST, "{} {}", res.status, res.text);
    assert_eq!(res.content_type(), "application/problem+json");
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_csv_or_xlsx_with_more_rows_than_the_budget_is_refused_with_a_clear_message() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let (p, n, h) = (f.product, f.node, &f.households[0]);
    let mut csv = format!("{HEADER}\n");
    for i in 0..5_000 {
        csv.push_str(&format!("L{i},{p},1,2026-09-01,2027-03-01,{n},{h},1\n"));
    }
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let res = upload(&app, &f.token, "text/csv", csv.into_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", &res.text[..res.text.len().min(500)]);
    assert_eq!(first_problem(&res), "the file has more than 5000 rows; split it into smaller files");
    assert_eq!(res.json()["errors"].as_array().unwrap().len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before);

    let rows: Vec<Vec<String>> = (0..5_001).map(|i| vec![format!("L{i}")]).collect();
    let res = upload(&app, &f.token, XLSX, xlsx(&rows)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", &res.text[..res.text.len().min(500)]);
    assert_eq!(first_problem(&res), "the file has more than 5000 rows; split it into smaller files");
}

#[tokio::test]
async fn the_list_of_bad_rows_is_capped_and_says_how_many_more_rows_have_problems() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let (p, n) = (f.product, f.node);
    let mut csv = format!("{HEADER}\n");
    for i in 0..350 {
        csv.push_str(&format!("L{i},{p},ten,2026-09-01,2027-03-01,{n},HH-NOTAMEMBER,1\n"));
    }
    let res = upload(&app, &f.token, "text/csv", csv.into_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = res.json()["errors"].as_array().unwrap().clone();
    assert_eq!(errors.len(), 101, "100 problems and the count of the rest");
    assert_eq!(errors[0]["field"], "row 2");
    assert_eq!(errors[99]["field"], "row 101");
    assert_eq!(errors[100]["field"], "more rows");
    assert_eq!(errors[100]["message"], "and 250 more rows have problems (only the first 100 problems are listed)");
    assert!(res.text.len() < 64 * 1024, "a short answer: {} bytes", res.text.len());
}

#[tokio::test]
async fn a_long_cell_is_not_echoed_back_whole() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let (p, n, h) = (f.product, f.node, &f.households[0]);
    let long = "九".repeat(300);
    let csv = format!("{HEADER}\nA,{p},{long},2026-09-01,2027-03-01,{n},{h},1\n");
    let res = upload(&app, &f.token, "text/csv", csv.into_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    let problem = first_problem(&res);
    assert!(problem.contains(&format!("\"{}\"…", "九".repeat(40))) && !problem.contains(&"九".repeat(41)), "{problem}");

    let too_long = "九".repeat(400);
    let csv = format!("{HEADER}\nA,{p},{too_long},2026-09-01,2027-03-01,{n},{h},1\n");
    let res = upload(&app, &f.token, "text/csv", csv.into_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(first_problem(&res), "a cell in row 2 holds more than 1024 bytes of text");
}

/// Posts a file through the console's import form, in `lang`.
async fn console_upload(app: &TestApp, lang: &str, name: &str, content_type: &str, file: &[u8]) -> crate::helpers::Res {
    let token = app.login("manager@coop.zhunong.demo").await;
    let cookie = format!("zn_session={token}; zn_lang={lang}");
    let form = app.raw(Request::get("/console/import").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    let at = form.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    let csrf = &form.text[at..at + 64];
    let boundary = "zhunongboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post("/console/import")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

#[tokio::test]
async fn the_console_refuses_a_sparse_xlsx_with_a_page_in_the_managers_language() {
    let app = TestApp::demo().await;
    let zh = console_upload(&app, "zh", "lots.xlsx", XLSX, &sparse_sheet(r#"<dimension ref="A1:XFD1048576"/>"#)).await;
    assert_eq!(zh.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", zh.text);
    assert!(zh.text.contains("工作表声明的范围有 1048576 行 × 16384 列，超过导入上限 5000 行 × 64 列"), "{}", zh.text);
    let en = console_upload(&app, "en", "lots.xlsx", XLSX, &sparse_sheet("")).await;
    assert_eq!(en.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", en.text);
    assert!(en.text.contains("The file has more than 5000 rows and cannot be imported."), "{}", en.text);
}

#[tokio::test]
async fn the_console_caps_the_list_of_bad_rows_and_says_how_many_more() {
    let app = TestApp::demo().await;
    let mut csv = format!("{HEADER}\n");
    for i in 0..120 {
        csv.push_str(&format!("L{i},1,1,2026-09-01,2027-03-01,1,HH-NOBODY,1\n"));
    }
    let zh = console_upload(&app, "zh", "lots.csv", "text/csv", csv.as_bytes()).await;
    assert_eq!(zh.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(zh.text.matches("HH-NOBODY").count(), 100, "the first 100 problems are listed");
    assert!(zh.text.contains("另有 20 行有问题（只列出前 100 个问题）。"), "{}", zh.text);
}

// ---- imports by name (issue 14 §2; h-money) ----

#[tokio::test]
async fn the_sample_offered_on_the_import_page_imports_cleanly_into_the_demo_cooperative() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let cookie = format!("zn_session={token}");
    let get = |path: &'static str| {
        let cookie = cookie.clone();
        let app = &app;
        async move { app.raw(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await }
    };
    let form = get("/console/import").await;
    assert_eq!(form.status, StatusCode::OK);
    let at = form.text.find("id=\"sample-download\"").expect("a sample to download");
    let href_at = form.text[..at].rfind("href=\"").unwrap() + 6;
    let href = form.text[href_at..].split('"').next().unwrap().to_owned();
    assert_eq!(href, "/console/import/sample.csv");
    let sample = get("/console/import/sample.csv").await;
    assert_eq!(sample.status, StatusCode::OK);
    assert!(sample.content_type().starts_with("text/csv"), "{}", sample.content_type());
    // Names, not internal ids: the product and node as the manager knows them.
    assert!(sample.text.contains("伽师瓜") && sample.text.contains(",product,") && sample.text.contains(",node,"), "{}", sample.text);
    assert!(form.text.contains(sample.text.trim_start_matches('\u{feff}').lines().nth(1).unwrap()), "the page shows the same sample");

    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let res = console_upload(&app, "zh", "lots-sample.csv", "text/csv", sample.text.as_bytes()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(res.text.contains("role=\"status\"") && !res.text.contains("role=\"alert\""), "zero errors: {}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before + 1, "the sample's lot is recorded");
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    let newest = app.count("SELECT MAX(id) FROM lots").await;
    assert_eq!(app.count(&format!("SELECT product_id FROM lots WHERE id = {newest}")).await, product);
    assert_eq!(app.count(&format!("SELECT quantity FROM lots WHERE id = {newest}")).await, 300);

    // A buyer has no sample to download.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let refused = app
        .raw(Request::get("/console/import/sample.csv").header(header::COOKIE, format!("zn_session={buyer}")).body(Body::empty()).unwrap())
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn lots_name_product_and_node_and_an_unknown_or_ambiguous_name_is_a_row_error_in_the_managers_language() {
    let app = TestApp::demo().await;
    let f = fixture(&app).await;
    let product: String =
        sqlx::query_scalar("SELECT name FROM products WHERE id = $1").bind(f.product).fetch_one(app.db().pool()).await.unwrap();
    let node: String = sqlx::query_scalar("SELECT name FROM nodes WHERE id = $1").bind(f.node).fetch_one(app.db().pool()).await.unwrap();
    let day = zhunong::time::format_date(zhunong::time::china_today() - time::Duration::days(1));
    let h = &f.households;
    // Chinese column names, names for product and node.
    let good = format!("批次,产品,数量,采收日期,保质期至,站点,农户编号,农户供货量\nA,{product},30,{day},2027-06-01,{node},{},30\n", h[0]);
    let res = console_upload(&app, "zh", "lots.csv", "text/csv", good.as_bytes()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    let bad = format!(
        "lot,product,quantity,harvested_on,expires_on,node,household_code,household_quantity\n\
         A,哈密瓜,30,{day},2027-06-01,{node},{},30\n\
         B,{product},30,{day},2027-06-01,没有这个站点,{},30\n",
        h[0], h[1]
    );
    let lots_before = app.count("SELECT COUNT(*) FROM lots").await;
    let zh = console_upload(&app, "zh", "lots.csv", "text/csv", bad.as_bytes()).await;
    assert_eq!(zh.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", zh.text);
    assert!(zh.text.contains("本合作社没有产品 &#34;哈密瓜&#34;，请填写产品名称或导入页列出的产品编号"), "{}", zh.text);
    assert!(zh.text.contains("没有站点 &#34;没有这个站点&#34;，请填写导入页列出的站点名称"), "{}", zh.text);
    let en = console_upload(&app, "en", "lots.csv", "text/csv", bad.as_bytes()).await;
    assert!(en.text.contains("this cooperative has no product &#34;哈密瓜&#34;"), "{}", en.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM lots").await, lots_before, "nothing recorded");
    // A node of another county, by its name: the same rule as a lot typed in.
    let far: String =
        sqlx::query_scalar("SELECT MIN(name) FROM nodes WHERE region_code LIKE '422822%'").fetch_one(app.db().pool()).await.unwrap();
    let off = good.replace(&node, &far);
    let refused = console_upload(&app, "zh", "lots.csv", "text/csv", off.as_bytes()).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(!refused.text.contains("没有站点"), "the node exists: {}", refused.text);

    // Names are unique within a cooperative, but one product's English
    // name may be another's Chinese one: that name is ambiguous, the
    // number is not.
    let other = app
        .count(&format!(
            "SELECT MIN(id) FROM products WHERE cooperative_id = (SELECT cooperative_id FROM products WHERE id = {0}) AND id <> {0}",
            f.product
        ))
        .await;
    sqlx::query("UPDATE products SET name_en = $1 WHERE id = $2").bind(&product).bind(other).execute(app.db().pool()).await.unwrap();
    let twice = format!(
        "lot,product,quantity,harvested_on,expires_on,node,household_code,household_quantity\nA,{product},30,{day},2027-06-01,{node},{},30\n",
        h[0]
    );
    let ambiguous = console_upload(&app, "zh", "lots.csv", "text/csv", twice.as_bytes()).await;
    assert_eq!(ambiguous.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", ambiguous.text);
    assert!(
        ambiguous.text.contains(&format!("本合作社有 2 个产品都叫 &#34;{product}&#34;，请改填导入页列出的产品编号")),
        "{}",
        ambiguous.text
    );
    let by_number = twice.replace(&format!("A,{product},"), &format!("A,#{},", f.product));
    assert_eq!(console_upload(&app, "zh", "lots.csv", "text/csv", by_number.as_bytes()).await.status, StatusCode::CREATED);
}
