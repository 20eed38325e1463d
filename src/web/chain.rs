//! An order line's journey through the chain as the pages draw it: one row
//! per route (one per lot the line's goods come from), its steps
//! 村 → 乡 → 县 → 地区 → 收货方 — a level the route passed over shown as
//! skipped with the reason — where the goods are now, and at each step the
//! scans made there (China time, with the scanning organisation). Built
//! from the domain's tracking (`distribution::views::tracking`), which has
//! already decided who may see which line; this module only words it.

use super::Chrome;
use crate::distribution::NodeKind;
use crate::distribution::route::LegKind;
use crate::distribution::shipments::{Destination, ScanEvent};
use crate::distribution::views::{LegView, LineTracking, RouteView, Tracking, WhereNow};

/// One step of a route's diagram.
pub struct Step {
    /// The level, in words (村, 乡, 县, 地区, 收货方).
    pub level: &'static str,
    /// The node's name (empty for a skipped level and the buyer).
    pub name: String,
    /// `passed`, `here`, `next` (the goods are on their way to it),
    /// `ahead` or `skipped`: the class the stylesheet colours.
    pub state: &'static str,
    /// Why a level was skipped, or how the goods reach the buyer.
    pub note: String,
    /// The scans made at this step, oldest first: event, China time, who.
    pub scans: Vec<String>,
}

/// One route of a line.
pub struct RouteRow {
    /// "第 1 批 · 20".
    pub heading: String,
    /// Its steps, bottom of the chain first, the buyer last.
    pub steps: Vec<Step>,
    /// Where its goods are now, in words.
    pub now: String,
    /// Anything else the route says (cold goods leaving on the day).
    pub notes: Vec<String>,
}

/// A line's journey.
pub struct Journey {
    /// The line.
    pub line_id: i64,
    /// Its product.
    pub product: String,
    /// One row per route.
    pub routes: Vec<RouteRow>,
    /// Where the goods of all its routes are, in words, joined.
    pub now: String,
}

/// The journeys of the lines of `t`, in the page's words.
pub fn journeys(c: &Chrome, t: &Tracking) -> Vec<Journey> {
    t.lines.iter().map(|l| journey(c, l)).collect()
}

fn journey(c: &Chrome, l: &LineTracking) -> Journey {
    let routes: Vec<RouteRow> = l.routes.iter().map(|r| route_row(c, l, r)).collect();
    let now = if routes.is_empty() {
        c.w.track_not_routed.to_owned()
    } else {
        let mut seen: Vec<String> = Vec::new();
        for r in &routes {
            if !seen.contains(&r.now) {
                seen.push(r.now.clone());
            }
        }
        c.w.list(&seen)
    };
    Journey { line_id: l.line_id, product: l.product_name.clone(), routes, now }
}

/// A destination's name: the node's, or the buyer in words.
fn name_of(c: &Chrome, d: &Destination) -> String {
    match d {
        Destination::Node(n) => n.name.clone(),
        Destination::Buyer { .. } => c.w.level_buyer.to_owned(),
    }
}

/// Where a route's goods are, in words.
pub fn where_now(c: &Chrome, now: &WhereNow) -> String {
    let w = c.w;
    match now {
        WhereNow::AtNode { node } => super::words::fill(w.track_at, &[("node", &node.name)]),
        WhereNow::OnTheWay { from, to } => super::words::fill(w.track_on_the_way, &[("from", &from.name), ("to", &name_of(c, to))]),
        WhereNow::Delivered => w.track_delivered.to_owned(),
    }
}

/// A scan as a step shows it: `发运 2026年12月3日 10:00 · 伽师县…`.
fn scan_text(c: &Chrome, event: ScanEvent, at: &str, by: &str) -> String {
    let mut s = format!("{} {}", c.w.scan_event(event), c.w.when(at));
    if !by.is_empty() {
        s.push_str(" · ");
        s.push_str(by);
    }
    s
}

fn route_row(c: &Chrome, l: &LineTracking, r: &RouteView) -> RouteRow {
    let w = c.w;
    let legs: Vec<&LegView> = l.legs.iter().filter(|g| g.route == r.route).collect();
    // The nodes the goods pass, in order: where the first leg leaves, then
    // where each leg arrives.
    let mut stops: Vec<(NodeKind, i64, String)> = Vec::new();
    if let Some(first) = legs.first() {
        stops.push((first.from.kind, first.from.node_id, first.from.name.clone()));
    }
    for g in &legs {
        if let Destination::Node(n) = &g.to {
            stops.push((n.kind, n.node_id, n.name.clone()));
        }
    }
    // Which stop the goods are at, or coming to.
    let (here, next): (Option<i64>, Option<i64>) = match &r.now {
        WhereNow::AtNode { node } => (Some(node.node_id), None),
        WhereNow::OnTheWay { to: Destination::Node(n), .. } => (None, Some(n.node_id)),
        WhereNow::OnTheWay { .. } | WhereNow::Delivered => (None, None),
    };
    let delivered = matches!(r.now, WhereNow::Delivered);
    let to_buyer = matches!(r.now, WhereNow::OnTheWay { to: Destination::Buyer { .. }, .. });
    let position = stops.iter().position(|(_, id, _)| Some(*id) == here || Some(*id) == next);
    let scans_at = |node: i64, delivered_only: bool| -> Vec<String> {
        let mut out: Vec<(String, &'static str, String)> = Vec::new();
        for g in &legs {
            for e in &g.events {
                let fits =
                    if delivered_only { e.event == ScanEvent::Delivered } else { e.node_id == node && e.event != ScanEvent::Delivered };
                // A shipment's scans reach every leg in it: once each.
                if fits && !out.iter().any(|(at, ev, _)| *at == e.at && *ev == e.event.as_str()) {
                    out.push((e.at.clone(), e.event.as_str(), scan_text(c, e.event, &e.at, &e.by)));
                }
            }
        }
        out.sort();
        out.into_iter().map(|(_, _, s)| s).collect()
    };
    // Steps by level: the stops, and the skipped levels between them.
    let mut by_level: Vec<(NodeKind, Step)> = Vec::new();
    for (i, (kind, id, name)) in stops.iter().enumerate() {
        let state = match position {
            _ if delivered || to_buyer => "passed",
            Some(p) if i < p => "passed",
            Some(p) if i == p && Some(*id) == here => "here",
            Some(p) if i == p => "next",
            _ => "ahead",
        };
        by_level
            .push((*kind, Step { level: w.level_of(*kind), name: name.clone(), state, note: String::new(), scans: scans_at(*id, false) }));
    }
    for s in &r.skipped {
        if let Some(kind) = NodeKind::for_level(s.level) {
            by_level.push((
                kind,
                Step {
                    level: w.level_of(kind),
                    name: String::new(),
                    state: "skipped",
                    note: w.skip_reason(s.reason).to_owned(),
                    scans: Vec::new(),
                },
            ));
        }
    }
    by_level.sort_by_key(|(k, _)| *k);
    let mut steps: Vec<Step> = by_level.into_iter().map(|(_, s)| s).collect();
    let line_haul = legs.last().is_some_and(|g| g.kind == LegKind::LineHaul);
    steps.push(Step {
        level: w.level_buyer,
        name: String::new(),
        state: if delivered {
            "here"
        } else if to_buyer {
            "next"
        } else {
            "ahead"
        },
        note: if line_haul { w.track_line_haul.to_owned() } else { String::new() },
        scans: scans_at(0, true),
    });
    let mut notes = Vec::new();
    if r.leaves_on_pickup_day {
        notes.push(w.track_leaves_on_pickup.to_owned());
    }
    RouteRow {
        heading: super::words::fill(w.track_route, &[("n", &r.route), ("quantity", &r.quantity)]),
        steps,
        now: where_now(c, &r.now),
        notes,
    }
}
