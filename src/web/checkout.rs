//! Checkout with the cascading region picker. The form carries a key, so a
//! double submit places one order.

use super::cart::{CartRow, cart_rows};
use super::page::{BUYERS, Or500};
use super::{Chrome, Fields, Page, PageResult, field};
use crate::app::AppState;
use crate::auth::Actor;
use crate::orders::{self, cart};
use crate::regions::{RegionCode, RegionLevel, short_name};
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
}

/// Query of the checkout page.
#[derive(Deserialize)]
pub struct CheckoutQuery {
    region: Option<String>,
}

/// The picker down to `region`: at each level the siblings with the chosen
/// one selected, then the children of the chosen region to pick from.
async fn picker(state: &AppState, region: Option<&crate::regions::Region>) -> sqlx::Result<Vec<PickerLevel>> {
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
            options: children.into_iter().map(|r| (r.code.to_string(), short_name(&r.name), Some(r.code) == chosen)).collect(),
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
        let (lines, total) = cart::lines(&state.db, actor.id).await?;
        if lines.is_empty() && errors.is_empty() {
            return Ok(Ok(Redirect::to("/cart").into_response()));
        }
        let region = match region.and_then(|r| RegionCode::parse(r).ok()) {
            Some(code) => crate::regions::get(&state.db, code).await?,
            None => None,
        };
        let picker = picker(state, region.as_ref()).await?;
        let region_ok =
            region.as_ref().is_some_and(|r| matches!(r.level, RegionLevel::County | RegionLevel::Township | RegionLevel::Village));
        let get = |name: &str| form.map(|f| field(f, name).to_owned()).unwrap_or_default();
        let view = CheckoutPage {
            c,
            lines: cart_rows(lines),
            total: total.to_string(),
            picker,
            region: region.as_ref().map(|r| (r.code.to_string(), r.chain_label())),
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

/// `GET /checkout?region=`.
pub async fn checkout(page: Page, State(state): State<AppState>, Query(q): Query<CheckoutQuery>) -> PageResult {
    let actor = page.with_role(&BUYERS)?;
    checkout_page(&state, &page, &actor, q.region.as_deref(), None, Vec::new(), StatusCode::OK).await
}

/// The order a checkout form's key already placed, if any (the caller's
/// own key, on the checkout endpoint, within its 24 hours).
async fn placed_with(state: &AppState, actor: &Actor, key: Option<&str>) -> sqlx::Result<Option<String>> {
    let Some(key) = key else { return Ok(None) };
    let scope = orders::idempotency::Scope { user_id: actor.id, org_id: actor.org.id, endpoint: orders::idempotency::PLACE_CHECKOUT, key };
    let mut conn = state.db.pool().acquire().await?;
    let stored = orders::idempotency::find(&mut conn, scope).await?.filter(|s| s.status_code == 201);
    Ok(stored
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s.response_body).ok())
        .and_then(|v| v["id"].as_str().map(str::to_owned)))
}

/// `POST /checkout`: places the cart as one order through the API's
/// idempotent path; on success the cart is emptied and the order shown.
pub async fn place(page: Page, State(state): State<AppState>, Form(f): Form<Fields>) -> PageResult {
    let actor = page.form_user(&f, &BUYERS)?;
    let key = field(&f, "key");
    let key = (!key.is_empty() && key.len() <= 200).then_some(key);
    // A second submit of a form that already placed its order (the cart is
    // empty by then) shows that order.
    if let Some(id) = placed_with(&state, &actor, key).await.or_500(&page)? {
        return Ok(Redirect::to(&format!("/orders/{id}?placed=1")).into_response());
    }
    let region = field(&f, "region_code").to_owned();
    let (lines, _) = cart::lines(&state.db, actor.id).await.or_500(&page)?;
    let body = serde_json::json!({
        "lines": lines.iter().map(|l| serde_json::json!({"product_id": l.product_id.to_string(), "quantity": l.quantity})).collect::<Vec<_>>(),
        "delivery": {"region_code": region, "address": field(&f, "address"), "contact_name": field(&f, "contact_name"), "phone": field(&f, "phone")},
        "payment_method": field(&f, "payment_method"),
        "note": field(&f, "note"),
    });
    let res =
        match crate::api::orders::place_once(&state, &actor, orders::idempotency::PLACE_CHECKOUT, key, body.to_string().as_bytes()).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        };
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    if status == StatusCode::CREATED {
        let id = answer["id"].as_str().unwrap_or_default().to_owned();
        // The order is committed; emptying the cart is a convenience.
        if let Ok(mut tx) = state.db.begin_write().await
            && cart::clear_in(&mut tx, actor.id).await.is_ok()
        {
            let _ = tx.commit().await;
        }
        return Ok(Redirect::to(&format!("/orders/{id}?placed=1")).into_response());
    }
    if status.is_server_error() {
        // Logged where it happened, with the request id.
        return Ok(super::error_page(&page.c, StatusCode::INTERNAL_SERVER_ERROR));
    }
    // Two submits at once: the other one placed the order and emptied the cart.
    if let Ok(Some(id)) = placed_with(&state, &actor, key).await {
        return Ok(Redirect::to(&format!("/orders/{id}?placed=1")).into_response());
    }
    // The hold cap, explained in the page's language with the numbers now.
    if answer["title"] == crate::api::orders::HOLD_LIMIT_TITLE {
        let errors = hold_limit_words(&state, &page.c, &actor, &lines, &answer).await.or_500(&page)?;
        let mut f = f;
        f.retain(|(k, _)| k != "key");
        return checkout_page(&state, &page, &actor, Some(&region), Some(&f), errors, StatusCode::CONFLICT).await;
    }
    // Name the cart line for line errors: "伽师瓜: only 3 available, 5 ordered".
    let mut errors: Vec<String> = answer["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| {
                    let field = e["field"].as_str().unwrap_or("");
                    let message = e["message"].as_str().unwrap_or("");
                    let line = field.strip_prefix("lines[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
                    match line.and_then(|i| lines.get(i)) {
                        Some(l) => format!("{}: {message}", l.name),
                        None => format!("{field}: {message}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if errors.is_empty() {
        errors.push(answer["detail"].as_str().unwrap_or("the order was not placed").to_owned());
    }
    let shown = if status == StatusCode::CONFLICT { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    // A refused order keeps its key's answer: the next try needs a new key.
    let mut f = f;
    f.retain(|(k, _)| k != "key");
    checkout_page(&state, &page, &actor, Some(&region), Some(&f), errors, shown).await
}

/// The lines a hold-cap refusal names, in the page's words: what the buyer
/// may hold of each product and holds already.
async fn hold_limit_words(
    state: &AppState,
    c: &Chrome,
    actor: &Actor,
    lines: &[cart::CartLine],
    answer: &serde_json::Value,
) -> sqlx::Result<Vec<String>> {
    let holds = orders::HoldPolicy::from_config(&state.config);
    let mut conn = state.db.pool().acquire().await?;
    let mut out = Vec::new();
    for e in answer["errors"].as_array().into_iter().flatten() {
        let field = e["field"].as_str().unwrap_or("");
        let line = field.strip_prefix("lines[").and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
        let Some(l) = line.and_then(|i| lines.get(i)) else { continue };
        let room = orders::hold_room(&mut conn, actor.org.id, l.product_id, &holds).await?;
        out.push(
            c.w.hold_limit
                .replace("{product}", &l.name)
                .replace("{percent}", &holds.share_percent.to_string())
                .replace("{cap}", &room.cap.to_string())
                .replace("{held}", &room.held.to_string())
                .replace("{unit}", &room.unit),
        );
    }
    Ok(out)
}
