//! The limit on imports running at once (one set of places per instance,
//! in the app's state, so holding them here touches no other test).

use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use zhunong::stock::upload::MAX_CONCURRENT_IMPORTS;

const CSV: &str = "lot,product_id\nA,1\n";

#[tokio::test]
async fn an_import_beyond_the_limit_gets_503_with_retry_after_on_the_api_and_a_page_on_the_web() {
    let app = TestApp::demo().await;
    let token = app.login("manager@coop.zhunong.demo").await;
    let api = || {
        Request::post("/api/v1/lots/import")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(CSV))
            .unwrap()
    };
    // Every place taken, as by imports still running.
    let held: Vec<_> = (0..MAX_CONCURRENT_IMPORTS).map(|_| app.app.state.imports.try_take().expect("a free place")).collect();

    let res = app.raw(api()).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.text);
    assert_eq!(res.content_type(), "application/problem+json");
    assert_eq!(res.headers.get(header::RETRY_AFTER).unwrap(), "10");
    assert!(res.json()["detail"].as_str().unwrap().contains("try again in 10 seconds"), "{}", res.text);

    let cookie = format!("zn_session={token}; zn_lang=zh");
    let form = app.raw(Request::get("/console/import").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    let at = form.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    let csrf = &form.text[at..at + 64];
    let boundary = "zhunongboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lots.csv\"\r\nContent-Type: text/csv\r\n\r\n{CSV}\r\n--{boundary}--\r\n"
    );
    let page = app
        .raw(
            Request::post("/console/import")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.content_type().starts_with("text/html"), "{}", page.content_type());
    assert_eq!(page.headers.get(header::RETRY_AFTER).unwrap(), "10");
    assert!(page.text.contains("当前正在进行的导入较多，请稍等几秒后再上传。"), "{}", page.text);

    // A place freed is a place taken: the same file is now read (and
    // refused for its missing columns, not for the limit).
    drop(held);
    let res = app.raw(api()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(app.app.state.imports.free(), MAX_CONCURRENT_IMPORTS, "a finished import gives its place back");
}
