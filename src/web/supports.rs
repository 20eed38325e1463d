//! The "带动 N 户" block of the product and cooperative pages: how many
//! households supplied the goods, where they live and their statuses, in
//! words. Counts only (`households::support`): public pages never name a
//! household.

use super::Chrome;
use crate::app::AppState;
use crate::households::{self, Status, Supplier};
use crate::regions::{RegionCode, RegionLevel};

/// Most villages listed; the rest are counted.
const MAX_VILLAGES: usize = 12;

/// The block, in the page's words.
pub struct SupportView {
    /// Households in all.
    pub households: i64,
    /// "带动 <strong>12</strong> 户农户增收：建档立卡贫困户 5 户、一般农户 7 户"
    /// (HTML, escaped).
    pub lead_html: String,
    /// "伽师县巴仁村：12 户（建档立卡贫困户 5 户、一般农户 7 户）".
    pub villages: Vec<String>,
    /// "另有 3 个村", when more villages than are listed.
    pub more: Option<String>,
}

/// A count of households of one status: "监测户 2 户", "2 monitored".
fn counted(c: &Chrome, status: Status, n: i64) -> String {
    let w = c.w;
    let template = match status {
        Status::RegisteredPoor => w.count_registered_poor,
        Status::Monitored => w.count_monitored,
        Status::Edge => w.count_edge,
        Status::Lifted => w.count_lifted,
        Status::None => w.count_other,
    };
    super::words::fill(template, &[("n", &n)])
}

fn statuses(c: &Chrome, by_status: &[(Status, i64)]) -> String {
    c.w.list(&by_status.iter().map(|(s, n)| counted(c, *s, *n)).collect::<Vec<_>>())
}

/// Whom `supplier` supports, in the words of the page of `c`.
pub async fn view(state: &AppState, c: &Chrome, supplier: Supplier) -> anyhow::Result<SupportView> {
    let support = households::support(&state.db, supplier).await?;
    let shown = &support.villages[..support.villages.len().min(MAX_VILLAGES)];
    let codes: Vec<RegionCode> = shown.iter().filter_map(|v| RegionCode::parse(&v.code).ok()).collect();
    let regions = crate::regions::get_many(&state.db, &codes).await?;
    let villages = shown
        .iter()
        .map(|v| {
            let name = RegionCode::parse(&v.code)
                .ok()
                .and_then(|code| regions.get(&code))
                .map(|r| {
                    let county = r.at(RegionLevel::County).map(|l| l.name.as_str()).unwrap_or_default();
                    super::words::village_in_county(c.lang, county, &r.name)
                })
                .unwrap_or_default();
            super::words::fill(
                if v.households == 1 { c.w.supports_village_one } else { c.w.supports_village },
                &[("village", &name), ("households", &v.households), ("statuses", &statuses(c, &v.by_status))],
            )
        })
        .collect();
    let hidden = support.villages.len().saturating_sub(MAX_VILLAGES);
    Ok(SupportView {
        households: support.households,
        lead_html: super::words::fill(
            &super::words::escape(if support.households == 1 { c.w.supports_lead_one } else { c.w.supports_lead }),
            &[
                ("households", &format!("<strong id=\"supports-households\">{}</strong>", support.households)),
                ("statuses", &super::words::escape(statuses(c, &support.by_status))),
            ],
        ),
        villages,
        more: (hidden > 0)
            .then(|| super::words::fill(if hidden == 1 { c.w.supports_more_one } else { c.w.supports_more }, &[("n", &hidden)])),
    })
}
