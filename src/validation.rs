//! Field-level validation errors, collected rather than stopping at the
//! first, so a form or API client can fix everything in one go.

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field, e.g. `price_tiers[1].unit_price_fen`.
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
}

/// All problems found in one input: the first
/// [`crate::bounds::MAX_FIELD_ERRORS`] listed, then one last entry that
/// counts the rest, so an answer stays small however bad the input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>, #[serde(skip)] usize);

impl FieldErrors {
    /// Records a problem.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        if self.1 == 0 && self.0.len() < crate::bounds::MAX_FIELD_ERRORS {
            self.0.push(FieldError { field: field.into(), message: message.into() });
            return;
        }
        self.1 += 1;
        let message = if self.1 == 1 { "1 more problem not listed".to_owned() } else { format!("{} more problems not listed", self.1) };
        let more = FieldError { field: "more".into(), message };
        if self.1 == 1 {
            self.0.push(more);
        } else if let Some(last) = self.0.last_mut() {
            *last = more;
        }
    }

    /// Ends a list its caller has already cut short with the caller's own
    /// count of the rest (e.g. "and 3,400 more rows have problems"); not
    /// subject to the cap, as the cutting is done.
    pub fn summarise_rest(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing is wrong, else the errors.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Checks a page request (`?page=&per_page=` as API.md has it): pages
/// from 1, 50 items per page by default, at most 200. Returns the page and
/// its size, or the fields that are out of range.
pub fn check_page(page: Option<i64>, per_page: Option<i64>) -> Result<(i64, i64), FieldErrors> {
    let mut errors = FieldErrors::default();
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(50);
    if !(1..=1_000_000).contains(&page) {
        errors.add("page", "pages are numbered from 1");
    }
    if !(1..=200).contains(&per_page) {
        errors.add("per_page", "give 1 to 200 items per page");
    }
    errors.into_result().map(|()| (page, per_page))
}

/// True for characters no text field may hold: control characters other
/// than tab, line feed and carriage return (U+0000 is refused by
/// PostgreSQL outright, so it was a 500 there and stored on SQLite), and
/// the bidirectional embeddings, overrides, isolates and marks that make an
/// invoice reference or an address read differently from what it holds.
pub fn forbidden_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// True when a JSON text carries a forbidden character in any string,
/// written as itself or as a `\uXXXX` escape. Reads the text once, without
/// parsing it: an escaped backslash (`\\u0000`) is two characters, not one.
pub fn json_has_forbidden_char(json: &str) -> bool {
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).ok();
                    // A surrogate half is no control character; others decode.
                    if code.and_then(char::from_u32).is_some_and(forbidden_char) {
                        return true;
                    }
                }
                _ => continue,
            }
        } else if forbidden_char(c) {
            return true;
        }
    }
    false
}

/// The error for a text with a forbidden character, naming `field`.
pub fn forbidden_char_error(field: &str) -> FieldErrors {
    let mut e = FieldErrors::default();
    e.add(field, "remove the control characters (such as U+0000) or text-direction overrides; they cannot be stored");
    e
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_direction_overrides_are_found_written_or_escaped() {
        assert!(json_has_forbidden_char(r#"{"email":"a\u0000@x.demo"}"#));
        assert!(json_has_forbidden_char(r#"{"note":"\u202e"}"#));
        assert!(json_has_forbidden_char("{\"note\":\"a\u{7}b\"}"));
        assert!(json_has_forbidden_char("{\"note\":\"\u{2066}x\"}"));
        assert!(!json_has_forbidden_char(r#"{"note":"第一行\n第二行\t\u4f60"}"#));
        assert!(!json_has_forbidden_char(r#"{"path":"C:\\u0000"}"#), "an escaped backslash before u0000 is text");
        assert!(!json_has_forbidden_char("{\"a\":\"喀什市人民东路1号\"}"));
    }

    #[test]
    fn past_the_limit_problems_are_counted_not_listed() {
        let mut e = FieldErrors::default();
        for i in 0..60_000 {
            e.add(format!("lines[{i}].quantity"), "give a whole quantity");
        }
        assert_eq!(e.0.len(), crate::bounds::MAX_FIELD_ERRORS + 1);
        assert_eq!(e.0[99].field, "lines[99].quantity");
        assert_eq!(e.0[100].message, "59900 more problems not listed");
    }
}
