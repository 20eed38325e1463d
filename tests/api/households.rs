//! Household privacy (invariant 7): identities only for the household's
//! cooperative and officials of its region.

use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_county_official_sees_identities_of_its_county_and_nothing_beyond() {
    let app = TestApp::demo().await;
    let token = app.login("official@county.zhunong.demo").await;
    let res = app.get("/api/v1/households?status=registered_poor&per_page=200", Some(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for h in items {
        assert!(h["village_code"].as_str().unwrap().starts_with("653129"), "only 伽师县: {h}");
        assert_eq!(h["status"], "registered_poor");
        assert!(h["register_number"].is_string() && h["head_name"].is_string(), "identity shown to the official: {h}");
    }
    let in_county = app.count("SELECT COUNT(*) FROM households WHERE status = 'registered_poor' AND village_code LIKE '653129%'").await;
    assert_eq!(body["total"], in_county);
}

#[tokio::test]
async fn the_cooperative_sees_its_members_identities_and_the_platform_only_codes() {
    let app = TestApp::demo().await;
    let manager = app.login("manager@coop.zhunong.demo").await;
    let members = app.get("/api/v1/households?status=registered_poor", Some(&manager)).await.json();
    assert!(members["items"].as_array().unwrap().iter().all(|h| h["register_number"].is_string()));

    let admin = app.login("admin@zhunong.demo").await;
    let all = app.get("/api/v1/households?per_page=200", Some(&admin)).await;
    assert_eq!(all.status, StatusCode::OK);
    let all = all.json();
    assert!(all["total"].as_i64().unwrap() >= 2000);
    for h in all["items"].as_array().unwrap() {
        assert!(h["code"].as_str().unwrap().starts_with("HH-"));
        assert!(h.get("register_number").is_none() && h.get("head_name").is_none(), "pseudonymous only: {h}");
    }
    // The API never leaks identities in raw text either.
    let a_name: String = sqlx::query_scalar("SELECT head_name FROM households WHERE head_name IS NOT NULL ORDER BY code LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(!app.get("/api/v1/households?per_page=200", Some(&admin)).await.text.contains(&a_name));

    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(app.get("/api/v1/households", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_manager_registers_a_member_household_of_its_county_only() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let village = app.get("/api/v1/me", Some(&token)).await.json()["org"]["region_code"].as_str().unwrap().to_owned();
    let res = app
        .post("/api/v1/households", json!({"village_code": village, "size": 5, "status": "monitored", "register_number": "65312910020-9999", "head_name": "吐尔逊·艾力"}), Some(&token))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let h = res.json();
    assert_eq!(h["head_name"], "吐尔逊·艾力");
    assert!(h["code"].as_str().unwrap().starts_with("HH-"));
    // A member now: listed for the manager.
    let listed = app.get("/api/v1/households?status=monitored&per_page=200", Some(&token)).await.json();
    assert!(listed["items"].as_array().unwrap().iter().any(|x| x["id"] == h["id"]));

    let res = app.post("/api/v1/households", json!({"village_code": "422822100200", "size": 0, "status": "rich"}), Some(&token)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = res.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, ["village_code", "size", "status"]);

    let dup = app
        .post(
            "/api/v1/households",
            json!({"village_code": village, "size": 2, "status": "none", "register_number": "65312910020-9999"}),
            Some(&token),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.json()["errors"][0]["field"], "register_number");
}
