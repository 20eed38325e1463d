//! Creating and editing the cooperative's products.

use crate::app::AppState;
use crate::web::page::Or500;
use crate::web::{Chrome, Fields, Page, PageResult, field};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};

/// The product form's values, as text (kept as typed when refused).
#[derive(Default)]
pub struct ProductFields {
    name: String,
    name_en: String,
    category: String,
    unit: String,
    spec: String,
    storage: String,
    unit_weight_g: String,
    origin_code: String,
    description: String,
    tiers: Vec<(String, String)>,
    certificates: Vec<(String, String, String)>,
    active: bool,
}

/// A township's name and its villages' codes and names.
type VillageGroup = (String, Vec<(String, String)>);

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductForm<'a> {
    c: &'a Chrome,
    action: String,
    f: ProductFields,
    categories: Vec<(&'static str, &'static str)>,
    /// The villages of the county by township: the township's name, then
    /// each village's code and name. Names only are shown: a village's
    /// name may repeat in a county, its township's does not.
    villages: Vec<VillageGroup>,
    editing: bool,
    errors: Vec<String>,
    /// The photo section, on the edit page only.
    photos: Option<super::photos::PhotoSection>,
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
    let county = village.ancestor(crate::regions::RegionLevel::County).expect("a village has a county");
    let villages = crate::regions::villages_in(&state.db, county).await?;
    let townships = crate::regions::children(&state.db, Some(county)).await?;
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
        villages: by_township(c.lang, &townships, villages),
        editing,
        errors,
        photos: None,
    })
}

/// `villages` grouped under their townships, in code order; villages
/// whose township is not among `townships` share an unnamed group.
fn by_township(
    lang: crate::web::Lang,
    townships: &[crate::regions::RegionSummary],
    villages: Vec<crate::regions::RegionSummary>,
) -> Vec<VillageGroup> {
    let mut parents: Vec<Option<crate::regions::RegionCode>> = Vec::new();
    let mut groups: Vec<VillageGroup> = Vec::new();
    for v in villages {
        let option = (v.code.to_string(), crate::web::words::place(lang, &v.name));
        match parents.iter().position(|p| *p == v.parent_code) {
            Some(i) => groups[i].1.push(option),
            None => {
                let name = townships
                    .iter()
                    .find(|t| Some(t.code) == v.parent_code)
                    .map(|t| crate::web::words::place(lang, &t.name))
                    .unwrap_or_default();
                parents.push(v.parent_code);
                groups.push((name, vec![option]));
            }
        }
    }
    groups
}

/// Reads the posted form into text fields and a product (or the problems
/// that stop it from being one).
fn read_product(form: &Fields, lang: crate::web::Lang) -> (ProductFields, Result<crate::catalog::NewProduct, Vec<String>>) {
    let all = |name: &str| form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).collect::<Vec<_>>();
    let f = ProductFields {
        name: field(form, "name").trim().to_owned(),
        name_en: field(form, "name_en").trim().to_owned(),
        category: field(form, "category").to_owned(),
        unit: field(form, "unit").trim().to_owned(),
        spec: field(form, "spec").trim().to_owned(),
        storage: field(form, "storage").to_owned(),
        unit_weight_g: field(form, "unit_weight_g").trim().to_owned(),
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
            _ => problems.push(crate::web::words::fill(lang.t().pf_tier_unreadable, &[("n", &(i + 1))])),
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
        // Unreadable or empty: no weight, which the domain refuses in
        // the viewer's words.
        unit_weight_g: f.unit_weight_g.parse().ok(),
        origin_code: f.origin_code.clone(),
        description: f.description.clone(),
        price_tiers: tiers,
        certificates,
    };
    (f, if problems.is_empty() { Ok(product) } else { Err(problems) })
}

/// `GET /console/products/new`.
pub async fn new_product(page: Page, State(state): State<AppState>) -> PageResult {
    let (_, coop) = page.manager()?;
    let f = ProductFields { storage: "ambient".into(), unit: "kg".into(), active: true, ..Default::default() };
    let form = product_form(&state, &page.c, coop, "/console/products".into(), f, false, Vec::new()).await.or_500(&page)?;
    page.render(StatusCode::OK, &form)
}

/// `POST /console/products`.
pub async fn create_product(page: Page, State(state): State<AppState>, Form(form): Form<Fields>) -> PageResult {
    let page = page.at("/console/products/new");
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&form, "csrf"))?;
    let (fields, product) = read_product(&form, page.c.lang);
    let problems = match product {
        Ok(p) => match crate::catalog::create_checked(&state.db, coop, &p).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/products/{id}")).into_response());
            }
            Err(crate::catalog::ChangeError::Invalid(e)) => crate::web::words::field_errors(page.c.lang, &e),
            Err(e) => return Err(page.fail(e)),
        },
        Err(problems) => problems,
    };
    let form = product_form(&state, &page.c, coop, "/console/products".into(), fields, false, problems).await.or_500(&page)?;
    Err(page.form_again(&form))
}

/// `GET /console/products/{id}/edit`.
pub async fn edit_product(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    edit_page(&page, &state, id, None, StatusCode::OK).await
}

/// The edit page of product `id` of the manager's cooperative, with the
/// answer to a photo action (`Ok` a notice, `Err` a problem) at its photos.
pub(super) async fn edit_page(
    page: &Page,
    state: &AppState,
    id: i64,
    photo_answer: Option<Result<String, String>>,
    status: StatusCode,
) -> PageResult {
    let (_, coop) = page.manager()?;
    let p = crate::catalog::get(&state.db, id).await.or_500(page)?.filter(|p| p.cooperative.id == coop);
    let p = p.ok_or_else(|| page.not_found())?;
    let active = crate::catalog::is_active(&state.db, coop, id).await.or_500(page)?.ok_or_else(|| page.not_found())?;
    let section = super::photos::PhotoSection::new(&page.c, &p, photo_answer);
    let f = ProductFields {
        name: p.name,
        name_en: p.name_en.unwrap_or_default(),
        category: p.category,
        unit: p.unit,
        spec: p.spec,
        storage: p.storage.as_str().to_owned(),
        unit_weight_g: p.unit_weight_g.map(|g| g.to_string()).unwrap_or_default(),
        origin_code: p.origin.code,
        description: p.description,
        tiers: p.price_tiers.iter().map(|t| (t.min_quantity.to_string(), t.unit_price_fen.yuan_text())).collect(),
        certificates: p.certificates.iter().map(|x| (x.kind.as_str().to_owned(), x.number.clone(), x.valid_until.clone())).collect(),
        active,
    };
    let mut form = product_form(state, &page.c, coop, format!("/console/products/{id}"), f, true, Vec::new()).await.or_500(page)?;
    form.photos = Some(section);
    page.render(status, &form)
}

/// `POST /console/products/{id}`.
pub async fn update_product(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(form): Form<Fields>) -> PageResult {
    let page = page.at(&format!("/console/products/{id}/edit"));
    let (actor, coop) = page.manager()?;
    page.check_token(&actor, field(&form, "csrf"))?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let (fields, product) = read_product(&form, page.c.lang);
    let problems = match product {
        Ok(p) => {
            let patch = crate::catalog::ProductPatch {
                name: Some(p.name),
                name_en: p.name_en,
                category: Some(p.category),
                unit: Some(p.unit),
                spec: Some(p.spec),
                storage: Some(p.storage),
                unit_weight_g: p.unit_weight_g,
                origin_code: Some(p.origin_code),
                description: Some(p.description),
                price_tiers: Some(p.price_tiers),
                certificates: Some(p.certificates),
                active: Some(fields.active),
            };
            match crate::catalog::update(&state.db, coop, id, &patch).await {
                Ok(()) => {
                    return Ok(Redirect::to(&format!("/products/{id}")).into_response());
                }
                Err(crate::catalog::ChangeError::Invalid(e)) => crate::web::words::field_errors(page.c.lang, &e),
                Err(crate::catalog::ChangeError::NotFound) | Err(crate::catalog::ChangeError::Forbidden) => {
                    return Err(page.not_found());
                }
                Err(e) => return Err(page.fail(e)),
            }
        }
        Err(problems) => problems,
    };
    let form = product_form(&state, &page.c, coop, format!("/console/products/{id}"), fields, true, problems).await.or_500(&page)?;
    Err(page.form_again(&form))
}
