//! Checkout with the cascading region picker. The form carries a key, so a
//! double submit places one order.

use super::cart::{CartRow, cart_rows};
use super::page::{BUYERS, Or500};
use super::{Chrome, Fields, Page, PageResult, field, words};
use crate::app::AppState;
use crate::auth::Actor;
use crate::orders::{self, cart};
use crate::regions::{RegionCode, RegionLevel};
use crate::validation::FieldErrors;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

/// One select of the region picker.
pub struct PickerLevel {
    options: Vec<(String, String, bool)>,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    c: &'a Chrome,
    lines: Vec<CartRow>,
    total: String,
    picker: Vec<PickerLevel>,
    region: Option<(String, String)>,
    region_ok: bool,
    key: String,
    address: String,
    contact_name: String,
    phone: String,
    note: String,
    method: String,
    stripe: bool,
    errors: Vec<String>,
    /// The agency's approval limit and whether this order needs approval,
    /// in words (none for buyers without a limit: partner cities).
    approval: Option<String>,
    needs_approval: bool,
}

/// The region picker alone, for the script that updates it in place
/// (`X-Partial: 1`).
#[derive(Template)]
#[template(path = "checkout_picker.html")]
struct PickerFragment<'a> {
    c: &'a Chrome,
    picker: Vec<PickerLevel>,
    region: Option<(String, String)>,
    region_ok: bool,
}

/// Query of the checkout page.
#[derive(Deserialize)]
pub struct CheckoutQuery {
    region: Option<String>,
}

/// The picker down to `region`: at each level the siblings with the chosen
/// one selected, then the children of the chosen region to pick from.
async fn picker(state: &AppState, lang: super::Lang, region: Option<&crate::regions::Region>) -> sqlx::Result<Vec<PickerLevel>> {
    let mut levels = Vec::new();
    let mut parent: Option<RegionCode> = None;
    let chain: Vec<RegionCode> = region.map(|r| r.chain.iter().map(|l| l.code).collect()).unwrap_or_default();
    for i in 0..=chain.len() {
        let children = crate::regions::children(&state.db, parent).await?;
        if children.is_empty() {
            break;
        }
        let chosen = chain.get(i).copied();
        levels.push(PickerLevel {
            chosen: chosen.is_some(),
            options: children
                .into_iter()
                .map(|r| (r.code.to_string(), super::words::place(lang, &r.name), Some(r.code) == chosen))
                .collect(),
        });
        match chosen {
            Some(c) => parent = Some(c),
            None => break,
        }
    }
    Ok(levels)
}

/// The checkout page: the cart, the region picker down to `region`, the
/// form (as posted, when shown again with `errors`).
async fn checkout_page(
    state: &AppState,
    page: &Page,
    actor: &Actor,
    region: Option<&str>,
    form: Option<&Fields>,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let c = &page.c;
    let result: anyhow::Result<PageResult> = async {
        let region = match region.and_then(|r| RegionCode::parse(r).ok()) {
            Some(code) => crate::regions::get(&state.db, code).await?,
            None => None,
        };
        let picker = picker(state, c.lang, region.as_ref()).await?;
        let region_ok =
            region.as_ref().is_some_and(|r| matches!(r.level, RegionLevel::County | RegionLevel::Township | RegionLevel::Village));
        let region_shown = region.as_ref().map(|r| (r.code.to_string(), super::words::chain(c.lang, &r.chain_label())));
        if page.headers().get("x-partial").is_some_and(|v| v == "1") {
            return Ok(page.render(status, &PickerFragment { c, picker, region: region_shown, region_ok }));
        }
        let (lines, total) = cart::lines(&state.db, actor.id).await?;
        if lines.is_empty() && errors.is_empty() {
            return Ok(Ok(Redirect::to("/cart").into_response()));
        }
        let settings = orders::terms::agency_settings(&state.db, actor.org.id).await?;
        let needs_approval = settings.as_ref().is_some_and(|s| total > s.approval_limit_fen);
        let approval = settings.map(|s| {
            let text = if needs_approval { c.w.approval_needed } else { c.w.approval_not_needed };
            words::fill(text, &[("limit", &s.approval_limit_fen), ("total", &total)])
        });
        let get = |name: &str| form.map(|f| field(f, name).to_owned()).unwrap_or_default();
        let view = CheckoutPage {
            approval,
            needs_approval,
            c,
            lines: cart_rows(c.lang, lines),
            total: total.to_string(),
            picker,
            region: region_shown,
            region_ok,
            key: form.map(|f| field(f, "key").to_owned()).filter(|k| !k.is_empty()).unwrap_or_else(crate::auth::random_token),
            address: get("address"),
            contact_name: form.map(|f| field(f, "contact_name").to_owned()).unwrap_or_else(|| actor.display_name.clone()),
            phone: get("phone"),
            note: get("note"),
            method: form.map(|f| field(f, "payment_method").to_owned()).filter(|m| !m.is_empty()).unwrap_or_else(|| "invoice".into()),
            stripe: state.stripe.is_some(),
            errors,
        };
        Ok(page.render(status, &view))
    }
    .await;
    result.or_500(page)?
}

/// `GET /checkout?region=`: without a region, the picker starts at the
/// buyer organisation's own region (most deliveries go to the agency
/// itself), not at the top of the country.
pub async fn checkout(page: Page, State(state): State<AppState>, Query(q): Query<CheckoutQuery>) -> PageResult {
    let actor = page.with_role(&BUYERS)?;
    let region = match q.region.filter(|r| !r.is_empty()) {
        Some(r) => Some(r),
        None => crate::orgs::get(&state.db, actor.org.id).await.or_500(&page)?.map(|o| o.region_code),
    };
    checkout_page(&state, &page, &actor, region.as_deref(), None, Vec::new(), StatusCode::OK).await
}

/// The region a region-change submit of the checkout form chose: the
/// first level whose choice differs from the region shown (`current`),
/// else the deepest level chosen. Each `level` field is one select of the
/// picker, top down; a select left at "choose" sends nothing.
fn picked_region(f: &Fields, current: &str, chain: &[String]) -> String {
    let levels: Vec<&str> = f.iter().filter(|(k, _)| k == "level").map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect();
    for (i, v) in levels.iter().enumerate() {
        if chain.get(i).map(String::as_str) != Some(*v) {
            return (*v).to_owned();
        }
    }
    levels.last().map(|v| (*v).to_owned()).unwrap_or_else(|| current.to_owned())
}

/// `POST /checkout`: places the cart as one order through the domain's
/// idempotent door (the form's key); on success the cart is emptied and the
/// order shown.
pub async fn place(page: Page, State(state): State<AppState>, Form(f): Form<Fields>) -> PageResult {
    let actor = page.form_user(&f, &BUYERS)?;
    let c = &page.c;
    // A region changed without JavaScript: the same form again, the new
    // region's picker, and every field as typed (the key too: nothing was
    // placed).
    if !field(&f, "pick").is_empty() {
        let current = field(&f, "region_code");
        let chain: Vec<String> = match RegionCode::parse(current) {
            Ok(code) => match crate::regions::get(&state.db, code).await {
                Ok(r) => r.map(|r| r.chain.iter().map(|l| l.code.to_string()).collect()).unwrap_or_default(),
                Err(e) => return Err(page.fail(e)),
            },
            Err(_) => Vec::new(),
        };
        let region = picked_region(&f, current, &chain);
        return checkout_page(&state, &page, &actor, Some(&region), Some(&f), Vec::new(), StatusCode::OK).await;
    }
    let key = field(&f, "key");
    let key = (!key.is_empty() && key.len() <= 200).then_some(key);
    // A second submit of a form that already placed its order (the cart is
    // empty by then) shows that order.
    if let Some(key) = key {
        match orders::placed_with_key(&state.db, &actor, orders::idempotency::PLACE_CHECKOUT, key).await {
            Ok(Some(id)) => return Ok(placed(id)),
            Ok(None) => {}
            Err(e) => return Err(page.fail(e)),
        }
    }
    let region = field(&f, "region_code").to_owned();
    if region.is_empty() {
        return checkout_page(&state, &page, &actor, None, Some(&f), vec![c.w.region_needed.to_owned()], StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    let lines = match cart::lines(&state.db, actor.id).await {
        Ok((lines, _)) => lines,
        Err(e) => return Err(page.fail(e)),
    };
    let order = orders::NewOrder {
        lines: lines.iter().map(|l| orders::NewLine { product_id: l.product_id, quantity: l.quantity }).collect(),
        delivery: orders::Delivery {
            region_code: region.clone(),
            address: field(&f, "address").to_owned(),
            contact_name: field(&f, "contact_name").to_owned(),
            phone: field(&f, "phone").to_owned(),
        },
        payment_method: field(&f, "payment_method").to_owned(),
        note: Some(field(&f, "note").to_owned()),
    };
    let refused = |errors: FieldErrors| (errors, StatusCode::UNPROCESSABLE_ENTITY);
    let (errors, shown) = if [&order.delivery.address, &order.delivery.contact_name, &order.delivery.phone, &order.payment_method]
        .into_iter()
        .chain(order.note.as_ref())
        .any(|v| v.chars().any(crate::validation::forbidden_char))
    {
        refused(crate::validation::forbidden_char_error("body"))
    } else {
        let holds = orders::HoldPolicy::from_config(&state.config);
        // Refusals stored for the form's key are never shown again (a
        // refused form gets a new key); the page keeps their fields.
        let render = |why: &orders::PlaceError| {
            let (status, errors) = match why {
                orders::PlaceError::OutOfStock(e) | orders::PlaceError::HoldLimit(e) => (409, e.clone()),
                orders::PlaceError::Invalid(e) => (422, e.clone()),
                orders::PlaceError::Forbidden(_) => (403, FieldErrors::default()),
                orders::PlaceError::Db(_) => (500, FieldErrors::default()),
            };
            orders::Answer { status, body: serde_json::json!({ "errors": errors }).to_string() }
        };
        let request = orders::PlaceRequest { endpoint: orders::idempotency::PLACE_CHECKOUT, key, order: &order };
        match orders::place_idempotent(&state.db, &holds, state.stripe.is_some(), &actor, request, &render).await {
            Err(e) => return Err(page.fail(e)),
            Ok(orders::PlaceOutcome::Placed(o)) => {
                // The order is committed; emptying the cart is a convenience.
                if let Ok(mut tx) = state.db.begin_write().await
                    && cart::clear_in(&mut tx, actor.id).await.is_ok()
                {
                    let _ = tx.commit().await;
                }
                return Ok(placed(o.id));
            }
            // Two submits at once: the other one placed the order and
            // emptied the cart.
            Ok(orders::PlaceOutcome::Replayed(answer)) => match answer.placed_order() {
                Some(id) => return Ok(placed(id)),
                None => {
                    let stored: serde_json::Value = serde_json::from_str(&answer.body).unwrap_or_default();
                    // The stored refusal's problems by their codes (what
                    // the database decided; the rest were checked before).
                    let mut errors = FieldErrors::default();
                    for e in stored["errors"].as_array().into_iter().flatten() {
                        let field = e["field"].as_str().unwrap_or("");
                        if let Some(p) = refusal(e["code"].as_str().unwrap_or(""), field, &lines) {
                            errors.add(field, p);
                        }
                    }
                    let shown = if answer.status == 409 { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
                    (errors, shown)
                }
            },
            // The hold cap, explained in the page's language with the numbers now.
            Ok(orders::PlaceOutcome::Refused { why: orders::PlaceError::HoldLimit(errors), .. }) => {
                let words = match hold_limit_words(&state, c, &actor, &lines, &errors).await {
                    Ok(e) => e,
                    Err(e) => return Err(page.fail(e)),
                };
                let mut f = f;
                f.retain(|(k, _)| k != "key");
                return checkout_page(&state, &page, &actor, Some(&region), Some(&f), words, StatusCode::CONFLICT).await;
            }
            Ok(orders::PlaceOutcome::Refused { why: orders::PlaceError::OutOfStock(errors), .. }) => (errors, StatusCode::CONFLICT),
            Ok(orders::PlaceOutcome::Refused { why: orders::PlaceError::Invalid(errors), .. }) => refused(errors),
            Ok(orders::PlaceOutcome::Refused { why: orders::PlaceError::Forbidden(_), .. }) => {
                return Ok(super::error_page(c, StatusCode::FORBIDDEN));
            }
            Ok(orders::PlaceOutcome::Refused { why: orders::PlaceError::Db(e), .. }) => return Err(page.fail(e)),
        }
    };
    // Each problem in the page's language, a line's named by its product:
    // "伽师瓜：库存仅 3，订购 5".
    let mut errors: Vec<String> = errors.0.iter().map(|e| line_error(c, &lines, &e.field, &e.problem)).collect();
    if errors.is_empty() {
        errors.push(c.w.not_placed.to_owned());
    }
    // A refused order keeps its key's answer: the next try needs a new key.
    let mut f = f;
    f.retain(|(k, _)| k != "key");
    checkout_page(&state, &page, &actor, Some(&region), Some(&f), errors, shown).await
}

/// The cart line a field of an order names (`lines[2].quantity`).
fn line_of<'a>(lines: &'a [cart::CartLine], field: &str) -> Option<&'a cart::CartLine> {
    let i = field.strip_prefix("lines[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok())?;
    lines.get(i)
}

/// A problem of the order in the page's words, a line's named by its
/// product.
fn line_error(c: &Chrome, lines: &[cart::CartLine], field: &str, p: &crate::validation::Problem) -> String {
    match line_of(lines, field) {
        Some(l) => words::problem(c.lang, &l.name, p),
        None => words::field_error(c.lang, &crate::validation::FieldError { field: field.to_owned(), problem: p.clone() }),
    }
}

/// The problem of a stored refusal (a second submit of a refused form),
/// rebuilt from its code: only what the database decides is stored for a
/// key (stock, prices, regions), the body's rules are checked first.
fn refusal(code: &str, field: &str, lines: &[cart::CartLine]) -> Option<crate::validation::Problem> {
    use crate::validation::Problem;
    Some(match code {
        "over_stock" => {
            let l = line_of(lines, field)?;
            Problem::OverStock { product: l.name.clone(), available: l.available.min(l.quantity), ordered: l.quantity }
        }
        "no_such_region" => Problem::NoSuchRegion,
        "no_price" => Problem::NoPrice,
        "not_on_sale" => Problem::NotOnSale,
        "order_total" => Problem::OrderTotal { max_yuan: crate::bounds::MAX_ORDER_TOTAL_FEN / 100 },
        "cards_unavailable" => Problem::CardsUnavailable,
        "key_reused" => Problem::KeyReused { body: true },
        _ => return None,
    })
}

/// The redirect to a placed order's confirmation page.
fn placed(id: i64) -> axum::response::Response {
    Redirect::to(&format!("/orders/{id}/placed")).into_response()
}

/// The lines a hold-cap refusal names, in the page's words: what the buyer
/// may hold of each product and holds already.
async fn hold_limit_words(
    state: &AppState,
    c: &Chrome,
    actor: &Actor,
    lines: &[cart::CartLine],
    refused: &FieldErrors,
) -> sqlx::Result<Vec<String>> {
    let holds = orders::HoldPolicy::from_config(&state.config);
    let mut conn = state.db.pool().acquire().await?;
    let mut out = Vec::new();
    for e in &refused.0 {
        let field = e.field.as_str();
        let line = field.strip_prefix("lines[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
        let Some(l) = line.and_then(|i| lines.get(i)) else { continue };
        let room = orders::hold_room(&mut conn, actor.org.id, l.product_id, &holds).await?;
        out.push(words::problem(c.lang, &l.name, &room.explain(&l.name, &holds)));
    }
    Ok(out)
}
