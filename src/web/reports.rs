//! The report pages (issue 13): the regional rollup with drill-down
//! (village → township → county → prefecture), sales per household, one
//! household by month, the cooperatives, and a cooperative's own results.
//! An official lands on the own region: how much reached the registered
//! poor households of each township this year is the first screen, a
//! township the second. Numbers come from `crate::reports`; the pages only
//! name and format them (money as yuan, places by name, dates as China's).

use super::charts::{self, Part, Series, Text, Tone, Unit};
use super::page::Or500;
use super::{Chrome, Page, PageResult};
use crate::app::AppState;
use crate::auth::Role;
use crate::households::{Status, Viewer};
use crate::money::Fen;
use crate::regions::{RegionCode, RegionLevel};
use crate::reports::period::Period;
use crate::reports::{cooperatives, households, regions};
use crate::validation::{FieldErrors, Problem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// Rows per page of the households report.
const PER_PAGE: i64 = 50;

/// What every report page takes in its query string (unknown keys are
/// ignored; bad values are named on the page and the defaults used).
#[derive(Deserialize, Default)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    parent: Option<String>,
    region: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

/// The period picker: the dates shown, quick links, and the other
/// parameters kept as hidden fields.
struct PeriodView {
    from: String,
    to: String,
    line: String,
    action: String,
    hidden: Vec<(String, String)>,
    quick: Vec<(String, &'static str)>,
}

fn query_string(pairs: &[(String, String)]) -> String {
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencoding(v))).collect::<Vec<_>>().join("&")
}

fn urlencoding(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn china_date(d: time::Date, c: &Chrome) -> String {
    super::words::day(c.lang, &crate::time::format_date(d))
}

fn month_name(m: u8) -> &'static str {
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(m as usize + 11) % 12]
}

/// `2026-03` as people read it.
fn month_label(month: &str, c: &Chrome) -> String {
    let (y, m) = (&month[..4], month[5..].parse::<u8>().unwrap_or(1));
    c.lang.pick(format!("{y}年{m}月"), format!("{} {y}", month_name(m)))
}

fn period_view(c: &Chrome, period: Period, action: &str, hidden: Vec<(String, String)>) -> PeriodView {
    let ymd = crate::time::format_date;
    let today = crate::time::china_today();
    let year = today.year();
    let month_start = today.replace_day(1).expect("the first exists");
    let quick_link = |from: String, to: String| {
        let mut pairs = hidden.clone();
        pairs.push(("from".into(), from));
        pairs.push(("to".into(), to));
        format!("{action}?{}", query_string(&pairs))
    };
    let this_year = Period::year(year);
    let last_year = Period::year(year - 1);
    PeriodView {
        from: ymd(period.from),
        to: ymd(period.to),
        line: super::words::fill(c.w.reports_period_line, &[("from", &china_date(period.from, c)), ("to", &china_date(period.to, c))]),
        action: action.to_owned(),
        quick: vec![
            (quick_link(ymd(this_year.from), ymd(this_year.to)), c.w.reports_this_year),
            (quick_link(ymd(last_year.from), ymd(last_year.to)), c.w.reports_last_year),
            (quick_link(ymd(month_start), ymd(today)), c.w.reports_this_month),
        ],
        hidden,
    }
}

/// Reads the period; problems become sentences and this year is used.
fn period_of(c: &Chrome, q: &ReportQuery, errors: &mut Vec<String>) -> Period {
    let mut problems = FieldErrors::default();
    match Period::parse(q.from.as_deref(), q.to.as_deref(), &mut problems) {
        Some(p) => p,
        None => {
            errors.extend(super::words::field_errors(c.lang, &problems));
            Period::year(crate::time::china_today().year())
        }
    }
}

fn region_of(c: &Chrome, text: Option<&str>, field: &str, errors: &mut Vec<String>) -> Option<RegionCode> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    match RegionCode::parse(text) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.push(super::words::problem(c.lang, &super::words::label(c.lang, field), &Problem::RegionCode { text: e.0 }));
            None
        }
    }
}

fn by_level(c: &Chrome, level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => c.w.reports_by_province,
        RegionLevel::Prefecture => c.w.reports_by_prefecture,
        RegionLevel::County => c.w.reports_by_county,
        RegionLevel::Township => c.w.reports_by_township,
        RegionLevel::Village => c.w.reports_by_village,
    }
}

fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

/// `GET /reports`: each reader's own report.
pub async fn home(page: Page) -> PageResult {
    let actor = page.user()?;
    let to = if actor.managed_cooperative().is_some() {
        "/reports/cooperative"
    } else if actor.official_region().is_some()
        || actor.has(Role::PlatformAdmin)
        || actor.has(Role::PlatformFinance)
        || actor.has(Role::PartnerBuyer)
    {
        "/reports/regions"
    } else if actor.has(Role::AgencyBuyer) || actor.has(Role::AgencyApprover) {
        // An agency's report is its reserved share, on its dashboard.
        "/dashboard"
    } else {
        return Err(page.with_role(&[Role::Official]).err().unwrap_or_else(|| page.not_found()));
    };
    Ok(Redirect::to(to).into_response())
}

/// The report's download links (the API's export of the same query, which
/// the page's session signs in to): Excel and CSV.
fn downloads(c: &Chrome, api: &str, pairs: &[(String, String)]) -> Vec<(String, &'static str)> {
    [("xlsx", c.w.reports_download_xlsx), ("csv", c.w.reports_download_csv)]
        .into_iter()
        .map(|(format, label)| {
            let mut all = pairs.to_vec();
            all.push(("format".into(), format.into()));
            (format!("{api}?{}", query_string(&all)), label)
        })
        .collect()
}

/// One region's line on the page.
struct RegionLine {
    name: String,
    href: Option<String>,
    gross: String,
    poor: String,
    share: String,
    poor_households: i64,
    with_sales: i64,
    cooperatives: i64,
    buyers: i64,
}

struct MonthLine {
    month: String,
    gross: String,
    poor: String,
}

#[derive(Template)]
#[template(path = "report_regions.html")]
struct RegionsPage<'a> {
    c: &'a Chrome,
    errors: Vec<String>,
    period: PeriodView,
    crumbs: Vec<(String, String)>,
    heading: String,
    level: String,
    totals: RegionLine,
    rows: Vec<RegionLine>,
    months: Vec<MonthLine>,
    households_href: Option<String>,
    cooperatives_href: Option<String>,
    downloads: Vec<(String, &'static str)>,
    /// Sales by month, stacked: reaching registered poor households and not.
    month_chart: String,
    /// The places below by sales, top ten.
    top_chart: String,
    /// The share reaching registered poor households.
    share_chart: String,
    /// Officials and the platform: the region's colours this year and its
    /// open alerts (弹屏预警).
    watch: Option<Watch>,
}

/// The monitoring box of an official's dashboard.
struct Watch {
    year: i32,
    /// Households by colour, as a chart.
    chart: String,
    /// (class, word, count)
    colours: Vec<(&'static str, &'static str, i64)>,
    alerts: Vec<AlertLine>,
    /// "12 open alerts; the newest 5 are shown", when there are more.
    alerts_more: Option<String>,
    href: String,
}

struct AlertLine {
    colour: &'static str,
    /// "HH-… (巴仁村) turned red".
    line: String,
    reasons: String,
    raised: String,
    visit: String,
}

fn region_line(lang: super::Lang, r: &regions::Row, href: Option<String>) -> RegionLine {
    RegionLine {
        name: super::words::place_full(lang, &r.name),
        href,
        gross: r.gross_sales_fen.to_string(),
        poor: r.registered_poor_sales_fen.to_string(),
        share: percent(r.registered_poor_share_percent),
        poor_households: r.registered_poor_households,
        with_sales: r.households_with_sales,
        cooperatives: r.cooperatives,
        buyers: r.buyers,
    }
}

/// `GET /reports/regions?parent=&from=&to=`: the regions one level below
/// `parent` (default: the reader's own), with the parent's totals and its
/// months; each row opens the level below.
pub async fn regions_page(page: Page, State(state): State<AppState>, Query(q): Query<ReportQuery>) -> PageResult {
    let actor = page.user()?;
    let c = &page.c;
    let Some(reach) = regions::reach_of(&state.db, &actor).await.or_500(&page)? else {
        return Err(page.with_role(&[Role::Official]).err().unwrap_or_else(|| page.not_found()));
    };
    let mut errors = Vec::new();
    let period = period_of(c, &q, &mut errors);
    let parent = region_of(c, q.parent.as_deref(), "parent", &mut errors).or(reach.home());
    let allowed = match parent {
        Some(p) => reach.covers(p),
        None => reach == regions::Reach::All,
    };
    if !allowed {
        return Err(page.not_found());
    }
    let level = match parent {
        Some(p) => p.level().below().unwrap_or(RegionLevel::Village),
        None => RegionLevel::Province,
    };
    // A village has no level below: its report is its households.
    if parent.is_some_and(|p| p.level() == RegionLevel::Village) {
        let region = parent.map(|p| p.to_string()).unwrap_or_default();
        let pairs = [
            ("region".to_owned(), region),
            ("from".into(), crate::time::format_date(period.from)),
            ("to".into(), crate::time::format_date(period.to)),
        ];
        return Ok(Redirect::to(&format!("/reports/households?{}", query_string(&pairs))).into_response());
    }
    let report = regions::report(&state.db, parent, level, period, true).await.or_500(&page)?;
    let ymd = crate::time::format_date;
    let dates = format!("from={}&to={}", ymd(period.from), ymd(period.to));
    let mut crumbs = Vec::new();
    if let Some(p) = &report.parent {
        for link in &p.chain {
            if reach.covers(link.code) && link.code.to_string() != p.code {
                crumbs.push((super::words::place(c.lang, &link.name), format!("/reports/regions?parent={}&{dates}", link.code)));
            }
        }
    } else if parent.is_some() {
        return Err(page.not_found());
    }
    // Every row opens the level below (a village: its households).
    let rows = report.rows.iter().map(|r| region_line(c.lang, r, Some(format!("/reports/regions?parent={}&{dates}", r.code)))).collect();
    let months = report
        .totals
        .months
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|m| MonthLine {
            month: month_label(&m.month, c),
            gross: m.gross_sales_fen.to_string(),
            poor: m.registered_poor_sales_fen.to_string(),
        })
        .collect();
    let heading =
        report.parent.as_ref().map(|p| super::words::place_full(c.lang, &p.name)).unwrap_or_else(|| c.w.reports_national.to_owned());
    let region_param = parent.map(|p| p.to_string()).unwrap_or_default();
    let reads_households = households::Scope::of(&actor).is_some();
    let households_href = reads_households.then(|| format!("/reports/households?region={region_param}&{dates}"));
    let cooperatives_href =
        cooperatives::Scope::of(&actor).is_some().then(|| format!("/reports/cooperatives?region={region_param}&{dates}"));
    let watch = match crate::monitoring::readable_region(&actor, parent) {
        Ok(region) => Some(watch(&state, &page, &actor, region, period.to.year()).await?),
        Err(_) => None,
    };
    let pairs = [("parent".to_owned(), region_param.clone()), ("from".into(), ymd(period.from)), ("to".into(), ymd(period.to))];
    let (month_chart, top_chart, share_chart) = region_charts(c, &report, &heading);
    let view = RegionsPage {
        month_chart,
        top_chart,
        share_chart,
        c,
        watch,
        downloads: downloads(c, "/api/v1/reports/regions", &pairs),
        period: period_view(c, period, "/reports/regions", vec![("parent".into(), region_param)]),
        errors,
        crumbs,
        heading,
        level: by_level(c, level).to_owned(),
        totals: region_line(c.lang, &report.totals, None),
        rows,
        months,
        households_href,
        cooperatives_href,
    };
    page.render(StatusCode::OK, &view)
}

/// The rollup's charts: sales by month (reaching registered poor
/// households, and the rest), the places below by sales, and the share.
fn region_charts(c: &Chrome, report: &regions::Report, place: &str) -> (String, String, String) {
    let months = report.totals.months.as_deref().unwrap_or_default();
    let labels: Vec<String> = months.iter().map(|m| charts::month_label(c.lang, &m.month)).collect();
    let poor: Vec<i64> = months.iter().map(|m| m.registered_poor_sales_fen.get()).collect();
    let other: Vec<i64> = months.iter().map(|m| m.gross_sales_fen.get() - m.registered_poor_sales_fen.get()).collect();
    let period = super::words::fill(c.w.reports_period_line, &[("from", &c.w.day(&report.from)), ("to", &c.w.day(&report.to))]);
    let desc = super::words::fill(c.w.reports_chart_months_desc, &[("place", &place), ("period", &period)]);
    let month_chart = charts::columns(
        c.lang,
        &Text { id: "sales-months", title: c.w.reports_chart_months, desc: &desc },
        Unit::Fen,
        &labels,
        &[
            Series { name: c.w.reports_poor_sales, tone: Tone::First, values: &poor },
            Series { name: c.w.reports_other_sales, tone: Tone::Other, values: &other },
        ],
    );
    let mut top: Vec<&regions::Row> = report.rows.iter().filter(|r| r.gross_sales_fen.get() > 0).collect();
    top.sort_by_key(|r| std::cmp::Reverse(r.gross_sales_fen));
    let parts: Vec<Part> = top
        .iter()
        .take(10)
        .map(|r| Part { label: super::words::place(c.lang, &r.name), value: r.gross_sales_fen.get(), tone: Tone::First })
        .collect();
    let desc = super::words::fill(c.w.reports_chart_top_desc, &[("place", &place)]);
    let top_chart = charts::bars(c.lang, &Text { id: "top-regions", title: c.w.reports_chart_top, desc: &desc }, Unit::Fen, &parts);
    let t = &report.totals;
    let shares = [
        Part { label: c.w.reports_poor_sales.to_owned(), value: t.registered_poor_sales_fen.get(), tone: Tone::First },
        Part {
            label: c.w.reports_other_sales.to_owned(),
            value: t.gross_sales_fen.get() - t.registered_poor_sales_fen.get(),
            tone: Tone::Other,
        },
    ];
    let desc = super::words::fill(c.w.reports_chart_share_desc, &[("place", &place)]);
    let share_chart = charts::shares(c.lang, &Text { id: "poor-share", title: c.w.reports_chart_share, desc: &desc }, Unit::Fen, &shares);
    (month_chart.to_string(), top_chart.to_string(), share_chart.to_string())
}

/// The region's colours in `year` and its newest open alerts.
async fn watch(
    state: &AppState,
    page: &Page,
    actor: &crate::auth::Actor,
    region: Option<RegionCode>,
    year: i32,
) -> Result<Watch, super::PageError> {
    use crate::monitoring::Colour;
    let c = &page.c;
    let counts = crate::monitoring::counts(&state.db, region, year).await.or_500(page)?;
    let viewer = Viewer::of(Some(actor));
    let (alerts, alerts_total) = crate::monitoring::open_alerts(&state.db, &viewer, region, 5).await.or_500(page)?;
    let colours: Vec<(&'static str, &'static str, i64)> = [Colour::Red, Colour::Orange, Colour::Yellow, Colour::Green]
        .into_iter()
        .map(|k| (k.as_str(), c.w.colour(k), counts.of(k)))
        .collect();
    let tone = |class: &str| match class {
        "red" => Tone::Red,
        "orange" => Tone::Orange,
        "yellow" => Tone::Yellow,
        _ => Tone::Green,
    };
    let parts: Vec<Part> =
        colours.iter().map(|(class, word, n)| Part { label: (*word).to_owned(), value: *n, tone: tone(class) }).collect();
    let place = match region {
        Some(r) => {
            crate::regions::get(&state.db, r).await.or_500(page)?.map(|r| super::words::place_full(c.lang, &r.name)).unwrap_or_default()
        }
        None => c.w.reports_national.to_owned(),
    };
    let desc = super::words::fill(c.w.reports_chart_colours_desc, &[("place", &place), ("year", &year)]);
    let chart =
        charts::shares(c.lang, &Text { id: "colours", title: c.w.reports_chart_colours, desc: &desc }, Unit::Count, &parts).to_string();
    let alerts: Vec<AlertLine> = alerts
        .iter()
        .map(|a| AlertLine {
            colour: a.colour.as_str(),
            line: {
                let who = match &a.head_name {
                    Some(name) => format!("{name} {}", a.household_code),
                    None => a.household_code.clone(),
                };
                let village = super::words::place_full(c.lang, &a.village_name);
                match a.previous_colour {
                    Some(p) => super::words::fill(
                        c.w.mon_alert_turned_from,
                        &[("household", &who), ("village", &village), ("previous", &c.w.colour(p)), ("colour", &c.w.colour(a.colour))],
                    ),
                    None => super::words::fill(
                        c.w.mon_alert_turned,
                        &[("household", &who), ("village", &village), ("colour", &c.w.colour(a.colour))],
                    ),
                }
            },
            reasons: c.w.reasons(&a.reasons),
            raised: c.w.when(&a.raised_at),
            // Only an official of a region records visits (the
            // administrator reads them).
            visit: if actor.official_region().is_some() {
                format!("/monitoring/households/{}/visit", a.household_id)
            } else {
                String::new()
            },
        })
        .collect();
    let href = match region {
        Some(r) => format!("/monitoring?region={r}&year={year}"),
        None => format!("/monitoring?year={year}"),
    };
    let shown = alerts.len() as i64;
    let alerts_more =
        (alerts_total > shown).then(|| super::words::fill(c.w.mon_alerts_more, &[("total", &alerts_total), ("shown", &shown)]));
    Ok(Watch { year, chart, colours, alerts, alerts_more, href })
}

/// One household's line on the page.
struct HouseholdLine {
    href: String,
    /// `red` … `green` (the class), and its word.
    colour: Option<(String, &'static str)>,
    code: String,
    identity: String,
    village: String,
    status: String,
    size: i64,
    gross: String,
    income: String,
    per_capita: String,
}

fn household_line(c: &Chrome, r: &households::Row, dates: &str) -> HouseholdLine {
    let identity = [r.head_name.as_deref(), r.register_number.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ");
    HouseholdLine {
        colour: r.colour.as_deref().and_then(crate::monitoring::Colour::parse).map(|k| (k.as_str().to_owned(), c.w.colour(k))),
        href: format!("/reports/households/{}?{dates}", r.id),
        code: r.household_code.clone(),
        identity,
        village: super::words::chain(c.lang, &r.village.chain),
        status: super::words::household_status(c.lang, r.status.as_str()),
        size: r.size,
        gross: r.gross_sales_fen.to_string(),
        income: r.household_income_fen.to_string(),
        per_capita: r.per_capita_income_fen.to_string(),
    }
}

#[derive(Template)]
#[template(path = "report_households.html")]
struct HouseholdsPage<'a> {
    c: &'a Chrome,
    errors: Vec<String>,
    period: PeriodView,
    place: String,
    back: Option<String>,
    count: String,
    gross: String,
    income: String,
    rows: Vec<HouseholdLine>,
    statuses: Vec<(&'static str, String, bool)>,
    sorts: Vec<(&'static str, &'static str, bool)>,
    region: String,
    pager: Option<(Option<String>, String, Option<String>)>,
    identities: bool,
    downloads: Vec<(String, &'static str)>,
}

/// `GET /reports/households?region=&status=&sort=&page=&from=&to=`
pub async fn households_page(page: Page, State(state): State<AppState>, Query(q): Query<ReportQuery>) -> PageResult {
    let actor = page.user()?;
    let c = &page.c;
    let Some(scope) = households::Scope::of(&actor) else {
        return Err(page.with_role(&[Role::Official, Role::CoopManager]).err().unwrap_or_else(|| page.not_found()));
    };
    let mut errors = Vec::new();
    let period = period_of(c, &q, &mut errors);
    let region = region_of(c, q.region.as_deref(), "region", &mut errors);
    let status = q.status.as_deref().and_then(Status::parse);
    let sort = q.sort.as_deref().and_then(households::Sort::parse).unwrap_or_default();
    let number = q.page.unwrap_or(1).clamp(1, 100_000);
    let query = households::Query { period, region, status, cooperative: None, sort };
    let viewer = Viewer::of(Some(&actor));
    let (rows, totals) = households::page(&state.db, &viewer, scope, &query, PER_PAGE, (number - 1) * PER_PAGE).await.or_500(&page)?;
    let ymd = crate::time::format_date;
    let dates = format!("from={}&to={}", ymd(period.from), ymd(period.to));
    let place = match region.or(match scope {
        households::Scope::Region(r) => Some(r),
        _ => None,
    }) {
        Some(r) => crate::regions::get(&state.db, r)
            .await
            .or_500(&page)?
            .map(|r| super::words::chain(c.lang, &crate::reports::county_down(&r)))
            .unwrap_or_default(),
        None => String::new(),
    };
    let region_text = region.map(|r| r.to_string()).unwrap_or_default();
    // The way back up the regions' report, for those who read it (a
    // cooperative's manager reads only its members).
    let back = region
        .filter(|_| !matches!(scope, households::Scope::Members(_)))
        .and_then(|r| r.parent())
        .map(|p| format!("/reports/regions?parent={p}&{dates}"));
    let pages = (totals.households + PER_PAGE - 1) / PER_PAGE;
    let keep = |n: i64| {
        let pairs = [
            ("region".to_owned(), region_text.clone()),
            ("status".into(), status.map(|s| s.as_str().to_owned()).unwrap_or_default()),
            ("sort".into(), sort.name().to_owned()),
            ("from".into(), ymd(period.from)),
            ("to".into(), ymd(period.to)),
            ("page".into(), n.to_string()),
        ];
        format!("/reports/households?{}", query_string(&pairs))
    };
    let pager = (pages > 1).then(|| {
        (
            (number > 1).then(|| keep(number - 1)),
            c.w.households_page_line(number, pages, totals.households),
            (number < pages).then(|| keep(number + 1)),
        )
    });
    let statuses = ["registered_poor", "monitored", "edge", "lifted", "none"]
        .into_iter()
        .map(|s| (s, super::words::household_status(c.lang, s), status.map(|x| x.as_str()) == Some(s)))
        .collect();
    let w = c.w;
    let sorts = [
        ("-gross_sales", w.reports_sort_gross_desc),
        ("gross_sales", w.reports_sort_gross_asc),
        ("-per_capita", w.reports_sort_per_capita_desc),
        ("per_capita", w.reports_sort_per_capita_asc),
        ("code", w.reports_sort_code),
        ("village", w.reports_sort_village),
    ]
    .into_iter()
    .map(|(k, label)| (k, label, k == sort.name()))
    .collect();
    let identities = rows.iter().any(|r| r.head_name.is_some() || r.register_number.is_some());
    let pairs = [
        ("region".to_owned(), region_text.clone()),
        ("status".into(), status.map(|s| s.as_str().to_owned()).unwrap_or_default()),
        ("sort".into(), sort.name().to_owned()),
        ("from".into(), ymd(period.from)),
        ("to".into(), ymd(period.to)),
    ];
    let view = HouseholdsPage {
        c,
        errors,
        period: period_view(c, period, "/reports/households", vec![("region".into(), region_text.clone())]),
        place,
        back,
        count: super::words::fill(
            w.reports_households_count,
            &[("households", &totals.households), ("people", &totals.people), ("with_sales", &totals.households_with_sales)],
        ),
        gross: totals.gross_sales_fen.to_string(),
        income: totals.household_income_fen.to_string(),
        rows: rows.iter().map(|r| household_line(c, r, &dates)).collect(),
        statuses,
        sorts,
        region: region_text,
        pager,
        identities,
        downloads: downloads(c, "/api/v1/reports/households", &pairs),
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "report_household.html")]
struct HouseholdPage<'a> {
    c: &'a Chrome,
    errors: Vec<String>,
    period: PeriodView,
    h: HouseholdLine,
    months: Vec<(String, String, String)>,
    cooperatives: Vec<(String, String, String)>,
    back: String,
}

/// `GET /reports/households/{id}?from=&to=`
pub async fn household_page(page: Page, State(state): State<AppState>, Path(id): Path<String>, Query(q): Query<ReportQuery>) -> PageResult {
    let actor = page.user()?;
    let c = &page.c;
    let scope = households::Scope::of(&actor).ok_or_else(|| page.not_found())?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let mut errors = Vec::new();
    let period = period_of(c, &q, &mut errors);
    let viewer = Viewer::of(Some(&actor));
    let report = households::one(&state.db, &viewer, scope, id, period).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let ymd = crate::time::format_date;
    let dates = format!("from={}&to={}", ymd(period.from), ymd(period.to));
    let view = HouseholdPage {
        c,
        errors,
        period: period_view(c, period, &format!("/reports/households/{id}"), Vec::new()),
        h: household_line(c, &report.household, &dates),
        months: report
            .months
            .iter()
            .map(|m| (month_label(&m.month, c), m.gross_sales_fen.to_string(), m.household_income_fen.to_string()))
            .collect(),
        cooperatives: report
            .cooperatives
            .iter()
            .map(|x| (x.name.clone(), x.gross_sales_fen.to_string(), x.household_income_fen.to_string()))
            .collect(),
        back: format!("/reports/households?region={}&{dates}", report.household.village.code),
    };
    page.render(StatusCode::OK, &view)
}

/// One cooperative's line on the page.
struct CooperativeLine {
    name: String,
    place: String,
    gross: String,
    income: String,
    payout: String,
    supplied: i64,
    rating: String,
    refunded: String,
}

fn cooperative_line(c: &Chrome, r: &cooperatives::Row) -> CooperativeLine {
    CooperativeLine {
        name: r.name.clone(),
        place: super::words::chain(c.lang, &r.place),
        gross: r.gross_sales_fen.to_string(),
        income: r.household_income_fen.to_string(),
        payout: percent(r.payout_percent),
        supplied: r.households_supplied,
        rating: match r.rating {
            Some(stars) => super::words::fill(c.w.reports_rating_line, &[("stars", &format!("{stars:.1}")), ("n", &r.ratings)]),
            None => c.w.reports_no_rating.to_owned(),
        },
        refunded: if r.refunded_fen == Fen::ZERO { "—".into() } else { r.refunded_fen.to_string() },
    }
}

#[derive(Template)]
#[template(path = "report_cooperatives.html")]
struct CooperativesPage<'a> {
    c: &'a Chrome,
    errors: Vec<String>,
    period: PeriodView,
    place: String,
    rows: Vec<CooperativeLine>,
    totals: CooperativeLine,
    downloads: Vec<(String, &'static str)>,
}

/// `GET /reports/cooperatives?region=&from=&to=`
pub async fn cooperatives_page(page: Page, State(state): State<AppState>, Query(q): Query<ReportQuery>) -> PageResult {
    let actor = page.user()?;
    let c = &page.c;
    let Some(scope) = cooperatives::Scope::of(&actor) else {
        return Err(page.with_role(&[Role::Official, Role::CoopManager]).err().unwrap_or_else(|| page.not_found()));
    };
    let mut errors = Vec::new();
    let period = period_of(c, &q, &mut errors);
    let region = region_of(c, q.region.as_deref(), "region", &mut errors);
    let report = cooperatives::report(&state.db, scope, region, period).await.or_500(&page)?;
    let place = match region {
        Some(r) => crate::regions::get(&state.db, r)
            .await
            .or_500(&page)?
            .map(|r| super::words::chain(c.lang, &crate::reports::county_down(&r)))
            .unwrap_or_default(),
        None => String::new(),
    };
    let ymd = crate::time::format_date;
    let pairs = [
        ("region".to_owned(), region.map(|r| r.to_string()).unwrap_or_default()),
        ("from".into(), ymd(period.from)),
        ("to".into(), ymd(period.to)),
    ];
    let view = CooperativesPage {
        c,
        downloads: downloads(c, "/api/v1/reports/cooperatives", &pairs),
        errors,
        period: period_view(c, period, "/reports/cooperatives", vec![("region".into(), region.map(|r| r.to_string()).unwrap_or_default())]),
        place,
        rows: report.rows.iter().map(|r| cooperative_line(c, r)).collect(),
        totals: cooperative_line(c, &report.totals),
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "report_cooperative.html")]
struct CooperativePage<'a> {
    c: &'a Chrome,
    errors: Vec<String>,
    period: PeriodView,
    me: CooperativeLine,
    month_chart: String,
    months: Vec<MonthLine>,
    members: Vec<HouseholdLine>,
    members_href: String,
}

/// `GET /reports/cooperative?from=&to=`: a cooperative manager's results —
/// sales and payout by month, and the members who earned most.
pub async fn cooperative_page(page: Page, State(state): State<AppState>, Query(q): Query<ReportQuery>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let c = &page.c;
    let mut errors = Vec::new();
    let period = period_of(c, &q, &mut errors);
    let report = cooperatives::report(&state.db, cooperatives::Scope::One(coop), None, period).await.or_500(&page)?;
    let me = report.rows.first().map(|r| cooperative_line(c, r)).ok_or_else(|| page.not_found())?;
    let by_month = cooperatives::months(&state.db, coop, period).await.or_500(&page)?;
    let labels: Vec<String> = by_month.iter().map(|m| charts::month_label(c.lang, &m.month)).collect();
    let values: Vec<i64> = by_month.iter().map(|m| m.gross_sales_fen.get()).collect();
    let period_line =
        super::words::fill(c.w.reports_period_line, &[("from", &china_date(period.from, c)), ("to", &china_date(period.to, c))]);
    let desc = super::words::fill(c.w.reports_chart_coop_months_desc, &[("name", &me.name), ("period", &period_line)]);
    let month_chart = charts::columns(
        c.lang,
        &Text { id: "coop-months", title: c.w.reports_chart_months, desc: &desc },
        Unit::Fen,
        &labels,
        &[Series { name: c.w.reports_gross, tone: Tone::First, values: &values }],
    )
    .to_string();
    let months = by_month
        .into_iter()
        .map(|m| MonthLine {
            month: month_label(&m.month, c),
            gross: m.gross_sales_fen.to_string(),
            poor: m.household_income_fen.to_string(),
        })
        .collect();
    let query = households::Query { period, region: None, status: None, cooperative: None, sort: households::Sort::GrossDesc };
    let viewer = Viewer::of(Some(&actor));
    let (top, _) = households::page(&state.db, &viewer, households::Scope::Members(coop), &query, 10, 0).await.or_500(&page)?;
    let ymd = crate::time::format_date;
    let dates = format!("from={}&to={}", ymd(period.from), ymd(period.to));
    let view = CooperativePage {
        c,
        errors,
        period: period_view(c, period, "/reports/cooperative", Vec::new()),
        me,
        month_chart,
        months,
        members: top.iter().filter(|r| r.gross_sales_fen > Fen::ZERO).map(|r| household_line(c, r, &dates)).collect(),
        members_href: format!("/reports/households?{dates}"),
    };
    page.render(StatusCode::OK, &view)
}
