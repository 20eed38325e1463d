//! The two HTTP edges call the domain and `http/`, never each other, and
//! the pages write no SQL (docs/ARCHITECTURE.md, "only `web/` and `api/`
//! know HTTP; both call the domain; neither calls the other"). Read from
//! the source files, so a new import that breaks the rule fails here
//! before review.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The lines of the files under `src/{dir}` that contain one of
/// `forbidden`, as `path:line: text`, leaving out comment lines (a doc may
/// name the other edge to say it is not used).
fn offences(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for path in rust_files(&root.join("src").join(dir)) {
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let relative = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if forbidden.iter().any(|f| code.contains(f)) {
                found.push(format!("{relative}:{}: {}", i + 1, code));
            }
        }
    }
    found
}

#[test]
fn the_json_api_never_imports_the_pages() {
    let found = offences("api", &["crate::web", "super::web", "super::super::web"]);
    assert!(found.is_empty(), "api/ imports web/:\n{}", found.join("\n"));
}

#[test]
fn the_pages_never_import_the_json_api() {
    let found = offences("web", &["crate::api", "super::api", "super::super::api"]);
    assert!(found.is_empty(), "web/ imports api/ (call the domain or http/ instead):\n{}", found.join("\n"));
}

#[test]
fn the_pages_write_no_sql() {
    let found = offences("web", &["sqlx::query", "query_as(", "query_scalar(", ".fetch_one(", ".fetch_all(", ".fetch_optional("]);
    assert!(found.is_empty(), "SQL in web/ (move it into a domain function):\n{}", found.join("\n"));
}

#[test]
fn the_shared_http_module_imports_neither_edge() {
    let found = offences("http", &["crate::api", "crate::web"]);
    assert!(found.is_empty(), "http/ imports an edge:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_an_import_when_there_is_one() {
    // The checks above pass on an empty answer; this one makes sure the
    // reader finds what it looks for, so they cannot pass by reading
    // nothing.
    assert!(!offences("api", &["crate::http"]).is_empty(), "api/ uses http/, and the reader should see it");
    assert!(!offences("web", &["crate::http"]).is_empty(), "web/ uses http/, and the reader should see it");
}
