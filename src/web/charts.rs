//! Charts drawn on the server as SVG: no chart library, no script, so a
//! dashboard reads the same on a slow link, with JavaScript off, and
//! printed. Four kinds, enough for every dashboard:
//!
//! - [`columns`] — vertical bars by month (or any short labels), one
//!   series or several stacked (direct and helped purchase);
//! - [`bars`] — horizontal bars for a ranking (top regions, top
//!   cooperatives), the label left, the amount at the end of the bar;
//! - [`shares`] — one bar cut into shares of a whole (the monitoring
//!   colours, the share reaching registered poor households), each share
//!   with its percentage; the percentages add up to 100.0 (largest
//!   remainder);
//! - [`progress`] — a target and what has been done towards it, in parts
//!   (a pledge's direct and helped purchase; a reserved share's counted and
//!   waiting amounts).
//!
//! Every chart is a `<figure>` holding one `<svg role="img">` with a
//! `<title>` and `<desc>` in the page's language (given by the caller in
//! [`Text`]), drawn on a 360-unit wide `viewBox` at `width="100%"`, so it
//! fits a 390 px phone and grows on a desk. Amounts on axes are yuan as a
//! person reads them (`12.5万元`, `¥12.5k`), never fen. Colours come from
//! the Okabe–Ito palette, which colour-blind readers tell apart, and every
//! tone but the first of each family also carries a pattern (stripes,
//! dots, cross-hatch), so green/yellow/orange/red differ without colour;
//! every share is named in a legend beside its swatch as well. No data, or
//! only zeros, draws an empty state ("暂无数据"), never a division by zero.
//!
//! A chart never stands alone: the caller puts a [`Table`] of the same
//! numbers under it (exact amounts, for screen readers and for copying).
//! In a template: `{{ chart|safe }}{{ table|safe }}` — both are HTML with
//! every text escaped here.
//!
//! Colours and patterns are SVG presentation attributes, not `style`: the
//! pages' Content-Security-Policy allows no inline styles.
//!
//! ```ignore
//! use crate::web::charts::{self, Part, Series, Table, Text, Tone, Unit};
//! // Sales by month (money in fen; labels 1月 … 12月 / Jan … Dec).
//! let labels: Vec<String> = months.iter().map(|m| charts::month_label(lang, &m.month)).collect();
//! let gross: Vec<i64> = months.iter().map(|m| m.gross_sales_fen.get()).collect();
//! let text = Text { id: "sales-months", title: t.reports_gross, desc: &desc };
//! let chart = charts::columns(lang, &text, Unit::Fen, &labels, &[Series { name: t.reports_gross, tone: Tone::First, values: &gross }]);
//! // Households by monitoring colour.
//! let parts = [(t.mon_green, green, Tone::Green), (t.mon_yellow, yellow, Tone::Yellow) /* … */]
//!     .map(|(label, n, tone)| Part { label: label.to_owned(), value: n, tone });
//! let colours = charts::shares(lang, &Text { id: "colours", title, desc }, Unit::Count, &parts);
//! // Top regions: charts::bars(lang, &text, Unit::Fen, &parts), largest first.
//! // The numbers under it: Table { caption, head, rows, foot }.
//! ```
//!
//! `web::dashboards::Panel` puts a heading, a chart and its table in one
//! `<section class="panel">`.

use super::Lang;
use super::words::{escape, fill};
use crate::money::{Fen, largest_remainder};
use std::fmt::{self, Display, Write as _};

/// Width of every chart's drawing, in `viewBox` units (about CSS pixels on
/// a phone).
const WIDTH: f64 = 360.0;
/// Font size of labels, in `viewBox` units.
const FONT: &str = "11";

/// The words around a chart, in the page's language.
pub struct Text<'a> {
    /// Unique on the page: the ids of the title, the description and the
    /// patterns start with it. Letters, digits and `-` only.
    pub id: &'a str,
    /// The chart's title (`<title>`, read out by screen readers).
    pub title: &'a str,
    /// What the chart shows, in a sentence (`<desc>`).
    pub desc: &'a str,
}

/// What the numbers of a chart count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Money in fen, shown as yuan.
    Fen,
    /// A count (households, orders), shown as it is.
    Count,
}

/// The colour (and pattern) of a bar or a share. `First` to `Third` are
/// series; `Green` to `Red` are the monitoring colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Blue, plain.
    First,
    /// Orange with diagonal stripes.
    Second,
    /// Sky blue with dots.
    Third,
    /// Grey, plain: "the rest".
    Other,
    /// Monitoring green (bluish green), plain.
    Green,
    /// Monitoring yellow, with dots.
    Yellow,
    /// Monitoring orange, with diagonal stripes.
    Orange,
    /// Monitoring red (vermilion), cross-hatched.
    Red,
}

/// How a tone is drawn: its colour, its pattern, and the colour of text
/// written on it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pattern {
    Plain,
    Stripes,
    Dots,
    Hatch,
}

impl Tone {
    fn colour(self) -> &'static str {
        match self {
            Tone::First => "#0072B2",
            Tone::Second | Tone::Orange => "#E69F00",
            Tone::Third => "#56B4E9",
            Tone::Other => "#9A9A9A",
            Tone::Green => "#009E73",
            Tone::Yellow => "#F0E442",
            Tone::Red => "#D55E00",
        }
    }

    fn pattern(self) -> Pattern {
        match self {
            Tone::First | Tone::Other | Tone::Green => Pattern::Plain,
            Tone::Second | Tone::Orange => Pattern::Stripes,
            Tone::Third | Tone::Yellow => Pattern::Dots,
            Tone::Red => Pattern::Hatch,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tone::First => "first",
            Tone::Second => "second",
            Tone::Third => "third",
            Tone::Other => "other",
            Tone::Green => "green",
            Tone::Yellow => "yellow",
            Tone::Orange => "orange",
            Tone::Red => "red",
        }
    }

    /// The `fill` attribute's value within chart `id`.
    fn fill(self, id: &str) -> String {
        match self.pattern() {
            Pattern::Plain => self.colour().to_owned(),
            _ => format!("url(#{id}-{})", self.name()),
        }
    }
}

/// One share of a whole, one part of a progress, or one bar of a ranking.
#[derive(Debug, Clone)]
pub struct Part {
    /// Its name, in the page's language.
    pub label: String,
    /// Fen or a count (see [`Unit`]); below zero counts as zero.
    pub value: i64,
    /// Its colour and pattern.
    pub tone: Tone,
}

/// One series of a [`columns`] chart: a value per column.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Its name, for the legend.
    pub name: &'a str,
    /// Its colour and pattern.
    pub tone: Tone,
    /// One value per column label (missing ones are zero; below zero is
    /// drawn as zero — the table shows the real number).
    pub values: &'a [i64],
}

/// A drawn chart: HTML (a `<figure>` with its SVG), every text escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart(String);

impl Chart {
    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Display for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The numbers of a chart as a table, to go under it: a caption, the
/// column heads, rows whose first cell names the row, and an optional
/// totals row. Cells are text; all but the first of a row are aligned as
/// numbers.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The caption.
    pub caption: String,
    /// The column heads.
    pub head: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<String>>,
    /// The totals row, if any.
    pub foot: Option<Vec<String>>,
}

impl Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |cells: &[String], out: &mut String| {
            out.push_str("<tr>");
            for (i, c) in cells.iter().enumerate() {
                if i == 0 {
                    let _ = write!(out, "<th scope=\"row\">{}</th>", escape(c));
                } else {
                    let _ = write!(out, "<td class=\"num\">{}</td>", escape(c));
                }
            }
            out.push_str("</tr>");
        };
        let mut out = String::from("<table class=\"numbers\">");
        let _ = write!(out, "<caption>{}</caption><thead><tr>", escape(&self.caption));
        for (i, h) in self.head.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"num\"" };
            let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", escape(h));
        }
        out.push_str("</tr></thead><tbody>");
        for r in &self.rows {
            row(r, &mut out);
        }
        out.push_str("</tbody>");
        if let Some(foot) = &self.foot {
            out.push_str("<tfoot>");
            row(foot, &mut out);
            out.push_str("</tfoot>");
        }
        out.push_str("</table>");
        f.write_str(&out)
    }
}

/// A month `YYYY-MM` as a column label: `3月`, `Mar`. Anything else comes
/// back as it is.
pub fn month_label(lang: Lang, month: &str) -> String {
    let names: Vec<&str> = lang.t().months_short.split('|').collect();
    month
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| names.get(m.wrapping_sub(1)))
        .map(|m| (*m).to_owned())
        .unwrap_or_else(|| month.to_owned())
}

/// An amount as a person reads it on an axis or a bar, rounded to one
/// decimal of its scale: `860元`, `12.5万元`, `3.2亿元`; in English
/// `¥860`, `¥125k`, `¥320m`. Exact amounts belong in the table.
pub fn yuan_compact(lang: Lang, fen: i64) -> String {
    let t = lang.t();
    let yuan = (fen as i128 + if fen < 0 { -50 } else { 50 }) / 100;
    // Chinese counts in 万 and 亿, English in thousands and millions.
    let (small, large) = if lang.is_en() { (1_000i128, 1_000_000i128) } else { (10_000, 100_000_000) };
    let (scale, template) = match yuan.abs() {
        y if y >= large => (large, t.yuan_large),
        y if y >= small => (small, t.yuan_medium),
        _ => (1, t.yuan_small),
    };
    fill(template, &[("n", &one_decimal(yuan, scale))])
}

/// `value / scale` with at most one decimal, rounded half away from zero,
/// in integers: `12.5`, `3`, `-0.4`.
fn one_decimal(value: i128, scale: i128) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let tenths = (value.abs() * 10 + scale / 2) / scale;
    if scale == 1 || tenths % 10 == 0 {
        let whole = (tenths / 10).to_string();
        // Thousands separators for plain yuan and counts.
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{}.{}", tenths / 10, tenths % 10)
    }
}

/// A value as shown on a chart.
fn value_text(lang: Lang, unit: Unit, v: i64) -> String {
    match unit {
        Unit::Fen => yuan_compact(lang, v),
        Unit::Count => one_decimal(v as i128, 1),
    }
}

/// A value exactly, for a bar's tooltip.
fn exact_text(unit: Unit, v: i64) -> String {
    match unit {
        Unit::Fen => Fen::new(v).to_string(),
        Unit::Count => one_decimal(v as i128, 1),
    }
}

/// `part / whole` in percent with one decimal (`62.5%`), in integers;
/// `None` when `whole` is not above zero.
pub fn percent_text(part: i64, whole: i64) -> Option<String> {
    (whole > 0).then(|| {
        let tenths = (part as i128 * 1000 * 2 + whole as i128) / (whole as i128 * 2);
        let sign = if tenths < 0 { "-" } else { "" };
        format!("{sign}{}.{}%", tenths.abs() / 10, tenths.abs() % 10)
    })
}

/// The ticks of a value axis from zero to at least `max` (> 0): a round
/// step (1, 2 or 5 × 10ⁿ — whole yuan for money) and four or five steps.
fn axis(max: i64, unit: Unit) -> (i64, i64) {
    let least = match unit {
        Unit::Fen => 100,
        Unit::Count => 1,
    };
    let rough = (max as i128 + 3) / 4;
    let mut magnitude: i128 = least as i128;
    let step = loop {
        if let Some(s) = [1i128, 2, 5].iter().map(|m| m * magnitude).find(|s| *s >= rough) {
            break s;
        }
        magnitude *= 10;
    };
    let steps = (max as i128 + step - 1) / step;
    (step as i64, steps.max(1) as i64)
}

/// Numbers in the SVG: one decimal is enough at this size.
fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// The opening of a chart: figure, svg, title, desc and the patterns of
/// the tones it uses.
fn open(text: &Text<'_>, height: f64, tones: &[Tone]) -> String {
    debug_assert!(text.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "a chart id is letters, digits and -");
    let id = escape(text.id);
    let mut s = format!(
        "<figure class=\"chart\" id=\"{id}\"><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" \
         viewBox=\"0 0 {} {}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" font-family=\"sans-serif\" font-size=\"{FONT}\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        n(WIDTH),
        n(height),
        escape(text.title),
        escape(text.desc)
    );
    let mut seen: Vec<Tone> = Vec::new();
    for t in tones {
        if t.pattern() == Pattern::Plain || seen.contains(t) {
            continue;
        }
        seen.push(*t);
        if seen.len() == 1 {
            s.push_str("<defs>");
        }
        let _ = write!(
            s,
            "<pattern id=\"{id}-{}\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\"{}><rect width=\"6\" height=\"6\" fill=\"{}\"/>",
            t.name(),
            if t.pattern() == Pattern::Stripes { " patternTransform=\"rotate(45)\"" } else { "" },
            t.colour()
        );
        s.push_str(match t.pattern() {
            Pattern::Stripes => "<rect width=\"2\" height=\"6\" fill=\"#000\" fill-opacity=\"0.35\"/>",
            Pattern::Dots => "<circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"#000\" fill-opacity=\"0.45\"/>",
            _ => "<path d=\"M0 0L6 6M6 0L0 6\" stroke=\"#000\" stroke-opacity=\"0.45\" stroke-width=\"1\"/>",
        });
        s.push_str("</pattern>");
    }
    if !seen.is_empty() {
        s.push_str("</defs>");
    }
    s
}

fn close(mut s: String) -> Chart {
    s.push_str("</svg></figure>");
    Chart(s)
}

/// The empty state: the chart's title and description, and "no data yet".
fn empty(lang: Lang, text: &Text<'_>) -> Chart {
    let mut s = open(text, 44.0, &[]).replacen("class=\"chart\"", "class=\"chart empty\"", 1);
    let _ = write!(
        s,
        "<rect x=\"0.5\" y=\"0.5\" width=\"359\" height=\"43\" rx=\"6\" fill=\"#f6f7f4\" stroke=\"#d9dcd3\"/>\
         <text x=\"180\" y=\"27\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
        escape(lang.t().chart_empty)
    );
    close(s)
}

/// A legend row: swatch and words, at `(x, y)` (top left).
fn legend_item(s: &mut String, id: &str, x: f64, y: f64, tone: Tone, words: &str) {
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/>\
         <text x=\"{}\" y=\"{}\">{}</text>",
        n(x),
        n(y),
        tone.fill(id),
        n(x + 17.0),
        n(y + 10.0),
        escape(words)
    );
}

/// Vertical bars, one column per label; with several series the columns
/// are stacked (first series at the bottom) and a legend names them. The
/// value axis starts at zero and ends at a round amount.
pub fn columns(lang: Lang, text: &Text<'_>, unit: Unit, labels: &[String], series: &[Series<'_>]) -> Chart {
    let value = |s: &Series<'_>, i: usize| s.values.get(i).copied().unwrap_or(0).max(0);
    let stacks: Vec<i64> = (0..labels.len()).map(|i| series.iter().map(|s| value(s, i)).fold(0i64, i64::saturating_add)).collect();
    let max = stacks.iter().copied().max().unwrap_or(0);
    if labels.is_empty() || max <= 0 {
        return empty(lang, text);
    }
    let (step, steps) = axis(max, unit);
    let axis_top = step as f64 * steps as f64;
    let legend = series.len() > 1;
    let (left, right, top, plot_h, bottom) = (54.0, 6.0, if legend { 26.0 } else { 10.0 }, 150.0, 22.0);
    let height = top + plot_h + bottom;
    let plot_w = WIDTH - left - right;
    let tones: Vec<Tone> = series.iter().map(|s| s.tone).collect();
    let mut s = open(text, height, &tones);
    if legend {
        let mut x = left;
        for se in series {
            legend_item(&mut s, text.id, x, 4.0, se.tone, se.name);
            x += 24.0 + 12.0 * se.name.chars().count() as f64;
        }
    }
    for k in 0..=steps {
        let y = top + plot_h - plot_h * (k * step) as f64 / axis_top;
        let _ = write!(
            s,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#d9dcd3\" stroke-width=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            n(left),
            n(WIDTH - right),
            if k == 0 { "1" } else { "0.5" },
            n(left - 4.0),
            n(y + 4.0),
            escape(value_text(lang, unit, k * step)),
            y = n(y)
        );
    }
    let slot = plot_w / labels.len() as f64;
    let bar_w = slot * 0.66;
    // Labels thin out when there are more than a phone can hold, and get
    // smaller when they would touch.
    let every = labels.len().div_ceil(12);
    let widest = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
    let label_font = if widest > slot * every as f64 - 2.0 { "9" } else { FONT };
    for (i, label) in labels.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut base = top + plot_h;
        for se in series {
            let v = value(se, i);
            if v == 0 {
                continue;
            }
            let h = plot_h * v as f64 / axis_top;
            base -= h;
            let _ = write!(
                s,
                "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                n(x),
                n(base),
                n(bar_w),
                n(h),
                se.tone.fill(text.id),
                escape(format!("{label} · {}: {}", se.name, exact_text(unit, v)))
            );
        }
        if i % every == 0 {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#444\" font-size=\"{label_font}\">{}</text>",
                n(x + bar_w / 2.0),
                n(top + plot_h + 15.0),
                escape(label)
            );
        }
    }
    close(s)
}

/// Horizontal bars, one per part in the order given (a ranking: largest
/// first is the caller's choice), the name on the left and the amount at
/// the end of its bar. Bars are measured against the largest.
pub fn bars(lang: Lang, text: &Text<'_>, unit: Unit, rows: &[Part]) -> Chart {
    let max = rows.iter().map(|r| r.value.max(0)).max().unwrap_or(0);
    if rows.is_empty() || max <= 0 {
        return empty(lang, text);
    }
    let (label_w, value_w, row_h) = (118.0, 62.0, 24.0);
    let area = WIDTH - label_w - value_w;
    let height = row_h * rows.len() as f64 + 6.0;
    let tones: Vec<Tone> = rows.iter().map(|r| r.tone).collect();
    let mut s = open(text, height, &tones);
    for (i, r) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let v = r.value.max(0);
        let w = area * v as f64 / max as f64;
        // Long names are cut to fit; the table under the chart has them whole.
        let short = fit(&r.label, label_w - 10.0);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#222\">{}</text>\
             <rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>\
             <text x=\"{}\" y=\"{}\" fill=\"#222\">{}</text>",
            n(label_w - 6.0),
            n(y + 13.0),
            escape(short),
            n(label_w),
            n(y + 2.0),
            n(w),
            n(row_h - 8.0),
            r.tone.fill(text.id),
            escape(format!("{}: {}", r.label, exact_text(unit, v))),
            n(label_w + w + 4.0),
            n(y + 13.0),
            escape(value_text(lang, unit, r.value))
        );
    }
    close(s)
}

/// About how wide `text` is drawn at the chart's font size: a Chinese
/// character is as wide as the font is tall, Latin letters and digits
/// about half of that.
fn text_width(text: &str) -> f64 {
    text.chars().map(|c| if c.is_ascii() { 6.2 } else { 11.0 }).sum()
}

/// `text`, cut with "…" to fit `width`.
fn fit(text: &str, width: f64) -> String {
    if text_width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&out) + text_width(&c.to_string()) + 11.0 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// The percentages of parts in tenths of a percent, adding up to 1000
/// (largest remainder), or `None` when there is nothing to share.
fn tenths_of_percent(parts: &[Part]) -> Option<Vec<i64>> {
    let weights: Vec<i64> = parts.iter().map(|p| p.value.max(0)).collect();
    largest_remainder(1000, &weights).ok()
}

/// A whole cut into shares: one bar, each share as wide as its part, its
/// percentage written on it when there is room, and a legend naming every
/// share with its value and percentage (which add up to 100.0%).
pub fn shares(lang: Lang, text: &Text<'_>, unit: Unit, parts: &[Part]) -> Chart {
    let total: i64 = parts.iter().map(|p| p.value.max(0)).fold(0, i64::saturating_add);
    let Some(tenths) = tenths_of_percent(parts).filter(|_| total > 0) else { return empty(lang, text) };
    let (x0, bar_w, bar_h, row_h) = (8.0, WIDTH - 16.0, 28.0, 18.0);
    let height = 8.0 + bar_h + 10.0 + row_h * parts.len() as f64;
    let tones: Vec<Tone> = parts.iter().map(|p| p.tone).collect();
    let mut s = open(text, height, &tones);
    let mut x = x0;
    for (p, t) in parts.iter().zip(&tenths) {
        let v = p.value.max(0);
        if v == 0 {
            continue;
        }
        let w = bar_w * v as f64 / total as f64;
        let pct = format!("{}.{}%", t / 10, t % 10);
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{}\" y=\"8\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"><title>{}</title></rect>",
            n(x),
            n(w),
            n(bar_h),
            p.tone.fill(text.id),
            escape(format!("{}: {} ({pct})", p.label, exact_text(unit, v)))
        );
        if w >= 38.0 {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{pct}</text>",
                n(x + w / 2.0),
                n(8.0 + bar_h / 2.0 + 4.0)
            );
        }
        x += w;
    }
    for (i, (p, t)) in parts.iter().zip(&tenths).enumerate() {
        let words = format!("{} · {} · {}.{}%", p.label, value_text(lang, unit, p.value), t / 10, t % 10);
        legend_item(&mut s, text.id, x0, 8.0 + bar_h + 10.0 + row_h * i as f64, p.tone, &words);
    }
    close(s)
}

/// Progress towards `target` (fen): a bar as long as the target (or as
/// what is done, when that is more, with the target marked), filled with
/// the parts side by side, the percentage done above it, and a legend of
/// the parts. Without a target the parts are drawn against their sum.
pub fn progress(lang: Lang, text: &Text<'_>, target: Fen, parts: &[Part]) -> Chart {
    let t = lang.t();
    let done: i64 = parts.iter().map(|p| p.value.max(0)).fold(0, i64::saturating_add);
    let target = target.get().max(0);
    let scale = target.max(done);
    if scale <= 0 {
        return empty(lang, text);
    }
    let (x0, bar_w, bar_y, bar_h, row_h) = (8.0, WIDTH - 16.0, 24.0, 24.0, 18.0);
    let height = bar_y + bar_h + 10.0 + row_h * parts.len() as f64;
    let tones: Vec<Tone> = parts.iter().map(|p| p.tone).collect();
    let mut s = open(text, height, &tones);
    let headline = match percent_text(done, target) {
        Some(p) => fill(t.chart_progress, &[("percent", &p), ("done", &yuan_compact(lang, done)), ("target", &yuan_compact(lang, target))]),
        None => fill(t.chart_no_target, &[("done", &yuan_compact(lang, done))]),
    };
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"16\" fill=\"#222\" font-weight=\"bold\">{}</text>\
         <rect x=\"{}\" y=\"{bar_y}\" width=\"{}\" height=\"{bar_h}\" rx=\"3\" fill=\"#eceee9\" stroke=\"#c9ccc3\" stroke-width=\"0.5\"/>",
        n(x0),
        escape(headline),
        n(x0),
        n(bar_w)
    );
    let mut x = x0;
    for p in parts {
        let v = p.value.max(0);
        if v == 0 {
            continue;
        }
        let w = bar_w * v as f64 / scale as f64;
        let _ = write!(
            s,
            "<rect class=\"bar\" x=\"{}\" y=\"{bar_y}\" width=\"{}\" height=\"{bar_h}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"><title>{}</title></rect>",
            n(x),
            n(w),
            p.tone.fill(text.id),
            escape(format!("{}: {}", p.label, Fen::new(v)))
        );
        x += w;
    }
    if target > 0 && done > target {
        let tx = x0 + bar_w * target as f64 / scale as f64;
        let _ = write!(
            s,
            "<line class=\"target\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"#000\" stroke-width=\"2\" stroke-dasharray=\"3 2\"/>\
             <text x=\"{}\" y=\"16\" text-anchor=\"end\" fill=\"#222\">{}</text>",
            n(bar_y - 4.0),
            n(bar_y + bar_h + 4.0),
            n(WIDTH - 8.0),
            escape(t.chart_target),
            x = n(tx)
        );
    }
    for (i, p) in parts.iter().enumerate() {
        let share = percent_text(p.value, target).map(|p| format!(" · {p}")).unwrap_or_default();
        let words = format!("{} · {}{share}", p.label, yuan_compact(lang, p.value));
        legend_item(&mut s, text.id, x0, bar_y + bar_h + 10.0 + row_h * i as f64, p.tone, &words);
    }
    close(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: Text<'static> = Text { id: "c1", title: "每月销售额", desc: "按月的销售额 <含退款>" };

    /// A small check that the markup is well-formed XML: every tag closes
    /// in order, attributes are quoted, and no text holds a bare `<` or an
    /// `&` that starts no entity. Returns the element names opened, in
    /// order.
    fn well_formed(markup: &str) -> Vec<String> {
        let mut stack: Vec<String> = Vec::new();
        let mut opened = Vec::new();
        let mut rest = markup;
        while let Some(lt) = rest.find('<') {
            check_text(&rest[..lt]);
            let gt = rest[lt..].find('>').expect("a tag ends") + lt;
            let tag = &rest[lt + 1..gt];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "closing tag out of order in {markup}");
            } else {
                let self_closing = tag.ends_with('/');
                let body = tag.trim_end_matches('/');
                let name: String = body.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                assert!(!name.is_empty(), "a tag has a name: <{tag}>");
                check_attributes(&body[name.len()..]);
                opened.push(name.clone());
                if !self_closing {
                    stack.push(name);
                }
            }
            rest = &rest[gt + 1..];
        }
        check_text(rest);
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        opened
    }

    fn check_text(text: &str) {
        assert!(!text.contains('>'), "a bare > in text {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity: String = text[i + 1..].chars().take_while(|c| *c != ';').collect();
            assert!(["amp", "lt", "gt", "quot", "#39"].contains(&entity.as_str()), "a bare & in {text:?}");
        }
    }

    fn check_attributes(attrs: &str) {
        let mut rest = attrs.trim();
        while !rest.is_empty() {
            let eq = rest.find('=').unwrap_or_else(|| panic!("attribute without value: {rest}"));
            let name = rest[..eq].trim();
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'), "{name:?}");
            let value = &rest[eq + 1..];
            assert!(value.starts_with('"'), "unquoted attribute {name}");
            let end = value[1..].find('"').expect("attribute closes") + 1;
            check_text(&value[1..end]);
            assert!(!value[1..end].contains('<'), "a < in attribute {name}");
            rest = value[end + 1..].trim_start();
        }
    }

    /// The `attr` of every `<rect class="bar" …>`, as numbers.
    fn bar_attr(markup: &str, attr: &str) -> Vec<f64> {
        markup
            .split("<rect class=\"bar\"")
            .skip(1)
            .map(|r| {
                let at = r.find(&format!(" {attr}=\"")).expect("the attribute") + attr.len() + 3;
                r[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect()
    }

    fn months() -> Vec<String> {
        (1..=12).map(|m| month_label(Lang::Zh, &format!("2026-{m:02}"))).collect()
    }

    #[test]
    fn every_chart_is_well_formed_has_a_title_and_a_description_and_fits_a_phone() {
        let parts = vec![
            Part { label: "直接采购 <A&B>".into(), value: 300_000, tone: Tone::First },
            Part { label: "带动销售".into(), value: 100_000, tone: Tone::Second },
        ];
        let values = [10_000, 0, 25_000, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        let charts = [
            columns(Lang::Zh, &TEXT, Unit::Fen, &months(), &[Series { name: "销售额", tone: Tone::First, values: &values }]),
            columns(
                Lang::En,
                &TEXT,
                Unit::Fen,
                &months(),
                &[
                    Series { name: "direct", tone: Tone::First, values: &values },
                    Series { name: "helped", tone: Tone::Second, values: &values },
                ],
            ),
            bars(Lang::Zh, &TEXT, Unit::Count, &parts),
            shares(Lang::Zh, &TEXT, Unit::Count, &parts),
            progress(Lang::Zh, &TEXT, Fen::new(1_000_000), &parts),
            empty(Lang::Zh, &TEXT),
        ];
        for c in &charts {
            let tags = well_formed(c.as_str());
            assert_eq!(&tags[..4], ["figure", "svg", "title", "desc"], "{c}");
            assert!(c.as_str().contains("role=\"img\"") && c.as_str().contains("aria-labelledby=\"c1-t c1-d\""));
            assert!(c.as_str().contains("viewBox=\"0 0 360 ") && c.as_str().contains("width=\"100%\""), "fits a 390 px phone");
            assert!(c.as_str().contains("&lt;含退款&gt;"), "the description is escaped");
            assert!(!c.as_str().contains("style="), "no inline styles (CSP)");
        }
        assert!(charts[3].as_str().contains("&lt;A&amp;B&gt;"), "labels are escaped");
    }

    #[test]
    fn bars_are_as_long_as_their_values() {
        let values = [40_000, 20_000, 10_000, 0];
        let labels: Vec<String> = ["1月", "2月", "3月", "4月"].map(String::from).to_vec();
        let c = columns(Lang::Zh, &TEXT, Unit::Fen, &labels, &[Series { name: "销售额", tone: Tone::First, values: &values }]);
        let h = bar_attr(c.as_str(), "height");
        assert_eq!(h.len(), 3, "a zero month draws no bar");
        assert!((h[0] / h[1] - 2.0).abs() < 0.01 && (h[1] / h[2] - 2.0).abs() < 0.01, "{h:?}");

        let rows = vec![
            Part { label: "伽师县".into(), value: 900, tone: Tone::First },
            Part { label: "叶城县".into(), value: 300, tone: Tone::First },
        ];
        let w = bar_attr(bars(Lang::Zh, &TEXT, Unit::Count, &rows).as_str(), "width");
        assert!((w[0] / w[1] - 3.0).abs() < 0.01, "{w:?}");

        let colours = [("绿", 50, Tone::Green), ("黄", 25, Tone::Yellow), ("橙", 15, Tone::Orange), ("红", 10, Tone::Red)]
            .map(|(l, v, t)| Part { label: l.into(), value: v, tone: t });
        let c = shares(Lang::Zh, &TEXT, Unit::Count, &colours);
        let w = bar_attr(c.as_str(), "width");
        assert!((w.iter().sum::<f64>() - 344.0).abs() < 0.5, "the shares fill the bar: {w:?}");
        assert!((w[0] / w[3] - 5.0).abs() < 0.05);
        assert!(c.as_str().contains("50.0%") && c.as_str().contains("10.0%"));
        // The monitoring colours differ by pattern too, not by colour alone.
        for p in ["url(#c1-yellow)", "url(#c1-orange)", "url(#c1-red)"] {
            assert!(c.as_str().contains(p), "{p}");
        }

        // Progress: half the target done, a quarter each way.
        let parts =
            [("直接", 25_000, Tone::First), ("带动", 25_000, Tone::Second)].map(|(l, v, t)| Part { label: l.into(), value: v, tone: t });
        let c = progress(Lang::Zh, &TEXT, Fen::new(100_000), &parts);
        let w = bar_attr(c.as_str(), "width");
        assert_eq!(w, [86.0, 86.0], "each a quarter of 344");
        assert!(c.as_str().contains("50.0%"), "{c}");
        assert!(!c.as_str().contains("class=\"target\""), "no target mark below the target");
        let over = progress(Lang::Zh, &TEXT, Fen::new(10_000), &parts);
        assert!(over.as_str().contains("class=\"target\"") && over.as_str().contains("500.0%"), "over the target: marked");
    }

    #[test]
    fn long_names_are_cut_to_fit_beside_their_bars() {
        assert_eq!(fit("伽师县", 108.0), "伽师县");
        let cut = fit("伽师县巴仁村瓜果种植农民专业合作社", 108.0);
        assert!(cut.ends_with('…') && text_width(&cut) <= 108.0, "{cut}");
        let cut = fit("Paid, awaiting acceptance and rating", 108.0);
        assert!(cut.starts_with("Paid, awaiting") && cut.ends_with('…'), "{cut}");
    }

    #[test]
    fn percentages_of_shares_add_up_to_one_hundred() {
        let thirds = ["甲", "乙", "丙"].map(|l| Part { label: l.into(), value: 1, tone: Tone::First });
        assert_eq!(tenths_of_percent(&thirds).unwrap().iter().sum::<i64>(), 1000);
        let c = shares(Lang::Zh, &TEXT, Unit::Count, &thirds);
        assert!(c.as_str().contains("33.4%") && c.as_str().matches("33.3%").count() >= 2, "{c}");
    }

    #[test]
    fn no_data_or_only_zeros_draws_an_empty_state_not_a_division_by_zero() {
        let zeros = [0i64; 12];
        let nothing = Part { label: "无".into(), value: 0, tone: Tone::First };
        let negative = Part { label: "退款".into(), value: -500, tone: Tone::First };
        let charts = [
            columns(Lang::Zh, &TEXT, Unit::Fen, &months(), &[Series { name: "销售额", tone: Tone::First, values: &zeros }]),
            columns(Lang::Zh, &TEXT, Unit::Fen, &[], &[]),
            bars(Lang::Zh, &TEXT, Unit::Fen, &[]),
            bars(Lang::Zh, &TEXT, Unit::Fen, std::slice::from_ref(&negative)),
            shares(Lang::Zh, &TEXT, Unit::Count, &[nothing.clone(), nothing.clone()]),
            shares(Lang::Zh, &TEXT, Unit::Count, &[]),
            progress(Lang::Zh, &TEXT, Fen::ZERO, std::slice::from_ref(&nothing)),
        ];
        for c in &charts {
            well_formed(c.as_str());
            assert!(c.as_str().contains("class=\"chart empty\"") && c.as_str().contains("暂无数据"), "{c}");
            assert!(!c.as_str().contains("NaN") && !c.as_str().contains("inf"), "{c}");
        }
        assert!(progress(Lang::En, &TEXT, Fen::ZERO, &[]).as_str().contains("No data yet"));
        // A target with nothing done yet is progress at zero, not emptiness.
        let started = progress(Lang::Zh, &TEXT, Fen::new(100), std::slice::from_ref(&nothing));
        assert!(started.as_str().contains("0.0%") && !started.as_str().contains("chart empty"), "{started}");
    }

    #[test]
    fn amounts_read_as_yuan_in_wan_or_thousands_never_as_fen() {
        assert_eq!(yuan_compact(Lang::Zh, 86_000), "860元");
        assert_eq!(yuan_compact(Lang::Zh, 12_500_000), "12.5万元");
        assert_eq!(yuan_compact(Lang::Zh, 3_000_000_000), "3,000万元");
        assert_eq!(yuan_compact(Lang::Zh, 32_000_000_000), "3.2亿元");
        assert_eq!(yuan_compact(Lang::Zh, 100_000), "1,000元");
        assert_eq!(yuan_compact(Lang::Zh, 0), "0元");
        assert_eq!(yuan_compact(Lang::Zh, -12_500_000), "-12.5万元");
        assert_eq!(yuan_compact(Lang::En, 86_000), "¥860");
        assert_eq!(yuan_compact(Lang::En, 12_500_000), "¥125k");
        assert_eq!(yuan_compact(Lang::En, 3_000_000_000), "¥30m");
        assert_eq!(yuan_compact(Lang::En, 125_000), "¥1.3k");
        assert_eq!(percent_text(1, 3).as_deref(), Some("33.3%"));
        assert_eq!(percent_text(2, 3).as_deref(), Some("66.7%"));
        assert_eq!(percent_text(5, 0), None);
        assert_eq!(month_label(Lang::Zh, "2026-03"), "3月");
        assert_eq!(month_label(Lang::En, "2026-12"), "Dec");
        assert_eq!(month_label(Lang::En, "2026-13"), "2026-13");
        // Axis: round steps, four or five of them, whole yuan at least.
        assert_eq!(axis(40_000, Unit::Fen), (10_000, 4));
        assert_eq!(axis(43_000, Unit::Fen), (20_000, 3));
        assert_eq!(axis(1, Unit::Fen), (100, 1));
        assert_eq!(axis(7, Unit::Count), (2, 4));
    }
}
