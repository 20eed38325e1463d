//! The page handlers: storefront home, product page, sign-in and sign-out,
//! language switch.

use super::page::Or500;
use super::{Chrome, Lang, Page, PageResult, render};
use crate::app::AppState;
use crate::catalog::{self, ListQuery, Product};
use crate::http::{ClientAddr, session_token, visitor_csrf_ok};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

const PER_PAGE: i64 = 24;
/// Prefectures the home page offers to browse by (those with most produce).
const FEATURED_PREFECTURES: i64 = 6;

/// A product as a card of the storefront grid.
pub struct Card {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) subname: Option<String>,
    pub(super) category: &'static str,
    pub(super) price: String,
    pub(super) unit: String,
    pub(super) origin: String,
    pub(super) cooperative: String,
    pub(super) certificates: Vec<&'static str>,
    pub(super) stock_label: &'static str,
    pub(super) stock_class: &'static str,
    /// Every price tier in one line: `1箱起 ¥68 · 50箱起 ¥62`.
    pub(super) tiers_line: String,
    /// The first photo, or the illustration.
    pub(super) picture: super::photos::Picture,
}

impl Card {
    pub(super) fn new(p: &Product, lang: Lang) -> Card {
        let t = lang.t();
        let (stock_label, stock_class) = match p.available {
            0 => (t.out_of_stock, "out"),
            n if n < 50 => (t.low_stock, "low"),
            _ => (t.in_stock, "in"),
        };
        let en = lang.is_en();
        let name = if en { p.name_en.clone().unwrap_or_else(|| p.name.clone()) } else { p.name.clone() };
        Card {
            id: p.id,
            picture: super::photos::Picture::cover(p, &name, lang),
            tiers_line: super::photos::tiers_line(lang, &p.price_tiers, &p.unit),
            name,
            subname: if en { Some(p.name.clone()) } else { None },
            category: catalog::category(&p.category).map(|c| if en { c.en } else { c.zh }).unwrap_or(""),
            // The range over the tiers, not the first tier's price "from":
            // for a bulk buyer the first tier is the highest.
            price: super::photos::price_range(&p.price_tiers),
            unit: super::words::unit(lang, &p.unit),
            origin: super::words::chain(lang, &p.origin.label),
            cooperative: super::words::org_name(lang, &p.cooperative.name, p.cooperative.name_en.as_deref()),
            certificates: p.certificates.iter().map(|c| super::words::certificate_kind(lang, c.kind)).collect(),
            stock_label,
            stock_class,
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    c: &'a Chrome,
    cards: Vec<Card>,
    paired: Vec<Card>,
    paired_href: Option<String>,
    /// Prefectures to browse: link and name.
    featured: Vec<(String, String)>,
    /// A partner city's or agency's progress, linking to its dashboard.
    glance: Option<super::dashboards::Panel>,
    total: i64,
    page: i64,
    pages: i64,
}

/// `?page=` of the home page.
#[derive(Deserialize)]
pub struct HomeQuery {
    page: Option<String>,
}

/// `GET /` — the storefront home: the catalogue with origins.
pub async fn home(page: Page, State(state): State<AppState>, Query(q): Query<HomeQuery>) -> PageResult {
    let c = &page.c;
    // A page number that is not a number is treated as the first page.
    let number = q.page.and_then(|p| p.parse::<i64>().ok()).filter(|p| (1..=100_000).contains(p)).unwrap_or(1);
    let query = ListQuery { limit: PER_PAGE, offset: (number - 1) * PER_PAGE, ..ListQuery::default() };
    let (products, total) = catalog::list(&state.db, &query).await.or_500(&page)?;
    // A partner city's buyer sees its paired regions' produce first.
    let mut paired = Vec::new();
    let mut paired_href = None;
    if let Some(a) = page.actor.as_ref().filter(|a| a.has(crate::auth::Role::PartnerBuyer)) {
        let params = crate::search::SearchParams {
            partner: Some(a.org.id.to_string()),
            sort: Some("sales".into()),
            per_page: Some("8".into()),
            ..Default::default()
        };
        let found = crate::search::search_page(&state.db, &state.search, state.indexer.cards(), &params).await.or_500(&page)?;
        paired = found.items.iter().map(|p| Card::new(p, c.lang)).collect();
        paired_href = Some(format!("/search?partner={}", a.org.id));
    }
    let featured = catalog::prefectures_on_sale(&state.db, FEATURED_PREFECTURES).await.or_500(&page)?;
    // Where a partner city's or agency's user lands: its progress first.
    let glance = match page.actor.as_ref() {
        Some(a) => super::dashboards::summary(&state, a, c.lang).await.or_500(&page)?,
        None => None,
    };
    let page_view = HomePage {
        c,
        featured: featured.into_iter().map(|(r, _)| (format!("/regions/{}", r.code), super::words::place(c.lang, &r.name))).collect(),
        paired,
        paired_href,
        glance,
        cards: products.iter().map(|p| Card::new(p, c.lang)).collect(),
        total,
        page: number,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
    };
    page.render(StatusCode::OK, &page_view)
}

/// One link of the origin breadcrumb.
struct Crumb {
    name: String,
    code: String,
    level: &'static str,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage<'a> {
    c: &'a Chrome,
    card: Card,
    p: &'a Product,
    crumbs: Vec<Crumb>,
    storage: &'static str,
    tiers: Vec<(i64, String)>,
    certificates: Vec<(&'static str, String, String, bool)>,
    /// 带动: whom the product supports, by village and status.
    support: super::supports::SupportView,
    /// The photos (the first large) or the illustration.
    gallery: Vec<super::photos::Picture>,
    /// The Open Graph card of a shared link.
    og: super::photos::OpenGraph,
}

/// `GET /products/{id}` — origin chain, cooperative, certificates, tiers,
/// availability and the households the product supports.
pub async fn product(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let c = &page.c;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let p = catalog::get(&state.db, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let today = crate::time::format_date(crate::time::today());
    let support = super::supports::view(&state, c, crate::households::Supplier::Product(p.id)).await.or_500(&page)?;
    let card = Card::new(&p, c.lang);
    let gallery = super::photos::gallery(&p, &card.name, c.lang);
    let og = super::photos::OpenGraph::of(
        &p,
        &card,
        gallery.first(),
        c.lang,
        &super::photos::site_origin(page.headers(), state.config.secure_cookies),
    );
    let view = ProductPage {
        c,
        support,
        gallery,
        og,
        card,
        crumbs: p
            .origin
            .chain
            .iter()
            .map(|l| Crumb { name: super::words::place(c.lang, &l.name), code: l.code.to_string(), level: l.level.as_str() })
            .collect(),
        storage: super::words::storage(c.lang, p.storage),
        tiers: p.price_tiers.iter().map(|t| (t.min_quantity, t.unit_price_fen.to_string())).collect(),
        certificates: p
            .certificates
            .iter()
            .map(|x| {
                (
                    super::words::certificate_kind(c.lang, x.kind),
                    x.number.clone(),
                    super::words::day(c.lang, &x.valid_until),
                    x.valid_on(&today),
                )
            })
            .collect(),
        p: &p,
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    c: &'a Chrome,
    error: Option<&'static str>,
    email: String,
    /// Where signing in leads (a checked path of this site), or "".
    next: String,
    demo: bool,
    demo_password: &'static str,
}

/// Demo sign-ins shown on the login page of a demo database.
const DEMO_USERS: &[&str] = &[
    "buyer@agency.zhunong.demo",
    "approver@agency.zhunong.demo",
    "manager@coop.zhunong.demo",
    "buyer@partner.zhunong.demo",
    "operator@hub.zhunong.demo",
    "official@county.zhunong.demo",
    "finance@zhunong.demo",
    "admin@zhunong.demo",
];

async fn login_page(state: &AppState, c: &Chrome, status: StatusCode, error: Option<&'static str>, email: String, next: &str) -> Response {
    let demo = state.db.meta("demo.loaded").await.ok().flatten().is_some();
    let next = Some(super::after_sign_in(next)).filter(|n| n != "/").unwrap_or_default();
    render(c, status, &LoginPage { c, error, email, next, demo, demo_password: crate::demo::DEMO_PASSWORD })
}

/// The chrome of the sign-in pages: a visitor's, with the CSRF nonce
/// cookie and its signed form token.
fn login_chrome(state: &AppState, headers: &HeaderMap) -> Chrome {
    Chrome::new(headers, None, "/login").with_visitor_token(headers, &state.config, &state.csrf_key)
}

/// `?next=` of the sign-in page: where to go afterwards.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login?next=/path` — the sign-in form, which comes back to `next`
/// (a path of this site only: [`super::after_sign_in`]); a user already
/// signed in goes there at once. A query string that does not parse is
/// no `next`.
pub async fn login_form(page: Page, State(state): State<AppState>, uri: Uri) -> Response {
    let next = Query::<NextQuery>::try_from_uri(&uri).ok().and_then(|Query(q)| q.next).unwrap_or_default();
    if page.actor.is_some() {
        return Redirect::to(&super::after_sign_in(&next)).into_response();
    }
    let c = login_chrome(&state, page.headers());
    login_page(&state, &c, StatusCode::OK, None, String::new(), &next).await
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    /// Where to go afterwards; checked before it is followed.
    #[serde(default)]
    next: String,
}

/// `POST /login` — signs in and goes back to the page the user was going
/// to (`next`, when it is a path of this site) or home, or shows the form
/// again with the reason.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let c = login_chrome(&state, &headers);
    if !visitor_csrf_ok(&headers, &state.config, &state.csrf_key, &form.csrf) {
        return super::stale_form_page(&c);
    }
    let attempt = crate::auth::Attempt { email: &form.email, password: &form.password, client };
    match crate::auth::login(&state.db, &state.config, &attempt).await {
        Ok(session) => {
            tracing::info!(user.id = session.actor.id, org.id = session.actor.org.id, "signed in (page)");
            let mut res = Redirect::to(&super::after_sign_in(&form.next)).into_response();
            res.headers_mut().insert(header::SET_COOKIE, crate::http::session_cookie(&state.config, &session.token));
            res
        }
        Err(crate::auth::LoginError::Invalid(_)) => {
            // The over-long address is not shown again: it is not one.
            login_page(&state, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(c.t.credentials_too_long), String::new(), &form.next).await
        }
        Err(crate::auth::LoginError::WrongCredentials) => {
            login_page(&state, &c, StatusCode::UNAUTHORIZED, Some(c.t.wrong_credentials), form.email, &form.next).await
        }
        Err(crate::auth::LoginError::TooManyAttempts { retry_after_secs }) => {
            let mut res = login_page(&state, &c, StatusCode::TOO_MANY_REQUESTS, Some(c.t.too_many_attempts), form.email, &form.next).await;
            if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(crate::auth::LoginError::Busy) => {
            let mut res = login_page(&state, &c, StatusCode::SERVICE_UNAVAILABLE, Some(c.t.login_busy), form.email, &form.next).await;
            res.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
            res
        }
        Err(crate::auth::LoginError::Db(e)) => {
            let id = crate::http::request_id().unwrap_or_default();
            tracing::error!(request.id = id, error = %e, "sign-in failed");
            super::error_page(&c, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The sign-out form.
#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(page: Page, State(state): State<AppState>, Form(form): Form<CsrfForm>) -> PageResult {
    if let Some(actor) = &page.actor {
        page.check_token(actor, &form.csrf)?;
    }
    if let Some(token) = session_token(page.headers(), &state.config) {
        crate::auth::logout(&state.db, &token).await.or_500(&page)?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().insert(header::SET_COOKIE, crate::http::clear_session_cookie(&state.config));
    Ok(res)
}

/// Where to go back to after switching language.
#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// `GET /lang/{zh|en}?next=/path` — sets the language cookie and goes back.
/// A `next` that is not a path of this site ([`super::local_path`]) — or a
/// query string that does not parse — goes home instead: an open redirect
/// would let others borrow our domain, and a bad link is no reason for an
/// error page.
pub async fn switch_language(Path(to): Path<String>, uri: Uri) -> Response {
    let lang = if to == "en" { "en" } else { "zh" };
    let next = Query::<SwitchQuery>::try_from_uri(&uri)
        .ok()
        .and_then(|Query(q)| q.next)
        .and_then(|n| super::local_path(&n))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{}={lang}; Path=/; Max-Age=31536000; SameSite=Lax", super::LANG_COOKIE)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
