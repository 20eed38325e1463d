//! Invariant 4, acknowledged means durable: the real server process is
//! killed with SIGKILL while buyers place orders; after a restart every
//! order that got a 201 is there with its allocations, and no unit is held
//! by an order that does not exist. The restarted server is then stopped
//! with SIGTERM: it exits 0 and holds no lease or outbox claim.

use crate::helpers::{Backend, admin, backend, scratch_dir, with_database};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn start(database_url: &str, data: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zhunong"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("ZHUNONG_DATA_DIR", data)
        .env("ZHUNONG_BIND", format!("127.0.0.1:{port}"))
        .env("ZHUNONG_LOG", "warn")
        // The database is under test here, on the embedded search engine:
        // not the Meilisearch `./scripts/test` exports for the contract
        // suite, whose one "products" index both test passes would share.
        .env_remove("MEILI_URL")
        .env_remove("MEILI_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts")
}

/// Waits (bounded) until the server answers /readyz.
pub async fn ready(client: &reqwest::Client, base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited while starting");
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_order_survives_a_sigkill() {
    let n = std::process::id();
    let data = scratch_dir()
        .join(format!("durability-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
    std::fs::create_dir_all(&data).unwrap();
    let url = match backend() {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", data.join("zhunong.db").display()),
        Backend::Postgres(admin_url) => {
            let name = format!("zhunong_t_durability_{n}");
            admin(&admin_url, &format!("DROP DATABASE IF EXISTS {name}")).await;
            admin(&admin_url, &format!("CREATE DATABASE {name}")).await;
            with_database(&admin_url, &name)
        }
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start(&url, &data, port);
    ready(&client, &base, &mut server).await;

    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "buyer@partner.zhunong.demo", "password": "zhunong-demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let products: Value =
        client.get(format!("{base}/api/v1/products?in_stock=true&sort=newest&per_page=8")).send().await.unwrap().json().await.unwrap();
    let ids: Vec<String> = products["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert!(!ids.is_empty());

    // Eight buyers order one unit at a time; every 201 is remembered.
    let acked: Arc<Mutex<Vec<(String, String, i64)>>> = Arc::default();
    let mut buyers = Vec::new();
    for b in 0..8 {
        let (client, base, token, ids, acked) = (client.clone(), base.clone(), token.clone(), ids.clone(), acked.clone());
        buyers.push(tokio::spawn(async move {
            for i in 0..400 {
                let product = &ids[(b + i) % ids.len()];
                let body = json!({
                    "lines": [{"product_id": product, "quantity": 1}],
                    "delivery": {"region_code": "500103000000", "address": "重庆市渝中区解放碑", "contact_name": "陈工", "phone": "023-63891234"},
                    "payment_method": "invoice"
                });
                match client.post(format!("{base}/api/v1/orders")).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        let o: Value = r.json().await.unwrap_or_default();
                        if let Some(id) = o["id"].as_str() {
                            acked.lock().unwrap().push((id.to_owned(), product.clone(), o["lines"][0]["quantity"].as_i64().unwrap_or(0)));
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Kill mid-load, once a fair number of orders were acknowledged.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "orders were not being acknowledged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for b in buyers {
        let _ = b.await;
    }
    let acked = acked.lock().unwrap().clone();

    // Restart on the same database and look.
    let mut server = start(&url, &data, port);
    ready(&client, &base, &mut server).await;
    let mut missing = Vec::new();
    for (id, _, quantity) in &acked {
        let o: Value =
            client.get(format!("{base}/api/v1/orders/{id}")).bearer_auth(&token).send().await.unwrap().json().await.unwrap_or_default();
        let held: i64 =
            o["lines"][0]["allocations"].as_array().map(|a| a.iter().map(|x| x["quantity"].as_i64().unwrap_or(0)).sum()).unwrap_or(0);
        if o["id"].as_str() != Some(id.as_str()) || held != *quantity {
            missing.push(id.clone());
        }
    }
    // This time a polite stop, as in a rolling restart: SIGTERM, and the
    // process exits 0 (below: having given back its claims and leases).
    let pid = server.id();
    let term = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop within 60 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "SIGTERM ends the server with status 0: {status:?}");
    assert!(missing.is_empty(), "{} of {} acknowledged orders lost: {missing:?}", missing.len(), acked.len());

    // No unit is held for an order that does not exist.
    sqlx::any::install_default_drivers();
    let db = zhunong::db::Db::connect(&url).await.unwrap();
    let held: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(allocated), 0) AS BIGINT) FROM lots").fetch_one(db.pool()).await.unwrap();
    let by_orders: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(a.quantity), 0) AS BIGINT) FROM allocations a JOIN order_lines l ON l.id = a.line_id JOIN orders o ON o.id = l.order_id WHERE o.status <> 'cancelled'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(held, by_orders, "lots hold exactly what live orders allocated");
    // The stopped instance holds nothing another one would wait for.
    let mine = format!("{pid}-%");
    let now = zhunong::time::now();
    let leases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM job_leases WHERE holder LIKE $1 AND until > $2")
        .bind(&mine)
        .bind(&now)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let claims: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_outbox WHERE claimed_by LIKE $1 AND claimed_until > $2")
        .bind(&mine)
        .bind(&now)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!((leases, claims), (0, 0), "leases and outbox claims given back on SIGTERM");
    db.close().await;
}
