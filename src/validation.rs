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
