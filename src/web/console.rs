//! The cooperative stock console (coop_manager, own cooperative only):
//! stock by product in first-expiry-first-out order, lots near expiry, low
//! stock, recording a harvest lot with its contributing households,
//! adjustments and a lot's history, member households with what they
//! supplied. Every form carries the session's CSRF token; every change goes
//! through the same `stock` functions as the API.

use super::pages::internal;
use super::{Chrome, Fields, csrf_ok, error_page, field, render};
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::auth::Actor;
use crate::stock::{self, Adjustment, NewContribution, NewLot, StockError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Days before expiry at which a lot is flagged.
const NEAR_EXPIRY_DAYS: i64 = 14;
/// Available units under which a product is flagged.
const LOW_STOCK: i64 = 50;

/// The signed-in cooperative manager, or the response to send instead: the
/// sign-in page for visitors, 403 for other roles.
// A page handler returns the `Response` either way; boxing it would only
// add an allocation to the rare refusal.
#[allow(clippy::result_large_err)]
fn manager(c: &Chrome, actor: Option<Actor>) -> Result<(Actor, i64), Response> {
    match actor {
        None => Err(Redirect::to("/login").into_response()),
        Some(a) => match a.managed_cooperative() {
            Some(coop) => Ok((a, coop)),
            None => Err(error_page(c, StatusCode::FORBIDDEN)),
        },
    }
}

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
    let products: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, unit FROM products WHERE cooperative_id = $1 AND active = 1 ORDER BY id")
            .bind(coop)
            .fetch_all(state.db.pool())
            .await?;
    let (lots, _) = stock::list(&state.db, coop, None, 10_000, 0).await?;
    Ok(products
        .into_iter()
        .map(|(id, name, unit)| {
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
pub async fn overview(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console");
    let (actor, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match stock_overview(&state, coop).await {
        Ok(products) => {
            let near_expiry = products.iter().flat_map(|p| &p.lots).filter(|l| l.near_expiry).count();
            let low = products.iter().filter(|p| p.low).count();
            render(&c, StatusCode::OK, &ConsolePage { c: &c, coop: actor.org.name.clone(), products, near_expiry, low })
        }
        Err(e) => internal(&c, e),
    }
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
    let products: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM products WHERE cooperative_id = $1 AND active = 1 ORDER BY name")
            .bind(coop)
            .fetch_all(state.db.pool())
            .await?;
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
        products: products.into_iter().map(|(id, name)| (id, name, id.to_string() == chosen_product)).collect(),
        nodes: nodes
            .into_iter()
            .enumerate()
            .map(|(i, (id, name))| (id, name, id.to_string() == chosen_node || (chosen_node.is_empty() && i == 0)))
            .collect(),
        members: members
            .into_iter()
            .map(|h| MemberOption { id: h.id, label: format!("{} {} · {}", h.code, h.head_name.unwrap_or_default(), h.status.as_str()) })
            .collect(),
        rows,
        quantity: posted.map(|f| field(f, "quantity").to_owned()).unwrap_or_default(),
        harvested_on: posted.map(|f| field(f, "harvested_on").to_owned()).unwrap_or_else(|| today.clone()),
        expires_on: posted.map(|f| field(f, "expires_on").to_owned()).unwrap_or_default(),
        errors,
    })
}

/// `GET /console/lots/new`.
pub async fn new_lot(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/lots/new");
    let (_, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match lot_form(&state, &c, coop, None, Vec::new()).await {
        Ok(page) => render(&c, StatusCode::OK, &page),
        Err(e) => internal(&c, e),
    }
}

/// `POST /console/lots` — records the lot, or shows the form again with
/// every problem listed and the input kept.
pub async fn create_lot(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/lots/new");
    let (actor, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if !csrf_ok(&headers, Some(&actor), field(&f, "csrf")) {
        return error_page(&c, StatusCode::FORBIDDEN);
    }
    let mut problems = Vec::new();
    let mut number = |name: &str, label: &str| -> i64 {
        field(&f, name).trim().parse::<i64>().unwrap_or_else(|_| {
            problems.push(format!("{label}: {}", c.t.console_whole_number));
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
            _ => problems.push(format!("{} {}: {}", c.t.console_contribution, i + 1, c.t.console_pick_household)),
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
        Ok(created) => {
            state.indexer.nudge();
            Redirect::to(&format!("/console/lots/{}", created.id)).into_response()
        }
        Err(StockError::Invalid(errors)) => {
            problems.extend(errors.0.into_iter().map(|e| format!("{}: {}", e.field, e.problem)));
            match lot_form(&state, &c, coop, Some(&f), problems).await {
                Ok(page) => render(&c, StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(e) => internal(&c, e),
            }
        }
        Err(StockError::Forbidden) | Err(StockError::NotFound(_)) => error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => internal(&c, e.into()),
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
    error: Option<String>,
}

async fn lot_page<'a>(state: &AppState, c: &'a Chrome, coop: i64, id: i64, error: Option<String>) -> Result<LotPage<'a>, StockError> {
    let history = stock::history(&state.db, coop, id).await?;
    let lot = sqlx::query_as::<_, stock::Lot>(
        "SELECT l.id, l.product_id, l.quantity, l.allocated, l.quantity - l.allocated AS available, l.harvested_on, l.expires_on, l.node_id, l.created_at \
         FROM lots l WHERE l.id = $1",
    )
    .bind(id)
    .fetch_one(state.db.pool())
    .await?;
    let (product, unit): (String, String) =
        sqlx::query_as("SELECT name, unit FROM products WHERE id = $1").bind(lot.product_id).fetch_one(state.db.pool()).await?;
    let contributions: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT h.code, h.head_name, c.quantity FROM lot_contributions c JOIN households h ON h.id = c.household_id WHERE c.lot_id = $1 ORDER BY c.quantity DESC, h.code",
    )
    .bind(id)
    .fetch_all(state.db.pool())
    .await?;
    Ok(LotPage {
        c,
        lot,
        product,
        unit,
        history,
        // The lot is this cooperative's (history checked it), so its members'
        // names may be shown here.
        contributions: contributions.into_iter().map(|(code, name, q)| (code, name.unwrap_or_default(), q)).collect(),
        reasons: stock::ADJUSTMENT_REASONS,
        error,
    })
}

/// `GET /console/lots/{id}` — the lot, its households and its history.
pub async fn lot(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/console/lots/{id}"));
    let (_, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    match lot_page(&state, &c, coop, id, None).await {
        Ok(page) => render(&c, StatusCode::OK, &page),
        Err(StockError::NotFound(_)) => error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => internal(&c, e.into()),
    }
}

/// `POST /console/lots/{id}/adjustments`.
pub async fn adjust(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/console/lots/{id}"));
    let (actor, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if !csrf_ok(&headers, Some(&actor), field(&f, "csrf")) {
        return error_page(&c, StatusCode::FORBIDDEN);
    }
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
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
    let error = match stock::adjust(&state.db, coop, actor.id, id, &adj).await {
        Ok(_) => {
            state.indexer.nudge();
            return Redirect::to(&format!("/console/lots/{id}")).into_response();
        }
        Err(StockError::NotFound(_)) => return error_page(&c, StatusCode::NOT_FOUND),
        Err(StockError::Invalid(errors)) => errors.to_string(),
        Err(e @ StockError::BelowAllocated { .. }) => e.to_string(),
        Err(e) => return internal(&c, e.into()),
    };
    match lot_page(&state, &c, coop, id, Some(error)).await {
        Ok(page) => render(&c, StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(e) => internal(&c, e.into()),
    }
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage<'a> {
    c: &'a Chrome,
    rows: Vec<(String, String, String, i64, i64)>,
}

/// Code, head's name, status, size, units supplied.
type MemberRow = (String, Option<String>, String, i64, i64);

/// `GET /console/households` — member households and what they supplied.
pub async fn members(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/households");
    let (_, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let rows: Result<Vec<MemberRow>, sqlx::Error> = sqlx::query_as(
        "SELECT h.code, h.head_name, h.status, h.size, \
                CAST(COALESCE((SELECT SUM(c.quantity) FROM lot_contributions c JOIN lots l ON l.id = c.lot_id JOIN products p ON p.id = l.product_id \
                               WHERE c.household_id = h.id AND p.cooperative_id = $1), 0) AS BIGINT) AS supplied \
         FROM households h JOIN cooperative_members m ON m.household_id = h.id WHERE m.cooperative_id = $1 ORDER BY supplied DESC, h.code",
    )
    .bind(coop)
    .fetch_all(state.db.pool())
    .await;
    match rows {
        Ok(rows) => render(
            &c,
            StatusCode::OK,
            &MembersPage {
                c: &c,
                rows: rows
                    .into_iter()
                    .map(|(code, name, status, size, supplied)| (code, name.unwrap_or_default(), status, size, supplied))
                    .collect(),
            },
        ),
        Err(e) => internal(&c, e.into()),
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage<'a> {
    c: &'a Chrome,
    columns: &'static [&'static str],
    report: Option<stock::ImportReport>,
    errors: Vec<stock::RowError>,
    /// Under a capped error list: how many more rows have problems.
    more_rows: Option<String>,
    problem: Option<String>,
}

/// The words for a file over the import budget, in the page's language.
fn over_budget_words(t: &crate::web::Strings, over: &stock::OverBudget) -> String {
    use stock::OverBudget as O;
    const MB: u64 = 1024 * 1024;
    let fill = |template: &str, values: &[(&str, String)]| {
        values.iter().fold(template.to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    };
    match *over {
        O::Upload { max } => fill(t.import_over_upload, &[("max", (max as u64 / MB).to_string())]),
        O::Entries { max } => fill(t.import_over_entries, &[("max", max.to_string())]),
        O::Uncompressed { max } => fill(t.import_over_unpacked, &[("max", (max / MB).to_string())]),
        O::Dimension { rows, columns, max_rows, max_columns } => fill(
            t.import_over_dimension,
            &[
                ("rows", rows.to_string()),
                ("columns", columns.to_string()),
                ("max_rows", max_rows.to_string()),
                ("max_columns", max_columns.to_string()),
            ],
        ),
        O::Rows { max } => fill(t.import_over_rows, &[("max", max.to_string())]),
        O::RowCells { row, max } => fill(t.import_over_row_cells, &[("row", row.to_string()), ("max", max.to_string())]),
        O::Cells { max_cells, max_bytes } => {
            fill(t.import_over_cells, &[("max", max_cells.to_string()), ("mb", (max_bytes as u64 / MB).to_string())])
        }
        O::CellText { row, max } => fill(t.import_over_cell_text, &[("row", row.to_string()), ("max", max.to_string())]),
        O::Time { secs } => fill(t.import_over_time, &[("max", secs.to_string())]),
    }
}

/// `GET /console/import`.
pub async fn import_form(MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/import");
    if let Err(r) = manager(&c, actor) {
        return r;
    }
    render(
        &c,
        StatusCode::OK,
        &ImportPage { c: &c, columns: &stock::IMPORT_COLUMNS, report: None, errors: Vec::new(), more_rows: None, problem: None },
    )
}

/// `POST /console/import` — a CSV or XLSX file; all lots or none.
pub async fn import(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/import");
    let (actor, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut csrf = String::new();
    let mut file: Option<(String, String, axum::body::Bytes)> = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let file_name = field.file_name().unwrap_or("").to_owned();
                let content_type = field.content_type().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) if name == "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    Ok(bytes) if name == "file" => file = Some((file_name, content_type, bytes)),
                    Ok(_) => {}
                    Err(_) => return error_page(&c, StatusCode::BAD_REQUEST),
                }
            }
            Ok(None) => break,
            Err(_) => return error_page(&c, StatusCode::BAD_REQUEST),
        }
    }
    if !csrf_ok(&headers, Some(&actor), &csrf) {
        return error_page(&c, StatusCode::FORBIDDEN);
    }
    let page = |status, report, errors, more_rows, problem| {
        render(&c, status, &ImportPage { c: &c, columns: &stock::IMPORT_COLUMNS, report, errors, more_rows, problem })
    };
    let Some((name, content_type, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return page(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(c.t.import_choose_file.to_owned()));
    };
    match stock::import_upload(&state.db, &state.imports, coop, actor.id, stock::FileKind::of(&content_type, &name), bytes).await {
        Ok(report) => {
            state.indexer.nudge();
            page(StatusCode::CREATED, Some(report), Vec::new(), None, None)
        }
        Err(stock::ImportError::Rows { errors, more_rows }) => {
            let more = (more_rows > 0)
                .then(|| c.t.import_more_rows.replace("{n}", &more_rows.to_string()).replace("{max}", &stock::MAX_ROW_ERRORS.to_string()));
            page(StatusCode::UNPROCESSABLE_ENTITY, None, errors, more, None)
        }
        Err(stock::ImportError::Unreadable(m)) => page(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(m)),
        Err(stock::ImportError::OverBudget(over)) => {
            page(StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None, Some(over_budget_words(c.t, &over)))
        }
        Err(stock::ImportError::Busy { retry_after_secs }) => {
            let mut res = page(StatusCode::SERVICE_UNAVAILABLE, None, Vec::new(), None, Some(c.t.import_busy.to_owned()));
            if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            res
        }
        Err(stock::ImportError::Db(e)) => internal(&c, e.into()),
    }
}

/// The product form's values, as text (kept as typed when refused).
#[derive(Default)]
pub struct ProductFields {
    name: String,
    name_en: String,
    category: String,
    unit: String,
    spec: String,
    storage: String,
    origin_code: String,
    description: String,
    tiers: Vec<(String, String)>,
    certificates: Vec<(String, String, String)>,
    active: bool,
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductForm<'a> {
    c: &'a Chrome,
    action: String,
    f: ProductFields,
    categories: Vec<(&'static str, &'static str)>,
    villages: Vec<(String, String)>,
    editing: bool,
    errors: Vec<String>,
}

async fn product_form<'a>(
    state: &AppState,
    c: &'a Chrome,
    coop: i64,
    action: String,
    mut f: ProductFields,
    editing: bool,
    errors: Vec<String>,
) -> anyhow::Result<ProductForm<'a>> {
    let village =
        crate::catalog::cooperative_village(&state.db, coop).await?.ok_or_else(|| anyhow::anyhow!("cooperative without a village"))?;
    let county = village.ancestor(crate::regions::RegionLevel::County).expect("a village has a county").prefix();
    let villages: Vec<(String, String)> =
        sqlx::query_as("SELECT code, name FROM regions WHERE level = 'village' AND code LIKE $1 ORDER BY code")
            .bind(format!("{county}%"))
            .fetch_all(state.db.pool())
            .await?;
    if f.origin_code.is_empty() {
        f.origin_code = village.to_string();
    }
    while f.tiers.len() < 3 {
        f.tiers.push(Default::default());
    }
    while f.certificates.len() < 2 {
        f.certificates.push(Default::default());
    }
    let en = c.lang.is_en();
    Ok(ProductForm {
        c,
        action,
        f,
        categories: crate::catalog::CATEGORIES.iter().map(|k| (k.slug, if en { k.en } else { k.zh })).collect(),
        villages: villages.into_iter().map(|(code, name)| (code, crate::regions::short_name(&name))).collect(),
        editing,
        errors,
    })
}

/// Reads the posted form into text fields and a product (or the problems
/// that stop it from being one).
fn read_product(form: &Fields) -> (ProductFields, Result<crate::catalog::NewProduct, Vec<String>>) {
    let all = |name: &str| form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).collect::<Vec<_>>();
    let f = ProductFields {
        name: field(form, "name").trim().to_owned(),
        name_en: field(form, "name_en").trim().to_owned(),
        category: field(form, "category").to_owned(),
        unit: field(form, "unit").trim().to_owned(),
        spec: field(form, "spec").trim().to_owned(),
        storage: field(form, "storage").to_owned(),
        origin_code: field(form, "origin_code").to_owned(),
        description: field(form, "description").trim().to_owned(),
        tiers: all("tier_min").into_iter().zip(all("tier_price")).collect(),
        certificates: all("cert_kind").into_iter().zip(all("cert_number")).zip(all("cert_until")).map(|((k, n), u)| (k, n, u)).collect(),
        active: field(form, "active") == "on",
    };
    let mut problems = Vec::new();
    let mut tiers = Vec::new();
    for (i, (min, price)) in f.tiers.iter().enumerate().filter(|(_, (m, p))| !m.is_empty() || !p.is_empty()) {
        match (min.parse::<i64>(), crate::money::Fen::parse_yuan(price)) {
            (Ok(min_quantity), Some(unit_price_fen)) => tiers.push(crate::catalog::PriceTier { min_quantity, unit_price_fen }),
            _ => problems.push(format!("price_tiers[{i}]: give a whole quantity and a price in yuan such as 12.50")),
        }
    }
    let certificates = f
        .certificates
        .iter()
        .filter(|(k, n, _)| !k.is_empty() || !n.is_empty())
        .map(|(kind, number, valid_until)| crate::catalog::NewCertificate {
            kind: kind.clone(),
            number: number.clone(),
            valid_until: valid_until.clone(),
        })
        .collect();
    let product = crate::catalog::NewProduct {
        name: f.name.clone(),
        name_en: Some(f.name_en.clone()).filter(|s| !s.is_empty()),
        category: f.category.clone(),
        unit: f.unit.clone(),
        spec: f.spec.clone(),
        storage: f.storage.clone(),
        origin_code: f.origin_code.clone(),
        description: f.description.clone(),
        price_tiers: tiers,
        certificates,
    };
    (f, if problems.is_empty() { Ok(product) } else { Err(problems) })
}

/// `GET /console/products/new`.
pub async fn new_product(State(state): State<AppState>, MaybeUser(actor): MaybeUser, headers: HeaderMap) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/products/new");
    let (_, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let f = ProductFields { storage: "ambient".into(), unit: "kg".into(), active: true, ..Default::default() };
    match product_form(&state, &c, coop, "/console/products".into(), f, false, Vec::new()).await {
        Ok(page) => render(&c, StatusCode::OK, &page),
        Err(e) => internal(&c, e),
    }
}

/// `POST /console/products`.
pub async fn create_product(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Form(form): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), "/console/products/new");
    let (actor, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if !csrf_ok(&headers, Some(&actor), field(&form, "csrf")) {
        return error_page(&c, StatusCode::FORBIDDEN);
    }
    let (fields, product) = read_product(&form);
    let problems = match product {
        Ok(p) => match crate::catalog::create_checked(&state.db, coop, &p).await {
            Ok(id) => {
                state.indexer.nudge();
                return Redirect::to(&format!("/products/{id}")).into_response();
            }
            Err(crate::catalog::ChangeError::Invalid(e)) => e.0.into_iter().map(|e| format!("{}: {}", e.field, e.problem)).collect(),
            Err(e) => return internal(&c, e.into()),
        },
        Err(problems) => problems,
    };
    match product_form(&state, &c, coop, "/console/products".into(), fields, false, problems).await {
        Ok(page) => render(&c, StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(e) => internal(&c, e),
    }
}

/// `GET /console/products/{id}/edit`.
pub async fn edit_product(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/console/products/{id}/edit"));
    let (_, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let p = match crate::catalog::get(&state.db, id).await {
        Ok(Some(p)) if p.cooperative.id == coop => p,
        Ok(_) => return error_page(&c, StatusCode::NOT_FOUND),
        Err(e) => return internal(&c, e.into()),
    };
    let active: i64 = match sqlx::query_scalar("SELECT active FROM products WHERE id = $1").bind(id).fetch_one(state.db.pool()).await {
        Ok(a) => a,
        Err(e) => return internal(&c, e.into()),
    };
    let f = ProductFields {
        name: p.name,
        name_en: p.name_en.unwrap_or_default(),
        category: p.category,
        unit: p.unit,
        spec: p.spec,
        storage: p.storage.as_str().to_owned(),
        origin_code: p.origin.code,
        description: p.description,
        tiers: p.price_tiers.iter().map(|t| (t.min_quantity.to_string(), t.unit_price_fen.yuan_text())).collect(),
        certificates: p.certificates.iter().map(|x| (x.kind.as_str().to_owned(), x.number.clone(), x.valid_until.clone())).collect(),
        active: active == 1,
    };
    match product_form(&state, &c, coop, format!("/console/products/{id}"), f, true, Vec::new()).await {
        Ok(page) => render(&c, StatusCode::OK, &page),
        Err(e) => internal(&c, e),
    }
}

/// `POST /console/products/{id}`.
pub async fn update_product(
    State(state): State<AppState>,
    MaybeUser(actor): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let c = Chrome::new(&headers, actor.as_ref(), &format!("/console/products/{id}/edit"));
    let (actor, coop) = match manager(&c, actor) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if !csrf_ok(&headers, Some(&actor), field(&form, "csrf")) {
        return error_page(&c, StatusCode::FORBIDDEN);
    }
    let Some(id) = crate::ids::parse(&id) else { return error_page(&c, StatusCode::NOT_FOUND) };
    let (fields, product) = read_product(&form);
    let problems = match product {
        Ok(p) => {
            let patch = crate::catalog::ProductPatch {
                name: Some(p.name),
                name_en: p.name_en,
                category: Some(p.category),
                unit: Some(p.unit),
                spec: Some(p.spec),
                storage: Some(p.storage),
                origin_code: Some(p.origin_code),
                description: Some(p.description),
                price_tiers: Some(p.price_tiers),
                certificates: Some(p.certificates),
                active: Some(fields.active),
            };
            match crate::catalog::update(&state.db, coop, id, &patch).await {
                Ok(()) => {
                    state.indexer.nudge();
                    return Redirect::to(&format!("/products/{id}")).into_response();
                }
                Err(crate::catalog::ChangeError::Invalid(e)) => e.0.into_iter().map(|e| format!("{}: {}", e.field, e.problem)).collect(),
                Err(crate::catalog::ChangeError::NotFound) | Err(crate::catalog::ChangeError::Forbidden) => {
                    return error_page(&c, StatusCode::NOT_FOUND);
                }
                Err(e) => return internal(&c, e.into()),
            }
        }
        Err(problems) => problems,
    };
    match product_form(&state, &c, coop, format!("/console/products/{id}"), fields, true, problems).await {
        Ok(page) => render(&c, StatusCode::UNPROCESSABLE_ENTITY, &page),
        Err(e) => internal(&c, e),
    }
}
