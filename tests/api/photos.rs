//! Product photos (issue 14 §3): a cooperative's manager uploads them on
//! the product's edit page, within stated limits, and the storefront shows
//! their resized variants; a product without one shows an illustration
//! that says it is one. Also the product page's tiers line, Open Graph
//! card, QR code and poster.

use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Res {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header(header::COOKIE, format!("zn_session={t}"));
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

async fn get_bytes(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let res = app.router.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// The CSRF token of the manager's session, read from a form.
fn csrf(page: &Res) -> String {
    let at = page.text.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    page.text[at..at + 64].to_owned()
}

/// A PNG of `w` × `h` pixels in shades of `seed`, made here (no fixture
/// files): each seed gives a different picture.
fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// CRC-32 (ISO-HDLC) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut covered = kind.to_vec();
    covered.extend_from_slice(data);
    out.extend_from_slice(&crc32(&covered).to_be_bytes());
    out
}

/// `png` with a text chunk after its header, as cameras and phones add
/// where and with what a picture was taken.
fn png_with_text(w: u32, h: u32, seed: u8, text: &str) -> Vec<u8> {
    let plain = png(w, h, seed);
    // Signature (8) + IHDR (4 + 4 + 13 + 4).
    let (head, rest) = plain.split_at(33);
    let mut out = head.to_vec();
    out.extend(chunk(b"tEXt", format!("Comment\0{text}").as_bytes()));
    out.extend_from_slice(rest);
    out
}

/// A PNG that declares `w` × `h` pixels and holds almost none: what a
/// decompression bomb looks like to the header check.
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    out.extend(chunk(b"IEND", &[]));
    out
}

async fn upload(app: &TestApp, token: &str, csrf: &str, product: i64, file: &[u8], content_type: &str) -> Res {
    let boundary = "zhunongphotoboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/console/products/{product}/photos"))
        .header(header::COOKIE, format!("zn_session={token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

async fn act(app: &TestApp, token: &str, csrf: &str, product: i64, photo: i64, action: &str) -> Res {
    let req = Request::post(format!("/console/products/{product}/photos/{photo}"))
        .header(header::COOKIE, format!("zn_session={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("csrf={csrf}&action={action}")))
        .unwrap();
    app.raw(req).await
}

/// The demo manager's session, its CSRF token and its first product.
async fn manager(app: &TestApp) -> (String, String, i64) {
    let token = app.login("manager@coop.zhunong.demo").await;
    let coop = app.count("SELECT id FROM organisations WHERE name = '伽师县巴仁村瓜果种植农民专业合作社'").await;
    let product = app.count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id = {coop}")).await;
    let form = get(app, &format!("/console/products/{product}/edit"), Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    (token.clone(), csrf(&form), product)
}

async fn photo_ids(app: &TestApp, product: i64) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM product_photos WHERE product_id = $1 ORDER BY position, id")
        .bind(product)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

/// The first `/photos/…` address in `html` that ends in `-{bx}.webp`.
fn variant_url(html: &str, bx: u32) -> String {
    let end = html.find(&format!("-{bx}.webp")).expect("a photo variant on the page") + format!("-{bx}.webp").len();
    let start = html[..end].rfind("/photos/").unwrap();
    html[start..end].to_owned()
}

#[tokio::test]
async fn a_manager_uploads_a_photo_and_the_storefront_shows_its_resized_variants_cached_for_a_year() {
    let app = TestApp::demo().await;
    let (token, csrf, product) = manager(&app).await;
    let secret = "GPS 39.46N 76.73E, phone model X";
    let res = upload(&app, &token, &csrf, product, &png_with_text(1600, 1200, 7, secret), "image/png").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.text.contains("照片已上传"), "the edit page says it worked");
    assert_eq!(photo_ids(&app, product).await.len(), 1);

    let page = get(&app, &format!("/products/{product}"), None).await;
    assert!(page.text.contains("loading=\"lazy\"") && page.text.contains("srcset=\"/photos/"), "the product page shows the photo");
    assert!(page.text.contains("width=\"1200\" height=\"900\""), "the full variant's size is on the tag");
    assert!(!page.text.contains("illustration.svg"), "a product with a photo shows no illustration");
    let coop = app.count(&format!("SELECT cooperative_id FROM products WHERE id = {product}")).await;
    let cards = get(&app, &format!("/cooperatives/{coop}"), None).await;
    assert!(cards.text.contains("width=\"480\" height=\"360\""), "the card shows the card variant");
    let card = variant_url(&cards.text, 480);

    // Served to a signed-in manager too, cached for a year: the name changes with the picture.
    let req = Request::get(&card).header(header::COOKIE, format!("zn_session={token}")).body(Body::empty()).unwrap();
    let served = app.raw(req).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");
    assert_eq!(served.headers.get(header::CONTENT_TYPE).unwrap(), "image/webp");
    let (_, _, bytes) = get_bytes(&app, &card).await;
    let decoded = image::load_from_memory(&bytes).expect("a WebP picture");
    assert_eq!((decoded.width(), decoded.height()), (480, 360));
    for bx in [160, 480, 1200] {
        let (status, _, bytes) = get_bytes(&app, &card.replace("-480.webp", &format!("-{bx}.webp"))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!bytes.windows(7).any(|w| w == b"GPS 39."), "what the camera recorded is not kept");
    }
    assert_eq!(get_bytes(&app, "/photos/1/..%2F..%2Fzhunong.db").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn photos_over_the_limits_are_refused_with_the_reason_in_the_managers_language() {
    let app = TestApp::demo().await;
    let (token, csrf, product) = manager(&app).await;

    let mut big = png(64, 48, 1);
    big.resize(2_000_001, 0);
    let res = upload(&app, &token, &csrf, product, &big, "image/png").await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text.contains("每张不能超过 2 MB"), "{}", res.text);

    let res = upload(&app, &token, &csrf, product, &png_declaring(9_000, 9_000), "image/png").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("9000 × 9000 像素") && res.text.contains("4000 万像素"), "{}", res.text);

    let res = upload(&app, &token, &csrf, product, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/jpeg").await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "the bytes decide, not the content type sent");
    assert!(res.text.contains("只能上传 JPEG、PNG 或 WebP 图片"));

    let res = upload(&app, &token, &csrf, product, b"\x89PNG\r\n\x1a\nbroken", "image/png").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text.contains("无法读取这张图片"));

    assert!(photo_ids(&app, product).await.is_empty(), "nothing refused was kept");
}

#[tokio::test]
async fn a_seventh_photo_is_refused_and_the_same_photo_twice_too() {
    let app = TestApp::demo().await;
    let (token, csrf, product) = manager(&app).await;
    for seed in 0..6 {
        let res = upload(&app, &token, &csrf, product, &png(64, 48, seed), "image/png").await;
        assert_eq!(res.status, StatusCode::OK, "photo {seed}: {}", res.text);
    }
    let res = upload(&app, &token, &csrf, product, &png(64, 48, 6), "image/png").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.text.contains("已有 6 张照片"), "{}", res.text);
    assert!(!res.text.contains("id=\"photo-upload\""), "the form is gone while the product has six");
    assert_eq!(photo_ids(&app, product).await.len(), 6);

    let first = photo_ids(&app, product).await[0];
    act(&app, &token, &csrf, product, first, "delete").await;
    let res = upload(&app, &token, &csrf, product, &png(64, 48, 1), "image/png").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.text.contains("这张照片已经上传过了"));
}

#[tokio::test]
async fn a_manager_cannot_touch_the_photos_of_another_cooperatives_product() {
    let app = TestApp::demo().await;
    let (token, csrf, own) = manager(&app).await;
    let other = app
        .count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id <> (SELECT cooperative_id FROM products WHERE id = {own})"))
        .await;
    let res = upload(&app, &token, &csrf, other, &png(64, 48, 3), "image/png").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(photo_ids(&app, other).await.is_empty());
    assert_eq!(get(&app, &format!("/console/products/{other}/edit"), Some(&token)).await.status, StatusCode::NOT_FOUND);

    // A photo of its own product, addressed through another product: not found either.
    upload(&app, &token, &csrf, own, &png(64, 48, 3), "image/png").await;
    let photo = photo_ids(&app, own).await[0];
    assert_eq!(act(&app, &token, &csrf, other, photo, "delete").await.status, StatusCode::NOT_FOUND);
    assert_eq!(photo_ids(&app, own).await, vec![photo]);

    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(act(&app, &buyer, &csrf, own, photo, "delete").await.status, StatusCode::FORBIDDEN);
    assert_eq!(photo_ids(&app, own).await, vec![photo]);
}

#[tokio::test]
async fn a_manager_picks_the_first_photo_and_deletes_one_whose_files_go_with_it() {
    let app = TestApp::demo().await;
    let (token, csrf, product) = manager(&app).await;
    upload(&app, &token, &csrf, product, &png(640, 480, 10), "image/png").await;
    upload(&app, &token, &csrf, product, &png(640, 480, 20), "image/png").await;
    let ids = photo_ids(&app, product).await;
    let res = act(&app, &token, &csrf, product, ids[1], "first").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("已设为首图"));
    assert_eq!(photo_ids(&app, product).await, vec![ids[1], ids[0]]);
    let page = get(&app, &format!("/products/{product}"), None).await;
    let cover = variant_url(&page.text, 1200);
    assert!(cover.contains(&format!("/{}-", ids[1])), "the chosen photo leads the page: {cover}");

    let res = act(&app, &token, &csrf, product, ids[1], "delete").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("照片已删除"));
    assert_eq!(photo_ids(&app, product).await, vec![ids[0]]);
    assert_eq!(get_bytes(&app, &cover).await.0, StatusCode::NOT_FOUND, "its files are gone");
}

#[tokio::test]
async fn a_product_without_photos_shows_an_illustration_that_says_it_is_one() {
    let app = TestApp::demo().await;
    let product = app.count("SELECT MIN(id) FROM products").await;
    let name: String =
        sqlx::query_scalar("SELECT name FROM products WHERE id = $1").bind(product).fetch_one(app.db().pool()).await.unwrap();
    let page = get(&app, &format!("/products/{product}"), None).await;
    assert!(page.text.contains(&format!("/products/{product}/illustration.svg")));
    assert!(page.text.contains("示意图，非实拍"), "the page says it is an illustration");
    let home = get(&app, "/", None).await;
    assert!(home.text.contains("illustration-mark\">示意图<"), "so do the cards");
    let (status, headers, svg) = get_bytes(&app, &format!("/products/{product}/illustration.svg")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("image/svg+xml"));
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains(&name), "the illustration names the product");
}

#[tokio::test]
async fn cards_and_the_product_page_show_every_price_tier_and_sorts_say_they_compare_unit_prices() {
    let app = TestApp::demo().await;
    let product = app.count("SELECT MIN(product_id) FROM price_tiers GROUP BY product_id HAVING COUNT(*) >= 2 ORDER BY 1 LIMIT 1").await;
    let tiers: Vec<(i64, i64)> =
        sqlx::query_as("SELECT min_quantity, unit_price_fen FROM price_tiers WHERE product_id = $1 ORDER BY min_quantity")
            .bind(product)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    let unit: String =
        sqlx::query_scalar("SELECT unit FROM products WHERE id = $1").bind(product).fetch_one(app.db().pool()).await.unwrap();
    let yuan = |fen: i64| if fen % 100 == 0 { format!("¥{}", fen / 100) } else { format!("¥{}.{:02}", fen / 100, fen % 100) };
    let line = tiers.iter().map(|(min, fen)| format!("{min}{unit}起 {}", yuan(*fen))).collect::<Vec<_>>().join(" · ");
    let page = get(&app, &format!("/products/{product}"), None).await;
    assert!(page.text.contains(&line), "the tiers line {line} on the product page");
    let (low, high) = (tiers.last().unwrap().1, tiers[0].1);
    assert!(
        page.text.contains(&format!("<strong>{}–{}</strong>", yuan(low), yuan(high).trim_start_matches('¥'))),
        "the range, lowest first"
    );
    let search = get(&app, "/search?q=", None).await;
    assert!(search.text.contains("单价从低到高") && !search.text.contains(">价格从低到高<"));
}

#[tokio::test]
async fn a_shared_product_link_has_a_preview_card_and_a_printable_poster_with_its_qr_code() {
    let app = TestApp::demo().await;
    let product = app.count("SELECT MIN(id) FROM products").await;
    let req = Request::get(format!("/products/{product}")).header(header::HOST, "zhunong.example").body(Body::empty()).unwrap();
    let page = app.raw(req).await;
    assert!(page.text.contains(&format!("<meta property=\"og:url\" content=\"http://zhunong.example/products/{product}\">")));
    assert!(
        page.text.contains(&format!("<meta property=\"og:image\" content=\"http://zhunong.example/products/{product}/illustration.svg\">"))
    );
    assert!(page.text.contains("property=\"og:title\"") && page.text.contains("og:description\" content=\"产地："));
    assert!(page.text.contains("rel=\"icon\"") && page.text.contains(".svg\" type=\"image/svg+xml\""), "a favicon");
    let (status, headers, svg) = get_bytes(&app, &format!("/products/{product}/qr.svg")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("image/svg+xml"));
    assert!(String::from_utf8(svg).unwrap().contains("<path"));
    let poster = get(&app, &format!("/products/{product}/poster"), None).await;
    assert_eq!(poster.status, StatusCode::OK);
    assert!(poster.text.contains(&format!("/products/{product}/qr.svg")) && poster.text.contains("扫码查看产品"));
    let icon = get(&app, "/favicon.ico", None).await;
    assert_eq!(icon.status, StatusCode::TEMPORARY_REDIRECT);
}

/// `POST /api/v1/products/{product}/photos` with `file` (bearer token).
async fn api_upload(app: &TestApp, token: &str, product: i64, file: &[u8], content_type: &str) -> Res {
    let boundary = "zhunongapiphotoboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/api/v1/products/{product}/photos"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

#[tokio::test]
async fn through_the_api_a_manager_adds_and_removes_photos_and_the_product_lists_them_cover_first() {
    let app = TestApp::demo().await;
    let (token, _, product) = manager(&app).await;
    let first = api_upload(&app, &token, product, &png_with_text(800, 600, 5, "GPS 39.5N 76.7E"), "image/png").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let photo = first.json();
    let id = photo["id"].as_str().unwrap().to_owned();
    assert_eq!(photo_ids(&app, product).await, vec![id.parse::<i64>().unwrap()]);
    // Each variant is served, WebP, without the text the upload carried.
    for (field, bx) in [("thumb_url", 160), ("card_url", 480), ("full_url", 1200)] {
        let url = photo[field].as_str().unwrap();
        assert!(url.ends_with(&format!("-{bx}.webp")), "{field}: {url}");
        let (status, headers, bytes) = get_bytes(&app, url).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert_eq!(headers[header::CONTENT_TYPE], "image/webp");
        assert!(!bytes.windows(7).any(|w| w == b"GPS 39."), "{url} carries the upload's metadata");
    }
    let second = api_upload(&app, &token, product, &png(640, 480, 6), "image/png").await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    // The product lists them in order, the first the cover.
    let listed = app.get(&format!("/api/v1/products/{product}"), None).await.json();
    let ids: Vec<&str> = listed["photos"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str(), second.json()["id"].as_str().unwrap()]);
    assert_eq!(listed["photos"][0], photo);

    // The same picture twice: a conflict, nothing added.
    let again = api_upload(&app, &token, product, &png(640, 480, 6), "image/png").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(photo_ids(&app, product).await.len(), 2);

    let gone = app.send("DELETE", &format!("/api/v1/products/{product}/photos/{id}"), None, Some(&token)).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let (status, _, _) = get_bytes(&app, photo["card_url"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "its files went with it");
    let listed = app.get(&format!("/api/v1/products/{product}"), None).await.json();
    assert_eq!(listed["photos"].as_array().unwrap().len(), 1);
    let twice = app.send("DELETE", &format!("/api/v1/products/{product}/photos/{id}"), None, Some(&token)).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn through_the_api_a_photo_outside_the_limits_or_of_another_cooperative_is_refused_and_nothing_is_stored() {
    let app = TestApp::demo().await;
    let (token, _, product) = manager(&app).await;
    let text = api_upload(&app, &token, product, b"just some text, not a picture", "text/plain").await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", text.text);
    let bomb = api_upload(&app, &token, product, &png_declaring(20_000, 20_000), "image/png").await;
    assert_eq!(bomb.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bomb.text);
    assert_eq!(bomb.json()["errors"][0]["field"], "file");
    let empty = api_upload(&app, &token, product, b"", "image/png").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", empty.text);
    let mut big = png(64, 48, 7);
    big.resize(2_000_001, 0);
    let large = api_upload(&app, &token, product, &big, "image/png").await;
    assert_eq!(large.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", large.text);
    assert!(photo_ids(&app, product).await.is_empty());

    // Another cooperative's product: refused before the file is read.
    let other = app
        .count(&format!("SELECT MIN(id) FROM products WHERE cooperative_id <> (SELECT cooperative_id FROM products WHERE id = {product})"))
        .await;
    let theirs = api_upload(&app, &token, other, &png(64, 48, 8), "image/png").await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{}", theirs.text);
    assert!(photo_ids(&app, other).await.is_empty());
    // A buyer is no manager; no such product is not found.
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    assert_eq!(api_upload(&app, &buyer, product, &png(64, 48, 9), "image/png").await.status, StatusCode::FORBIDDEN);
    assert_eq!(api_upload(&app, &token, 999_999_999, &png(64, 48, 9), "image/png").await.status, StatusCode::NOT_FOUND);
    assert!(photo_ids(&app, product).await.is_empty());
    // Nor may anyone but its managers remove one.
    let added = api_upload(&app, &token, product, &png(64, 48, 10), "image/png").await.json();
    let path = format!("/api/v1/products/{product}/photos/{}", added["id"].as_str().unwrap());
    assert_eq!(app.send("DELETE", &path, None, Some(&buyer)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.send("DELETE", &path, None, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(photo_ids(&app, product).await.len(), 1);
}
