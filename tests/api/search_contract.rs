//! The contract every search engine passes: Chinese without spaces, origin
//! names, one latin typo, facets, filters, sorts, pagination, updates — and
//! what buyers type, on the demo's own products. It runs on the embedded
//! engine always, and on Meilisearch when `MEILI_URL` names a server
//! (`./scripts/test` starts one when it finds one; the test says loudly
//! when it skips).

use crate::helpers::TestApp;
use std::collections::BTreeSet;
use std::sync::Arc;
use zhunong::regions::RegionCode;
use zhunong::search::{EmbeddedEngine, MeiliEngine, SearchDoc, SearchEngine, SearchQuery, Sort, build_docs};

#[allow(clippy::too_many_arguments)]
fn doc(
    id: i64,
    name: &str,
    name_en: &str,
    category: &str,
    village: &str,
    names: &str,
    certs: &[&str],
    storage: &str,
    price: i64,
    available: i64,
    sales: i64,
) -> SearchDoc {
    let v = RegionCode::parse(village).unwrap();
    let at = |l| v.ancestor(l).unwrap().to_string();
    use zhunong::regions::RegionLevel::*;
    SearchDoc {
        id,
        name: name.into(),
        name_en: name_en.into(),
        description: String::new(),
        category: category.into(),
        category_labels: zhunong::catalog::category(category).map(|c| format!("{} {}", c.zh, c.en)).unwrap_or_default(),
        origin_code: village.into(),
        prefecture: at(Prefecture),
        county: at(County),
        origin_ancestors: [Province, Prefecture, County, Township, Village].iter().map(|l| at(*l)).collect(),
        origin_names: names.into(),
        cooperative: format!("{name}专业合作社"),
        certificates: certs.iter().map(|c| c.to_string()).collect(),
        storage: storage.into(),
        price_fen: price,
        available,
        sales_count: sales,
        created_at: 1_700_000_000 + id * 1000,
    }
}

const KASHGAR: &str = "新疆维吾尔自治区 新疆 喀什地区";
const FP: &str = "poverty_alleviation";
const GI: &str = "geographic_indication";

fn fixture() -> Vec<SearchDoc> {
    vec![
        doc(
            1,
            "新疆若羌红枣 500g",
            "Ruoqiang red dates",
            "dried_fruit",
            "652824100200",
            "新疆维吾尔自治区 新疆 巴音郭楞蒙古自治州 若羌县 若羌镇",
            &[FP],
            "ambient",
            3500,
            100,
            50,
        ),
        doc(
            2,
            "昌都牦牛肉干",
            "Chamdo yak jerky",
            "meat",
            "540302100200",
            "西藏自治区 西藏 昌都市 卡若区",
            &[FP, GI],
            "ambient",
            8800,
            0,
            300,
        ),
        doc(
            3,
            "伽师瓜",
            "Jiashi melon",
            "fruit",
            "653129100200",
            &format!("{KASHGAR} 伽师县 巴仁镇 巴仁村"),
            &[GI],
            "ambient",
            6800,
            50,
            500,
        ),
        doc(
            4,
            "叶城薄皮核桃",
            "Yecheng thin-shell walnuts",
            "nuts",
            "653126100200",
            &format!("{KASHGAR} 叶城县"),
            &[],
            "ambient",
            3600,
            10,
            100,
        ),
        doc(
            5,
            "建始富硒绿茶",
            "Jianshi selenium-rich green tea",
            "tea",
            "422822100200",
            "湖北省 恩施土家族苗族自治州 建始县",
            &["green_food"],
            "ambient",
            16800,
            20,
            10,
        ),
        doc(
            6,
            "类乌齐牦牛酸奶",
            "Riwoqe yak yoghurt",
            "dairy",
            "540323100200",
            "西藏自治区 昌都市 类乌齐县",
            &[FP],
            "chilled",
            7200,
            5,
            80,
        ),
        doc(7, "冷冻羔羊肉", "Frozen lamb", "meat", "653129100201", &format!("{KASHGAR} 伽师县"), &[], "frozen", 9000, 30, 20),
    ]
}

fn q(text: &str) -> SearchQuery {
    SearchQuery { q: text.into(), limit: 20, ..SearchQuery::default() }
}

async fn ids(engine: &impl SearchEngine, query: SearchQuery) -> Vec<i64> {
    engine.search(&query).await.unwrap().ids
}

async fn set(engine: &impl SearchEngine, query: SearchQuery) -> Vec<i64> {
    let mut v = ids(engine, query).await;
    v.sort_unstable();
    v
}

async fn contract(engine: &impl SearchEngine) {
    engine.clear().await.unwrap();
    engine.upsert(fixture()).await.unwrap();
    assert_eq!(engine.count().await.unwrap(), 7);

    // Chinese without spaces, words inside compounds, origin names.
    assert!(ids(engine, q("红枣")).await.contains(&1), "红枣 finds 新疆若羌红枣");
    assert!(ids(engine, q("牛肉干")).await.contains(&2), "牛肉干 finds 昌都牦牛肉干");
    assert_eq!(ids(engine, q("伽师瓜")).await.first(), Some(&3), "伽师瓜 first");
    assert_eq!(set(engine, q("喀什")).await, vec![3, 4, 7], "喀什 finds everything from 喀什地区");
    assert_eq!(set(engine, q("昌都")).await, vec![2, 6]);
    // Latin, with one typo.
    assert_eq!(set(engine, q("walnut")).await, vec![4]);
    assert_eq!(set(engine, q("walnutt")).await, vec![4], "one typo tolerated");
    assert_eq!(set(engine, q("yakk")).await, vec![2, 6], "one typo from four letters on");
    assert!(ids(engine, q("wallnutts")).await.is_empty(), "two typos are not");
    assert_eq!(set(engine, q("yak")).await, vec![2, 6]);
    assert!(ids(engine, q("榴莲")).await.is_empty(), "nothing matches what is not there");

    // Facets over the whole result.
    let all = engine.search(&q("")).await.unwrap();
    assert_eq!(all.total, 7);
    let count = |v: &[zhunong::search::FacetCount], key: &str| v.iter().find(|c| c.value == key).map(|c| c.count);
    assert_eq!(count(&all.facets.category, "meat"), Some(2));
    assert_eq!(count(&all.facets.prefecture, "653100000000"), Some(3));
    assert_eq!(count(&all.facets.county, "653129000000"), Some(2));
    assert_eq!(count(&all.facets.storage, "chilled"), Some(1));
    assert_eq!(count(&all.facets.certified, FP), Some(3));
    let meat = engine.search(&SearchQuery { category: Some("meat".into()), ..q("") }).await.unwrap();
    assert_eq!(count(&meat.facets.storage, "frozen"), Some(1), "facets count the filtered result");
    assert_eq!(count(&meat.facets.category, "fruit"), None);

    // Filters.
    let f = |query: SearchQuery| set(engine, query);
    assert_eq!(f(SearchQuery { price_min_fen: Some(3600), price_max_fen: Some(8800), ..q("") }).await, vec![2, 3, 4, 6]);
    assert_eq!(f(SearchQuery { in_stock: true, ..q("牦牛") }).await, vec![6], "out of stock left out");
    assert_eq!(f(SearchQuery { certified: Some("any".into()), ..q("") }).await, vec![1, 2, 3, 5, 6]);
    assert_eq!(f(SearchQuery { certified: Some(GI.into()), ..q("") }).await, vec![2, 3]);
    assert_eq!(f(SearchQuery { storage: Some("chilled".into()), ..q("") }).await, vec![6]);
    assert_eq!(f(SearchQuery { prefecture: RegionCode::parse("6531").ok(), ..q("") }).await, vec![3, 4, 7]);
    assert_eq!(f(SearchQuery { county: RegionCode::parse("653129").ok(), ..q("") }).await, vec![3, 7]);
    let paired = vec![RegionCode::parse("5403").unwrap(), RegionCode::parse("653126").unwrap()];
    assert_eq!(f(SearchQuery { regions: Some(paired), ..q("") }).await, vec![2, 4, 6], "a partner city's paired regions");
    assert_eq!(f(SearchQuery { regions: Some(vec![]), ..q("") }).await, Vec::<i64>::new());

    // Sorts.
    assert_eq!(ids(engine, SearchQuery { sort: Sort::PriceAsc, ..q("") }).await, vec![1, 4, 3, 6, 2, 7, 5]);
    assert_eq!(ids(engine, SearchQuery { sort: Sort::PriceDesc, ..q("") }).await, vec![5, 7, 2, 6, 3, 4, 1]);
    assert_eq!(ids(engine, SearchQuery { sort: Sort::Sales, ..q("") }).await, vec![3, 2, 4, 6, 1, 7, 5]);
    assert_eq!(ids(engine, SearchQuery { sort: Sort::Newest, ..q("") }).await, vec![7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(ids(engine, SearchQuery { sort: Sort::PriceAsc, ..q("牦牛") }).await, vec![6, 2], "sort applies to a query's results");

    // Pagination keeps the total.
    let page = engine.search(&SearchQuery { sort: Sort::PriceAsc, offset: 2, limit: 2, ..q("") }).await.unwrap();
    assert_eq!((page.ids, page.total), (vec![3, 6], 7));
    let past = engine.search(&SearchQuery { offset: 20, limit: 10, ..q("") }).await.unwrap();
    assert_eq!((past.ids.len(), past.total), (0, 7));

    // Updates and deletes.
    let mut cheaper = fixture().remove(4);
    cheaper.price_fen = 100;
    engine.upsert(vec![cheaper]).await.unwrap();
    assert_eq!(ids(engine, SearchQuery { sort: Sort::PriceAsc, limit: 1, ..q("") }).await, vec![5]);
    assert_eq!(engine.count().await.unwrap(), 7, "an upsert replaces");
    engine.delete(vec![3]).await.unwrap();
    assert!(!ids(engine, q("伽师瓜")).await.contains(&3));
    assert_eq!(engine.count().await.unwrap(), 6);
    engine.clear().await.unwrap();
    assert_eq!(engine.count().await.unwrap(), 0);

    large_results(engine).await;
}

/// A result of more than a thousand products over more than a hundred
/// counties: the total is exact, the last page is reachable and every
/// county is a facet value (Meilisearch's defaults stop at 1,000 hits and
/// 100 values).
async fn large_results(engine: &impl SearchEngine) {
    const N: i64 = 1_200;
    let docs = (0..N)
        .map(|i| {
            let county = i % 120;
            let village = format!("65{:02}{:02}100200", 1 + county / 10, 21 + county % 10);
            doc(i + 1, &format!("冰糖心苹果 {}号", i + 1), "apple", "fruit", &village, "新疆", &[], "ambient", 10_000 + i, 1, 0)
        })
        .collect();
    engine.upsert(docs).await.unwrap();

    let words = engine.search(&q("苹果")).await.unwrap();
    assert_eq!(words.total, N as u64, "every match counted");
    let last = engine.search(&SearchQuery { sort: Sort::PriceAsc, offset: 1_180, limit: 20, ..q("") }).await.unwrap();
    assert_eq!(last.total, N as u64);
    assert_eq!(last.ids, (1_181..=1_200).collect::<Vec<i64>>(), "the last page is reachable");
    assert_eq!(last.facets.county.len(), 120, "every county is a facet value");
    assert!(last.facets.county.iter().all(|c| c.count == 10));

    engine.clear().await.unwrap();
}

/// The names of what `engine` finds for `text` among `docs`.
async fn found(engine: &impl SearchEngine, docs: &[SearchDoc], query: SearchQuery) -> BTreeSet<String> {
    let res = engine.search(&SearchQuery { limit: 200, ..query }).await.unwrap();
    assert_eq!(res.total as usize, res.ids.len(), "one page holds the whole result");
    res.ids.iter().map(|id| docs.iter().find(|d| d.id == *id).expect("a known product").name.clone()).collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|n| n.to_string()).collect()
}

/// The demo's products as the indexer would send them, from a fresh demo
/// database (SQLite, or PostgreSQL under `TEST_DATABASE_URL`), and a
/// partner city of that database with no paired region.
async fn demo_docs() -> (Vec<SearchDoc>, Vec<RegionCode>) {
    let app = TestApp::demo().await;
    let docs = build_docs(app.db(), None).await.unwrap();
    let partner: i64 = sqlx::query_scalar(
        "INSERT INTO organisations (kind, name, region_code, created_at) \
         VALUES ('partner_city', '苏州市东西部协作工作组', '320500000000', '2026-01-05T08:00:00Z') RETURNING id",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let unpaired = zhunong::orgs::paired_regions(app.db(), partner).await.unwrap().expect("a partner city");
    assert!(unpaired.is_empty());
    (docs, unpaired)
}

/// What buyers type, on the demo's products; the same answers from every
/// engine.
async fn buyer_queries(engine: &impl SearchEngine, docs: &[SearchDoc], unpaired: &[RegionCode]) {
    engine.clear().await.unwrap();
    engine.upsert(docs.to_vec()).await.unwrap();
    let find = |text: &str| found(engine, docs, q(text));

    // A word inside a compound: 牛肉 is in 牦牛肉干 and 牦牛肉, not in 羔羊肉.
    assert_eq!(find("牛肉").await, names(&["昌都牦牛肉干", "昌都冷冻牦牛肉", "类乌齐牦牛肉"]));
    // One character: 枣 in 骏枣 and 红枣.
    assert_eq!(find("枣").await, names(&["泽普骏枣", "新疆红枣夹核桃"]));
    // Every word of the query must match (核桃 and 仁): the kernels, and
    // the dates whose description names 叶城核桃仁 — not the walnuts in
    // their shells, nor the almond kernels.
    assert_eq!(find("核桃仁").await, names(&["叶城核桃仁", "新疆红枣夹核桃"]));
    // A county's name alone finds everything grown there, and only that.
    let jiashi: BTreeSet<String> = docs.iter().filter(|d| d.county == "653129000000").map(|d| d.name.clone()).collect();
    assert!(jiashi.len() >= 6, "{jiashi:?}");
    assert_eq!(find("伽师县").await, jiashi, "伽师县 finds its products");
    assert_eq!(find("伽师").await, jiashi, "and so does its short name");
    // A partner city with no paired region sees nothing, with or without
    // words (not an error).
    let unpaired = |text: &str| SearchQuery { regions: Some(unpaired.to_vec()), ..q(text) };
    assert_eq!(found(engine, docs, unpaired("")).await, BTreeSet::new());
    assert_eq!(found(engine, docs, unpaired("牛肉")).await, BTreeSet::new());

    engine.clear().await.unwrap();
}

/// Queries buyers type, for the engines to answer alike.
const TYPED: &[&str] =
    &["牛肉", "枣", "红枣", "核桃", "核桃仁", "牛肉干", "牦牛", "伽师县", "喀什", "昌都", "杏干", "石榴", "巴旦木仁", "新疆红枣", "冷冻"];

#[tokio::test]
async fn the_embedded_engine_finds_what_buyers_type() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("search-buyers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let engine = Arc::new(EmbeddedEngine::open(&dir).unwrap());
    let (docs, unpaired) = demo_docs().await;
    buyer_queries(&engine, &docs, &unpaired).await;
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_embedded_engine_passes_the_search_contract() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("search-contract-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let engine = Arc::new(EmbeddedEngine::open(&dir).unwrap());
    contract(&engine).await;
    // The index is the only state: it reopens with what it held.
    engine.upsert(fixture()).await.unwrap();
    drop(engine);
    let reopened = Arc::new(EmbeddedEngine::open(&dir).unwrap());
    assert_eq!(reopened.count().await.unwrap(), 7);
    assert_eq!(set(&reopened, q("喀什")).await, vec![3, 4, 7]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn meilisearch_passes_the_search_contract() {
    let Ok(url) = std::env::var("MEILI_URL") else {
        eprintln!("\n*** SKIPPED: the Meilisearch contract test needs MEILI_URL (e.g. http://127.0.0.1:7700) — not set ***\n");
        return;
    };
    let key = std::env::var("MEILI_API_KEY").ok();
    let uid = format!("zhunong_contract_{}", std::process::id());
    let engine = Arc::new(MeiliEngine::connect(&url, key.as_deref(), &uid).await.expect("Meilisearch at MEILI_URL answers"));
    contract(&engine).await;
}

#[tokio::test]
async fn meilisearch_finds_what_buyers_type_as_the_embedded_engine_does() {
    let Ok(url) = std::env::var("MEILI_URL") else {
        eprintln!("\n*** SKIPPED: the Meilisearch buyer queries need MEILI_URL (e.g. http://127.0.0.1:7700) — not set ***\n");
        return;
    };
    let key = std::env::var("MEILI_API_KEY").ok();
    let uid = format!("zhunong_buyers_{}", std::process::id());
    let meili = Arc::new(MeiliEngine::connect(&url, key.as_deref(), &uid).await.expect("Meilisearch at MEILI_URL answers"));
    let (docs, unpaired) = demo_docs().await;
    buyer_queries(&meili, &docs, &unpaired).await;

    // Beyond the cases above: the same products for every query typed.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("search-agree-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let embedded = Arc::new(EmbeddedEngine::open(&dir).unwrap());
    embedded.upsert(docs.clone()).await.unwrap();
    meili.upsert(docs.clone()).await.unwrap();
    let mut differ = Vec::new();
    for text in TYPED {
        let (a, b) = (found(&embedded, &docs, q(text)).await, found(&meili, &docs, q(text)).await);
        if a != b {
            differ.push(format!("{text}: embedded {a:?}, Meilisearch {b:?}"));
        }
    }
    meili.clear().await.unwrap();
    drop(embedded);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differ.is_empty(), "the engines disagree:\n{}", differ.join("\n"));
}
