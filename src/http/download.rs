//! A report's export as an HTTP answer: the file streamed as it is
//! written, with its media type and a `Content-Disposition` naming it.
//! Here, not in one edge, so that the JSON API and the pages download the
//! same way; each edge turns an [`ExportError`] into its own kind of error.

use crate::reports::export::{Export, ExportError, Format, Language};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The language of an export for this request: the pages' language cookie
/// when set (a person who chose English on the pages downloads English),
/// else the first language of `Accept-Language` that is Chinese or
/// English, else Chinese.
pub fn export_language(headers: &HeaderMap) -> Language {
    match super::cookie(headers, super::LANG_COOKIE).as_deref() {
        Some("en") => return Language::En,
        Some("zh") => return Language::Zh,
        _ => {}
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Ranges in order of preference (a stable sort keeps the sender's
    // order among equal weights); `q=0` means "not this one".
    let mut ranges: Vec<(String, f32)> = accept
        .split(',')
        .take(20)
        .filter_map(|part| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim().to_ascii_lowercase();
            let q = bits.find_map(|b| b.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            (q > 0.0).then_some((tag, q))
        })
        .collect();
    ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (tag, _) in ranges {
        if tag == "en" || tag.starts_with("en-") {
            return Language::En;
        }
        if tag == "zh" || tag.starts_with("zh-") {
            return Language::Zh;
        }
    }
    Language::Zh
}

/// Starts `export` as `format` in the request's language and answers with
/// it: the file's bytes flow into the body as they are written, so a large
/// export is never whole in memory. An error here (the rows' query failed)
/// comes before any byte; one after ends the body, which drops the
/// connection, so a cut file never looks complete.
pub async fn download(export: Export, format: Format, headers: &HeaderMap) -> Result<Response, ExportError> {
    let download = export.start(format, export_language(headers)).await?;
    let content_type = download.content_type();
    // The stem is ASCII letters, digits, `-` and `_` (Export makes it so),
    // so the name needs no escaping.
    let disposition = match format {
        Format::Json => None,
        _ => HeaderValue::from_str(&format!("attachment; filename=\"{}\"", download.file_name)).ok(),
    };
    // Fused: the gzip layer polls a body once more after its end, and an
    // `unfold` polled after its end panics (which reset the connection of
    // every compressed download).
    let chunks = futures_util::StreamExt::fuse(futures_util::stream::unfold(download.chunks, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk.map(Bytes::from), rx))
    }));
    let mut response = Response::new(Body::from_stream(chunks));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(d) = disposition {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    // Reports are private to their readers: no shared cache keeps them.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn exports_are_chinese_unless_the_cookie_or_accept_language_says_english() {
        assert_eq!(export_language(&HeaderMap::new()), Language::Zh);
        assert_eq!(export_language(&with(header::COOKIE, "zn_lang=en")), Language::En);
        assert_eq!(export_language(&with(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")), Language::En);
        assert_eq!(export_language(&with(header::ACCEPT_LANGUAGE, "fr-FR, en;q=0.5, zh-CN;q=0.8")), Language::Zh);
        assert_eq!(export_language(&with(header::ACCEPT_LANGUAGE, "zh;q=0, en;q=0.1")), Language::En);
        assert_eq!(export_language(&with(header::ACCEPT_LANGUAGE, "de")), Language::Zh);
        let mut both = with(header::ACCEPT_LANGUAGE, "en");
        both.insert(header::COOKIE, HeaderValue::from_static("zn_lang=zh"));
        assert_eq!(export_language(&both), Language::Zh, "the cookie a person chose wins");
    }
}
