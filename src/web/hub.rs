//! The chain operators' pages: their nodes (`/hub`), a node's console
//! (`/hub/nodes/{id}`: inbound expected, goods on hand, outbound by next
//! hop, use of capacity), the scan page (`/hub/nodes/{id}/scan`), and a
//! shipment's packing list and A6 label (`/hub/shipments/{code}` and
//! `…/label`).
//!
//! The scan page is a plain form without JavaScript: it posts here, calls
//! `orders::scan` and shows the result. With JavaScript
//! (`frontend/static/scan.js`) the same form sends each scan to the JSON
//! API with its own idempotency key and the time it was scanned, and keeps
//! scans on the device while the link is down; the service worker
//! (`/hub/sw.js`, `assets.rs`) lets the page open without a link. The
//! refusals the script shows are worded from a table this page embeds,
//! so a Chinese page never shows the API's English.
//!
//! Who may see what is the domain's decision (`distribution::views`): a
//! node's console and a shipment to the operators of its nodes and the
//! platform admin; anyone else gets the 404 page, as if there were none.

use super::page::Or500;
use super::words::fill;
use super::{Chrome, Fields, Page, PageResult, field};
use crate::app::AppState;
use crate::auth::{Actor, Role};
use crate::distribution::shipments::{Destination, ScanError, ScanEvent, Shipment, ShipmentStatus, looks_like_code};
use crate::distribution::{Node, NodeKind, views};
use crate::orders::{self, ScanOutcome, ScanRequest};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use time::OffsetDateTime;

/// Who moves goods through the chain.
const MOVERS: [Role; 2] = [Role::HubOperator, Role::PlatformAdmin];

/// Grams as kilograms to a tenth, the way the pages and labels show
/// weights: `12.5`, `3`.
pub fn kg(grams: i64) -> String {
    let tenths = grams.saturating_add(50) / 100;
    if tenths % 10 == 0 { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

#[derive(Template)]
#[template(path = "hub.html")]
struct HubPage<'a> {
    c: &'a Chrome,
    nodes: Vec<(i64, String, &'static str)>,
}

/// `GET /hub`: the nodes the operator runs; with one, straight to its
/// console.
pub async fn hub(page: Page, State(state): State<AppState>) -> PageResult {
    let actor = page.with_role(&MOVERS)?;
    let nodes = views::operated_nodes(&state.db, &actor).await.or_500(&page)?;
    if let [only] = nodes.as_slice() {
        return Ok(Redirect::to(&format!("/hub/nodes/{}", only.id)).into_response());
    }
    let nodes = nodes.into_iter().map(|n| (n.id, n.name, page.c.w.node_kind(n.kind))).collect();
    page.render(StatusCode::OK, &HubPage { c: &page.c, nodes })
}

/// `GET /hub/orders`: the page's former address (bookmarks, old links),
/// leading to `/hub` — for the people `/hub` is for; anyone else hears
/// what `/hub` would say (sign in, or not your page).
pub async fn hub_orders(page: Page) -> PageResult {
    page.with_role(&MOVERS)?;
    Ok(Redirect::permanent("/hub").into_response())
}

/// Node `id` (a path segment) if `actor` operates it; else the 404 page.
async fn operated(state: &AppState, page: &Page, actor: &Actor, id: &str) -> Result<Node, super::PageError> {
    let id = crate::ids::parse(id).ok_or_else(|| page.not_found())?;
    let nodes = views::operated_nodes(&state.db, actor).await.or_500(page)?;
    nodes.into_iter().find(|n| n.id == id).ok_or_else(|| page.not_found())
}

/// A shipment as a row of the console.
struct ShipmentRow {
    code: String,
    /// The other end: where it comes from (inbound) or goes (outbound).
    other: String,
    status: &'static str,
    /// `open`, `dispatched` … for the stylesheet.
    status_class: &'static str,
    weight: String,
    lines: usize,
    cold: bool,
    /// When its window closes (the sending node's cut-off), China time.
    cutoff: String,
    /// The earliest day its legs were planned to leave (China date).
    planned: String,
    unweighed: Option<String>,
}

/// A node's name with its kind: 伽师县配送中心（县配送中心）.
fn named(c: &Chrome, name: &str, kind: NodeKind) -> String {
    c.lang.pick(format!("{name}（{}）", c.w.node_kind(kind)), format!("{name} ({})", c.w.node_kind(kind)))
}

/// Where a shipment goes, in words: the node (with its kind), or the
/// buyer's order number and place.
fn destination(c: &Chrome, to: &Destination) -> String {
    match to {
        Destination::Node(n) => named(c, &n.name, n.kind),
        Destination::Buyer { order_number, place, .. } => fill(c.w.ship_to_buyer, &[("number", order_number), ("place", place)]),
    }
}

fn row(c: &Chrome, s: &Shipment, inbound: bool) -> ShipmentRow {
    ShipmentRow {
        code: s.code.clone(),
        other: if inbound { named(c, &s.from.name, s.from.kind) } else { destination(c, &s.to) },
        status: c.w.shipment_status(s.status),
        status_class: s.status.as_str(),
        weight: kg(s.weight_g),
        lines: s.lines.len(),
        cold: s.cold,
        cutoff: c.w.when(&s.window_ends_at),
        planned: s.planned_on.clone().unwrap_or_default(),
        unweighed: (s.unweighed_lines > 0).then(|| fill(c.w.ship_unweighed, &[("n", &s.unweighed_lines)])),
    }
}

/// The outbound shipments to one next hop.
struct HopGroup {
    to: String,
    shipments: Vec<ShipmentRow>,
}

#[derive(Template)]
#[template(path = "node.html")]
struct NodePage<'a> {
    c: &'a Chrome,
    id: i64,
    name: String,
    kind: &'static str,
    cutoff: String,
    use_line: String,
    cold_line: Option<String>,
    /// Capacity and the load it is measured against, in kg, for the bar.
    capacity_kg: i64,
    load_kg: i64,
    over: Option<String>,
    inbound: Vec<ShipmentRow>,
    outbound: Vec<HopGroup>,
}

/// `GET /hub/nodes/{id}`: the node's console.
pub async fn node(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let actor = page.with_role(&MOVERS)?;
    let id = crate::ids::parse(&id).ok_or_else(|| page.not_found())?;
    let board = views::board(&state.db, &actor, id).await.or_500(&page)?.ok_or_else(|| page.not_found())?;
    let c = &page.c;
    let w = c.w;
    let capacity = board.node.capacity_kg;
    let load_g = board.on_hand_g.saturating_add(board.inbound_g);
    let mut outbound: Vec<HopGroup> = Vec::new();
    for s in &board.outbound {
        let to = destination(c, &s.to);
        match outbound.last_mut() {
            Some(g) if g.to == to => g.shipments.push(row(c, s, false)),
            _ => outbound.push(HopGroup { to, shipments: vec![row(c, s, false)] }),
        }
    }
    let view = NodePage {
        c,
        id,
        name: board.node.name.clone(),
        kind: w.node_kind(board.node.kind),
        cutoff: fill(w.node_cutoff, &[("cutoff", &board.node.cutoff)]),
        use_line: fill(w.node_use, &[("on_hand", &kg(board.on_hand_g)), ("inbound", &kg(board.inbound_g)), ("capacity", &capacity)]),
        cold_line: if board.node.cold_storage {
            Some(fill(w.node_cold_use, &[("cold", &kg(board.cold_on_hand_g))]))
        } else {
            Some(w.node_no_cold.to_owned())
        },
        capacity_kg: capacity.max(1),
        load_kg: (load_g / 1000).clamp(0, capacity.max(1)),
        over: board.over_capacity.then(|| fill(w.node_over_capacity, &[("total", &kg(load_g)), ("capacity", &capacity)])),
        inbound: board.inbound.iter().map(|s| row(c, s, true)).collect(),
        outbound,
    };
    page.render(StatusCode::OK, &view)
}

// ------------------------------------------------------------ scanning

/// The outcome of a scan, as the scan page shows it.
struct ScanResult {
    ok: bool,
    headline: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "scan.html")]
struct ScanPage<'a> {
    c: &'a Chrome,
    node_id: i64,
    node_name: String,
    /// The signed-in user: the script sends only this user's queued scans
    /// (another operator signing in on the same phone does not send them
    /// under their name).
    user_id: i64,
    /// The form's idempotency key: a form sent twice is one scan.
    key: String,
    /// The event chosen (kept from the last scan).
    event: &'static str,
    events: Vec<(&'static str, &'static str)>,
    result: Option<ScanResult>,
    /// The script's words (JSON, `</` escaped).
    words_json: String,
}

/// The words the scan script needs, in the page's language: refusals by
/// the API's status and code, shipment states and events by their API
/// names.
fn script_words(c: &Chrome) -> String {
    let w = c.w;
    let states: serde_json::Map<String, serde_json::Value> =
        ShipmentStatus::ALL.iter().map(|s| (s.as_str().to_owned(), w.shipment_status(*s).into())).collect();
    let events: serde_json::Map<String, serde_json::Value> =
        ScanEvent::ALL.iter().map(|e| (e.as_str().to_owned(), w.scan_event(*e).into())).collect();
    let json = serde_json::json!({
        "ok": w.scan_ok,
        "ok_detail": w.scan_ok_detail,
        "replayed": w.scan_replayed,
        "refused_title": w.scan_refused_title,
        "not_a_code": w.scan_not_a_code,
        "not_found": w.scan_not_found,
        "not_your_node": w.scan_not_your_node,
        "wrong_node": w.scan_wrong_node_any,
        // A delivery scan of a shipment to a node, a receipt of one to a buyer.
        "wrong_event": { "delivered": w.scan_wrong_event_node, "received": w.scan_wrong_event_buyer },
        "out_of_order": w.scan_out_of_order,
        "out_of_order_any": w.scan_out_of_order_any,
        "too_old": w.scan_too_old,
        "signed_out": w.scan_signed_out,
        "failed": w.scan_failed,
        "queued": w.scan_queued,
        "offline": w.scan_offline,
        "buyer": w.level_buyer,
        "states": states,
        "events": events,
    });
    json.to_string().replace("</", "<\\/")
}

fn scan_page<'a>(c: &'a Chrome, user_id: i64, node: &Node, event: ScanEvent, result: Option<ScanResult>) -> ScanPage<'a> {
    ScanPage {
        c,
        node_id: node.id,
        user_id,
        node_name: node.name.clone(),
        key: crate::auth::random_token(),
        event: event.as_str(),
        events: ScanEvent::ALL.iter().map(|e| (e.as_str(), c.w.scan_event(*e))).collect(),
        result,
        words_json: script_words(c),
    }
}

/// The event a node mostly scans: a village point sends, the others
/// mostly receive.
fn usual_event(node: &Node) -> ScanEvent {
    if node.kind == NodeKind::VillagePoint { ScanEvent::Dispatched } else { ScanEvent::Received }
}

/// `GET /hub/nodes/{id}/scan`: the scan page.
pub async fn scan(page: Page, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let actor = page.with_role(&MOVERS)?;
    let node = operated(&state, &page, &actor, &id).await?;
    page.render(StatusCode::OK, &scan_page(&page.c, actor.id, &node, usual_event(&node), None))
}

/// A shipment after a scan, in words: `from → to · n lines · w kg`.
fn scanned_detail(c: &Chrome, s: &Shipment) -> String {
    let to = match &s.to {
        Destination::Node(n) => n.name.clone(),
        Destination::Buyer { .. } => destination(c, &s.to),
    };
    fill(c.w.scan_ok_detail, &[("from", &s.from.name), ("to", &to), ("lines", &s.lines.len()), ("kg", &kg(s.weight_g))])
}

/// Why a scan was refused, in the page's words.
fn refusal(c: &Chrome, e: &ScanError, event: ScanEvent) -> String {
    let w = c.w;
    match e {
        ScanError::NotFound => w.scan_not_found.to_owned(),
        ScanError::NotYourNode => w.scan_not_your_node.to_owned(),
        ScanError::WrongNode { event } => fill(w.scan_wrong_node, &[("event", &w.scan_event(*event))]),
        ScanError::WrongEvent(_, ScanEvent::Delivered) => w.scan_wrong_event_node.to_owned(),
        ScanError::WrongEvent(..) => w.scan_wrong_event_buyer.to_owned(),
        ScanError::OutOfOrder { current } => {
            fill(w.scan_out_of_order, &[("state", &w.shipment_status(*current)), ("event", &w.scan_event(event))])
        }
        ScanError::Db(_) => w.server_error_detail.to_owned(),
    }
}

/// `POST /hub/nodes/{id}/scan` (`csrf`, `key`, `code`, `event`): one scan
/// without JavaScript; the page again, with the result.
pub async fn scan_submit(page: Page, State(state): State<AppState>, Path(id): Path<String>, Form(f): Form<Fields>) -> PageResult {
    let actor = page.form_user(&f, &MOVERS)?;
    let node = operated(&state, &page, &actor, &id).await?;
    let c = &page.c;
    let w = c.w;
    let event = ScanEvent::parse(field(&f, "event")).ok_or_else(|| page.bad_request())?;
    // A scanner types what it reads; people type lower case too.
    let code = field(&f, "code").trim().to_ascii_uppercase();
    let key = field(&f, "key");
    let key = (!key.is_empty() && key.len() <= 200).then_some(key);
    let refused = |status: StatusCode, detail: String| -> PageResult {
        let shown = if looks_like_code(&code) { code.clone() } else { String::new() };
        let result = ScanResult { ok: false, headline: fill(w.scan_refused_title, &[("code", &shown)]), detail };
        page.render(status, &scan_page(c, actor.id, &node, event, Some(result)))
    };
    if !looks_like_code(&code) {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, w.scan_not_a_code.to_owned());
    }
    let req = ScanRequest { code: &code, node_id: node.id, event, at: OffsetDateTime::now_utc() };
    match orders::scan(&state.db, &actor, req, key).await {
        Ok(ScanOutcome::Done(done)) => {
            let result = ScanResult {
                ok: true,
                headline: fill(w.scan_ok, &[("event", &w.scan_event(done.event)), ("code", &done.shipment.code)]),
                detail: scanned_detail(c, &done.shipment),
            };
            page.render(StatusCode::OK, &scan_page(c, actor.id, &node, event, Some(result)))
        }
        Ok(ScanOutcome::Replayed(_)) => {
            // The same form sent again (a reload after a lost answer): the
            // scan stands; show the shipment as it is now.
            let shipment = views::shipment(&state.db, &actor, &code).await.or_500(&page)?;
            let result = ScanResult {
                ok: true,
                headline: fill(w.scan_replayed, &[("code", &code)]),
                detail: shipment.map(|s| scanned_detail(c, &s)).unwrap_or_default(),
            };
            page.render(StatusCode::OK, &scan_page(c, actor.id, &node, event, Some(result)))
        }
        Ok(ScanOutcome::KeyReused) => {
            // The form's key was used before: the same form sent again (its
            // time differs, so it is not a replay to the domain). If the
            // shipment is where this scan leads, the scan stands; otherwise
            // the form is stale.
            match views::shipment(&state.db, &actor, &code).await.or_500(&page)? {
                Some(s) if s.status.as_str() == event.as_str() => {
                    let result =
                        ScanResult { ok: true, headline: fill(w.scan_replayed, &[("code", &code)]), detail: scanned_detail(c, &s) };
                    page.render(StatusCode::OK, &scan_page(c, actor.id, &node, event, Some(result)))
                }
                _ => refused(StatusCode::CONFLICT, w.forbidden_form.to_owned()),
            }
        }
        Err(ScanError::Db(e)) => Err(page.fail(e)),
        Err(e) => {
            let status = match &e {
                ScanError::NotFound => StatusCode::NOT_FOUND,
                ScanError::NotYourNode => StatusCode::FORBIDDEN,
                ScanError::OutOfOrder { .. } => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            refused(status, refusal(c, &e, event))
        }
    }
}

// ------------------------------------------- packing list and label

/// A line of a packing list.
struct PackingLine {
    order_number: String,
    product: String,
    quantity: String,
    weight: String,
}

#[derive(Template)]
#[template(path = "packing.html")]
struct PackingPage<'a> {
    c: &'a Chrome,
    code: String,
    from_id: i64,
    from: String,
    to: String,
    status: &'static str,
    cold: bool,
    cutoff: String,
    lines: Vec<PackingLine>,
    weight: String,
    unweighed: Option<String>,
}

/// Shipment `code` if `actor` may see it; else the 404 page.
async fn visible_shipment(state: &AppState, page: &Page, code: &str) -> Result<Shipment, super::PageError> {
    let actor = page.with_role(&MOVERS)?;
    if !looks_like_code(code) {
        return Err(page.not_found());
    }
    views::shipment(&state.db, &actor, code).await.or_500(page)?.ok_or_else(|| page.not_found())
}

/// `GET /hub/shipments/{code}`: the packing list, printable.
pub async fn packing(page: Page, State(state): State<AppState>, Path(code): Path<String>) -> PageResult {
    let s = visible_shipment(&state, &page, &code).await?;
    let c = &page.c;
    let view = PackingPage {
        c,
        code: s.code.clone(),
        from_id: s.from.node_id,
        from: named(c, &s.from.name, s.from.kind),
        to: destination(c, &s.to),
        status: c.w.shipment_status(s.status),
        cold: s.cold,
        cutoff: c.w.when(&s.window_ends_at),
        lines: s
            .lines
            .iter()
            .map(|l| PackingLine {
                order_number: l.order_number.clone(),
                product: l.product_name.clone(),
                quantity: format!("{} {}", l.quantity, l.unit),
                weight: kg(l.weight_g),
            })
            .collect(),
        weight: kg(s.weight_g),
        unweighed: (s.unweighed_lines > 0).then(|| fill(c.w.ship_unweighed, &[("n", &s.unweighed_lines)])),
    };
    page.render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "label.html")]
struct LabelPage<'a> {
    c: &'a Chrome,
    code: String,
    from_id: i64,
    from: String,
    to: String,
    weight: String,
    lines: usize,
    cold: bool,
    qr: String,
    code128: String,
}

/// The label's two codes as inline SVG: the QR code and the Code 128
/// barcode of `code` (a shipment code: 9 letters and digits, which both
/// encode).
fn barcodes(code: &str) -> Result<(String, String), crate::barcode::BarcodeError> {
    // A QR module of 4 px and Code 128 modules of 2 px, 60 px tall: sizes
    // the label's stylesheet scales to 38 mm and the sheet's width, which
    // a phone camera and a handheld scanner read from a hand's length.
    Ok((crate::barcode::qr_svg(code, 4)?, crate::barcode::code128_svg(code, 2, 60)?))
}

/// `GET /hub/shipments/{code}/label`: the A6 label (the JSON API's
/// `GET /api/v1/shipments/{code}/label` leads here).
pub async fn label(page: Page, State(state): State<AppState>, Path(code): Path<String>) -> PageResult {
    let s = visible_shipment(&state, &page, &code).await?;
    let (qr, code128) = barcodes(&s.code).map_err(|e| page.fail(e))?;
    let c = &page.c;
    let view = LabelPage {
        c,
        code: s.code.clone(),
        from_id: s.from.node_id,
        from: s.from.name.clone(),
        to: match &s.to {
            Destination::Node(n) => n.name.clone(),
            Destination::Buyer { .. } => destination(c, &s.to),
        },
        weight: kg(s.weight_g),
        lines: s.lines.len(),
        cold: s.cold,
        qr,
        code128,
    };
    page.render(StatusCode::OK, &view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_show_as_kilograms_to_a_tenth() {
        assert_eq!(kg(0), "0");
        assert_eq!(kg(12_500), "12.5");
        assert_eq!(kg(3_000), "3");
        assert_eq!(kg(1_949), "1.9");
        assert_eq!(kg(1_950), "2");
    }
}
