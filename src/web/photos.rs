//! Pictures of products on the pages: the stored photos' files (served
//! with year-long caching under their content-hashed names), the
//! illustration drawn for a product without a photo, the product page's
//! QR code and printable poster, the price-tier line of cards and the
//! product page, and the Open Graph card of a shared product link.

use super::page::Or500;
use super::{Chrome, Lang, Page, PageResult};
use crate::app::AppState;
use crate::catalog::photos::{self, VARIANT_BOXES};
use crate::catalog::{self, PriceTier, Product};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The card variant's box (the middle one), in pixels.
pub const CARD_BOX: u32 = VARIANT_BOXES[1];
/// The full variant's box.
pub const FULL_BOX: u32 = VARIANT_BOXES[2];
/// The illustration's size: the card's, at 4:3.
const ILLUSTRATION_SIZE: (u32, u32) = (480, 360);

/// A picture as a page shows it: an `<img>`'s attributes.
pub struct Picture {
    /// `src`.
    pub src: String,
    /// `srcset`, empty for the illustration (one SVG fits every size).
    pub srcset: String,
    /// `width` of `src`.
    pub width: u32,
    /// `height` of `src`.
    pub height: u32,
    /// `alt`.
    pub alt: String,
    /// The largest variant (a thumbnail links to it).
    pub full: String,
    /// An illustration, not a photo: the page says so.
    pub illustration: bool,
}

impl Picture {
    /// The product's first photo at card size, or its illustration.
    pub fn cover(p: &Product, name: &str, lang: Lang) -> Picture {
        match p.photos.first() {
            Some(photo) => Picture::photo(photo, CARD_BOX, name, lang),
            None => Picture::illustration(p.id, name, lang),
        }
    }

    /// A photo at the variant fitting `bx`, with every variant in `srcset`.
    pub fn photo(photo: &catalog::Photo, bx: u32, name: &str, lang: Lang) -> Picture {
        let (width, height) = photo.size(bx);
        Picture {
            src: photo.url(bx),
            srcset: photo.srcset(),
            width,
            height,
            alt: super::words::fill(lang.t().photo_alt, &[("name", &name)]),
            full: photo.url(FULL_BOX),
            illustration: false,
        }
    }

    /// The product's drawn illustration.
    pub fn illustration(id: i64, name: &str, lang: Lang) -> Picture {
        let src = format!("/products/{id}/illustration.svg");
        Picture {
            full: src.clone(),
            src,
            srcset: String::new(),
            width: ILLUSTRATION_SIZE.0,
            height: ILLUSTRATION_SIZE.1,
            alt: super::words::fill(lang.t().illustration_alt, &[("name", &name)]),
            illustration: true,
        }
    }
}

/// The pictures of a product page: every photo, the first at full size
/// and the rest as thumbnails; or the illustration alone.
pub fn gallery(p: &Product, name: &str, lang: Lang) -> Vec<Picture> {
    if p.photos.is_empty() {
        return vec![Picture::illustration(p.id, name, lang)];
    }
    p.photos.iter().enumerate().map(|(i, ph)| Picture::photo(ph, if i == 0 { FULL_BOX } else { VARIANT_BOXES[0] }, name, lang)).collect()
}

/// The Open Graph card of a product page: what a chat app shows of a
/// shared link.
pub struct OpenGraph {
    /// `og:title`: the name.
    pub title: String,
    /// `og:description`: origin, tiers and cooperative.
    pub description: String,
    /// `og:image`: the first photo (card size) or the illustration, absolute.
    pub image: String,
    /// `og:url`: the product page, absolute.
    pub url: String,
}

impl OpenGraph {
    /// The card of `p`; `origin` is `https://host` (or empty).
    pub fn of(p: &Product, card: &super::pages::Card, cover: Option<&Picture>, lang: Lang, origin: &str) -> OpenGraph {
        let image = match p.photos.first() {
            Some(ph) => ph.url(CARD_BOX),
            None => cover.map(|c| c.src.clone()).unwrap_or_default(),
        };
        OpenGraph {
            title: card.name.clone(),
            description: super::words::fill(
                lang.t().og_description,
                &[
                    ("origin", &super::words::chain(lang, &p.origin.label)),
                    ("tiers", &tiers_line(lang, &p.price_tiers, &p.unit)),
                    ("coop", &p.cooperative.name),
                ],
            ),
            image: format!("{origin}{image}"),
            url: format!("{origin}/products/{}", p.id),
        }
    }
}

/// A price as a price list writes it: `¥68`, `¥12.50`.
pub fn short_price(fen: crate::money::Fen) -> String {
    let text = fen.to_string();
    text.strip_suffix(".00").map(str::to_owned).unwrap_or(text)
}

/// The range of unit prices over the tiers, lowest first: `¥56–68`, or
/// one price when there is one tier.
pub fn price_range(tiers: &[PriceTier]) -> String {
    let low = tiers.iter().map(|t| t.unit_price_fen).min().unwrap_or_default();
    let high = tiers.iter().map(|t| t.unit_price_fen).max().unwrap_or_default();
    if low == high { short_price(low) } else { format!("{}–{}", short_price(low), short_price(high).trim_start_matches('¥')) }
}

/// Every tier in one line: `1箱起 ¥68 · 50箱起 ¥62 · 200箱起 ¥56`
/// (`≥1 case ¥68 · ≥50 cases ¥62 …` in English).
pub fn tiers_line(lang: Lang, tiers: &[PriceTier], unit: &str) -> String {
    tiers
        .iter()
        .map(|t| {
            super::words::fill(
                lang.t().tier_short,
                &[
                    ("min", &t.min_quantity),
                    ("unit", &super::words::unit_for(lang, t.min_quantity, unit)),
                    ("price", &short_price(t.unit_price_fen)),
                ],
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// `https://host` of this request, for the absolute addresses an Open
/// Graph card and a QR code need. The `Host` header is taken only when it
/// is a plain host name or address with an optional port; otherwise the
/// answer is empty and the addresses stay relative.
pub fn site_origin(headers: &HeaderMap, secure: bool) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let plain = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !plain {
        return String::new();
    }
    format!("{}://{host}", if secure { "https" } else { "http" })
}

/// `GET /photos/{product}/{file}` — a photo variant. The name carries
/// the picture's hash and is never reused, so it is cached for a year.
pub async fn photo_file(State(state): State<AppState>, Path((product, file)): Path<(String, String)>) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found").into_response();
    let Some(product) = crate::ids::parse(&product) else { return not_found() };
    if !photos::is_file_name(&file) {
        return not_found();
    }
    match tokio::fs::read(photos::product_dir(&state.config.photos_dir, product).join(&file)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/webp")),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(),
    }
}

/// Colours and a motif of one category's illustration.
struct Motif {
    background: &'static str,
    ink: &'static str,
    /// SVG shapes drawn in a 120 × 120 box, filled with `ink`.
    shape: &'static str,
}

fn motif(category: &str) -> Motif {
    let (background, ink, shape) = match category {
        "fruit" => ("#fdecea", "#c0392b", "<circle cx='60' cy='68' r='42'/><path d='M60 26c6-16 22-20 30-18-4 12-16 20-30 18z'/>"),
        "dried_fruit" => ("#f6ebe0", "#8e3b1f", "<ellipse cx='44' cy='60' rx='22' ry='36'/><ellipse cx='82' cy='64' rx='22' ry='34'/>"),
        "nuts" => ("#f3ede3", "#7a5230", "<circle cx='60' cy='60' r='44'/><path d='M60 16v88' stroke='#f3ede3' stroke-width='4'/>"),
        "meat" => {
            ("#f9e5e5", "#9b2d30", "<rect x='14' y='30' width='92' height='60' rx='28'/><circle cx='40' cy='60' r='10' fill='#f9e5e5'/>")
        }
        "grain_oil" => (
            "#fbf3dc",
            "#a07a12",
            "<ellipse cx='60' cy='24' rx='10' ry='16'/><ellipse cx='44' cy='52' rx='10' ry='16'/><ellipse cx='76' cy='52' rx='10' ry='16'/><ellipse cx='60' cy='80' rx='10' ry='16'/><rect x='57' y='86' width='6' height='30'/>",
        ),
        "tea" => ("#e7f3e7", "#2e6b34", "<path d='M20 96C20 40 60 16 104 16 104 68 76 104 20 96z'/>"),
        "vegetables" => ("#eaf5e4", "#3d7a2a", "<path d='M60 110C30 80 30 40 60 10 90 40 90 80 60 110z'/>"),
        "mushrooms" => ("#f1ece6", "#6d4c41", "<path d='M10 64C10 30 110 30 110 64z'/><rect x='48' y='64' width='24' height='42' rx='8'/>"),
        "dairy" => ("#eef3f8", "#3f5f7f", "<path d='M44 10h32v20l12 18v62H32V48l12-18z'/>"),
        "honey" => ("#fdf3d6", "#b07d0a", "<path d='M60 12l40 24v48l-40 24-40-24V36z'/>"),
        _ => ("#efeaf5", "#5b3f86", "<path d='M60 8l15 34 37 4-28 25 8 37-32-19-32 19 8-37L8 46l37-4z'/>"),
    };
    Motif { background, ink, shape }
}

/// The illustration of a product without a photo: its category's motif
/// and colours, and its name. It draws no photo's likeness; every page
/// that shows it says, in the reader's language, that it is an
/// illustration (a mark over it and its `alt`), so the picture itself
/// carries no words but the name.
pub fn illustration_svg(category: &str, name: &str) -> String {
    let m = motif(category);
    let (w, h) = ILLUSTRATION_SIZE;
    // A long name is cut rather than overflowing the picture.
    let mut shown: String = name.chars().take(14).collect();
    if name.chars().count() > 14 {
        shown.push('…');
    }
    let size = if shown.chars().count() > 9 { 30 } else { 40 };
    format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}' role='img' aria-label='{label}'>\
         <rect width='{w}' height='{h}' fill='{bg}'/>\
         <g transform='translate(180 40)' fill='{ink}' opacity='0.85'>{shape}</g>\
         <text x='240' y='226' text-anchor='middle' font-family='sans-serif' font-size='{size}' font-weight='600' fill='{ink}'>{label}</text>\
         </svg>",
        bg = m.background,
        ink = m.ink,
        shape = m.shape,
        label = super::words::escape(&shown),
    )
}

/// `GET /products/{id}/illustration.svg`.
pub async fn illustration(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let p = catalog::get(&state.db, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml; charset=utf-8")),
            // The name may change: a day, not a year.
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        illustration_svg(&p.category, &p.name),
    )
        .into_response())
}

/// The product page's address as the QR code and the poster print it.
fn product_address(state: &AppState, headers: &HeaderMap, id: i64) -> String {
    format!("{}/products/{id}", site_origin(headers, state.config.secure_cookies))
}

/// `GET /products/{id}/qr.svg` — the product page's address as a QR code.
pub async fn qr(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    catalog::get(&state.db, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let svg = crate::barcode::qr_svg(&product_address(&state, page.headers(), id), 8).map_err(|e| page.fail(anyhow::anyhow!("{e}")))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml; charset=utf-8"))], svg).into_response())
}

#[derive(Template)]
#[template(path = "poster.html")]
struct PosterPage<'a> {
    c: &'a Chrome,
    name: String,
    subname: Option<String>,
    id: i64,
    picture: Picture,
    origin: String,
    cooperative: String,
    tiers: String,
    address: String,
}

/// `GET /products/{id}/poster` — a printable A4 poster for the
/// cooperative's wall: name, picture, origin, tiers and the QR code of
/// the product page.
pub async fn poster(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let c = &page.c;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let p = catalog::get(&state.db, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let en = c.lang.is_en();
    let name = if en { p.name_en.clone().unwrap_or_else(|| p.name.clone()) } else { p.name.clone() };
    let picture = match p.photos.first() {
        Some(photo) => Picture::photo(photo, FULL_BOX, &name, c.lang),
        None => Picture::illustration(p.id, &name, c.lang),
    };
    let view = PosterPage {
        c,
        subname: en.then(|| p.name.clone()),
        id,
        picture,
        origin: super::words::chain(c.lang, &p.origin.label),
        cooperative: p.cooperative.name.clone(),
        tiers: tiers_line(c.lang, &p.price_tiers, &p.unit),
        address: product_address(&state, page.headers(), id),
        name,
    };
    page.render(StatusCode::OK, &view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Fen;

    fn tiers() -> Vec<PriceTier> {
        [(1, 6800), (50, 6200), (200, 5600)].into_iter().map(|(m, f)| PriceTier { min_quantity: m, unit_price_fen: Fen::new(f) }).collect()
    }

    #[test]
    fn the_tiers_line_lists_every_tier_for_bulk_buyers() {
        assert_eq!(tiers_line(Lang::Zh, &tiers(), "箱"), "1箱起 ¥68 · 50箱起 ¥62 · 200箱起 ¥56");
        assert_eq!(price_range(&tiers()), "¥56–68");
        assert_eq!(price_range(&tiers()[..1]), "¥68");
        assert_eq!(short_price(Fen::new(1250)), "¥12.50");
    }

    #[test]
    fn the_illustration_escapes_the_name_and_says_what_it_is() {
        let svg = illustration_svg("fruit", "伽师瓜 <b>&");
        assert!(svg.contains("伽师瓜 &lt;b&gt;&amp;") && !svg.contains("<b>"));
        assert!(illustration_svg("no-such-category", "x").starts_with("<svg"));
    }

    #[test]
    fn only_a_plain_host_makes_an_absolute_address() {
        let with = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
            site_origin(&m, true)
        };
        assert_eq!(with("zhunong.example:8080"), "https://zhunong.example:8080");
        assert_eq!(with("evil.example/x?"), "");
        assert_eq!(site_origin(&HeaderMap::new(), false), "");
    }
}
