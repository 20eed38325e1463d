//! Health, errors, the OpenAPI document, migrations.

use crate::helpers::TestApp;
use axum::http::StatusCode;

#[tokio::test]
async fn health_and_readiness_answer_when_the_database_does() {
    let app = TestApp::bare().await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    app.db().close().await;
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_api_paths_are_problem_json_404s_with_a_request_id() {
    let app = TestApp::bare().await;
    let res = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.content_type(), "application/problem+json");
    let body = res.json();
    assert_eq!(body["status"], 404);
    assert_eq!(body["request_id"].as_str(), res.headers.get("x-request-id").and_then(|v| v.to_str().ok()));
}

#[tokio::test]
async fn malformed_json_is_a_400_and_a_wrong_shape_a_422_both_problem_json() {
    let app = TestApp::bare().await;
    let req = axum::http::Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let res = app.raw(req).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.content_type(), "application/problem+json");
    let res = app.post("/api/v1/auth/login", serde_json::json!({"email": 5}), None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["errors"][0]["field"], "body");
}

#[tokio::test]
async fn every_path_of_the_openapi_document_is_served() {
    let app = TestApp::demo().await;
    let res = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let doc = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, ops) in paths {
        let concrete = path.replace("{code}", "653129").replace("{id}", "1");
        for method in ops.as_object().unwrap().keys() {
            let res = app.send(&method.to_uppercase(), &concrete, Some(serde_json::json!({})), None).await;
            // A documented route answers with something of its own: success,
            // or a problem+json of the handler — never the router's bare 404
            // or 405.
            let routed = res.status != StatusCode::METHOD_NOT_ALLOWED
                && (res.status != StatusCode::NOT_FOUND || res.json()["detail"] != "endpoint not found");
            assert!(routed, "{method} {path} is documented but not routed ({})", res.status);
        }
    }
}

/// Statements that must differ between the backends, written out: the
/// `pay_by` back-fill and the reading of a stored JSON answer in 0007 use
/// each engine's date and JSON functions. A new difference fails
/// [`both_backends_have_the_same_migrations`] until it is added here on
/// purpose. (Applied migrations cannot be edited to mark them: sqlx checks
/// their checksums.)
const DIALECT_LINES: &[(&str, &str, &str)] = &[
    (
        "0007_line_status_holds_idempotency.sql",
        "UPDATE orders SET pay_by = strftime('%Y-%m-%dT%H:%M:%S', created_at, '+72 hours') || substr(created_at, 20)",
        "UPDATE orders SET pay_by = to_char((CAST(created_at AS timestamptz) + interval '72 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    ),
    (
        "0007_line_status_holds_idempotency.sql",
        "  JOIN orders o ON o.id = CAST(CASE WHEN k.status_code = 201 AND json_valid(k.response_body) THEN json_extract(k.response_body, '$.id') END AS BIGINT) AND o.buyer_org_id = k.org_id",
        "  JOIN orders o ON o.id = CAST(CASE WHEN k.status_code = 201 AND k.response_body LIKE '{%' THEN CAST(k.response_body AS json) ->> 'id' END AS BIGINT) AND o.buyer_org_id = k.org_id",
    ),
    (
        "0010_report_facts.sql",
        "       date(e.created_at, '+8 hours'), substr(date(e.created_at, '+8 hours'), 1, 7)",
        "       to_char(CAST(e.created_at AS timestamp) + interval '8 hours', 'YYYY-MM-DD'), to_char(CAST(e.created_at AS timestamp) + interval '8 hours', 'YYYY-MM')",
    ),
    (
        "0010_report_facts.sql",
        "SELECT MAX(id) FROM attribution_entries;",
        "SELECT setval(pg_get_serial_sequence('attribution_entries', 'id'), COALESCE((SELECT MAX(id) FROM attribution_entries), 0) + 1, false);",
    ),
];

/// A migration as compared across backends: whole-line `--` comments
/// dropped (a file's header names its own backend), PostgreSQL's identity
/// id written as SQLite's `INTEGER PRIMARY KEY` (the one column type the
/// schema rules let differ), and the [`DIALECT_LINES`] of the file replaced
/// by a mark on both sides. Everything else — every column, type, default,
/// CHECK, index and statement, in order — must be the same text.
fn comparable(dir: &str, file: &str) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
    // Triggers cannot be written alike (SQLite's bodies, PostgreSQL's
    // functions): each sits between `-- dialect block: NAME` and
    // `-- end of dialect block`, compared by its name only.
    let mut in_block = false;
    let mut lines = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if let Some(name) = l.strip_prefix("-- dialect block: ") {
            assert!(!in_block, "{dir}/{file} line {}: a dialect block inside another", i + 1);
            in_block = true;
            lines.push((i, format!("<dialect block {name}>")));
        } else if l == "-- end of dialect block" {
            assert!(in_block, "{dir}/{file} line {}: the end of no dialect block", i + 1);
            in_block = false;
        } else if !in_block {
            lines.push((i, l.to_owned()));
        }
    }
    assert!(!in_block, "{dir}/{file}: a dialect block is not ended");
    lines
        .into_iter()
        .filter(|(_, l)| l.starts_with("<dialect block ") || !l.trim_start().starts_with("--"))
        .map(|(i, l)| {
            let dialect = DIALECT_LINES.iter().position(|(f, sqlite, postgres)| *f == file && (l == *sqlite || l == *postgres));
            let line = match dialect {
                Some(n) => format!("<dialect statement {n}>"),
                None => l.replace("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "INTEGER PRIMARY KEY"),
            };
            (i + 1, line)
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    let sqlite = names("migrations/sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("migrations/postgres"), "every migration exists for both backends under the same name");
    // And each pair is the same file but for what the dialects must change.
    for file in &sqlite {
        let (a, b) = (comparable("migrations/sqlite", file), comparable("migrations/postgres", file));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.1, y.1, "{file}: sqlite line {} and postgres line {} differ", x.0, y.0);
        }
        assert_eq!(a.len(), b.len(), "{file}: the two backends' files have different numbers of statement lines");
    }
}

#[test]
fn the_migration_comparison_sees_a_column_that_differs() {
    // So the test above can fail: its normalisation leaves a real
    // difference standing.
    let sqlite = "CREATE TABLE t (\n    id INTEGER PRIMARY KEY,\n    n BIGINT NOT NULL\n);";
    let postgres = "CREATE TABLE t (\n    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n    n INTEGER NOT NULL\n);";
    let dir = std::env::temp_dir().join(format!("zhunong-parity-{}", std::process::id()));
    for (side, text) in [("sqlite", sqlite), ("postgres", postgres)] {
        std::fs::create_dir_all(dir.join(side)).unwrap();
        std::fs::write(dir.join(side).join("9999_t.sql"), text).unwrap();
    }
    let read = |side: &str| comparable(&dir.join(side).display().to_string(), "9999_t.sql");
    let (a, b) = (read("sqlite"), read("postgres"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(a[1], b[1], "the id line is the one allowed difference");
    assert_ne!(a[2], b[2], "a column of another type is a difference");
}

#[tokio::test]
async fn the_suite_runs_on_the_backend_it_was_asked_for() {
    let app = TestApp::bare().await;
    let expected = match crate::helpers::backend() {
        crate::helpers::Backend::Sqlite => zhunong::db::Backend::Sqlite,
        crate::helpers::Backend::Postgres(_) => zhunong::db::Backend::Postgres,
    };
    assert_eq!(app.db().backend(), expected);
    let version: String = sqlx::query_scalar(match expected {
        zhunong::db::Backend::Sqlite => "SELECT 'SQLite ' || sqlite_version()",
        zhunong::db::Backend::Postgres => "SELECT version()",
    })
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    println!("running on {version}");
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys() {
    let app = TestApp::bare().await;
    if app.db().backend() != zhunong::db::Backend::Sqlite {
        return; // PostgreSQL's durability is its own (fsync stays on in ./scripts/test)
    }
    let mut conn = app.db().pool().acquire().await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *conn).await.unwrap();
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
    assert_eq!((journal.as_str(), synchronous, foreign_keys), ("wal", 2, 1), "WAL, synchronous=FULL, foreign keys on");
}

#[tokio::test]
async fn the_schema_refuses_rows_that_break_the_domain_rules() {
    let app = TestApp::demo().await;
    let pool = app.db().pool();
    // Foreign keys hold on both backends: no product of a missing cooperative.
    let orphan = sqlx::query("INSERT INTO products (cooperative_id, name, category, unit, spec, storage, origin_code, created_at, updated_at) VALUES (999999, 'x', 'fruit', 'kg', '', 'ambient', '653129100200', 't', 't')")
        .execute(pool)
        .await;
    assert!(orphan.is_err(), "foreign key enforced");
    let bad_storage = sqlx::query("UPDATE products SET storage = 'warm' WHERE id = (SELECT MIN(id) FROM products)").execute(pool).await;
    assert!(bad_storage.is_err(), "storage class checked");
    let negative = sqlx::query("UPDATE lots SET quantity = -1 WHERE id = (SELECT MIN(id) FROM lots)").execute(pool).await;
    assert!(negative.is_err(), "no negative stock");
    let bad_history = sqlx::query("INSERT INTO stock_movements (lot_id, reason, delta, quantity_before, quantity_after, at) VALUES ((SELECT MIN(id) FROM lots), 'recount', 5, 10, 16, 't')")
        .execute(pool)
        .await;
    assert!(bad_history.is_err(), "after = before + delta");
}
