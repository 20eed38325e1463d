//! Dashboards: one page per audience answering its main question at a
//! glance, with charts (`charts.rs`) and the tables of their numbers.
//! `GET /dashboard?year=` shows the signed-in user's organisation's:
//!
//! - a partner city's: its pledge progress per paired region, split into
//!   direct purchase and helped sales, and by month
//!   (`reports::partners::pledge`);
//! - an agency's: its reserved-share progress by month, what is paid but
//!   waits for acceptance, and what is accepted but unpaid on credit terms
//!   (`reports::reserved_share`).
//!
//! Their users land on the home page after signing in, which shows the
//! same progress bar and a link here ([`summary`]); the menu links here
//! too. Neither dashboard names a household: the reports they read hold
//! none.

use super::charts::{self, Chart, Part, Series, Table, Text, Tone, Unit};
use super::page::Or500;
use super::words::{escape, fill};
use super::{Lang, Page, PageResult};
use crate::app::AppState;
use crate::auth::Actor;
use crate::money::Fen;
use crate::orgs::OrgKind;
use crate::reports::partners::{Period, PledgeMonth, PledgeReport};
use crate::reports::{ReservedShare, agencies::OpenOrders};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// Whether `actor`'s organisation has a dashboard (the menu shows the
/// link).
pub fn has_dashboard(actor: &Actor) -> bool {
    matches!(actor.org.kind, OrgKind::PartnerCity | OrgKind::Agency)
}

/// `?year=` of a dashboard.
#[derive(Deserialize)]
pub struct DashboardQuery {
    year: Option<String>,
}

/// A chart with the table of its numbers, under a heading; displayed as
/// HTML (`{{ panel|safe }}`), every text escaped.
pub struct Panel {
    heading: String,
    chart: Chart,
    table: Table,
}

impl Panel {
    /// A panel of `chart` and `table` under `heading`.
    pub fn new(heading: String, chart: Chart, table: Table) -> Panel {
        Panel { heading, chart, table }
    }
}

impl std::fmt::Display for Panel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<section class=\"panel\"><h2>{}</h2>{}{}</section>", escape(&self.heading), self.chart, self.table)
    }
}

/// Links to the previous and next year (none past this year).
struct Years {
    year: i32,
    prev: Option<i32>,
    next: Option<i32>,
    /// The report's JSON API path for this year, without `format` (the
    /// API takes the session cookie for reading).
    download: String,
}

impl Years {
    fn around(year: i32, report: &str) -> Years {
        let now = crate::time::china_today().year();
        let download = format!("{report}?year={year}");
        Years { year, prev: (year > 2000).then_some(year - 1), next: (year < now).then_some(year + 1), download }
    }
}

/// `GET /dashboard?year=` — the signed-in user's organisation's dashboard;
/// a visitor is asked to sign in, an organisation without one gets 404, a
/// year that is not 2000–2100 the 400 page.
pub async fn dashboard(page: Page, State(state): State<AppState>, Query(q): Query<DashboardQuery>) -> PageResult {
    let actor = page.user()?;
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => crate::time::china_today().year(),
        Some(y) => y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| page.bad_request())?,
    };
    match actor.org.kind {
        OrgKind::PartnerCity => partner(&page, &state, &actor, year).await,
        OrgKind::Agency => agency(&page, &state, &actor, year).await,
        _ => Err(page.not_found()),
    }
}

/// A percentage as the pages write it, or "no target".
fn percent_or(lang: Lang, part: i64, whole: i64) -> String {
    charts::percent_text(part, whole).unwrap_or_else(|| lang.t().no_percent.to_owned())
}

/// The progress panel of one pledge (a paired region, or all of them).
fn pledge_panel(lang: Lang, id: &str, heading: String, pledge: Fen, direct: Fen, helped: Fen) -> Panel {
    let t = lang.t();
    let done = direct + helped;
    let percent = percent_or(lang, done.get(), pledge.get());
    let desc =
        fill(t.pledge_desc, &[("region", &heading), ("pledge", &pledge), ("direct", &direct), ("helped", &helped), ("percent", &percent)]);
    let parts = [
        Part { label: t.pledge_direct.to_owned(), value: direct.get(), tone: Tone::First },
        Part { label: t.pledge_helped.to_owned(), value: helped.get(), tone: Tone::Second },
    ];
    let chart = charts::progress(lang, &Text { id, title: &heading, desc: &desc }, pledge, &parts);
    let table = Table {
        caption: heading.clone(),
        head: vec![t.dash_item.to_owned(), t.amount.to_owned()],
        rows: vec![
            vec![t.pledge_amount.to_owned(), pledge.to_string()],
            vec![t.pledge_direct.to_owned(), direct.to_string()],
            vec![t.pledge_helped.to_owned(), helped.to_string()],
            vec![t.pledge_done.to_owned(), done.to_string()],
            vec![t.pledge_percent.to_owned(), percent],
        ],
        foot: None,
    };
    Panel::new(heading, chart, table)
}

/// Direct and helped purchase by month, stacked, with its table.
fn pledge_months(lang: Lang, year: i32, months: &[PledgeMonth]) -> Panel {
    let t = lang.t();
    let labels: Vec<String> = months.iter().map(|m| charts::month_label(lang, &m.month)).collect();
    let direct: Vec<i64> = months.iter().map(|m| m.direct_fen.get()).collect();
    let helped: Vec<i64> = months.iter().map(|m| m.helped_fen.get()).collect();
    let heading = format!("{} · {}", t.pledge_title, t.dash_by_month);
    let desc = fill(t.pledge_months_desc, &[("year", &year)]);
    let series = [
        Series { name: t.pledge_direct, tone: Tone::First, values: &direct },
        Series { name: t.pledge_helped, tone: Tone::Second, values: &helped },
    ];
    let chart = charts::columns(lang, &Text { id: "pledge-months", title: &heading, desc: &desc }, Unit::Fen, &labels, &series);
    let sum = |f: fn(&PledgeMonth) -> Fen| months.iter().map(f).sum::<Fen>();
    let table = Table {
        caption: heading.clone(),
        head: vec![t.dash_month.to_owned(), t.pledge_direct.to_owned(), t.pledge_helped.to_owned(), t.total.to_owned()],
        rows: months
            .iter()
            .zip(&labels)
            .map(|(m, label)| {
                vec![label.clone(), m.direct_fen.to_string(), m.helped_fen.to_string(), (m.direct_fen + m.helped_fen).to_string()]
            })
            .collect(),
        foot: Some(vec![
            t.total.to_owned(),
            sum(|m| m.direct_fen).to_string(),
            sum(|m| m.helped_fen).to_string(),
            sum(|m| m.direct_fen + m.helped_fen).to_string(),
        ]),
    };
    Panel::new(heading, chart, table)
}

#[derive(Template)]
#[template(path = "dashboard_partner.html")]
struct PartnerPage<'a> {
    c: &'a super::Chrome,
    name: String,
    years: Years,
    /// All paired regions together, when there are several.
    all: Option<Panel>,
    regions: Vec<Panel>,
    months: Panel,
    hint: String,
}

async fn partner(page: &Page, state: &AppState, actor: &Actor, year: i32) -> PageResult {
    let lang = page.c.lang;
    let t = lang.t();
    let report: PledgeReport = crate::reports::partners::pledge(&state.db, actor, actor.org.id, Period::year(year))
        .await
        .or_500(page)?
        .ok_or_else(|| page.not_found())?;
    let regions: Vec<Panel> = report
        .regions
        .iter()
        .map(|r| {
            let heading = fill(
                t.pledge_region,
                &[("region", &super::words::place_full(lang, &r.region.name)), ("programme", &super::words::programme(lang, &r.programme))],
            );
            pledge_panel(lang, &format!("pledge-{}", r.region.code), heading, r.pledge_fen, r.direct_fen, r.helped_fen)
        })
        .collect();
    let totals = &report.totals;
    let all = (regions.len() > 1)
        .then(|| pledge_panel(lang, "pledge-all", t.pledge_all.to_owned(), totals.pledge_fen, totals.direct_fen, totals.helped_fen));
    let view = PartnerPage {
        c: &page.c,
        name: report.partner.name.clone(),
        years: Years::around(year, &format!("/api/v1/reports/partners/{}/pledge", actor.org.id)),
        all,
        regions,
        months: pledge_months(lang, year, &report.months),
        hint: fill(t.pledge_hint, &[("city", &super::words::place(lang, &report.partner.region.name))]),
    };
    page.render(StatusCode::OK, &view)
}

/// An order of the agency's open lists, as shown.
struct OpenRow {
    id: i64,
    number: String,
    amount: String,
    /// Paid on (awaiting acceptance) or due on (unpaid).
    day: String,
    status: &'static str,
    overdue: bool,
}

/// One of the agency's open lists.
struct OpenList {
    summary: String,
    listed: Option<String>,
    rows: Vec<OpenRow>,
}

fn open_list(lang: Lang, open: &OpenOrders, due: bool) -> OpenList {
    let t = lang.t();
    OpenList {
        summary: fill(t.stand_count, &[("n", &open.count), ("amount", &open.amount_fen)]),
        listed: (open.count > open.orders.len() as i64).then(|| fill(t.stand_listed, &[("n", &open.orders.len())])),
        rows: open
            .orders
            .iter()
            .map(|o| OpenRow {
                id: o.id,
                number: o.number.clone(),
                amount: o.amount_fen.to_string(),
                day: if due { o.due_on.as_deref() } else { o.paid_on.as_deref() }.map(|d| t.day(d)).unwrap_or_default(),
                status: t.status(&o.status),
                overdue: o.overdue,
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "dashboard_agency.html")]
struct AgencyPage<'a> {
    c: &'a super::Chrome,
    name: String,
    years: Years,
    progress: Panel,
    stand: Panel,
    months: Panel,
    awaiting: OpenList,
    unpaid: OpenList,
}

/// The reserved share's progress bar (also the home page's summary).
fn share_panel(lang: Lang, id: &str, r: &ReservedShare) -> Panel {
    let t = lang.t();
    let heading = format!("{} · {}", t.reserved_share, r.year);
    let percent = percent_or(lang, r.counted_fen.get(), r.target_fen.get());
    let desc = fill(t.share_desc, &[("year", &r.year), ("target", &r.target_fen), ("counted", &r.counted_fen), ("percent", &percent)]);
    let parts = [Part { label: t.stand_counted.to_owned(), value: r.counted_fen.get(), tone: Tone::First }];
    let chart = charts::progress(lang, &Text { id, title: &heading, desc: &desc }, r.target_fen, &parts);
    let table = Table {
        caption: heading.clone(),
        head: vec![t.dash_item.to_owned(), t.amount.to_owned()],
        rows: vec![
            vec![t.reserved_target.to_owned(), r.target_fen.to_string()],
            vec![t.reserved_counted.to_owned(), r.counted_fen.to_string()],
            vec![t.pledge_percent.to_owned(), percent],
        ],
        foot: None,
    };
    Panel::new(heading, chart, table)
}

async fn agency(page: &Page, state: &AppState, actor: &Actor, year: i32) -> PageResult {
    let lang = page.c.lang;
    let t = lang.t();
    let r = crate::reports::reserved_share(&state.db, actor.org.id, year).await.or_500(page)?.ok_or_else(|| page.not_found())?;

    let stand_rows = [
        (t.stand_counted, r.counted_fen, None, Tone::First),
        (t.stand_awaiting, r.awaiting_acceptance.amount_fen, Some(r.awaiting_acceptance.count), Tone::Second),
        (t.stand_unpaid, r.accepted_unpaid.amount_fen, Some(r.accepted_unpaid.count), Tone::Third),
    ];
    let stand_parts: Vec<Part> =
        stand_rows.iter().map(|(l, v, _, tone)| Part { label: (*l).to_owned(), value: v.get(), tone: *tone }).collect();
    let stand = Panel {
        heading: t.stand_title.to_owned(),
        chart: charts::bars(lang, &Text { id: "stand", title: t.stand_title, desc: t.stand_desc }, Unit::Fen, &stand_parts),
        table: Table {
            caption: t.stand_title.to_owned(),
            head: vec![t.dash_item.to_owned(), t.amount.to_owned(), t.order_count.to_owned()],
            rows: stand_rows
                .iter()
                .map(|(l, v, n, _)| vec![(*l).to_owned(), v.to_string(), n.map(|n| n.to_string()).unwrap_or_default()])
                .collect(),
            foot: None,
        },
    };

    let labels: Vec<String> = r.months.iter().map(|m| charts::month_label(lang, &m.month)).collect();
    let counted: Vec<i64> = r.months.iter().map(|m| m.counted_fen.get()).collect();
    let heading = format!("{} · {}", t.reserved_counted, t.dash_by_month);
    let desc = fill(t.share_months_desc, &[("year", &year)]);
    let months = Panel {
        chart: charts::columns(
            lang,
            &Text { id: "share-months", title: &heading, desc: &desc },
            Unit::Fen,
            &labels,
            &[Series { name: t.stand_counted, tone: Tone::First, values: &counted }],
        ),
        table: Table {
            caption: heading.clone(),
            head: vec![t.dash_month.to_owned(), t.stand_counted.to_owned()],
            rows: r.months.iter().zip(&labels).map(|(m, l)| vec![l.clone(), m.counted_fen.to_string()]).collect(),
            foot: Some(vec![t.total.to_owned(), r.counted_fen.to_string()]),
        },
        heading,
    };
    let view = AgencyPage {
        c: &page.c,
        name: actor.org.name.clone(),
        years: Years::around(year, &format!("/api/v1/reports/agencies/{}/reserved-share", actor.org.id)),
        progress: share_panel(lang, "share", &r),
        stand,
        months,
        awaiting: open_list(lang, &r.awaiting_acceptance, false),
        unpaid: open_list(lang, &r.accepted_unpaid, true),
    };
    page.render(StatusCode::OK, &view)
}

/// The home page's glance at a dashboard: its heading and progress bar,
/// for a partner city's or an agency's user; `None` for anyone else.
pub async fn summary(state: &AppState, actor: &Actor, lang: Lang) -> anyhow::Result<Option<Panel>> {
    let t = lang.t();
    let year = crate::time::china_today().year();
    Ok(match actor.org.kind {
        OrgKind::PartnerCity => crate::reports::partners::pledge(&state.db, actor, actor.org.id, Period::year(year)).await?.map(|r| {
            let heading = format!("{} · {year}", t.pledge_title);
            pledge_panel(lang, "home-pledge", heading, r.totals.pledge_fen, r.totals.direct_fen, r.totals.helped_fen)
        }),
        OrgKind::Agency => {
            crate::reports::reserved_share(&state.db, actor.org.id, year).await?.map(|r| share_panel(lang, "home-share", &r))
        }
        _ => None,
    })
}
