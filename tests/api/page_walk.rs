//! Every page of every role, in both languages: a walk from the home page
//! through every link a demo user can follow (one page of each kind), that
//! fails on a page a reader of only Chinese (or only English) could not
//! read — an English sentence on a Chinese page, Chinese words on an
//! English page (names and what people wrote aside), a 12-digit region
//! code, an enumeration's code, or a time or date as a machine writes it.

use crate::helpers::TestApp;
use crate::words::english_sentence;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use std::collections::{HashMap, HashSet, VecDeque};

/// The demo's users (and a visitor, `None`).
const USERS: &[Option<&str>] = &[
    None,
    Some("buyer@agency.zhunong.demo"),
    Some("approver@agency.zhunong.demo"),
    Some("manager@coop.zhunong.demo"),
    Some("buyer@partner.zhunong.demo"),
    Some("operator@hub.zhunong.demo"),
    Some("official@county.zhunong.demo"),
    Some("finance@zhunong.demo"),
    Some("admin@zhunong.demo"),
];

/// Pages of one user and language at most (one of each kind is enough).
const MAX_PAGES: usize = 120;

/// Links the walk does not follow: switching language, signing out, files
/// that are not pages (exports, labels' images, scripts).
fn followable(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !["/lang/", "/logout", "/static/", "/assets/", "/api/", "/hub/sw.js"].iter().any(|p| href.starts_with(p))
        && !["format=", ".csv", ".xlsx", ".json", ".svg", ".js", ".css", ".png", ".ico", "/export"].iter().any(|p| href.contains(p))
}

/// A page's kind: its path with ids and codes as `#`, and the names of its
/// query parameters.
fn kind(href: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    if path == "/search" {
        // Facets' combinations show the same words.
        return path.to_owned();
    }
    let path: Vec<&str> = path.split('/').map(|s| if s.chars().any(|c| c.is_ascii_digit()) { "#" } else { s }).collect();
    let mut names: Vec<&str> = query.split('&').filter_map(|p| p.split('=').next()).filter(|n| !n.is_empty()).collect();
    names.sort();
    names.dedup();
    format!("{}?{}", path.join("/"), names.join(","))
}

/// Text with the entities the templates write decoded.
fn unescape(s: &str) -> String {
    [
        ("&amp;", "&"),
        ("&#38;", "&"),
        ("&#39;", "'"),
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&lt;", "<"),
        ("&#60;", "<"),
        ("&gt;", ">"),
        ("&#62;", ">"),
    ]
    .iter()
    .fold(s.to_owned(), |text, (entity, c)| text.replace(entity, c))
}

/// The same-site links of a page.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"").skip(1).filter_map(|s| s.split('"').next()).map(unescape).filter(|h| followable(h)).collect()
}

/// The page without its samples of files and code (`<pre>`, `<code>`):
/// a CSV sample holds dates and codes as the file must.
fn without_code(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    loop {
        let next = ["<pre", "<code"].iter().filter_map(|tag| rest.find(tag).map(|at| (at, *tag))).min();
        let Some((at, tag)) = next else { break };
        out.push_str(&rest[..at]);
        let close = format!("</{}>", &tag[1..]);
        rest = rest[at..].find(&close).map_or("", |end| &rest[at + end + close.len()..]);
    }
    out.push_str(rest);
    out
}

/// What a person reads on a page, a line per text between tags, plus the
/// texts of the attributes a person reads (title, placeholder, alt,
/// aria-label); scripts, styles and samples of files left out.
fn readable(html: &str) -> Vec<String> {
    let html = &without_code(html);
    let mut lines: Vec<String> =
        crate::report_pages::visible(html).lines().map(str::trim).filter(|l| !l.is_empty()).map(unescape).collect();
    for attr in ["title=\"", "placeholder=\"", "alt=\"", "aria-label=\""] {
        for s in html.split(attr).skip(1) {
            if let Some(v) = s.split('"').next() {
                lines.push(unescape(v));
            }
        }
    }
    lines
}

fn is_chinese(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3000}'..='\u{303f}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// Names and texts people wrote, which an English page shows as they are
/// (beside an English name where there is one): places, organisations,
/// people, products and their descriptions, notes and addresses.
struct Names {
    by_first: HashMap<char, Vec<String>>,
    /// Places' names: on an English page they stand beside their English
    /// name (Jiashi County (伽师县)), never alone.
    places: HashSet<String>,
}

impl Names {
    async fn of(app: &TestApp) -> Names {
        let mut all: HashSet<String> = HashSet::new();
        let regions: Vec<String> = sqlx::query_scalar("SELECT name FROM regions").fetch_all(app.db().pool()).await.unwrap();
        let places: HashSet<String> = regions.iter().map(|r| zhunong::regions::short_name(r)).chain(regions.iter().cloned()).collect();
        all.extend(places.iter().cloned());
        for sql in [
            "SELECT name FROM organisations",
            "SELECT description FROM cooperatives",
            "SELECT display_name FROM users",
            "SELECT COALESCE(head_name, '') FROM households",
            "SELECT name FROM nodes",
            "SELECT name FROM products",
            "SELECT spec FROM products",
            "SELECT description FROM products",
            "SELECT note FROM stock_movements",
            "SELECT delivery_address FROM orders",
            "SELECT contact_name FROM orders",
            "SELECT note FROM orders",
            "SELECT note FROM order_events",
            "SELECT reason FROM refunds",
            "SELECT comment FROM ratings",
            "SELECT note FROM household_visits",
        ] {
            let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(app.db().pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            for r in rows {
                all.insert(zhunong::regions::short_name(&r));
                // A name as a page may split it: a person's title and name,
                // a description's sentences.
                all.extend(r.split([' ', '\n']).filter(|s| !s.is_empty()).map(str::to_owned));
                all.insert(r);
            }
        }
        // The language switch names Chinese in Chinese; an invoice states
        // its amount in Chinese capitals (人民币陆拾捌元整), as the law
        // asks, beside the figures.
        all.insert("中文".to_owned());
        all.extend(invoice_capitals(app).await);
        let mut by_first: HashMap<char, Vec<String>> = HashMap::new();
        for name in all.into_iter().filter(|n| n.chars().any(is_chinese)) {
            by_first.entry(name.chars().next().unwrap()).or_default().push(name);
        }
        for names in by_first.values_mut() {
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
        Names { by_first, places }
    }

    /// The Chinese left in a line once the names are taken out (and the
    /// places named without their English name).
    fn chinese_left(&self, line: &str) -> String {
        let mut left = String::new();
        let mut rest = line;
        while let Some(c) = rest.chars().next() {
            if let Some(name) = self.by_first.get(&c).and_then(|ns| ns.iter().find(|n| rest.starts_with(n.as_str()))) {
                if self.places.contains(name.as_str()) && !line.contains(&zhunong::regions::english_name(name)) {
                    left.push_str(name);
                }
                rest = &rest[name.len()..];
                continue;
            }
            if is_chinese(c) {
                left.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
        left
    }
}

/// The amounts in Chinese capitals of the demo's invoices, and the payee
/// the platform is configured with (a name). Unconfigured, the bank and
/// account are not shown to buyers at all (a neutral line instead).
async fn invoice_capitals(app: &TestApp) -> Vec<String> {
    let totals: Vec<i64> = sqlx::query_scalar("SELECT total_fen FROM orders").fetch_all(app.db().pool()).await.unwrap();
    let mut out: Vec<String> = totals.into_iter().map(|f| zhunong::money::Fen::new(f).chinese_uppercase()).collect();
    let payee = &app.app.state.config.payee;
    out.push(payee.name.clone());
    out
}

/// A time or a date as a machine writes it: `2026-11-30T08:00`,
/// `2026-11-30 16:00` or a bare `2026-11-30`.
fn machine_date(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9)).any(|i| {
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|j| b[i + j].is_ascii_digit());
        (i == 0 || !b[i - 1].is_ascii_digit())
            && digits(0..4)
            && b[i + 4] == b'-'
            && digits(5..7)
            && b[i + 7] == b'-'
            && digits(8..10)
            && b.get(i + 10).is_none_or(|c| !c.is_ascii_digit())
    })
}

/// Enumerations' codes that are not English words as well (those can be
/// told from a sentence only on a Chinese page).
const SNAKE_CODES: &[&str] = &[
    "registered_poor",
    "pending_approval",
    "awaiting_payment",
    "in_transit",
    "poverty_alleviation",
    "geographic_indication",
    "green_food",
];

/// Walks every page one user reaches in one language; the findings, one
/// line each (`page: what`).
async fn walk(app: &TestApp, names: &Names, user: Option<&str>, en: bool) -> (usize, Vec<String>) {
    let token = match user {
        Some(email) => Some(app.login(email).await),
        None => None,
    };
    let mut cookie = token.map(|t| format!("zn_session={t}")).unwrap_or_default();
    if en {
        cookie.push_str("; zn_lang=en");
    }
    let mut seen_kinds: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_owned()]);
    let mut findings = Vec::new();
    let mut pages = 0;
    let who = user.unwrap_or("visitor");
    while let Some(href) = queue.pop_front() {
        if pages >= MAX_PAGES || !seen_kinds.insert(kind(&href)) {
            continue;
        }
        let req = Request::get(href.as_str()).header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        let res = app.raw(req).await;
        let html_page = res.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
        if res.status.is_redirection() {
            // A page that sends on (/reports → its first report) is walked
            // where it leads.
            let to = res.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
            queue.extend(to.filter(|t| followable(t)));
            continue;
        }
        if !html_page {
            continue;
        }
        pages += 1;
        if res.status != StatusCode::OK {
            findings.push(format!("{who} {href}: answers {} to a link of the site", res.status));
            continue;
        }
        queue.extend(links(&res.text));
        let text = crate::report_pages::visible(&res.text);
        if crate::report_pages::has_region_code(&text) {
            findings.push(format!("{who} {href}: a 12-digit region code is shown"));
        }
        for line in readable(&res.text) {
            if machine_date(&line) {
                findings.push(format!("{who} {href}: a machine date: {line}"));
            }
            let words: Vec<&str> = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
            if let Some(code) = words.iter().find(|w| SNAKE_CODES.contains(w)) {
                findings.push(format!("{who} {href}: the code {code}: {line}"));
            }
            if en {
                let left = names.chinese_left(&line);
                if !left.is_empty() {
                    findings.push(format!("{who} {href}: Chinese on an English page ({left}): {line}"));
                }
            } else if english_sentence(&line) {
                findings.push(format!("{who} {href}: English on a Chinese page: {line}"));
            }
        }
    }
    findings.sort();
    findings.dedup();
    (pages, findings)
}

async fn walk_everyone(en: bool) {
    let app = TestApp::demo().await;
    // Orders paid and unpaid, a lot adjusted and a cart with a line, so
    // the pages of orders, lot histories, the cart and checkout have
    // something to show.
    let product = app.count("SELECT MIN(id) FROM products WHERE name = '伽师瓜'").await;
    app.paid_order_to(product, 2, "500103000000").await;
    app.order_to(product, 1, "500103000000").await;
    let lot = app.count(&format!("SELECT MIN(id) FROM lots WHERE product_id = {product}")).await;
    app.adjust_lot(lot, -1).await;
    let buyer = app.login("buyer@agency.zhunong.demo").await;
    let req =
        Request::get(format!("/products/{product}")).header(header::COOKIE, format!("zn_session={buyer}")).body(Body::empty()).unwrap();
    let csrf = crate::buying::input(&app.raw(req).await, "csrf");
    let added =
        crate::buying::post(&app, "/cart", &buyer, &[("csrf", &csrf), ("product_id", &product.to_string()), ("quantity", "3")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let names = Names::of(&app).await;
    let mut findings = Vec::new();
    for user in USERS {
        let (pages, mut found) = walk(&app, &names, *user, en).await;
        eprintln!("{}: {pages} pages", user.unwrap_or("visitor"));
        assert!(pages >= 3, "{user:?} reaches pages ({pages})");
        findings.append(&mut found);
    }
    assert!(findings.is_empty(), "{} findings:\n{}", findings.len(), findings.join("\n"));
}

#[tokio::test]
async fn every_page_of_every_role_reads_in_chinese_without_english_codes_or_machine_times() {
    walk_everyone(false).await;
}

#[tokio::test]
async fn every_page_of_every_role_reads_in_english_with_only_names_left_in_chinese() {
    walk_everyone(true).await;
}

#[test]
fn the_walk_tells_pages_apart_by_kind_and_finds_machine_dates() {
    assert_eq!(kind("/orders/12"), kind("/orders/13"));
    assert_eq!(kind("/products/1"), kind("/products/28"));
    assert_ne!(kind("/orders/12"), kind("/orders"));
    assert_eq!(kind("/search?q=瓜&page=2"), kind("/search?page=3&q=枣"));
    assert!(machine_date("到期 2026-12-31") && machine_date("2026-11-30T08:00:12Z"));
    assert!(!machine_date("2026年12月31日") && !machine_date("HH-2026-12") && !machine_date("653129100200"));
    assert_eq!(without_code("<p>样例</p><pre>a,2026-09-01</pre><p>说明</p>"), "<p>样例</p><p>说明</p>");
    assert!(!followable("/lang/en?next=/") && !followable("/reports/households?format=csv") && followable("/orders/3"));
}
