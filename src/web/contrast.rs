//! The stylesheet's colour pairs against WCAG AA: every rule that gives
//! text a colour or a box a background is checked as "text colour on its
//! background" at 4.5:1 or more (the level for ordinary text; the chips,
//! hints and table cells are small).
//!
//! The parser reads what `app.css` uses, no more: rules, `@media` blocks
//! (their rules are checked like the others), `:root` custom properties,
//! `#rgb`/`#rrggbb` colours and `var(--name)`. A rule's background is its
//! own, else that of the nearest rule whose selector its own extends (the
//! box it sits in: `.facet.on span` sits in `.facet.on`, `header.top a` in
//! `header.top`), else the page's and a card's white; its text colour is
//! its own, else inherited the same way, else the body's. Rules with the
//! same selector are merged in cascade order, so a later rule that
//! repaints a chip is what is checked, as the browser shows it.

use std::collections::HashMap;

/// The lowest contrast ratio for text (WCAG 2.x AA, success criterion 1.4.3).
pub const AA_TEXT: f64 = 4.5;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(u8, u8, u8);

impl Rgb {
    /// `#rgb` or `#rrggbb`.
    fn hex(s: &str) -> Option<Rgb> {
        let h = s.strip_prefix('#')?;
        let h: String = match h.len() {
            3 => h.chars().flat_map(|c| [c, c]).collect(),
            6 => h.to_owned(),
            _ => return None,
        };
        let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    /// Relative luminance (WCAG 2.x).
    fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }
}

impl std::fmt::Display for Rgb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// The contrast ratio of two colours, 1 to 21.
pub fn ratio(a: Rgb, b: Rgb) -> f64 {
    let (a, b) = (a.luminance(), b.luminance());
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// One rule as the checker needs it: where it is, its selector, its text
/// colour and background (as written; resolved later).
#[derive(Debug, Clone)]
struct Rule {
    /// `@media …` prelude, or empty at the top level.
    media: String,
    selector: String,
    color: Option<String>,
    background: Option<String>,
}

/// The rules of `css`, one per selector of a selector list, in order.
fn rules(css: &str) -> Vec<Rule> {
    let mut out = Vec::new();
    let css = strip_comments(css);
    collect(&css, "", &mut out);
    out
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..].split_once("*/").map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

fn collect(css: &str, media: &str, out: &mut Vec<Rule>) {
    let mut rest = css;
    while let Some(open) = rest.find('{') {
        let prelude = rest[..open].trim();
        // The matching close brace (blocks nest one level: @media).
        let mut depth = 0;
        let mut close = None;
        for (i, ch) in rest[open..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else { break };
        let body = &rest[open + 1..close];
        if prelude.starts_with('@') {
            collect(body, prelude, out);
        } else {
            let mut color = None;
            let mut background = None;
            for decl in body.split(';') {
                let Some((prop, value)) = decl.split_once(':') else { continue };
                let value = value.replace("!important", "").trim().to_owned();
                match prop.trim() {
                    "color" => color = Some(value),
                    "background" | "background-color" => background = Some(value),
                    _ => {}
                }
            }
            for selector in prelude.split(',') {
                let selector = selector.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push(Rule { media: media.to_owned(), selector, color: color.clone(), background: background.clone() });
            }
        }
        rest = &rest[close + 1..];
    }
}

/// A colour value: `#hex`, or `var(--name)` from `vars`; anything else
/// (`none`, `transparent`, `currentColor`, `inherit`) is no colour.
fn colour(value: &str, vars: &HashMap<String, String>) -> Option<Rgb> {
    let first = value.split_whitespace().next()?;
    if let Some(name) = first.strip_prefix("var(").and_then(|v| v.strip_suffix(')')) {
        return colour(vars.get(name.trim())?, vars);
    }
    Rgb::hex(first)
}

/// `inner` is `outer` extended: the same element with more conditions
/// (`.facet.on` of `.facet`) or a box inside it (`.facet.on span`).
fn extends(inner: &str, outer: &str) -> bool {
    inner.len() > outer.len() && inner.starts_with(outer) && matches!(inner.as_bytes()[outer.len()], b' ' | b'>' | b'.' | b':' | b'[')
}

/// A pair that reads too faintly.
#[derive(Debug, Clone, PartialEq)]
pub struct Faint {
    /// The rule's selector (with its `@media`, if any).
    pub selector: String,
    /// Text colour.
    pub text: String,
    /// Background colour.
    pub background: String,
    /// The ratio, rounded to two places.
    pub ratio: f64,
}

/// Every colour pair of `css` under `min`.
pub fn faint_pairs(css: &str, min: f64) -> Vec<Faint> {
    let all = rules(css);
    let vars: HashMap<String, String> = {
        let mut vars = HashMap::new();
        let root = strip_comments(css);
        if let Some(body) = root.split_once(":root").and_then(|(_, r)| r.split_once('{')).and_then(|(_, r)| r.split_once('}')) {
            for decl in body.0.split(';') {
                if let Some((k, v)) = decl.split_once(':') {
                    vars.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        vars
    };
    // Same media and selector: later declarations win, as in the browser.
    let mut merged: Vec<Rule> = Vec::new();
    for r in all {
        // Progress bars and their parts carry no text.
        if r.selector.contains("progress") || r.selector == ":root" {
            continue;
        }
        match merged.iter_mut().find(|m| m.media == r.media && m.selector == r.selector) {
            Some(m) => {
                if r.color.is_some() {
                    m.color = r.color;
                }
                if r.background.is_some() {
                    m.background = r.background;
                }
            }
            None => merged.push(r),
        }
    }
    let find = |r: &Rule, pick: fn(&Rule) -> Option<&String>| -> Option<Rgb> {
        merged
            .iter()
            .filter(|m| (m.media.is_empty() || m.media == r.media) && extends(&r.selector, &m.selector))
            .filter_map(|m| Some((m.selector.len(), colour(pick(m)?, &vars)?)))
            .max_by_key(|(len, _)| *len)
            .map(|(_, c)| c)
    };
    let body = merged.iter().find(|m| m.selector == "body" && m.media.is_empty());
    let page_ink = body.and_then(|b| colour(b.color.as_ref()?, &vars)).unwrap_or(Rgb(0, 0, 0));
    let page_bg = body.and_then(|b| colour(b.background.as_ref()?, &vars)).unwrap_or(Rgb(255, 255, 255));
    let mut faint = Vec::new();
    for r in &merged {
        let own_fg = r.color.as_deref().and_then(|c| colour(c, &vars));
        let own_bg = r.background.as_deref().and_then(|c| colour(c, &vars));
        if own_fg.is_none() && own_bg.is_none() {
            continue;
        }
        let fg = own_fg.or_else(|| find(r, |m| m.color.as_ref())).unwrap_or(page_ink);
        let backgrounds = match own_bg.or_else(|| find(r, |m| m.background.as_ref())) {
            Some(bg) => vec![bg],
            // Text on the page itself, or on a white card of it.
            None if page_bg == Rgb(255, 255, 255) => vec![page_bg],
            None => vec![page_bg, Rgb(255, 255, 255)],
        };
        for bg in backgrounds {
            let q = ratio(fg, bg);
            if q < min {
                let where_ = if r.media.is_empty() { r.selector.clone() } else { format!("{} {}", r.media, r.selector) };
                faint.push(Faint {
                    selector: where_,
                    text: fg.to_string(),
                    background: bg.to_string(),
                    ratio: (q * 100.0).round() / 100.0,
                });
            }
        }
    }
    faint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_colour_pair_of_the_stylesheet_reads_at_wcag_aa() {
        let css = include_str!("../../frontend/static/app.css");
        let faint = faint_pairs(css, AA_TEXT);
        assert!(faint.is_empty(), "text colours under 4.5:1 on their background:\n{faint:#?}");
    }

    #[test]
    fn the_ratio_is_the_one_wcag_defines() {
        assert!((ratio(Rgb(0, 0, 0), Rgb(255, 255, 255)) - 21.0).abs() < 1e-9);
        // #777 on white is the well-known near miss: 4.48:1.
        let grey = ratio(Rgb::hex("#777").unwrap(), Rgb::hex("#fff").unwrap());
        assert!((4.47..4.49).contains(&grey), "{grey}");
    }

    #[test]
    fn a_faint_pair_is_caught_in_a_rule_and_in_the_box_it_sits_in() {
        let css = ":root { --muted: #777; --green: #2f6f3e; }\n\
                   body { color: #1f2421; background: #f7f8f4; }\n\
                   .hint { color: var(--muted); }\n\
                   .chip.on { background: var(--green); color: #fff; }\n\
                   /* white links on a light green header: too faint */\n\
                   header.top { background: #6fae7e; }\n\
                   header.top a { color: #fff; }";
        let faint = faint_pairs(css, AA_TEXT);
        let found: Vec<(&str, &str, &str)> = faint.iter().map(|f| (f.selector.as_str(), f.text.as_str(), f.background.as_str())).collect();
        assert_eq!(
            found,
            [(".hint", "#777777", "#f7f8f4"), (".hint", "#777777", "#ffffff"), ("header.top a", "#ffffff", "#6fae7e")],
            "{faint:#?}"
        );
        assert!(faint_pairs(css, 2.0).is_empty());
    }

    #[test]
    fn a_later_rule_repaints_a_chip_as_the_browser_does() {
        let css = "body { color: #000; background: #fff; }\n.facet.on { background: #2f6f3e; color: #fff; }\n@media print { .x { color: #000 } }\n.facet.on { background: #e3f1e2; color: #9ac29f; }";
        let faint = faint_pairs(css, AA_TEXT);
        assert_eq!(faint.len(), 1, "{faint:#?}");
        assert_eq!((faint[0].text.as_str(), faint[0].background.as_str()), ("#9ac29f", "#e3f1e2"));
    }
}
