//! Server-rendered barcodes for printed labels: Code 128 and QR codes as
//! SVG text, so a shipment label prints the same from any browser and a
//! handheld scanner at a village point reads it without scripts.
//!
//! Domain-free on purpose: it knows strings and modules, not shipments. The
//! caller passes the text (a shipment code such as `SH-7K3Q9X`) and puts the
//! SVG into its page.
//!
//! Both renderers draw all dark modules as one `<path>` of horizontal runs
//! (`M x y h w v h h -w z`), not one `<rect>` per module: a QR code of
//! version 2 has ~300 dark modules, which as rects would be ten times the
//! bytes, and one path leaves no hairline seams between neighbours when a
//! printer scales it (`shape-rendering="crispEdges"` does the rest).

use std::fmt::Write as _;

/// Why a barcode could not be drawn. The page never shows these (the codes
/// are made by the server), so the words are short, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// Nothing to encode.
    #[error("empty barcode text")]
    Empty,
    /// Code 128 (code set B) takes printable ASCII only, 32..=126.
    #[error("character {found:?} at {at} is not printable ASCII")]
    NotPrintableAscii {
        /// The refused character.
        found: char,
        /// Its index in characters.
        at: usize,
    },
    /// Longer than this renderer accepts.
    #[error("barcode text of {len} bytes is longer than {max}")]
    TooLong {
        /// The text's length (characters for Code 128, bytes for QR).
        len: usize,
        /// The most accepted.
        max: usize,
    },
    /// A module or the bars would be zero pixels, or absurdly large.
    #[error("barcode size out of range")]
    BadSize,
    /// The QR encoder refused the data.
    #[error("QR encoding failed")]
    Qr(#[from] qrcode::types::QrError),
}

/// The most characters a Code 128 barcode takes here. 80 characters are
/// 80 × 11 + 55 = 935 modules: at the 0.25 mm a label printer resolves,
/// that is already wider than an A6 page, so more is a bug in the caller.
pub const CODE128_MAX_CHARS: usize = 80;

/// The most bytes a QR code takes here: a shipment code or a short URL to
/// the scan page, well within version 10 at level M (213 bytes).
pub const QR_MAX_BYTES: usize = 200;

/// The largest module and bar height accepted, in pixels: far beyond any
/// label, and small enough that no size can overflow a `u32`.
const MAX_MODULE_PX: u32 = 100;
const MAX_HEIGHT_PX: u32 = 10_000;

/// Light modules on each side of a Code 128 symbol (ISO/IEC 15417 asks for
/// at least ten).
const CODE128_QUIET: u32 = 10;

/// Light modules around a QR symbol (ISO/IEC 18004 asks for four).
const QR_QUIET: u32 = 4;

/// The 107 Code 128 symbols as bar/space widths in modules, bar first,
/// indexed by symbol value: ISO/IEC 15417, table 1 (the same table as in
/// every Code 128 reference). 0..=102 are data symbols of 11 modules (three
/// bars, three spaces); 103, 104, 105 are Start A, B, C; 106 is the stop
/// pattern, 13 modules with its final bar of two. The unit tests check the
/// shape of the table (sums, parity, no duplicates).
#[rustfmt::skip]
const PATTERNS: [&[u8]; 107] = [
    &[2, 1, 2, 2, 2, 2], &[2, 2, 2, 1, 2, 2], &[2, 2, 2, 2, 2, 1], &[1, 2, 1, 2, 2, 3], // 0..=3
    &[1, 2, 1, 3, 2, 2], &[1, 3, 1, 2, 2, 2], &[1, 2, 2, 2, 1, 3], &[1, 2, 2, 3, 1, 2], // 4..=7
    &[1, 3, 2, 2, 1, 2], &[2, 2, 1, 2, 1, 3], &[2, 2, 1, 3, 1, 2], &[2, 3, 1, 2, 1, 2], // 8..=11
    &[1, 1, 2, 2, 3, 2], &[1, 2, 2, 1, 3, 2], &[1, 2, 2, 2, 3, 1], &[1, 1, 3, 2, 2, 2], // 12..=15
    &[1, 2, 3, 1, 2, 2], &[1, 2, 3, 2, 2, 1], &[2, 2, 3, 2, 1, 1], &[2, 2, 1, 1, 3, 2], // 16..=19
    &[2, 2, 1, 2, 3, 1], &[2, 1, 3, 2, 1, 2], &[2, 2, 3, 1, 1, 2], &[3, 1, 2, 1, 3, 1], // 20..=23
    &[3, 1, 1, 2, 2, 2], &[3, 2, 1, 1, 2, 2], &[3, 2, 1, 2, 2, 1], &[3, 1, 2, 2, 1, 2], // 24..=27
    &[3, 2, 2, 1, 1, 2], &[3, 2, 2, 2, 1, 1], &[2, 1, 2, 1, 2, 3], &[2, 1, 2, 3, 2, 1], // 28..=31
    &[2, 3, 2, 1, 2, 1], &[1, 1, 1, 3, 2, 3], &[1, 3, 1, 1, 2, 3], &[1, 3, 1, 3, 2, 1], // 32..=35
    &[1, 1, 2, 3, 1, 3], &[1, 3, 2, 1, 1, 3], &[1, 3, 2, 3, 1, 1], &[2, 1, 1, 3, 1, 3], // 36..=39
    &[2, 3, 1, 1, 1, 3], &[2, 3, 1, 3, 1, 1], &[1, 1, 2, 1, 3, 3], &[1, 1, 2, 3, 3, 1], // 40..=43
    &[1, 3, 2, 1, 3, 1], &[1, 1, 3, 1, 2, 3], &[1, 1, 3, 3, 2, 1], &[1, 3, 3, 1, 2, 1], // 44..=47
    &[3, 1, 3, 1, 2, 1], &[2, 1, 1, 3, 3, 1], &[2, 3, 1, 1, 3, 1], &[2, 1, 3, 1, 1, 3], // 48..=51
    &[2, 1, 3, 3, 1, 1], &[2, 1, 3, 1, 3, 1], &[3, 1, 1, 1, 2, 3], &[3, 1, 1, 3, 2, 1], // 52..=55
    &[3, 3, 1, 1, 2, 1], &[3, 1, 2, 1, 1, 3], &[3, 1, 2, 3, 1, 1], &[3, 3, 2, 1, 1, 1], // 56..=59
    &[3, 1, 4, 1, 1, 1], &[2, 2, 1, 4, 1, 1], &[4, 3, 1, 1, 1, 1], &[1, 1, 1, 2, 2, 4], // 60..=63
    &[1, 1, 1, 4, 2, 2], &[1, 2, 1, 1, 2, 4], &[1, 2, 1, 4, 2, 1], &[1, 4, 1, 1, 2, 2], // 64..=67
    &[1, 4, 1, 2, 2, 1], &[1, 1, 2, 2, 1, 4], &[1, 1, 2, 4, 1, 2], &[1, 2, 2, 1, 1, 4], // 68..=71
    &[1, 2, 2, 4, 1, 1], &[1, 4, 2, 1, 1, 2], &[1, 4, 2, 2, 1, 1], &[2, 4, 1, 2, 1, 1], // 72..=75
    &[2, 2, 1, 1, 1, 4], &[4, 1, 3, 1, 1, 1], &[2, 4, 1, 1, 1, 2], &[1, 3, 4, 1, 1, 1], // 76..=79
    &[1, 1, 1, 2, 4, 2], &[1, 2, 1, 1, 4, 2], &[1, 2, 1, 2, 4, 1], &[1, 1, 4, 2, 1, 2], // 80..=83
    &[1, 2, 4, 1, 1, 2], &[1, 2, 4, 2, 1, 1], &[4, 1, 1, 2, 1, 2], &[4, 2, 1, 1, 1, 2], // 84..=87
    &[4, 2, 1, 2, 1, 1], &[2, 1, 2, 1, 4, 1], &[2, 1, 4, 1, 2, 1], &[4, 1, 2, 1, 2, 1], // 88..=91
    &[1, 1, 1, 1, 4, 3], &[1, 1, 1, 3, 4, 1], &[1, 3, 1, 1, 4, 1], &[1, 1, 4, 1, 1, 3], // 92..=95
    &[1, 1, 4, 3, 1, 1], &[4, 1, 1, 1, 1, 3], &[4, 1, 1, 3, 1, 1], &[1, 1, 3, 1, 4, 1], // 96..=99
    &[1, 1, 4, 1, 3, 1], &[3, 1, 1, 1, 4, 1], &[4, 1, 1, 1, 3, 1], // 100..=102
    &[2, 1, 1, 4, 1, 2], &[2, 1, 1, 2, 1, 4], &[2, 1, 1, 2, 3, 2], // Start A, B, C
    &[2, 3, 3, 1, 1, 1, 2], // Stop
];

/// Start B: code set B carries printable ASCII as value = byte − 32.
const START_B: u8 = 104;
const STOP: u8 = 106;

/// The check symbol: the start value plus each data value times its
/// position (from 1), modulo 103.
fn check_symbol(start: u8, values: &[u8]) -> u8 {
    let weighted = values.iter().zip(1u32..).map(|(&v, pos)| u32::from(v) * pos).sum::<u32>();
    ((u32::from(start) + weighted) % 103) as u8
}

/// The symbol values of `data` in code set B: start, data, check, stop.
fn code128_symbols(data: &str) -> Result<Vec<u8>, BarcodeError> {
    if data.is_empty() {
        return Err(BarcodeError::Empty);
    }
    let mut values = Vec::with_capacity(data.len() + 3);
    for (at, c) in data.chars().enumerate() {
        if !(' '..='~').contains(&c) {
            return Err(BarcodeError::NotPrintableAscii { found: c, at });
        }
        if at >= CODE128_MAX_CHARS {
            return Err(BarcodeError::TooLong { len: data.chars().count(), max: CODE128_MAX_CHARS });
        }
        values.push(c as u8 - 32);
    }
    let check = check_symbol(START_B, &values);
    values.insert(0, START_B);
    values.extend([check, STOP]);
    Ok(values)
}

/// `data` as a Code 128 barcode (code set B): one `<svg>` of
/// `module_px` pixels per module and `height_px` tall, with ten light
/// modules each side. `module_px` is 1..=100, `height_px` 1..=10,000.
/// Printable ASCII only, at most
/// [`CODE128_MAX_CHARS`] characters.
pub fn code128_svg(data: &str, module_px: u32, height_px: u32) -> Result<String, BarcodeError> {
    if !(1..=MAX_MODULE_PX).contains(&module_px) || !(1..=MAX_HEIGHT_PX).contains(&height_px) {
        return Err(BarcodeError::BadSize);
    }
    let symbols = code128_symbols(data)?;
    let mut path = String::new();
    let mut x = CODE128_QUIET;
    for &symbol in &symbols {
        for (i, &w) in PATTERNS[usize::from(symbol)].iter().enumerate() {
            let w = u32::from(w);
            // Even positions are bars, odd ones spaces.
            if i % 2 == 0 {
                let (px, pw) = (x * module_px, w * module_px);
                let _ = write!(path, "M{px} 0h{pw}v{height_px}h-{pw}z");
            }
            x += w;
        }
    }
    let width = (x + CODE128_QUIET) * module_px;
    Ok(svg(width, height_px, &format!("0 0 {width} {height_px}"), data, &path))
}

/// `data` as a QR code at error correction level M (about 15 % of the
/// symbol may be smudged), `module_px` pixels per module, with four light
/// modules around it; `module_px` is 1..=100. At most [`QR_MAX_BYTES`]
/// bytes.
pub fn qr_svg(data: &str, module_px: u32) -> Result<String, BarcodeError> {
    if !(1..=MAX_MODULE_PX).contains(&module_px) {
        return Err(BarcodeError::BadSize);
    }
    let matrix = qr_matrix(data)?;
    let n = matrix.len() as u32;
    let mut path = String::new();
    // Horizontal runs of dark modules, one subpath per run, in module
    // units: the viewBox scales them to `module_px`.
    for (y, row) in matrix.iter().enumerate() {
        let mut x = 0;
        while x < row.len() {
            if !row[x] {
                x += 1;
                continue;
            }
            let start = x;
            while x < row.len() && row[x] {
                x += 1;
            }
            let (px, py, w) = (start as u32 + QR_QUIET, y as u32 + QR_QUIET, x - start);
            let _ = write!(path, "M{px} {py}h{w}v1h-{w}z");
        }
    }
    let side = n + 2 * QR_QUIET;
    Ok(svg(side * module_px, side * module_px, &format!("0 0 {side} {side}"), data, &path))
}

/// The QR symbol's modules, rows of columns, `true` for dark; without the
/// quiet zone.
fn qr_matrix(data: &str) -> Result<Vec<Vec<bool>>, BarcodeError> {
    use qrcode::{Color, EcLevel, QrCode};
    if data.is_empty() {
        return Err(BarcodeError::Empty);
    }
    if data.len() > QR_MAX_BYTES {
        return Err(BarcodeError::TooLong { len: data.len(), max: QR_MAX_BYTES });
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let n = code.width();
    let colors = code.to_colors();
    Ok(colors.chunks(n).map(|row| row.iter().map(|&c| c == Color::Dark).collect()).collect())
}

/// The one SVG shape both renderers share: black on white, crisp edges,
/// announced to screen readers as an image of `label`.
fn svg(width: u32, height: u32, view_box: &str, label: &str, path: &str) -> String {
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="{vb}" "#,
            r#"shape-rendering="crispEdges" role="img" aria-label="{label}">"#,
            r##"<rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="{d}"/></svg>"##
        ),
        w = width,
        h = height,
        vb = view_box,
        label = xml_escape(label),
        d = path,
    )
}

/// Text made safe inside an XML attribute. Control characters that XML 1.0
/// cannot carry at all, not even as references, become U+FFFD: the label
/// only describes the image, the barcode itself encodes the exact bytes.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `d` attribute of the one path in `svg`.
    fn path_of(svg: &str) -> &str {
        assert_eq!(svg.matches("<path").count(), 1, "one path: {svg}");
        let start = svg.find(" d=\"").expect("a d attribute") + 4;
        &svg[start..start + svg[start..].find('"').expect("closing quote")]
    }

    /// The `viewBox` attribute of `svg`, as numbers.
    fn view_box(svg: &str) -> Vec<u32> {
        let start = svg.find("viewBox=\"").expect("a viewBox") + 9;
        let end = start + svg[start..].find('"').expect("closing quote");
        svg[start..end].split(' ').map(|n| n.parse().expect("a number")).collect()
    }

    /// Every run `M x y h w v len h -w z` of a path as `(x, y, w, len)`.
    /// Panics on anything else, so a renderer that draws differently fails.
    fn runs(d: &str) -> Vec<(u32, u32, u32, u32)> {
        let d = d.strip_prefix('M').expect("starts with M");
        d.split('M')
            .map(|run| {
                let run = run.strip_suffix('z').expect("ends with z");
                let (xy, rest) = run.split_once('h').expect("h");
                let (x, y) = xy.split_once(' ').expect("x y");
                let (w, rest) = rest.split_once('v').expect("v");
                let (len, back) = rest.split_once("h-").expect("h-");
                assert_eq!(back, w, "the run closes on itself");
                (x.parse().unwrap(), y.parse().unwrap(), w.parse().unwrap(), len.parse().unwrap())
            })
            .collect()
    }

    /// Reads a Code 128 SVG back as a scanner would: the bar and space
    /// widths in modules from the path, matched against the table, the
    /// check symbol verified. Returns the text and the element widths.
    fn decode_code128(svg: &str, module_px: u32, height_px: u32) -> (String, Vec<u32>) {
        let bars = runs(path_of(svg));
        let mut widths = Vec::new();
        let mut end = CODE128_QUIET * module_px;
        for (i, &(x, y, w, len)) in bars.iter().enumerate() {
            assert_eq!((y, len), (0, height_px), "bars are full height");
            assert_eq!((x % module_px, w % module_px), (0, 0), "bars sit on whole modules");
            if i == 0 {
                assert_eq!(x, end, "ten light modules before the first bar");
            } else {
                assert!(x > end, "a space between bars");
                widths.push((x - end) / module_px);
            }
            widths.push(w / module_px);
            end = x + w;
        }
        assert_eq!(view_box(svg), [0, 0, end + CODE128_QUIET * module_px, height_px], "ten light modules after the last bar");

        let (body, stop) = widths.split_at(widths.len() - 7);
        let stop_pattern: Vec<u32> = PATTERNS[usize::from(STOP)].iter().map(|&w| u32::from(w)).collect();
        assert_eq!(stop, stop_pattern, "ends with the stop pattern");
        let symbols: Vec<u8> = body
            .chunks(6)
            .map(|chunk| {
                let pattern: Vec<u8> = chunk.iter().map(|&w| w as u8).collect();
                PATTERNS.iter().position(|p| *p == pattern.as_slice()).expect("a known symbol") as u8
            })
            .collect();
        let (&start, rest) = symbols.split_first().expect("a start symbol");
        assert_eq!(start, START_B, "starts in code set B");
        let (&check, data) = rest.split_last().expect("a check symbol");
        assert_eq!(check, check_symbol(start, data), "the check symbol matches");
        (data.iter().map(|&v| char::from(v + 32)).collect(), widths)
    }

    /// The dark modules of a QR SVG as a grid, quiet zone included.
    fn qr_grid(svg: &str) -> Vec<Vec<bool>> {
        let vb = view_box(svg);
        assert_eq!((vb[0], vb[1]), (0, 0));
        assert_eq!(vb[2], vb[3], "square");
        let side = vb[2] as usize;
        let mut grid = vec![vec![false; side]; side];
        for (x, y, w, len) in runs(path_of(svg)) {
            assert_eq!(len, 1, "runs are one module tall");
            for cell in &mut grid[y as usize][x as usize..(x + w) as usize] {
                assert!(!*cell, "runs do not overlap");
                *cell = true;
            }
        }
        grid
    }

    /// Whether the 7 × 7 finder pattern (dark ring, light ring, dark 3 × 3
    /// centre) sits with its top-left module at (`left`, `top`).
    fn finder_at(grid: &[Vec<bool>], left: usize, top: usize) -> bool {
        (0..7).all(|dy| {
            (0..7).all(|dx| {
                let ring = dx.min(dy).min(6 - dx).min(6 - dy);
                grid[top + dy][left + dx] == (ring != 1)
            })
        })
    }

    #[test]
    fn the_pattern_table_has_the_shape_iso_15417_gives_it() {
        for (value, pattern) in PATTERNS.iter().enumerate() {
            let modules: u8 = pattern.iter().sum();
            let bars: u8 = pattern.iter().step_by(2).sum();
            if value == usize::from(STOP) {
                assert_eq!((pattern.len(), modules), (7, 13), "stop");
            } else {
                assert_eq!((pattern.len(), modules), (6, 11), "symbol {value}");
                // Every symbol's bars add up to an even number of modules:
                // the parity a scanner checks each character with.
                assert_eq!(bars % 2, 0, "symbol {value}");
            }
            assert!(pattern.iter().all(|w| (1..=4).contains(w)), "symbol {value}");
            assert_eq!(PATTERNS.iter().filter(|p| *p == pattern).count(), 1, "symbol {value} is unique");
        }
    }

    #[test]
    fn the_check_symbol_of_wikipedias_pjj123c_example_is_54_in_code_set_a_and_55_in_b() {
        // Wikipedia's worked example encodes "PJJ123C" after Start A (103):
        // 103 + 48·1 + 42·2 + 42·3 + 17·4 + 18·5 + 19·6 + 35·7 = 878, and
        // 878 mod 103 = 54. The same characters have the same values in code
        // set B, whose start is one more, so ours is 55.
        let values: Vec<u8> = "PJJ123C".bytes().map(|b| b - 32).collect();
        assert_eq!(check_symbol(103, &values), 54);
        assert_eq!(check_symbol(START_B, &values), 55);
    }

    #[test]
    fn sh_1_is_drawn_as_the_bar_and_space_widths_worked_out_by_hand() {
        // S = 83 − 32 = 51, H = 40, '-' = 13, '1' = 17. Check:
        // 104 + 51·1 + 40·2 + 13·3 + 17·4 = 342, 342 mod 103 = 33.
        // Start B 211214 · 51 213113 · 40 231113 · 13 122132 · 17 123221 ·
        // check 33 111323 · stop 2331112.
        let expected: Vec<u32> = "211214 213113 231113 122132 123221 111323 2331112".chars().filter_map(|c| c.to_digit(10)).collect();
        let svg = code128_svg("SH-1", 2, 60).unwrap();
        let (text, widths) = decode_code128(&svg, 2, 60);
        assert_eq!(text, "SH-1");
        assert_eq!(widths, expected);
        // (10 + 6 × 11 + 13 + 10) modules of 2 px.
        assert!(svg.contains(r#"width="198" height="60" viewBox="0 0 198 60""#), "{svg}");
    }

    #[test]
    fn every_printable_ascii_text_reads_back_as_itself() {
        let all: String = (' '..='~').collect();
        for text in ["SH-7K3Q9X", " ", "~", &all[..80], &all[15..]] {
            for (module_px, height_px) in [(1, 1), (3, 90)] {
                let svg = code128_svg(text, module_px, height_px).unwrap();
                assert_eq!(decode_code128(&svg, module_px, height_px).0, text);
            }
        }
    }

    #[test]
    fn code128_is_one_crisp_labelled_svg_image() {
        let svg = code128_svg("SH-7K3Q9X", 2, 60).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" "), "{svg}");
        assert!(svg.ends_with("</svg>"));
        for attribute in [r#"shape-rendering="crispEdges""#, r#"role="img""#, r#"aria-label="SH-7K3Q9X""#] {
            assert!(svg.contains(attribute), "{attribute} in {svg}");
        }
    }

    #[test]
    fn code128_refuses_text_outside_printable_ascii() {
        assert_eq!(code128_svg("SH-é", 2, 60), Err(BarcodeError::NotPrintableAscii { found: 'é', at: 3 }));
        assert_eq!(code128_svg("农", 2, 60), Err(BarcodeError::NotPrintableAscii { found: '农', at: 0 }));
        assert_eq!(code128_svg("SH\n1", 2, 60), Err(BarcodeError::NotPrintableAscii { found: '\n', at: 2 }));
        assert_eq!(code128_svg("\u{7f}", 2, 60), Err(BarcodeError::NotPrintableAscii { found: '\u{7f}', at: 0 }));
        assert_eq!(code128_svg("", 2, 60), Err(BarcodeError::Empty));
    }

    #[test]
    fn code128_refuses_more_than_80_characters_and_sizes_out_of_range() {
        assert!(code128_svg(&"A".repeat(80), 1, 10).is_ok());
        assert_eq!(code128_svg(&"A".repeat(81), 1, 10), Err(BarcodeError::TooLong { len: 81, max: 80 }));
        assert_eq!(code128_svg("SH-1", 0, 10), Err(BarcodeError::BadSize));
        assert_eq!(code128_svg("SH-1", 1, 0), Err(BarcodeError::BadSize));
        assert_eq!(code128_svg("SH-1", u32::MAX, 10), Err(BarcodeError::BadSize));
        assert_eq!(code128_svg("SH-1", 1, 10_001), Err(BarcodeError::BadSize));
        // The largest of everything is drawn without overflow.
        assert!(code128_svg(&"~".repeat(80), 100, 10_000).is_ok());
    }

    #[test]
    fn a_shipment_code_is_a_version_1_qr_code_of_21_modules_inside_a_quiet_zone_of_4() {
        let svg = qr_svg("SH-7K3Q9X", 3).unwrap();
        assert_eq!(view_box(&svg), [0, 0, 29, 29]);
        assert!(svg.contains(r#"width="87" height="87""#), "{svg}");
        for attribute in [r#"shape-rendering="crispEdges""#, r#"role="img""#, r#"aria-label="SH-7K3Q9X""#] {
            assert!(svg.contains(attribute), "{attribute} in {svg}");
        }
        // The rendered modules are exactly the encoder's, shifted by the
        // quiet zone.
        let grid = qr_grid(&svg);
        let matrix = qr_matrix("SH-7K3Q9X").unwrap();
        assert_eq!(matrix.len(), 21);
        for (y, row) in grid.iter().enumerate() {
            for (x, &dark) in row.iter().enumerate() {
                let inside = (4..25).contains(&x) && (4..25).contains(&y);
                assert_eq!(dark, inside && matrix[y - 4][x - 4], "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn the_error_correction_level_is_m() {
        // Version 1 holds 14 bytes at level M and 17 at level L (ISO/IEC
        // 18004, table 7): 15 lower-case letters (byte mode) need version 2
        // at M only.
        assert_eq!(qr_matrix("abcdefghijklmn").unwrap().len(), 21);
        assert_eq!(qr_matrix("abcdefghijklmno").unwrap().len(), 25);
    }

    #[test]
    fn the_rendered_qr_code_has_its_three_finder_patterns_at_the_corners() {
        // 30 bytes do not fit version 1 at level M (14 bytes): version 2 or
        // more, so the finders are not where they were in the test above.
        let svg = qr_svg("https://zhunong.demo/s/SH-7K3Q9", 1).unwrap();
        let grid = qr_grid(&svg);
        let n = grid.len() - 8;
        assert!(n > 21, "beyond version 1: {n}");
        assert_eq!((n - 17) % 4, 0, "a QR size: {n}");
        assert!(finder_at(&grid, 4, 4), "top left");
        assert!(finder_at(&grid, 4 + n - 7, 4), "top right");
        assert!(finder_at(&grid, 4, 4 + n - 7), "bottom left");
        assert!(!finder_at(&grid, 4 + n - 7, 4 + n - 7), "no finder bottom right");
    }

    #[test]
    fn qr_refuses_more_than_200_bytes_empty_text_and_sizes_out_of_range() {
        assert!(qr_svg(&"a".repeat(200), 1).is_ok());
        assert_eq!(qr_svg(&"a".repeat(201), 1), Err(BarcodeError::TooLong { len: 201, max: 200 }));
        // Bytes, not characters: 67 Chinese characters are 201 bytes.
        assert_eq!(qr_svg(&"农".repeat(67), 1), Err(BarcodeError::TooLong { len: 201, max: 200 }));
        assert_eq!(qr_svg("", 1), Err(BarcodeError::Empty));
        assert_eq!(qr_svg("SH-1", 0), Err(BarcodeError::BadSize));
        assert_eq!(qr_svg("SH-1", 101), Err(BarcodeError::BadSize));
        assert!(qr_svg(&"a".repeat(200), 100).is_ok());
    }

    #[test]
    fn the_label_text_is_escaped_in_the_attribute() {
        let svg = code128_svg(r#"A"<&'>B"#, 1, 10).unwrap();
        assert!(svg.contains(r#"aria-label="A&quot;&lt;&amp;&apos;&gt;B""#), "{svg}");
        let svg = qr_svg("x\"/><script>\u{1}\n", 1).unwrap();
        assert!(svg.contains("aria-label=\"x&quot;/&gt;&lt;script&gt;\u{FFFD}&#10;\""), "{svg}");
        assert!(!svg.contains("<script"));
    }
}
