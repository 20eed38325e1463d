//! The report pages as people use them: an official of 伽师县 answers
//! "how much reached the registered poor households of this township this
//! year" in two clicks, in Chinese or English, without meeting a region
//! code; a cooperative manager lands on the own results; bad dates are
//! named in the reader's language.

use crate::helpers::{Res, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

async fn page(app: &TestApp, path: &str, token: &str, lang: &str) -> Res {
    let cookie = format!("zn_session={token}; zn_lang={lang}");
    app.raw(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()).await
}

/// The text a person sees: tags, scripts and styles removed.
pub(crate) fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    for skip in ["<script", "<style"] {
        while let Some(at) = rest.find(skip) {
            let end = rest[at..].find("</").map_or(rest.len(), |i| at + i);
            out.push_str(&rest[..at]);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push('\n');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

pub(crate) fn has_region_code(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w.len() == 12 && w.bytes().all(|b| b.is_ascii_digit()))
}

/// Lines of visible text that are English sentences (two words of
/// letters and no Chinese).
fn english_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            let chinese = l.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            let words = l
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation()))
                .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic()))
                .count();
            !chinese && words >= 2
        })
        .map(str::to_owned)
        .collect()
}

/// The first link in `html` whose target starts with `prefix`.
fn first_link(html: &str, prefix: &str) -> String {
    let at = html.find(&format!("href=\"{prefix}")).unwrap_or_else(|| panic!("no link to {prefix}"));
    let start = at + "href=\"".len();
    html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn an_official_reaches_a_townships_registered_poor_sales_in_two_clicks_in_either_language() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let landing = page(&app, "/reports", &official, "zh").await;
    assert!(landing.status.is_redirection());
    let first = page(&app, landing.headers[header::LOCATION].to_str().unwrap(), &official, "zh").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let text = visible(&first.text);
    assert!(text.contains("伽师县 · 帮扶成效报表"), "{text}");
    for words in ["惠及建档立卡贫困户", "贫困户占比", "按乡镇", "按月"] {
        assert!(text.contains(words), "{words} in {text}");
    }
    assert!(!has_region_code(&text), "no region code is shown: {text}");
    assert!(english_lines(&text).is_empty(), "{:?}", english_lines(&text));
    // Charts drawn on the server, readable without a script, each with its
    // title; no inline style (the Content-Security-Policy refuses it).
    for title in ["逐月销售额", "惠及建档立卡贫困户的占比", "各颜色户数"] {
        assert!(first.text.contains("<title id=") && first.text.contains(title), "chart {title}");
    }
    assert!(first.text.matches("<svg").count() >= 3 && first.text.contains("role=\"img\""));
    assert!(!first.text.contains(" style=\""), "no inline style");

    // Who is at risk: the county's colours and its open alerts are on the
    // same first screen (the demo has red and orange households there).
    assert!(text.contains("防返贫监测") && text.contains("待处理预警") && text.contains("登记走访"), "{text}");
    let red = app.count("SELECT COUNT(*) FROM household_colours WHERE colour = 'red' AND village_code LIKE '653129%'").await;
    assert!(red > 0 && first.text.contains(&format!("<strong>{red}</strong> 红色")), "{red} red households shown");

    // Click: a township — its villages, the way back to the county.
    let table = &first.text[first.text.find("id=\"regions\"").expect("the townships' table")..];
    let township = first_link(table, "/reports/regions?parent=6531");
    let second = page(&app, &township, &official, "zh").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let text = visible(&second.text);
    assert!(text.contains("按村") && text.contains("伽师县"), "{text}");
    assert!(!has_region_code(&text));

    // Its households, with identities (the official's own county).
    let households = page(&app, &first_link(&second.text, "/reports/households?"), &official, "zh").await;
    assert_eq!(households.status, StatusCode::OK, "{}", households.text);
    let text = visible(&households.text);
    assert!(text.contains("农户销售明细") && text.contains("户主 / 证号"), "{text}");
    assert!(!has_region_code(&text));
    assert!(english_lines(&text).is_empty(), "{:?}", english_lines(&text));

    // The same in English.
    let english = visible(&page(&app, &township, &official, "en").await.text);
    for words in ["Support reports", "Reached registered poor households", "By village", "By month"] {
        assert!(english.contains(words), "{words} in {english}");
    }
}

#[tokio::test]
async fn bad_dates_are_named_in_the_readers_language_and_the_year_is_shown_instead() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let res = page(&app, "/reports/regions?from=2026-02-30&to=2026-01-01", &official, "zh").await;
    assert_eq!(res.status, StatusCode::OK);
    let text = visible(&res.text);
    assert!(text.contains("开始日期请按“年-月-日”填写"), "{text}");
    let year = zhunong::time::china_today().year();
    assert!(text.contains(&format!("统计期间：{year}年1月1日 至 {year}年12月31日")), "this year is shown instead: {text}");
    assert!(english_lines(&text).is_empty(), "{:?}", english_lines(&text));
    let other = page(&app, "/reports/regions?parent=653126000000", &official, "zh").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "another county's report is not the official's");
}

#[tokio::test]
async fn each_reader_lands_on_the_own_report_and_buyers_without_one_are_told_so() {
    let app = TestApp::demo().await;
    let manager = app.login("manager@coop.zhunong.demo").await;
    let landing = page(&app, "/reports", &manager, "zh").await;
    assert_eq!(landing.headers[header::LOCATION], "/reports/cooperative");
    let mine = page(&app, "/reports/cooperative", &manager, "zh").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    let text = visible(&mine.text);
    assert!(text.contains("本社帮扶成效") && text.contains("带农比例"), "{text}");
    assert!(english_lines(&text).is_empty(), "{:?}", english_lines(&text));
    let admin = app.login("admin@zhunong.demo").await;
    let country = page(&app, "/reports/regions", &admin, "zh").await;
    assert_eq!(country.status, StatusCode::OK);
    assert!(visible(&country.text).contains("全国"));
    let coops = page(&app, "/reports/cooperatives", &admin, "zh").await;
    assert_eq!(coops.status, StatusCode::OK);
    assert!(!has_region_code(&visible(&coops.text)));
    let hub = app.login("operator@hub.zhunong.demo").await;
    assert_eq!(page(&app, "/reports/regions", &hub, "zh").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_households_report_counts_its_pages_in_households() {
    let app = TestApp::demo().await;
    let official = app.login("official@county.zhunong.demo").await;
    let zh = page(&app, "/reports/households", &official, "zh").await;
    assert_eq!(zh.status, StatusCode::OK);
    let text = visible(&zh.text);
    if text.contains("第 1 / ") {
        assert!(text.split("第 1 / ").nth(1).unwrap().lines().next().unwrap().contains(" 页，共 "), "{text}");
        assert!(text.contains(" 户"), "{text}");
        let en = visible(&page(&app, "/reports/households", &official, "en").await.text);
        assert!(en.contains("Page 1 of ") && en.contains(" households"), "{en}");
    } else {
        // A demo with one page of households: the words are still those.
        assert_eq!(zhunong::web::Lang::Zh.t().households_page_line(1, 2, 60), "第 1 / 2 页，共 60 户");
        assert_eq!(zhunong::web::Lang::En.t().households_page_line(1, 2, 60), "Page 1 of 2, 60 households");
    }
}
