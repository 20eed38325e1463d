//! A cooperative's English name (issue 14 §1: "product and cooperative
//! names keep their Chinese with an English name where the cooperative gave
//! one"): its managers give it on the console or through the API; the
//! English pages write it before the registered Chinese name, the Chinese
//! pages never show it; what cannot be a name is refused in the reader's
//! words and the form keeps what was typed.

use crate::buying::{get, input, location, post};
use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

const MANAGER: &str = "manager@coop.zhunong.demo";
const COOP: &str = "伽师县巴仁村瓜果种植农民专业合作社";

/// A page in English, signed in or not.
async fn get_en(app: &TestApp, path: &str, token: Option<&str>) -> Res {
    let cookie = match token {
        Some(t) => format!("zn_session={t}; zn_lang=en"),
        None => "zn_lang=en".to_owned(),
    };
    app.raw(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}

async fn stored(app: &TestApp) -> Option<String> {
    sqlx::query_scalar("SELECT name_en FROM organisations WHERE name = $1").bind(COOP).fetch_one(app.db().pool()).await.unwrap()
}

#[tokio::test]
async fn a_manager_gives_the_cooperatives_english_name_and_only_the_english_pages_show_it_beside_the_chinese() {
    let app = TestApp::demo().await;
    let coop = app.count(&format!("SELECT id FROM organisations WHERE name = '{COOP}'")).await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    // The demo cooperative gave one already.
    let demo_name = stored(&app).await.expect("the demo cooperative has an English name");
    assert!(demo_name.ends_with("Fruit Growers' Cooperative, Jiashi County"), "{demo_name}");

    let manager = app.login(MANAGER).await;
    let form = get(&app, "/console/profile", Some(&manager)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains(COOP), "the registered name is shown");
    let csrf = input(&form, "csrf");
    let saved = post(&app, "/console/profile", &manager, &[("csrf", &csrf), ("name_en", "  Baren Melon Cooperative ")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    assert_eq!(location(&saved), "/console/profile?saved=1");
    assert_eq!(stored(&app).await.as_deref(), Some("Baren Melon Cooperative"), "trimmed");
    let after = get(&app, "/console/profile?saved=1", Some(&manager)).await;
    assert!(after.text.contains("id=\"profile-saved\"") && after.text.contains("value=\"Baren Melon Cooperative\""), "{}", after.text);

    // English: the English name first, the Chinese beside or under it.
    let page = get_en(&app, &format!("/cooperatives/{coop}"), None).await;
    assert!(page.text.contains("<h1>Baren Melon Cooperative</h1>"), "{}", page.text);
    assert!(page.text.contains(&format!("<p class=\"sub\" lang=\"zh-CN\">{COOP}</p>")), "{}", page.text);
    let page = get_en(&app, &format!("/products/{product}"), None).await;
    assert!(page.text.contains(&format!("Baren Melon Cooperative ({COOP})")), "{}", page.text);
    app.index().await;
    let home = get_en(&app, "/", None).await;
    assert!(home.text.contains(&format!("Baren Melon Cooperative ({COOP})")), "the cards follow the change");
    // Chinese: the registered name alone.
    for path in [format!("/cooperatives/{coop}"), format!("/products/{product}"), "/".to_owned()] {
        let page = get(&app, &path, None).await;
        assert!(page.text.contains(COOP) && !page.text.contains("Baren Melon"), "{path}");
    }
    // The API carries it with the product's cooperative.
    let api = app.get(&format!("/api/v1/products/{product}"), None).await.json();
    assert_eq!(api["cooperative"]["name_en"], "Baren Melon Cooperative");

    // Emptied, the English pages show the Chinese name alone.
    let cleared = post(&app, "/console/profile", &manager, &[("csrf", &csrf), ("name_en", "")]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(stored(&app).await, None);
    let page = get_en(&app, &format!("/cooperatives/{coop}"), None).await;
    assert!(page.text.contains(&format!("<h1>{COOP}</h1>")), "{}", page.text);
    let api = app.get(&format!("/api/v1/products/{product}"), None).await.json();
    assert!(api["cooperative"].get("name_en").is_none(), "{api}");
}

#[tokio::test]
async fn a_name_that_cannot_be_an_english_name_is_refused_in_the_readers_words_and_kept_as_typed() {
    let app = TestApp::demo().await;
    let before = stored(&app).await;
    let manager = app.login(MANAGER).await;
    let csrf = input(&get(&app, "/console/profile", Some(&manager)).await, "csrf");
    let chinese = post(&app, "/console/profile", &manager, &[("csrf", &csrf), ("name_en", "巴仁 Melon Cooperative")]).await;
    assert_eq!(chinese.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(chinese.text.contains("英文名称请用英文（拉丁字母）填写，不含汉字"), "{}", chinese.text);
    assert!(chinese.text.contains("value=\"巴仁 Melon Cooperative\""), "what was typed stays");
    let long = "M".repeat(121);
    let too_long = post(&app, "/console/profile", &manager, &[("csrf", &csrf), ("name_en", &long)]).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.text.contains("英文名称最多 120 个字"), "{}", too_long.text);
    let forged = post(&app, "/console/profile", &manager, &[("csrf", "forged"), ("name_en", "Forged")]).await;
    assert!(forged.status.is_client_error(), "{}", forged.status);
    assert_eq!(stored(&app).await, before, "nothing refused was stored");

    // Nobody else's page: an agency's buyer is refused the console.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(get(&app, "/console/profile", Some(&buyer)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn through_the_api_only_the_cooperatives_own_managers_set_its_english_name() {
    let app = TestApp::demo().await;
    let coop = app.count(&format!("SELECT id FROM organisations WHERE name = '{COOP}'")).await;
    let other = app.count(&format!("SELECT MAX(id) FROM organisations WHERE kind = 'cooperative' AND name <> '{COOP}'")).await;
    let manager = app.login(MANAGER).await;
    let set = app.send("PATCH", &format!("/api/v1/cooperatives/{coop}"), Some(json!({"name_en": "Baren Melons"})), Some(&manager)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json()["name_en"], "Baren Melons");
    assert_eq!(set.json()["name"], COOP);
    let bad = app.send("PATCH", &format!("/api/v1/cooperatives/{coop}"), Some(json!({"name_en": "巴仁"})), Some(&manager)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["field"], "name_en");
    let theirs = app.send("PATCH", &format!("/api/v1/cooperatives/{other}"), Some(json!({"name_en": "Not Mine"})), Some(&manager)).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let buyers = app.send("PATCH", &format!("/api/v1/cooperatives/{coop}"), Some(json!({"name_en": "Bought"})), Some(&buyer)).await;
    assert_eq!(buyers.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&app).await.as_deref(), Some("Baren Melons"));
    // A patch without the field changes nothing.
    let unchanged = app.send("PATCH", &format!("/api/v1/cooperatives/{coop}"), Some(json!({})), Some(&manager)).await;
    assert_eq!(unchanged.status, StatusCode::OK, "{}", unchanged.text);
    assert_eq!(unchanged.json()["name_en"], "Baren Melons");
    assert_eq!(stored(&app).await.as_deref(), Some("Baren Melons"));
    let cleared = app.send("PATCH", &format!("/api/v1/cooperatives/{coop}"), Some(json!({"name_en": null})), Some(&manager)).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.json()["name_en"].is_null());
}
