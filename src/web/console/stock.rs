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
use axum::extract::{Path, State};
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

/// A household choice of the lot form.
pub struct MemberOption {
    id: i64,
    label: String,
}

#[derive(Template)]
#[template(path = "lot_form.html")]
struct LotForm<'a> {
    c: &'a Chrome,
    products: Vec<(i64, String, bool)>,
    nodes: Vec<(i64, String, bool)>,
    members: Vec<MemberOption>,
    rows: Vec<(String, String)>,
    quantity: String,
    harvested_on: String,
    expires_on: String,
    errors: Vec<String>,
}

async fn lot_form<'a>(
    state: &AppState,
    c: &'a Chrome,
    coop: i64,
    posted: Option<&Fields>,
    errors: Vec<String>,
) -> anyhow::Result<LotForm<'a>> {
    let chosen_product = posted.map(|f| field(f, "product_id").to_owned()).unwrap_or_default();
    let chosen_node = posted.map(|f| field(f, "node_id").to_owned()).unwrap_or_default();
    let products = catalog::own_products(&state.db, coop, OwnOrder::Name).await?;
    // The nodes a lot may sit at (the village's chain), the village point first.
    let nodes = stock::lot_nodes(&state.db, coop).await?;
    let viewer = crate::households::Viewer { cooperative_id: Some(coop), official_region: None };
    let (members, _) =
        crate::households::list(&state.db, &viewer, crate::households::Scope::Members(coop), &Default::default(), 1_000, 0).await?;
    let mut rows: Vec<(String, String)> = posted
        .map(|f| {
            let households = f.iter().filter(|(k, _)| k == "household").map(|(_, v)| v.clone());
            let shares = f.iter().filter(|(k, _)| k == "share").map(|(_, v)| v.clone());
            households.zip(shares).filter(|(h, s)| !h.is_empty() || !s.is_empty()).collect()
        })
        .unwrap_or_default();
    while rows.len() < 5 {
        rows.push((String::new(), String::new()));
    }
    let today = crate::time::format_date(crate::time::today());
    Ok(LotForm {
        c,
        products: products.into_iter().map(|p| (p.id, p.name, p.id.to_string() == chosen_product)).collect(),
        nodes: nodes
            .into_iter()
            .enumerate()
            .map(|(i, (id, name))| (id, name, id.to_string() == chosen_node || (chosen_node.is_empty() && i == 0)))
            .collect(),
        members: members
            .into_iter()
            .map(|h| MemberOption {
                id: h.id,
                label: format!("{} {} · {}", h.code, h.head_name.unwrap_or_default(), c.t.household_status(h.status.as_str())),
            })
            .collect(),
        rows,
        quantity: posted.map(|f| field(f, "quantity").to_owned()).unwrap_or_default(),
        harvested_on: posted.map(|f| field(f, "harvested_on").to_owned()).unwrap_or_else(|| today.clone()),
        expires_on: posted.map(|f| field(f, "expires_on").to_owned()).unwrap_or_default(),
        errors,
    })
}

/// `GET /console/lots/new`.
pub async fn new_lot(page: Page, State(state): State<AppState>) -> PageResult {
    let (_, coop) = page.manager()?;
    let form = lot_form(&state, &page.c, coop, None, Vec::new()).await.or_500(&page)?;
    page.render(StatusCode::OK, &form)
}

/// `POST /console/lots` — records the lot, or shows the form again with
/// every problem listed and the input kept.
pub async fn create_lot(page: Page, State(state): State<AppState>, Form(f): Form<Fields>) -> PageResult {
    let page = page.at("/console/lots/new");
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&f, "csrf"))?;
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
            let form = lot_form(&state, &page.c, coop, Some(&f), problems).await.or_500(&page)?;
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
