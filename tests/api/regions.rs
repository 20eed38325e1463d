//! Regions: codes, chains, children.

use crate::helpers::TestApp;
use axum::http::StatusCode;

async fn first_village_of(app: &TestApp, county: &str) -> String {
    sqlx::query_scalar::<_, String>("SELECT code FROM regions WHERE level = 'village' AND code LIKE $1 ORDER BY code LIMIT 1")
        .bind(format!("{county}%"))
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_village_of_jiashi_has_its_whole_chain_from_xinjiang_down() {
    let app = TestApp::bare().await;
    let village = first_village_of(&app, "653129").await;
    let res = app.get(&format!("/api/v1/regions/{village}"), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let r = res.json();
    assert_eq!(r["level"], "village");
    let chain: Vec<(&str, &str)> =
        r["chain"].as_array().unwrap().iter().map(|l| (l["level"].as_str().unwrap(), l["name"].as_str().unwrap())).collect();
    assert_eq!(chain.len(), 5);
    assert_eq!(chain[0], ("province", "新疆维吾尔自治区"));
    assert_eq!(chain[1], ("prefecture", "喀什地区"));
    assert_eq!(chain[2], ("county", "伽师县"));
    assert_eq!(chain[3].0, "township");
    assert_eq!(chain[4].0, "village");
    assert_eq!(r["parent_code"], r["chain"][3]["code"]);
}

#[tokio::test]
async fn a_village_of_jianshi_has_its_whole_chain_from_hubei_down() {
    let app = TestApp::bare().await;
    let village = first_village_of(&app, "422822").await;
    let r = app.get(&format!("/api/v1/regions/{village}"), None).await.json();
    let names: Vec<&str> = r["chain"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["湖北省", "恩施土家族苗族自治州", "建始县"]);
    assert_eq!(names.len(), 5);
}

#[tokio::test]
async fn short_codes_are_padded_and_unknown_or_malformed_codes_are_404() {
    let app = TestApp::bare().await;
    let r = app.get("/api/v1/regions/6531", None).await.json();
    assert_eq!(r["code"], "653100000000");
    assert_eq!(r["name"], "喀什地区");
    assert_eq!(app.get("/api/v1/regions/659999999999", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/regions/abc", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn children_list_the_counties_of_kashgar_and_the_provinces_at_the_top() {
    let app = TestApp::bare().await;
    let r = app.get("/api/v1/regions?parent=653100000000", None).await.json();
    let names: Vec<&str> = r["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 12);
    assert!(names.contains(&"伽师县") && names.contains(&"莎车县"));
    let top = app.get("/api/v1/regions", None).await.json();
    assert_eq!(top["total"], 31);
    let bad = app.get("/api/v1/regions?parent=12x", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["field"], "parent");
}

#[tokio::test]
async fn importing_villages_is_idempotent_and_reports_bad_rows() {
    let app = TestApp::bare().await;
    // Two villages of 北京 (not shipped), one already shipped, one under an
    // unknown township and one malformed code.
    let csv = "code,name,streetCode,provinceCode,cityCode,areaCode\n\
               110101001001,\"多福巷社区居委会\",110101001,11,1101,110101\n\
               110101001002,\"银闸社区居委会\",110101001,11,1101,110101\n\
               653129100200,\"巴仁村委会\",653129100,65,6531,653129\n\
               110101999001,\"无此乡\",110101999,11,1101,110101\n\
               11010100100x,\"坏\",110101001,11,1101,110101\n";
    let first = zhunong::regions::import_villages(app.db(), csv.as_bytes(), |_| {}).await.unwrap();
    assert_eq!((first.read, first.added, first.already_present, first.skipped_count), (5, 2, 1, 2));
    let second = zhunong::regions::import_villages(app.db(), csv.as_bytes(), |_| {}).await.unwrap();
    assert_eq!((second.added, second.already_present), (0, 3));
    let r = app.get("/api/v1/regions/110101001002", None).await.json();
    assert_eq!(r["chain"][0]["name"], "北京市");
    assert!(
        zhunong::regions::import_villages(app.db(), "a,b\n1,2\n".as_bytes(), |_| {}).await.is_err(),
        "a file of another shape is refused"
    );
}
