//! Planning a route up the chain (DESIGN.md, Routing through the chain).
//!
//! A pure function of the sites on the origin's chain, the delivery region
//! and whether the goods need cold: no database, no clock. The caller
//! loads the candidate sites (the nodes whose region is the origin's
//! township, county or prefecture) and stores the legs; a stored route is
//! never silently recomputed, so this function deciding the same way twice
//! is what makes a route explainable, not what keeps it stable.
//!
//! The rules, in order:
//! - Goods leave the site where the lot sits. If that site's region
//!   contains the delivery region, one last-mile leg goes to the buyer.
//! - Otherwise they climb level by level (township sorting centre, county
//!   distribution centre, prefecture hub), stopping at the lowest site
//!   whose region contains the delivery region; from there a last-mile leg
//!   goes to the buyer.
//! - A level with no site, or (for chilled and frozen goods) no site with
//!   cold storage, is skipped and the route records the level and why.
//! - When no level contains the delivery region, the goods go as high as
//!   the chain allows (the prefecture hub, unless it was skipped) and a
//!   line-haul leg takes them to the buyer.
//! - Cold goods at a site without cold storage leave it on the day they
//!   are picked up; the route says so.

use crate::regions::{RegionCode, RegionLevel};
use serde::Serialize;
use time::Date;

/// A node of the chain as the planner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The node's id.
    pub id: i64,
    /// The region the node serves: a village for a village point, a
    /// township for a sorting centre, and so on up.
    pub region: RegionCode,
    /// Whether it has cold storage.
    pub cold: bool,
}

/// What a leg does in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegKind {
    /// From a village point up to the next node.
    Collection,
    /// Between two nodes above the village.
    Trunk,
    /// From the top of the chain to a buyer outside the origin's
    /// prefecture.
    LineHaul,
    /// From a node to a buyer inside its region.
    LastMile,
}

named_enum!(LegKind { Collection => "collection", Trunk => "trunk", LineHaul => "line_haul", LastMile => "last_mile" });

/// Why a level of the chain was passed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The origin's region at that level has no node.
    NoNode,
    /// It has nodes, but none with cold storage, and the goods need cold.
    NoColdStorage,
}

named_enum!(SkipReason { NoNode => "no_node", NoColdStorage => "no_cold_storage" });

/// A level the route passed over, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The level of the chain (township, county or prefecture).
    pub level: RegionLevel,
    /// Why.
    pub reason: SkipReason,
}

/// One leg of a planned route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedLeg {
    /// The node the goods leave.
    pub from: i64,
    /// The node they go to; `None` for the buyer.
    pub to: Option<i64>,
    /// What the leg does.
    pub kind: LegKind,
    /// The day the leg is planned to leave.
    pub planned_on: Date,
}

/// A planned route: its legs in order, the levels it passed over, and
/// whether cold goods must leave their first node on the day of pick-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// In travel order; the last one goes to the buyer.
    pub legs: Vec<PlannedLeg>,
    /// Levels between the start and the last node that were passed over.
    pub skipped: Vec<Skipped>,
    /// Chilled or frozen goods at a node without cold storage: they leave
    /// it on the day they are picked up.
    pub leaves_on_pickup_day: bool,
}

/// The levels above the village, bottom first.
const CLIMB: [RegionLevel; 3] = [RegionLevel::Township, RegionLevel::County, RegionLevel::Prefecture];

/// Plans the route of goods sitting at `start` to a buyer in `delivery`,
/// over `candidates` (nodes of any region; only those whose region is the
/// origin's township, county or prefecture are considered). Each leg leaves
/// one day after the one before it, the first on `first_day`. Among several
/// nodes at one level the lowest id that qualifies is taken, so the same
/// inputs always give the same route.
pub fn plan(start: Site, candidates: &[Site], delivery: RegionCode, needs_cold: bool, first_day: Date) -> Route {
    let mut legs = Vec::new();
    let mut skipped = Vec::new();
    let mut at = start;
    let mut day = first_day;
    let mut leg = |from: Site, to: Option<i64>, kind: LegKind, legs: &mut Vec<PlannedLeg>| {
        legs.push(PlannedLeg { from: from.id, to, kind, planned_on: day });
        day = day.next_day().unwrap_or(day);
    };
    if !start.region.contains(delivery) {
        let origin = start.region;
        for level in CLIMB.into_iter().filter(|l| *l < origin.level()) {
            let Some(region) = origin.ancestor(level) else { continue };
            let here = candidates.iter().filter(|s| s.region == region);
            let chosen = here.clone().filter(|s| s.cold || !needs_cold).min_by_key(|s| s.id);
            let Some(next) = chosen.copied() else {
                let reason = if here.count() == 0 { SkipReason::NoNode } else { SkipReason::NoColdStorage };
                skipped.push(Skipped { level, reason });
                continue;
            };
            let kind = if at.region.level() == RegionLevel::Village { LegKind::Collection } else { LegKind::Trunk };
            leg(at, Some(next.id), kind, &mut legs);
            at = next;
            if region.contains(delivery) {
                break;
            }
        }
    }
    let inside_prefecture = start.region.ancestor(RegionLevel::Prefecture).is_some_and(|p| p.contains(delivery));
    let last = if inside_prefecture { LegKind::LastMile } else { LegKind::LineHaul };
    leg(at, None, last, &mut legs);
    Route { legs, skipped, leaves_on_pickup_day: needs_cold && !start.cold }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LegKind::*;
    use SkipReason::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn site(id: i64, region: &str, cold: bool) -> Site {
        Site { id, region: code(region), cold }
    }

    fn day(n: u8) -> Date {
        Date::from_calendar_date(2026, time::Month::December, n).unwrap()
    }

    // A chain in 伽师县 (653129) of 喀什地区 (6531): village points in two
    // villages of one township, a township centre without cold storage,
    // a township with no centre at all, a cold county centre and a cold
    // prefecture hub.
    const VILLAGE: &str = "653129100201";
    const NEIGHBOUR: &str = "653129100202";
    const TOWNSHIP: &str = "653129100000";
    const BARE_TOWNSHIP_VILLAGE: &str = "653129101201";
    const OTHER_TOWNSHIP: &str = "653129102000";
    const COUNTY: &str = "653129000000";
    const PREFECTURE: &str = "653100000000";

    fn chain() -> Vec<Site> {
        vec![
            site(1, VILLAGE, false),
            site(2, NEIGHBOUR, false),
            site(10, TOWNSHIP, false),
            site(20, COUNTY, true),
            site(30, PREFECTURE, true),
            site(40, "653126000000", true), // 叶城县: not on this chain
        ]
    }

    /// (to, kind) of each leg, buyer as 0.
    fn shape(r: &Route) -> Vec<(i64, LegKind)> {
        r.legs.iter().map(|l| (l.to.unwrap_or(0), l.kind)).collect()
    }

    /// What, the delivery region, cold, the expected legs and skipped levels.
    type Case = (&'static str, &'static str, bool, Vec<(i64, LegKind)>, Vec<Skipped>);

    #[test]
    fn routes_follow_the_chain_only_as_far_as_the_delivery_region() {
        let cases: &[Case] = &[
            ("same village: straight to the buyer", VILLAGE, false, vec![(0, LastMile)], vec![]),
            ("same township: via the sorting centre", NEIGHBOUR, false, vec![(10, Collection), (0, LastMile)], vec![]),
            (
                "same county, another township: via the county centre",
                "653129102203",
                false,
                vec![(10, Collection), (20, Trunk), (0, LastMile)],
                vec![],
            ),
            (
                "a township-level delivery region of another township",
                OTHER_TOWNSHIP,
                false,
                vec![(10, Collection), (20, Trunk), (0, LastMile)],
                vec![],
            ),
            (
                "another county of 喀什地区: via the prefecture hub",
                "653126100201",
                false,
                vec![(10, Collection), (20, Trunk), (30, Trunk), (0, LastMile)],
                vec![],
            ),
            (
                "重庆市渝中区: through the hub, then line-haul",
                "500103000000",
                false,
                vec![(10, Collection), (20, Trunk), (30, Trunk), (0, LineHaul)],
                vec![],
            ),
            (
                "chilled, to the neighbouring village: the township centre has no cold storage",
                NEIGHBOUR,
                true,
                vec![(20, Collection), (0, LastMile)],
                vec![Skipped { level: RegionLevel::Township, reason: NoColdStorage }],
            ),
        ];
        for (what, delivery, cold, legs, skipped) in cases {
            let r = plan(site(1, VILLAGE, false), &chain(), code(delivery), *cold, day(1));
            assert_eq!(&shape(&r), legs, "{what}");
            assert_eq!(&r.skipped, skipped, "{what}");
            assert_eq!(r.leaves_on_pickup_day, *cold, "{what}: the village point has no cold storage");
        }
    }

    #[test]
    fn a_township_without_a_sorting_centre_is_skipped_and_said_so() {
        let start = site(3, BARE_TOWNSHIP_VILLAGE, false);
        let r = plan(start, &chain(), code("653129101202"), false, day(1));
        assert_eq!(shape(&r), vec![(20, Collection), (0, LastMile)]);
        assert_eq!(r.skipped, vec![Skipped { level: RegionLevel::Township, reason: NoNode }]);
    }

    #[test]
    fn with_no_hub_the_line_haul_leaves_from_the_highest_node_reached() {
        let chain: Vec<Site> = chain().into_iter().filter(|s| s.id != 30).collect();
        let r = plan(site(1, VILLAGE, false), &chain, code("500103000000"), false, day(1));
        assert_eq!(shape(&r), vec![(10, Collection), (20, Trunk), (0, LineHaul)]);
        assert_eq!(r.skipped, vec![Skipped { level: RegionLevel::Prefecture, reason: NoNode }]);
    }

    #[test]
    fn goods_starting_above_the_village_climb_by_trunk_legs() {
        let r = plan(site(10, TOWNSHIP, false), &chain(), code("653126100201"), false, day(1));
        assert_eq!(shape(&r), vec![(20, Trunk), (30, Trunk), (0, LastMile)]);
        assert!(r.skipped.is_empty());
    }

    #[test]
    fn among_nodes_of_one_level_the_lowest_qualifying_id_is_taken() {
        let mut chain = chain();
        chain.push(site(9, TOWNSHIP, true));
        assert_eq!(shape(&plan(site(1, VILLAGE, false), &chain, code(NEIGHBOUR), false, day(1))), vec![(9, Collection), (0, LastMile)]);
        chain.push(site(8, TOWNSHIP, false));
        assert_eq!(shape(&plan(site(1, VILLAGE, false), &chain, code(NEIGHBOUR), false, day(1))), vec![(8, Collection), (0, LastMile)]);
        assert_eq!(
            shape(&plan(site(1, VILLAGE, false), &chain, code(NEIGHBOUR), true, day(1))),
            vec![(9, Collection), (0, LastMile)],
            "cold goods take the cold one"
        );
    }

    #[test]
    fn each_leg_leaves_a_day_after_the_one_before() {
        let r = plan(site(1, VILLAGE, false), &chain(), code("500103000000"), false, day(30));
        let days: Vec<Date> = r.legs.iter().map(|l| l.planned_on).collect();
        let next = |d: Date| d.next_day().unwrap();
        assert_eq!(days, vec![day(30), next(day(30)), next(next(day(30))), next(next(next(day(30))))]);
        assert!(r.legs.windows(2).all(|w| w[0].to == Some(w[1].from)), "each leg leaves where the one before arrived");
    }

    #[test]
    fn cold_goods_at_a_cold_node_need_not_leave_on_the_day_of_pick_up() {
        let r = plan(site(20, COUNTY, true), &chain(), code("653129102203"), true, day(1));
        assert_eq!(shape(&r), vec![(0, LastMile)]);
        assert!(!r.leaves_on_pickup_day);
    }
}
