//! Farming households (农户): pseudonymous code, village, size, poverty
//! status, and — personal data under invariant 7 — register number and
//! head's name, which only the household's cooperative and officials of
//! its region may see. Every read that returns a household goes through
//! [`Viewer`] so the rule lives in one place.

use crate::auth::Actor;
use crate::db::Db;
use crate::regions::RegionCode;
use serde::Serialize;

/// Poverty status of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 建档立卡贫困户: in the national register.
    RegisteredPoor,
    /// 监测户: watched for risk of returning to poverty.
    Monitored,
    /// 边缘户: just above the line, at risk.
    Edge,
    /// 已脱贫: lifted out of poverty.
    Lifted,
    /// None of the above.
    None,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [Status::RegisteredPoor, Status::Monitored, Status::Edge, Status::Lifted, Status::None];

    /// The API / database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::RegisteredPoor => "registered_poor",
            Status::Monitored => "monitored",
            Status::Edge => "edge",
            Status::Lifted => "lifted",
            Status::None => "none",
        }
    }

    /// Parses the API / database name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A household as one viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct Household {
    /// Opaque id (used in lot contributions).
    #[serde(serialize_with = "crate::ids::serialize")]
    pub id: i64,
    /// Stable pseudonym, e.g. `HH-7K3QX9PM`.
    pub code: String,
    /// The village, 12 digits.
    pub village_code: String,
    /// People in the household.
    pub size: i64,
    /// Poverty status.
    pub status: Status,
    /// 建档立卡 number; only for those allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_number: Option<String>,
    /// Head of household; only for those allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_name: Option<String>,
}

/// Who is looking, reduced to what decides household privacy.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The cooperative the viewer manages.
    pub cooperative_id: Option<i64>,
    /// The region the viewer is an official of.
    pub official_region: Option<RegionCode>,
}

impl Viewer {
    /// The privacy view of an actor (anonymous visitors: `Viewer::default()`).
    pub fn of(actor: Option<&Actor>) -> Viewer {
        match actor {
            Some(a) => Viewer { cooperative_id: a.managed_cooperative(), official_region: a.official_region() },
            None => Viewer::default(),
        }
    }

    /// True when this viewer may see the identity of a household in
    /// `village` whose cooperatives are `member_of`.
    pub fn may_identify(&self, village: &str, member_of: &[i64]) -> bool {
        let by_coop = self.cooperative_id.is_some_and(|c| member_of.contains(&c));
        let by_region = match (self.official_region, RegionCode::parse(village)) {
            (Some(region), Ok(v)) => region.contains(v),
            _ => false,
        };
        by_coop || by_region
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    code: String,
    village_code: String,
    size: i64,
    status: String,
    register_number: Option<String>,
    head_name: Option<String>,
}

/// Builds the viewer's picture of a household row.
async fn present(db: &Db, viewer: &Viewer, rows: Vec<Row>) -> sqlx::Result<Vec<Household>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let member_of: Vec<i64> = match viewer.cooperative_id {
            Some(_) => sqlx::query_scalar("SELECT cooperative_id FROM cooperative_members WHERE household_id = $1")
                .bind(r.id)
                .fetch_all(db.pool())
                .await?,
            None => Vec::new(),
        };
        let identified = viewer.may_identify(&r.village_code, &member_of);
        out.push(Household {
            id: r.id,
            code: r.code,
            village_code: r.village_code,
            size: r.size,
            status: Status::parse(&r.status).unwrap_or(Status::None),
            register_number: if identified { r.register_number } else { None },
            head_name: if identified { r.head_name } else { None },
        });
    }
    Ok(out)
}

/// The member households of a cooperative, in code order, one page.
pub async fn members(db: &Db, viewer: &Viewer, cooperative_id: i64, limit: i64, offset: i64) -> sqlx::Result<(Vec<Household>, i64)> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cooperative_members WHERE cooperative_id = $1")
        .bind(cooperative_id)
        .fetch_one(db.pool())
        .await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT h.id, h.code, h.village_code, h.size, h.status, h.register_number, h.head_name \
         FROM households h JOIN cooperative_members m ON m.household_id = h.id \
         WHERE m.cooperative_id = $1 ORDER BY h.code LIMIT $2 OFFSET $3",
    )
    .bind(cooperative_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    Ok((present(db, viewer, rows).await?, total))
}

/// A fresh pseudonymous code: `HH-` and 8 characters of Crockford base32
/// from `random` (no vowels-lookalikes, so codes read aloud cleanly).
pub fn pseudonym(random: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut s = String::from("HH-");
    for i in 0..8 {
        s.push(ALPHABET[((random >> (i * 5)) & 31) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_cooperative_and_officials_of_the_region_may_identify() {
        let village = "653129100200";
        let anonymous = Viewer::default();
        let own_coop = Viewer { cooperative_id: Some(7), official_region: None };
        let other_coop = Viewer { cooperative_id: Some(8), official_region: None };
        let county_official = Viewer { cooperative_id: None, official_region: RegionCode::parse("653129").ok() };
        let other_official = Viewer { cooperative_id: None, official_region: RegionCode::parse("5403").ok() };
        assert!(!anonymous.may_identify(village, &[7]));
        assert!(own_coop.may_identify(village, &[7]));
        assert!(!other_coop.may_identify(village, &[7]));
        assert!(county_official.may_identify(village, &[7]));
        assert!(!other_official.may_identify(village, &[7]));
    }

    #[test]
    fn pseudonyms_have_a_fixed_readable_shape() {
        let a = pseudonym(0x1234_5678_9abc);
        assert_eq!(a.len(), 11);
        assert!(a.starts_with("HH-"));
        assert_ne!(a, pseudonym(0x1234_5678_9abd));
        assert!(!a.contains('I') && !a.contains('O'));
    }
}
