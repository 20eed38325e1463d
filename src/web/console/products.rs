//! Creating and editing the cooperative's products.

use super::*;
use crate::api::extract::MaybeUser;
use crate::app::AppState;
use crate::web::pages::internal;
use crate::web::{Chrome, Fields, csrf_ok, error_page, field, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

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
            Err(crate::catalog::ChangeError::Invalid(e)) => e.0.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect(),
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
                Err(crate::catalog::ChangeError::Invalid(e)) => e.0.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect(),
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
