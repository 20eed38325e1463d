//! Ids: `BIGINT` in the database, opaque strings in the API (API.md), so
//! clients never do arithmetic on them and the representation may change.

/// Serializes an `i64` id as a string.
pub fn serialize<S: serde::Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

/// Parses an id from a path or a body; anything else is "no such thing".
pub fn parse(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|id| *id > 0)
}

/// Deserializes an id given as a string (or, leniently, a number).
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Raw {
        S(String),
        N(i64),
    }
    let id = match <Raw as serde::Deserialize>::deserialize(d)? {
        Raw::S(s) => parse(&s),
        Raw::N(n) => Some(n).filter(|n| *n > 0),
    };
    id.ok_or_else(|| serde::de::Error::custom("not a valid id"))
}
