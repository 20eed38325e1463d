//! The officials' monitoring pages (监测帮扶): the monitoring page of a
//! region (counts per colour with the drill-down by child region, the red
//! and orange households, villages overdue for their weekly visit, open
//! alerts with an acknowledgement form), the visit form — big touch
//! targets, plain checkboxes, no script needed — and the visit import.
//! Every read and write is one `monitoring` call; every word is in
//! `words.rs`.

use crate::app::AppState;
use crate::auth::Actor;
use crate::households::Viewer;
use crate::monitoring::{self, Check, Colour, Refusal, ReportQuery, RiskFactor, Rules, VisitChecks, VisitError};
use crate::regions::RegionCode;
use crate::web::page::Or500;
use crate::web::words::{self, fill};
use crate::web::{Chrome, Fields, Page, PageError, PageResult, field, imports};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;

/// Households listed per page of the monitoring page.
const PER_PAGE: i64 = 50;

/// Open alerts shown on the monitoring page.
const ALERTS_SHOWN: i64 = 20;

/// The signed-in official (or platform administrator) and the region of
/// the page: `?region=` if they may read it, else their own.
fn reader(page: &Page, asked: Option<&str>) -> Result<(Actor, Option<RegionCode>), PageError> {
    let actor = page.user()?;
    let asked = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => Some(RegionCode::parse(t).map_err(|_| page.not_found())?),
    };
    match monitoring::readable_region(&actor, asked) {
        Ok(region) => Ok((actor, region)),
        Err(Refusal::NotAnOfficial | Refusal::OutsideRegion) => Err(page.forbidden()),
    }
}

/// CSS class of a colour (`mon-red` …).
fn class(c: Colour) -> &'static str {
    match c {
        Colour::Red => "mon-red",
        Colour::Orange => "mon-orange",
        Colour::Yellow => "mon-yellow",
        Colour::Green => "mon-green",
    }
}

/// One colour's line of the counts.
pub struct CountRow {
    class: &'static str,
    label: &'static str,
    now: i64,
    last: i64,
    change: String,
    /// Share of all households, whole percent, for the bar.
    percent: i64,
}

/// One child region of the drill-down.
pub struct ChildRow {
    href: String,
    name: String,
    counts: [i64; 4],
}

/// A red or orange household.
pub struct FlaggedRow {
    visit_href: String,
    code: String,
    head: String,
    village: String,
    class: &'static str,
    colour: &'static str,
    per_capita: String,
    reasons: String,
}

/// An open alert.
pub struct AlertRow {
    id: i64,
    class: &'static str,
    text: String,
    reasons: String,
    raised: String,
    /// The moment itself, for the title of the relative one.
    raised_at: String,
    visit_href: String,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage<'a> {
    c: &'a Chrome,
    official: bool,
    year: i32,
    years: Vec<i32>,
    region: String,
    crumbs: Vec<(String, String)>,
    heading: String,
    line: String,
    total: String,
    counts: Vec<CountRow>,
    children: Vec<ChildRow>,
    flagged: Vec<FlaggedRow>,
    flagged_pages: String,
    prev: Option<String>,
    next: Option<String>,
    overdue: Vec<(String, String)>,
    overdue_more: Option<String>,
    alerts: Vec<AlertRow>,
    alerts_more: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
}

/// `GET /monitoring?region=&year=&page=` — the monitoring page.
pub async fn monitoring_page(page: Page, State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let (actor, region) = reader(&page, q.get("region").map(String::as_str))?;
    let notice = match q.get("done").map(String::as_str) {
        Some("ack") => Some(page.c.t.mon_ack_done.to_owned()),
        _ => None,
    };
    show(&page, &state, &actor, region, &q, notice, None, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn show(
    page: &Page,
    state: &AppState,
    actor: &Actor,
    region: Option<RegionCode>,
    q: &HashMap<String, String>,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> PageResult {
    let c = &page.c;
    let t = c.t;
    let today = crate::time::china_today();
    let this_year = today.year();
    let year = q.get("year").and_then(|y| y.parse::<i32>().ok()).filter(|y| (this_year - 5..=this_year).contains(y)).unwrap_or(this_year);
    let page_no = q.get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| (1..=100_000).contains(p)).unwrap_or(1);
    let rules = Rules::of(&state.config);
    let line = rules.line(year);
    let viewer = Viewer::of(Some(actor));
    let query = ReportQuery { region, year, line, page: page_no, per_page: PER_PAGE, today };
    let report = monitoring::report(&state.db, &viewer, &query).await.or_500(page)?;
    let region_param = region.map(|r| r.to_string()).unwrap_or_default();
    let href = |region: &str, year: i32| format!("/monitoring?region={region}&year={year}");

    // The way back up: the chain from the reader's own region (everywhere
    // for the administrator) down to this one.
    let own = actor.official_region();
    let mut crumbs = Vec::new();
    if own.is_none() {
        crumbs.push((format!("/monitoring?year={year}"), t.mon_all_regions.to_owned()));
    }
    let mut heading = t.mon_all_regions.to_owned();
    if let Some(r) = region
        && let Some(full) = crate::regions::get(&state.db, r).await.or_500(page)?
    {
        for link in &full.chain {
            if own.is_none_or(|o| o.contains(link.code)) && link.code != r {
                crumbs.push((href(&link.code.to_string(), year), super::words::place(c.lang, &link.name)));
            }
        }
        heading = super::words::place_full(c.lang, &full.name);
    }

    let total = report.counts.total();
    let counts = Colour::ALL
        .iter()
        .rev()
        .map(|col| {
            let (now, last) = (report.counts.of(*col), report.last_year.of(*col));
            CountRow {
                class: class(*col),
                label: t.colour(*col),
                now,
                last,
                change: format!("{:+}", now - last),
                percent: if total > 0 { now * 100 / total } else { 0 },
            }
        })
        .collect();
    let children = report
        .children
        .iter()
        .map(|ch| ChildRow {
            href: href(&ch.code, year),
            name: super::words::place(c.lang, &ch.name),
            counts: [ch.counts.red, ch.counts.orange, ch.counts.yellow, ch.counts.green],
        })
        .collect();
    let can_visit = own.is_some();
    let flagged = report
        .households
        .iter()
        .map(|h| FlaggedRow {
            visit_href: if can_visit { format!("/monitoring/households/{}/visit", h.household_id) } else { String::new() },
            code: h.household_code.clone(),
            head: h.head_name.clone().unwrap_or_default(),
            village: super::words::place_full(c.lang, &h.village.name),
            class: class(h.colour),
            colour: t.colour(h.colour),
            per_capita: h.per_capita_income_fen.to_string(),
            reasons: t.reasons(&h.reasons),
        })
        .collect();
    let pages = (report.total + PER_PAGE - 1) / PER_PAGE;
    let page_href = |n: i64| format!("/monitoring?region={region_param}&year={year}&page={n}");
    let overdue = report
        .overdue_villages
        .iter()
        .map(|v| {
            (
                super::words::place_full(c.lang, &v.name),
                v.last_visit_on.as_deref().map(|d| t.day(d)).unwrap_or_else(|| t.mon_never.to_owned()),
            )
        })
        .collect();
    let overdue_more = (report.overdue_total > report.overdue_villages.len() as i64)
        .then(|| fill(t.mon_overdue_more, &[("n", &(report.overdue_total - report.overdue_villages.len() as i64))]));
    let (open, open_total) = monitoring::open_alerts(&state.db, &viewer, region, ALERTS_SHOWN).await.or_500(page)?;
    let alerts_more = (open_total > open.len() as i64).then(|| fill(t.mon_alerts_more, &[("total", &open_total), ("shown", &open.len())]));
    let alerts = open
        .iter()
        .map(|a| {
            let who = match &a.head_name {
                Some(name) => format!("{} {}", a.household_code, name),
                None => a.household_code.clone(),
            };
            let village = super::words::place_full(c.lang, &a.village_name);
            let text = match a.previous_colour {
                Some(p) if p != Colour::Green => fill(
                    t.mon_alert_turned_from,
                    &[("household", &who), ("village", &village), ("colour", &t.colour(a.colour)), ("previous", &t.colour(p))],
                ),
                _ => fill(t.mon_alert_turned, &[("household", &who), ("village", &village), ("colour", &t.colour(a.colour))]),
            };
            AlertRow {
                id: a.id,
                class: class(a.colour),
                text,
                reasons: t.reasons(&a.reasons),
                raised: t.ago(&a.raised_at),
                raised_at: t.when(&a.raised_at),
                visit_href: if can_visit { format!("/monitoring/households/{}/visit", a.household_id) } else { String::new() },
            }
        })
        .collect();
    let line = match line {
        Some(l) => fill(t.mon_line, &[("year", &year), ("line", &l)]),
        None => fill(t.mon_no_line, &[("year", &year)]),
    };
    let body = MonitoringPage {
        c,
        official: can_visit,
        year,
        years: (this_year - 2..=this_year).rev().collect(),
        region: region_param.clone(),
        crumbs,
        heading,
        line,
        total: fill(t.mon_households_total, &[("total", &total)]),
        counts,
        children,
        flagged,
        flagged_pages: t.households_page_line(page_no, pages.max(1), report.total),
        prev: (page_no > 1).then(|| page_href(page_no - 1)),
        next: (page_no < pages).then(|| page_href(page_no + 1)),
        overdue,
        overdue_more,
        alerts,
        alerts_more,
        notice,
        problem,
    };
    page.render(status, &body)
}

/// `GET /monitoring/find?code=` — the visit form of the household with
/// this code in the official's region.
pub async fn find(page: Page, State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let actor = page.user()?;
    let region = actor.official_region().ok_or_else(|| page.forbidden())?;
    let code: String = q.get("code").map(|c| c.trim().chars().take(40).collect()).unwrap_or_default();
    match monitoring::visits::household_by_code(&state.db, region, &code).await.or_500(&page)? {
        Some(id) => Ok(Redirect::to(&format!("/monitoring/households/{id}/visit")).into_response()),
        None => {
            let problem = fill(page.c.t.mon_find_missing, &[("code", &code)]);
            show(&page, &state, &actor, Some(region), &HashMap::new(), None, Some(problem), StatusCode::NOT_FOUND).await
        }
    }
}

#[derive(Template)]
#[template(path = "visit_form.html")]
struct VisitForm<'a> {
    c: &'a Chrome,
    id: i64,
    household: String,
    colour: Option<(&'static str, &'static str)>,
    visited_on: String,
    today: String,
    other_income: String,
    factors: Vec<(&'static str, &'static str, bool)>,
    checks: Vec<(&'static str, &'static str, bool)>,
    note: String,
    errors: Vec<String>,
    saved: Option<String>,
    history: Vec<(String, String, String, String, String)>,
}

/// The household `id` of the official's region, or the 404 page.
async fn visitable(page: &Page, state: &AppState, id: &str) -> Result<(Actor, i64, String, Option<Colour>), PageError> {
    let actor = page.user()?;
    let region = actor.official_region().ok_or_else(|| page.forbidden())?;
    let id = crate::ids::parse(id).ok_or_else(|| page.not_found())?;
    let year = crate::time::china_today().year();
    let (code, village, size, colour) =
        monitoring::visits::household_in_region(&state.db, region, id, year).await.or_500(page)?.ok_or_else(|| page.not_found())?;
    let village_name = crate::regions::get(&state.db, RegionCode::parse(&village).map_err(|_| page.not_found())?)
        .await
        .or_500(page)?
        .map(|r| super::words::chain(page.c.lang, &r.chain_label()))
        .unwrap_or(village);
    let household = fill(page.c.t.mon_visit_household, &[("code", &code), ("village", &village_name), ("size", &size)]);
    Ok((actor, id, household, colour))
}

async fn history(page: &Page, state: &AppState, id: i64) -> Result<Vec<(String, String, String, String, String)>, PageError> {
    let t = page.c.t;
    Ok(monitoring::visits::recent_visits(&state.db, id, 10)
        .await
        .or_500(page)?
        .into_iter()
        .map(|v| {
            let mut found: Vec<String> = v.risk_factors.iter().map(|f| t.risk_factor(*f).to_owned()).collect();
            found.extend(v.failed_checks.iter().map(|c| fill(t.reason_failed_check, &[("check", &t.check(*c))])));
            (t.day(&v.visited_on), v.other_income_fen.to_string(), t.list(&found), v.note, v.recorded_by)
        })
        .collect())
}

fn factor_boxes(c: &Chrome, on: &[RiskFactor]) -> Vec<(&'static str, &'static str, bool)> {
    RiskFactor::ALL.iter().map(|f| (f.as_str(), c.t.risk_factor(*f), on.contains(f))).collect()
}

fn check_boxes(c: &Chrome, checks: &VisitChecks) -> Vec<(&'static str, &'static str, bool)> {
    Check::ALL.iter().map(|k| (k.as_str(), c.t.check(*k), checks.passed(*k))).collect()
}

/// `GET /monitoring/households/{id}/visit` — the visit form, dated today
/// (China time), every check ticked.
pub async fn visit_form(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let (_, id, household, colour) = visitable(&page, &state, &id).await?;
    let c = &page.c;
    let today = crate::time::format_date(crate::time::china_today());
    let form = VisitForm {
        c,
        id,
        household,
        colour: colour.map(|k| (class(k), c.t.colour(k))),
        visited_on: today.clone(),
        today,
        other_income: String::new(),
        factors: factor_boxes(c, &[]),
        checks: check_boxes(c, &VisitChecks::PASSED),
        note: String::new(),
        errors: Vec::new(),
        saved: None,
        history: history(&page, &state, id).await?,
    };
    page.render(StatusCode::OK, &form)
}

/// `POST /monitoring/households/{id}/visit` — records the visit and shows
/// the form again with the household's colour now (and the alert, if one
/// was raised); a refused visit comes back with its problems.
pub async fn record_visit(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let (actor, id, household, _) = visitable(&page, &state, &id).await?;
    page.check_token(&actor, field(&f, "csrf"))?;
    let c = &page.c;
    let t = c.t;
    let income_text = field(&f, "other_income").trim().to_owned();
    let income = crate::money::Fen::parse_yuan(&income_text);
    let factors: Vec<String> = f.iter().filter(|(k, _)| k == "factor").map(|(_, v)| v.clone()).take(RiskFactor::ALL.len() + 1).collect();
    let passed: Vec<Check> = f.iter().filter(|(k, _)| k == "check").filter_map(|(_, v)| Check::parse(v)).collect();
    let failed: Vec<Check> = Check::ALL.iter().copied().filter(|k| !passed.contains(k)).collect();
    let checks = VisitChecks::with_failed(&failed);
    let visit = monitoring::NewVisit {
        visited_on: field(&f, "visited_on").to_owned(),
        other_income_fen: income.map(|f| f.get()).unwrap_or(-1),
        risk_factors: factors.clone(),
        checks,
        note: field(&f, "note").to_owned(),
    };
    let today = crate::time::format_date(crate::time::china_today());
    let again = |errors: Vec<String>, saved: Option<String>, colour: Option<Colour>, history| VisitForm {
        c,
        id,
        household: household.clone(),
        colour: colour.map(|k| (class(k), t.colour(k))),
        visited_on: if saved.is_some() { today.clone() } else { visit.visited_on.clone() },
        today: today.clone(),
        other_income: if saved.is_some() { String::new() } else { income_text.clone() },
        factors: factor_boxes(c, &if saved.is_some() { vec![] } else { factors.iter().filter_map(|x| RiskFactor::parse(x)).collect() }),
        checks: check_boxes(c, &if saved.is_some() { VisitChecks::PASSED } else { checks }),
        note: if saved.is_some() { String::new() } else { visit.note.clone() },
        errors,
        saved,
        history,
    };
    match monitoring::record_visit(&state.db, &Rules::of(&state.config), &actor, id, &visit).await {
        Ok(v) => {
            let colour_word = v.colour.map(|k| t.colour(k)).unwrap_or(t.mon_not_rated);
            let mut saved = fill(t.mon_visit_saved, &[("code", &v.household_code), ("colour", &colour_word)]);
            if v.alert_raised {
                saved.push(' ');
                saved.push_str(&fill(t.mon_visit_alert, &[("colour", &colour_word)]));
            }
            let history = history(&page, &state, id).await?;
            page.render(StatusCode::CREATED, &again(Vec::new(), Some(saved), v.colour, history))
        }
        Err(VisitError::Invalid(errors)) => {
            let history = history(&page, &state, id).await?;
            Err(page.form_again(&again(words::field_errors(c.lang, &errors), None, None, history)))
        }
        Err(VisitError::NotFound) => Err(page.not_found()),
        Err(VisitError::Forbidden) => Err(page.forbidden()),
        Err(VisitError::Db(e)) => Err(page.fail(e)),
    }
}

/// `POST /monitoring/alerts/{id}/ack` — acknowledges an alert with the
/// note given, then back to the monitoring page.
pub async fn acknowledge(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let actor = page.user()?;
    page.check_token(&actor, field(&f, "csrf"))?;
    let region = actor.official_region().ok_or_else(|| page.forbidden())?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let t = page.c.t;
    let problem = match monitoring::acknowledge(&state.db, &actor, id, field(&f, "note")).await {
        Ok(_) => return Ok(Redirect::to("/monitoring?done=ack").into_response()),
        Err(monitoring::AckError::Invalid(errors)) => words::field_errors(page.c.lang, &errors).join(" "),
        Err(monitoring::AckError::Already(a)) => fill(
            t.mon_ack_already,
            &[("who", &a.acknowledged_by.clone().unwrap_or_default()), ("at", &t.when(a.acknowledged_at.as_deref().unwrap_or("")))],
        ),
        Err(monitoring::AckError::NotFound) => return Err(page.not_found()),
        Err(monitoring::AckError::Forbidden) => return Err(page.forbidden()),
        Err(monitoring::AckError::Db(e)) => return Err(page.fail(e)),
    };
    let page = page.at("/monitoring");
    show(&page, &state, &actor, Some(region), &HashMap::new(), None, Some(problem), StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The visits import of the officials of `region`, in the page's
/// language, with a sample made from the region's own households (a file
/// that imports as it is).
async fn import_spec(state: &AppState, c: &Chrome, region: crate::regions::RegionCode) -> anyhow::Result<imports::Spec> {
    let sample = monitoring::import_sample(&state.db, region, crate::time::china_today()).await?;
    Ok(imports::Spec {
        title: c.t.mon_import_title,
        back: ("/monitoring", c.t.mon_title),
        help: c.t.mon_import_help,
        sample_href: sample.is_some().then_some("/monitoring/import/sample.csv"),
        sample: sample.unwrap_or_else(|| {
            format!(
                "{}\nHH-7K3QX9PM,2026-03-02,14000,因病、因学,饮水,老人住院\nHH-2B8M4WQA,2026-03-02,26000.50,,,",
                monitoring::IMPORT_COLUMNS.join(",")
            )
        }),
        lists: Vec::new(),
        action: "/monitoring/import",
    })
}

/// `GET /monitoring/import`.
pub async fn import_form(page: Page, State(state): State<AppState>) -> PageResult {
    let actor = page.user()?;
    let region = actor.official_region().ok_or_else(|| page.forbidden())?;
    let spec = import_spec(&state, &page.c, region).await.or_500(&page)?;
    imports::form(&page, &spec)
}

/// `GET /monitoring/import/sample.csv`: the page's sample as a file.
pub async fn import_sample(page: Page, State(state): State<AppState>) -> PageResult {
    let actor = page.user()?;
    let region = actor.official_region().ok_or_else(|| page.forbidden())?;
    let sample =
        monitoring::import_sample(&state.db, region, crate::time::china_today()).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    Ok(imports::csv_file(sample, "visits-sample.csv"))
}

/// `POST /monitoring/import` — a CSV or XLSX file of visits; all or none.
pub async fn import(page: Page, State(state): State<AppState>, mut form: axum::extract::Multipart) -> PageResult {
    let actor = page.user()?;
    let region = actor.official_region().ok_or_else(|| page.forbidden())?;
    let (csrf, file) = page.upload_form(&mut form).await?;
    page.check_token(&actor, &csrf)?;
    let spec = import_spec(&state, &page.c, region).await.or_500(&page)?;
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return imports::no_file(&page, &spec);
    };
    let kind = crate::stock::FileKind::of(&content_type, &name);
    let rules = Rules::of(&state.config);
    let t = page.c.t;
    let result = monitoring::import_upload(&state.db, &state.imports, &rules, region, actor.id, kind, bytes)
        .await
        .map(|r| fill(t.mon_import_done, &[("visits", &r.visits), ("households", &r.households), ("alerts", &r.alerts)]));
    imports::answer(&page, &spec, result.map_err(Some))
}
