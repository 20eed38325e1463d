//! The dependency rule of docs/ARCHITECTURE.md, checked on the source: a
//! domain module never knows HTTP (`axum`) nor the edges (`crate::web`,
//! `crate::api`), and the domain modules depend on each other without a
//! cycle (the `catalog → stock → search → catalog` one was broken by moving
//! the outbox's writer below them, `src/outbox.rs`).
//!
//! "Domain" is every top-level module of `src/` but the edges and the
//! wiring: `web/`, `api/`, `http/`, `app.rs`, `serve.rs`, `main.rs`,
//! `bench/`, `lib.rs`. The scan reads code, not comments (a doc link to
//! `crate::web` is no dependency), and stops at a trailing `#[cfg(test)]
//! mod` — a unit test may reach wherever it must to check a promise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules that may know HTTP and call the domain.
const EDGES: &[&str] = &["web", "api", "http", "app", "serve", "main", "bench", "lib"];

/// The code of a source file: comments and the trailing test module cut.
fn code(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") && lines.peek().is_some_and(|(_, next)| next.trim_start().starts_with("mod ")) {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let t = t.split(" // ").next().unwrap_or(t);
        out.push((i + 1, t.to_owned()));
    }
    out
}

/// The top-level modules a line names as `crate::name`.
fn crate_paths(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .filter(|(at, _)| !line[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| line[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|m| !m.is_empty())
        .collect()
}

/// True when a line uses the `axum` crate (`axum::…` as a path, or
/// `use axum` / `extern crate axum`).
fn uses_axum(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("use axum")
        || t.starts_with("extern crate axum")
        || line.match_indices("axum::").any(|(at, _)| !line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each top-level module of src/ with the code lines of its files.
fn modules() -> BTreeMap<String, Vec<(String, usize, String)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out: BTreeMap<String, Vec<(String, usize, String)>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines = out.entry(top).or_default();
        for (n, line) in code(&text) {
            lines.push((format!("src/{}", rel.display()), n, line));
        }
    }
    out
}

fn is_domain(module: &str) -> bool {
    !EDGES.contains(&module)
}

#[test]
fn no_domain_module_imports_axum_or_the_web_and_api_edges() {
    let mut wrong = Vec::new();
    for (module, lines) in modules().iter().filter(|(m, _)| is_domain(m)) {
        for (file, n, line) in lines {
            let edges: Vec<String> = crate_paths(line).into_iter().filter(|m| m == "web" || m == "api").collect();
            if uses_axum(line) || !edges.is_empty() {
                wrong.push(format!("{file}:{n} ({module}): {line}"));
            }
        }
    }
    assert!(wrong.is_empty(), "only web/ and api/ know HTTP; the domain calls neither:\n{}", wrong.join("\n"));
}

#[test]
fn the_domain_modules_depend_on_each_other_without_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let modules = modules();
    for (module, lines) in modules.iter().filter(|(m, _)| is_domain(m)) {
        let deps = graph.entry(module.clone()).or_default();
        for (_, _, line) in lines {
            deps.extend(crate_paths(line).into_iter().filter(|m| m != module && is_domain(m) && modules.contains_key(m)));
        }
    }
    assert_eq!(find_cycle(&graph), None, "the domain modules must form layers: {graph:#?}");
}

/// A cycle of `graph`, as the path that closes it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_checks_themselves_see_what_they_must_and_nothing_else() {
    // So the two tests above can fail: planted faults are found…
    assert!(uses_axum("use axum::http::StatusCode;"));
    assert!(uses_axum("    let r: axum::response::Response = x;"));
    assert_eq!(crate_paths("use crate::web::words; let x = crate::api::Json;"), ["web", "api"]);
    let planted: BTreeMap<String, BTreeSet<String>> = [("catalog", "stock"), ("stock", "search"), ("search", "catalog")]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), BTreeSet::from([b.to_owned()])))
        .collect();
    assert_eq!(find_cycle(&planted).unwrap(), ["catalog", "stock", "search", "catalog"]);
    // …and comments, look-alike names and unit-test modules are not.
    assert!(!uses_axum("// axum is only for the edges"));
    assert!(crate_paths("let y = mycrate::web::x;").is_empty());
    let text =
        "use crate::db::Db;\n/// See [`crate::web`].\nfn f() {} // crate::api\n#[cfg(test)]\nmod tests {\n    use crate::api::x;\n}\n";
    let lines: Vec<String> = code(text).into_iter().map(|(_, l)| l).collect();
    assert_eq!(lines.iter().flat_map(|l| crate_paths(l)).collect::<Vec<_>>(), ["db"]);
}
