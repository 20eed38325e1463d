//! Stock by product in first-expiry-first-out order, lots near expiry, low
//! stock; recording a harvest lot with its contributing households;
//! adjustments and a lot's history.

use super::*;
use crate::app::AppState;
use crate::auth::Actor;
use crate::catalog::{self, OwnOrder};
use crate::households::{self, Viewer};
use crate::stock::{self, Adjustment, NewContribution, NewLot, StockError};
use crate::web::page::Or500;
use crate::web::words::{self, fill};
use crate::web::{Chrome, Fields, Page, PageResult, field};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

/// A lot row of the console.
pub struct LotRow {
    id: i64,
    quantity: i64,
    allocated: i64,
    available: i64,
    harvested_on: String,
    expires_on: String,
    near_expiry: bool,
    expired: bool,
}

/// A product with its lots, first expiry first.
pub struct ProductStock {
    id: i64,
    name: String,
    unit: String,
    available: i64,
    low: bool,
    lots: Vec<LotRow>,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage<'a> {
    c: &'a Chrome,
    coop: String,
    products: Vec<ProductStock>,
    near_expiry: usize,
    low: usize,
}

async fn stock_overview(state: &AppState, coop: i64) -> anyhow::Result<Vec<ProductStock>> {
    let today = crate::time::today();
    let soon = crate::time::format_date(today + time::Duration::days(NEAR_EXPIRY_DAYS));
    let today = crate::time::format_date(today);
    let products = catalog::own_products(&state.db, coop, OwnOrder::Listed).await?;
    let (lots, _) = stock::list(&state.db, coop, None, 10_000, 0).await?;
    Ok(products
        .into_iter()
        .map(|catalog::OwnProduct { id, name, unit }| {
            let lots: Vec<LotRow> = lots
                .iter()
                .filter(|l| l.product_id == id)
                .map(|l| LotRow {
                    id: l.id,
                    quantity: l.quantity,
                    allocated: l.allocated,
                    available: l.available,
                    harvested_on: l.harvested_on.clone(),
                    expires_on: l.expires_on.clone(),
                    near_expiry: l.expires_on >= today && l.expires_on <= soon && l.available > 0,
                    expired: l.expires_on < today,
                })
                .collect();
            let available = lots.iter().filter(|l| !l.expired).map(|l| l.available).sum();
            ProductStock { id, name, unit, available, low: available < LOW_STOCK, lots }
        })
        .collect())
}

/// `GET /console`.
pub async fn overview(page: Page, State(state): State<AppState>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let products = stock_overview(&state, coop).await.or_500(&page)?;
    let near_expiry = products.iter().flat_map(|p| &p.lots).filter(|l| l.near_expiry).count();
    let low = products.iter().filter(|p| p.low).count();
    page.render(StatusCode::OK, &ConsolePage { c: &page.c, coop: actor.org.name.clone(), products, near_expiry, low })
}

/// A household choice of the lot form: `HH-7K3QX9PM 张三 · 巴仁村 · 建档立卡户`
/// (the name only for the cooperative's own managers).
pub struct MemberOption {
    id: i64,
    label: String,
}

/// Empty contribution rows a new lot form starts with, and how many one
/// "add rows" adds.
const ROWS_STEP: usize = 5;

/// Most contribution rows the form grows to; a lot of more households is
/// a file import (the import takes up to `bounds::MAX_CONTRIBUTIONS`).
const MAX_FORM_ROWS: usize = 100;

#[derive(Template)]
#[template(path = "lot_form.html")]
struct LotForm<'a> {
    c: &'a Chrome,
    /// Id, name, unit, chosen.
    products: Vec<(i64, String, String, bool)>,
    /// The unit of the chosen (or first) product.
    unit: String,
    nodes: Vec<(i64, String, bool)>,
    /// The picker's search text.
    q: String,
    /// The households the search found.
    options: Vec<MemberOption>,
    /// Households chosen in rows that the search did not find.
    chosen: Vec<MemberOption>,
    /// "Showing 30 of 120 …", or nothing when all are shown.
    pick_line: String,
    rows: Vec<(String, String)>,
    /// The form may grow by [`ROWS_STEP`] rows.
    more_rows: bool,
    /// "Add 5 rows".
    more_label: String,
    /// [`MAX_FORM_ROWS`], for the script that adds rows.
    max_rows: usize,
    /// "This form takes at most 100 households …".
    rows_full: String,
    quantity: String,
    harvested_on: String,
    expires_on: String,
    errors: Vec<String>,
}

/// What the lot form's buttons ask for besides saving.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FormAction {
    Save,
    /// Search the picker again, keeping the input.
    Find,
    /// More contribution rows, keeping the input.
    MoreRows,
}

impl FormAction {
    fn of(f: &Fields) -> FormAction {
        match field(f, "action") {
            "find" => FormAction::Find,
            "more" => FormAction::MoreRows,
            _ => FormAction::Save,
        }
    }
}

/// The picker's search text, checked against its limit: the text, or the
/// problem in the reader's language.
fn pick_text(c: &Chrome, q: &str) -> Result<String, String> {
    let q = q.trim();
    if q.chars().count() > households::MAX_PICK_TEXT {
        Err(fill(c.t.pick_too_long, &[("max", &households::MAX_PICK_TEXT)]))
    } else {
        Ok(q.to_owned())
    }
}

/// Labels household choices for the picker: code, the name where the
/// viewer may see it, village and status, in the reader's language.
async fn member_options(state: &AppState, c: &Chrome, found: Vec<households::Household>) -> anyhow::Result<Vec<MemberOption>> {
    let codes: Vec<crate::regions::RegionCode> =
        found.iter().filter_map(|h| crate::regions::RegionCode::parse(&h.village_code).ok()).collect();
    let villages = crate::regions::get_many(&state.db, &codes).await?;
    Ok(found
        .into_iter()
        .map(|h| {
            let village = crate::regions::RegionCode::parse(&h.village_code)
                .ok()
                .and_then(|code| villages.get(&code))
                .map(|r| super::super::words::place_full(c.lang, &r.name))
                .unwrap_or_default();
            let mut label = h.code.clone();
            if let Some(name) = h.head_name.as_deref().filter(|n| !n.is_empty()) {
                label = format!("{label} {name}");
            }
            if !village.is_empty() {
                label = format!("{label} · {village}");
            }
            label = format!("{label} · {}", c.t.household_status(h.status.as_str()));
            MemberOption { id: h.id, label }
        })
        .collect())
}

/// The picker's households for search text `q`, and the line saying how
/// many more match (empty when all are shown).
async fn search_picks(state: &AppState, c: &Chrome, actor: &Actor, coop: i64, q: &str) -> anyhow::Result<(Vec<MemberOption>, String)> {
    let (found, total) = households::search_members(&state.db, &Viewer::of(Some(actor)), coop, q).await?;
    let shown = found.len();
    let line = if shown == 0 {
        c.t.pick_none.to_owned()
    } else if (shown as i64) < total {
        fill(c.t.pick_shown, &[("shown", &shown), ("total", &total)])
    } else {
        String::new()
    };
    Ok((member_options(state, c, found).await?, line))
}

async fn lot_form<'a>(
    state: &AppState,
    c: &'a Chrome,
    actor: &Actor,
    coop: i64,
    posted: Option<&Fields>,
    mut errors: Vec<String>,
) -> anyhow::Result<LotForm<'a>> {
    let chosen_product = posted.map(|f| field(f, "product_id").to_owned()).unwrap_or_default();
    let chosen_node = posted.map(|f| field(f, "node_id").to_owned()).unwrap_or_default();
    let action = posted.map_or(FormAction::Save, FormAction::of);
    let products = catalog::own_products(&state.db, coop, OwnOrder::Name).await?;
    // The nodes a lot may sit at (the village's chain), the village point first.
    let nodes = stock::lot_nodes(&state.db, coop).await?;
    let q = match pick_text(c, posted.map(|f| field(f, "q")).unwrap_or("")) {
        Ok(q) => q,
        Err(problem) => {
            errors.push(problem);
            String::new()
        }
    };
    let (options, pick_line) = search_picks(state, c, actor, coop, &q).await?;
    let posted_rows = posted.map_or(0, |f| f.iter().filter(|(k, _)| k == "household").count());
    let mut rows: Vec<(String, String)> = posted
        .map(|f| {
            let households = f.iter().filter(|(k, _)| k == "household").map(|(_, v)| v.clone());
            let shares = f.iter().filter(|(k, _)| k == "share").map(|(_, v)| v.clone());
            households.zip(shares).filter(|(h, s)| !h.is_empty() || !s.is_empty()).collect()
        })
        .unwrap_or_default();
    // Rows chosen but not among the search's finds keep their choice.
    let listed: std::collections::HashSet<i64> = options.iter().map(|o| o.id).collect();
    let ids: Vec<i64> = rows.iter().filter_map(|(h, _)| h.parse().ok()).filter(|id| !listed.contains(id)).take(MAX_FORM_ROWS).collect();
    let chosen = households::members_among(&state.db, &Viewer::of(Some(actor)), coop, &ids).await?;
    let chosen = member_options(state, c, chosen).await?;
    let wanted = match action {
        FormAction::MoreRows => posted_rows + ROWS_STEP,
        FormAction::Find => posted_rows,
        FormAction::Save => rows.len() + 1,
    }
    .clamp(ROWS_STEP, MAX_FORM_ROWS);
    while rows.len() < wanted {
        rows.push((String::new(), String::new()));
    }
    let today = crate::time::format_date(crate::time::today());
    let products: Vec<(i64, String, String, bool)> =
        products.into_iter().map(|p| (p.id, p.name, p.unit, p.id.to_string() == chosen_product)).collect();
    let unit = products.iter().find(|p| p.3).or(products.first()).map(|p| p.2.clone()).unwrap_or_default();
    Ok(LotForm {
        c,
        products,
        unit,
        nodes: nodes
            .into_iter()
            .enumerate()
            .map(|(i, (id, name))| (id, name, id.to_string() == chosen_node || (chosen_node.is_empty() && i == 0)))
            .collect(),
        q,
        options,
        chosen,
        pick_line,
        more_rows: rows.len() < MAX_FORM_ROWS,
        more_label: fill(c.t.pick_more_rows, &[("n", &ROWS_STEP)]),
        max_rows: MAX_FORM_ROWS,
        rows_full: fill(c.t.pick_rows_full, &[("max", &MAX_FORM_ROWS)]),
        rows,
        quantity: posted.map(|f| field(f, "quantity").to_owned()).unwrap_or_default(),
        harvested_on: posted.map(|f| field(f, "harvested_on").to_owned()).unwrap_or_else(|| today.clone()),
        expires_on: posted.map(|f| field(f, "expires_on").to_owned()).unwrap_or_default(),
        errors,
    })
}

/// `GET /console/lots/new` (`?product=` picks the product).
pub async fn new_lot(page: Page, State(state): State<AppState>, Query(query): Query<Fields>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let mut form = lot_form(&state, &page.c, &actor, coop, None, Vec::new()).await.or_500(&page)?;
    // The console's "record a lot" of one product comes with it chosen.
    if let Some(at) = form.products.iter().position(|p| p.0.to_string() == field(&query, "product")) {
        for (i, p) in form.products.iter_mut().enumerate() {
            p.3 = i == at;
        }
        form.unit = form.products[at].2.clone();
    }
    page.render(StatusCode::OK, &form)
}

#[derive(Template)]
#[template(path = "lot_picks.html")]
struct Picks {
    line: String,
    options: Vec<MemberOption>,
}

/// `GET /console/lots/households?q=` — the picker's finds as a fragment
/// (a line and a list of options) for the lot form's script; the form
/// without a script asks the same through its "find" button.
pub async fn picks(page: Page, State(state): State<AppState>, Query(query): Query<Fields>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let q = match pick_text(&page.c, field(&query, "q")) {
        Ok(q) => q,
        Err(problem) => return page.render(StatusCode::UNPROCESSABLE_ENTITY, &Picks { line: problem, options: Vec::new() }),
    };
    let (options, line) = search_picks(&state, &page.c, &actor, coop, &q).await.or_500(&page)?;
    page.render(StatusCode::OK, &Picks { line, options })
}

/// `POST /console/lots` — records the lot, or shows the form again with
/// every problem listed and the input kept.
pub async fn create_lot(page: Page, State(state): State<AppState>, Form(f): Form<Fields>) -> PageResult {
    let page = page.at("/console/lots/new");
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&f, "csrf"))?;
    if FormAction::of(&f) != FormAction::Save {
        let form = lot_form(&state, &page.c, &actor, coop, Some(&f), Vec::new()).await.or_500(&page)?;
        return page.render(StatusCode::OK, &form);
    }
    let c = &page.c;
    let mut problems = Vec::new();
    let mut number = |name: &str, label: &str| -> i64 {
        field(&f, name).trim().parse::<i64>().unwrap_or_else(|_| {
            problems.push(fill(c.t.console_whole_number, &[("label", &label)]));
            0
        })
    };
    let product_id = number("product_id", c.t.console_product);
    let quantity = number("quantity", c.t.console_quantity);
    let node_id = number("node_id", c.t.console_node);
    let households = f.iter().filter(|(k, _)| k == "household").map(|(_, v)| v.clone());
    let shares = f.iter().filter(|(k, _)| k == "share").map(|(_, v)| v.clone());
    let mut contributions = Vec::new();
    for (i, (h, s)) in households.zip(shares).enumerate() {
        if h.is_empty() && s.trim().is_empty() {
            continue;
        }
        match (h.parse::<i64>(), s.trim().parse::<i64>()) {
            (Ok(household_id), Ok(quantity)) => contributions.push(NewContribution { household_id, quantity }),
            _ => problems.push(fill(c.t.console_pick_household, &[("n", &(i + 1))])),
        }
    }
    let lot = NewLot {
        product_id,
        quantity,
        harvested_on: field(&f, "harvested_on").to_owned(),
        expires_on: field(&f, "expires_on").to_owned(),
        node_id,
        contributions,
    };
    let result = if problems.is_empty() {
        stock::create_lot(&state.db, coop, Some(actor.id), &lot).await
    } else {
        Err(StockError::Invalid(Default::default()))
    };
    match result {
        Ok(created) => Ok(Redirect::to(&format!("/console/lots/{}", created.id)).into_response()),
        Err(StockError::Invalid(errors)) => {
            problems.extend(words::field_errors(page.c.lang, &errors));
            let form = lot_form(&state, &page.c, &actor, coop, Some(&f), problems).await.or_500(&page)?;
            Err(page.form_again(&form))
        }
        Err(StockError::Forbidden) | Err(StockError::NotFound(_)) => Err(page.not_found()),
        Err(e) => Err(page.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "lot.html")]
struct LotPage<'a> {
    c: &'a Chrome,
    lot: stock::Lot,
    product: String,
    unit: String,
    history: Vec<stock::Movement>,
    contributions: Vec<(String, String, i64)>,
    reasons: [&'static str; 5],
    errors: Vec<String>,
}

/// Lot `id` of the manager's cooperative with its history and households
/// (names as [`households::lot_contributions`] lets the manager see them).
async fn lot_page<'a>(
    state: &AppState,
    c: &'a Chrome,
    actor: &Actor,
    coop: i64,
    id: i64,
    errors: Vec<String>,
) -> Result<LotPage<'a>, StockError> {
    let stock::LotOfProduct { lot, product, unit } = stock::get(&state.db, coop, id).await?;
    let history = stock::history(&state.db, coop, id).await?;
    let contributions = households::lot_contributions(&state.db, &Viewer::of(Some(actor)), id).await?;
    Ok(LotPage {
        c,
        lot,
        product,
        unit,
        history,
        contributions: contributions.into_iter().map(|(h, q)| (h.code, h.head_name.unwrap_or_default(), q)).collect(),
        reasons: stock::ADJUSTMENT_REASONS,
        errors,
    })
}

/// `GET /console/lots/{id}` — the lot, its households and its history.
pub async fn lot(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let (actor, coop) = page.manager()?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    match lot_page(&state, &page.c, &actor, coop, id, Vec::new()).await {
        Ok(view) => page.render(StatusCode::OK, &view),
        Err(StockError::NotFound(_)) => Err(page.not_found()),
        Err(e) => Err(page.fail(e)),
    }
}

/// `POST /console/lots/{id}/adjustments`.
pub async fn adjust(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let page = page.at(&format!("/console/lots/{id}"));
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&f, "csrf"))?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let adj = Adjustment {
        // A whole number too long for i64 is out of range, not zero: the
        // bounds check then says how far a lot may change.
        delta: {
            let text = field(&f, "delta").trim();
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            match text.parse::<i64>() {
                Ok(d) => d,
                Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    if text.starts_with('-') {
                        i64::MIN + 1
                    } else {
                        i64::MAX
                    }
                }
                Err(_) => 0,
            }
        },
        reason: field(&f, "reason").to_owned(),
        note: field(&f, "note").to_owned(),
    };
    let errors = match stock::adjust(&state.db, coop, actor.id, id, &adj).await {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/console/lots/{id}")).into_response());
        }
        Err(StockError::NotFound(_)) => return Err(page.not_found()),
        Err(StockError::Invalid(errors)) => words::field_errors(page.c.lang, &errors),
        Err(StockError::BelowAllocated { lot, allocated, available }) => {
            vec![words::problem(
                page.c.lang,
                page.c.t.console_delta,
                &crate::validation::Problem::BelowAllocated { lot, allocated, available },
            )]
        }
        Err(e) => return Err(page.fail(e)),
    };
    let view = lot_page(&state, &page.c, &actor, coop, id, errors).await.or_500(&page)?;
    page.render(StatusCode::UNPROCESSABLE_ENTITY, &view)
}
