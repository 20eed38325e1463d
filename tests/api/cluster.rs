//! The cluster through nginx (issue 15 §3): three `zhunong serve`
//! processes on one PostgreSQL and one Meilisearch behind Debian's nginx,
//! started by `./scripts/cluster test`, which runs this ignored test with
//! the cluster's addresses in `CLUSTER_*` variables. Every step prints what
//! it counted, and asserts what the issue asks:
//!
//! 1. 300 buyers racing for 100 units through nginx: 100 × 201, 200 × 409,
//!    no 5xx;
//! 2. a product created through one instance is found through the others
//!    within the stated bound (and a rename likewise);
//! 3. background work once across the three: each lapsed order cancelled
//!    once, each search outbox row written to Meilisearch once;
//! 4. SIGKILL of one instance under load: every 201 survives, nginx routes
//!    around it, 5xx only for orders in flight on the killed one;
//! 5. a rolling restart of all three under load: no failed request.
//!
//! The pg_dump/pg_restore round trip runs in the script after this test.
//! Run it by hand against a running cluster:
//!
//! ```text
//! ./scripts/cluster start
//! set -a; source "$(sed -n 's/^CLUSTER_DIR=//p' target/cluster.env)/cluster.env"; set +a
//! CLUSTER_SCRIPT=$PWD/scripts/cluster cargo test --test api cluster::the_cluster -- --ignored --nocapture
//! ./scripts/cluster stop
//! ```

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zhunong::db::Db;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run ./scripts/cluster test"))
}

/// The stated freshness bound (README.md, "Scaling out"): about 1 s from
/// commit to the shared index, 2 s tested — Zhunong's part, up to the
/// moment Meilisearch has the document — plus Meilisearch's own indexing.
const HANDED_OVER_WITHIN: Duration = Duration::from_secs(2);
/// Commit to found, Meilisearch's indexing included, on this machine.
const FRESH_WITHIN: Duration = Duration::from_secs(5);

struct Cluster {
    url: String,
    instances: Vec<String>,
    db: Db,
    meili: (String, String),
    script: String,
    /// No kept connections to nginx: its workers close theirs on a reload,
    /// and the counts here are the cluster's, not a client's reuse races.
    client: reqwest::Client,
}

impl Cluster {
    async fn from_env() -> Cluster {
        sqlx::any::install_default_drivers();
        let db = Db::connect(&var("CLUSTER_DATABASE_URL")).await.expect("the cluster's database");
        Cluster {
            url: var("CLUSTER_URL"),
            instances: (1..=3).map(|n| format!("http://127.0.0.1:{}", var(&format!("CLUSTER_PORT_{n}")))).collect(),
            db,
            meili: (var("CLUSTER_MEILI_URL"), var("CLUSTER_MEILI_API_KEY")),
            script: var("CLUSTER_SCRIPT"),
            client: reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(120)).build().unwrap(),
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self.db.pool()).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn login(&self, email: &str) -> String {
        let res: Value = self
            .client
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&json!({"email": email, "password": zhunong::demo::DEMO_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["token"].as_str().unwrap_or_else(|| panic!("{email} signs in: {res}")).to_owned()
    }

    /// `cmd` of scripts/cluster (`kill 2`, `restart 1`, …), run to its end.
    fn control(&self, args: &[&str]) {
        let out = std::process::Command::new(&self.script).args(args).output().expect("scripts/cluster runs");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        assert!(out.status.success(), "scripts/cluster {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Lines nginx logged from byte `from` of its access log: (method and
    /// path, status, the instances tried).
    fn access_log_since(&self, from: u64) -> Vec<(String, String, String)> {
        let log = std::fs::read_to_string(format!("{}/nginx/access.log", var("CLUSTER_DIR"))).unwrap();
        log[from as usize..]
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() >= 4).then(|| (f[0].to_owned(), f[1].to_owned(), f[2].to_owned()))
            })
            .collect()
    }

    fn access_log_len(&self) -> u64 {
        std::fs::metadata(format!("{}/nginx/access.log", var("CLUSTER_DIR"))).map(|m| m.len()).unwrap_or(0)
    }
}

/// A new product of the demo cooperative named `name`, with one lot of
/// `units` (both through the API, through `base`); its id.
async fn product_with(c: &Cluster, base: &str, manager: &str, name: &str, units: i64) -> i64 {
    let me: Value = c.client.get(format!("{base}/api/v1/me")).bearer_auth(manager).send().await.unwrap().json().await.unwrap();
    let coop = zhunong::ids::parse(me["org"]["id"].as_str().unwrap()).unwrap();
    let village = me["org"]["region_code"].as_str().unwrap();
    let body = json!({
        "name": name, "category": "fruit", "unit": "kg", "storage": "ambient",
        "origin_code": village, "unit_weight_g": 1000, "price_tiers": [{"min_quantity": 1, "unit_price_fen": 3200}]
    });
    let res = c.client.post(format!("{base}/api/v1/products")).bearer_auth(manager).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let product = zhunong::ids::parse(res.json::<Value>().await.unwrap()["id"].as_str().unwrap()).unwrap();
    let node =
        c.count(&format!("SELECT MIN(l.node_id) FROM lots l JOIN products p ON p.id = l.product_id WHERE p.cooperative_id = {coop}")).await;
    let household = c.count(&format!("SELECT MIN(household_id) FROM cooperative_members WHERE cooperative_id = {coop}")).await;
    let today = zhunong::time::today();
    let lot = json!({
        "product_id": product.to_string(), "quantity": units,
        "harvested_on": zhunong::time::format_date(today),
        "expires_on": zhunong::time::format_date(today + time::Duration::days(5 * 365)),
        "node_id": node.to_string(),
        "contributions": [{"household_id": household.to_string(), "quantity": units}],
    });
    let res = c.client.post(format!("{base}/api/v1/lots")).bearer_auth(manager).json(&lot).send().await.unwrap();
    let status = res.status();
    assert_eq!(status, 201, "{}", res.text().await.unwrap());
    product
}

fn order_of(product: i64) -> Value {
    json!({
        "lines": [{"product_id": product.to_string(), "quantity": 1}],
        "delivery": {"region_code": "500103000000", "address": "重庆市渝中区解放碑1号", "contact_name": "陈工", "phone": "023-63801234"},
        "payment_method": "invoice",
    })
}

/// What a load run saw.
#[derive(Default, Debug)]
struct Tally {
    requests: usize,
    /// Status → count, per kind of request.
    statuses: BTreeMap<(&'static str, u16), usize>,
    /// Requests nginx never answered (the client saw an error).
    no_answer: Vec<String>,
    /// Orders answered 201.
    created: Vec<i64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        for (k, n) in other.statuses {
            *self.statuses.entry(k).or_default() += n;
        }
        self.no_answer.extend(other.no_answer);
        self.created.extend(other.created);
    }

    fn server_errors(&self, kind: Option<&str>) -> usize {
        self.statuses.iter().filter(|((k, s), _)| *s >= 500 && kind.is_none_or(|kind| kind == *k)).map(|(_, n)| n).sum()
    }

    fn failed(&self) -> usize {
        self.statuses.iter().filter(|((_, s), _)| !(200..300).contains(s) && *s != 409).map(|(_, n)| n).sum::<usize>()
            + self.no_answer.len()
    }

    fn show(&self) -> String {
        let statuses: Vec<String> = self.statuses.iter().map(|((k, s), n)| format!("{k} {s}: {n}")).collect();
        format!("{} requests ({}), {} without an answer", self.requests, statuses.join(", "), self.no_answer.len())
    }
}

/// Steady load through nginx until `stop` turns true: `workers` clients,
/// each in turn a search, a product page and an order of one unit (with
/// its own Idempotency-Key).
fn load(
    c: &Cluster,
    token: &str,
    product: i64,
    workers: usize,
    run: &str,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<Tally>> {
    (0..workers)
        .map(|w| {
            let (client, url, token, run, stop) = (c.client.clone(), c.url.clone(), token.to_owned(), run.to_owned(), stop.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut i = 0usize;
                while !*stop.borrow() {
                    let kind = ["search", "product", "order"][i % 3];
                    let request = match kind {
                        "search" => client.get(format!("{url}/api/v1/products?q=%E6%9E%A3")),
                        "product" => client.get(format!("{url}/api/v1/products/{product}")),
                        _ => client
                            .post(format!("{url}/api/v1/orders"))
                            .bearer_auth(&token)
                            .header("idempotency-key", format!("{run}-{w}-{i}"))
                            .json(&order_of(product)),
                    };
                    i += 1;
                    tally.requests += 1;
                    match request.send().await {
                        Ok(res) => {
                            let status = res.status().as_u16();
                            *tally.statuses.entry((kind, status)).or_default() += 1;
                            let body = res.text().await.unwrap_or_default();
                            if kind == "order" && status == 201 {
                                let o: Value = serde_json::from_str(&body).unwrap();
                                tally.created.push(zhunong::ids::parse(o["id"].as_str().unwrap()).unwrap());
                            }
                        }
                        Err(e) => tally.no_answer.push(format!("{kind}: {e}")),
                    }
                }
                tally
            })
        })
        .collect()
}

async fn gather(tasks: Vec<tokio::task::JoinHandle<Tally>>) -> Tally {
    let mut all = Tally::default();
    for t in tasks {
        all.merge(t.await.unwrap());
    }
    all
}

/// Orders of `ids` that exist in the database.
async fn existing(c: &Cluster, ids: &[i64]) -> usize {
    let mut found = 0;
    for chunk in ids.chunks(500) {
        let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
        found += c.count(&format!("SELECT COUNT(*) FROM orders WHERE id IN ({})", list.join(","))).await as usize;
    }
    found
}

async fn until<F, Fut>(what: &str, within: Duration, mut done: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if done().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the cluster of ./scripts/cluster test"]
async fn the_cluster_through_nginx() {
    let c = Arc::new(Cluster::from_env().await);
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let manager = c.login("manager@coop.zhunong.demo").await;
    let buyer = c.login("buyer@partner.zhunong.demo").await;

    // ---- 1. the race ----------------------------------------------------
    let scarce = product_with(&c, &c.url, &manager, &format!("集群抢购 race{nonce}"), 100).await;
    let log_from = c.access_log_len();
    let started = Instant::now();
    let racers: Vec<_> = (0..300)
        .map(|_| {
            let (client, url, buyer) = (c.client.clone(), c.url.clone(), buyer.clone());
            tokio::spawn(async move {
                let res = client.post(format!("{url}/api/v1/orders")).bearer_auth(&buyer).json(&order_of(scarce)).send().await;
                match res {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let body: Value = res.json().await.unwrap_or(Value::Null);
                        (status, body["id"].as_str().and_then(zhunong::ids::parse))
                    }
                    Err(_) => (0, None),
                }
            })
        })
        .collect();
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut raced = Vec::new();
    for r in racers {
        let (status, id) = r.await.unwrap();
        *by_status.entry(status).or_default() += 1;
        raced.extend(id);
    }
    let race_ms = started.elapsed().as_millis();
    let mut spread: BTreeMap<String, usize> = BTreeMap::new();
    for (request, _, upstream) in c.access_log_since(log_from) {
        if request.starts_with("POST /api/v1/orders") {
            *spread.entry(upstream).or_default() += 1;
        }
    }
    let allocated = c.count(&format!("SELECT CAST(SUM(allocated) AS BIGINT) FROM lots WHERE product_id = {scarce}")).await;
    println!(
        "1. race: 300 buyers for 100 units through nginx in {race_ms} ms: {by_status:?}; orders per instance {spread:?}; {allocated} units allocated"
    );
    assert_eq!(by_status.get(&201), Some(&100), "{by_status:?}");
    assert_eq!(by_status.get(&409), Some(&200), "{by_status:?}");
    assert_eq!(by_status.len(), 2, "nothing but 201 and 409: {by_status:?}");
    assert_eq!(allocated, 100);
    assert_eq!(spread.len(), 3, "the race was spread over the three instances: {spread:?}");

    // The race's orders lapse now (their payment deadline moved into the
    // past): the instances' minute sweeps cancel them, each once (step 3).
    let list: Vec<String> = raced.iter().map(i64::to_string).collect();
    sqlx::query(&format!("UPDATE orders SET pay_by = '2000-01-01T00:00:00.000000Z' WHERE id IN ({})", list.join(",")))
        .execute(c.db.pool())
        .await
        .unwrap();
    let lapsed_at = Instant::now();

    // ---- 2. freshness ---------------------------------------------------
    let word = format!("fresh{nonce}");
    let found = |base: String, word: String| {
        let client = c.client.clone();
        async move {
            let body: Value =
                client.get(format!("{base}/api/v1/products?q={word}")).send().await.unwrap().json().await.unwrap_or(Value::Null);
            body["items"].as_array().is_some_and(|a| !a.is_empty())
        }
    };
    let created = Instant::now();
    let fresh = product_with(&c, &c.instances[0], &manager, &format!("集群新品 {word}"), 10).await;
    let mut delays = Vec::new();
    for (i, base) in c.instances.iter().enumerate().skip(1) {
        until("a product created through instance 1 is found through another", FRESH_WITHIN * 10, || found(base.clone(), word.clone()))
            .await;
        let delay = created.elapsed();
        assert!(delay <= FRESH_WITHIN, "found through instance {} after {delay:?}, past {FRESH_WITHIN:?}", i + 1);
        delays.push(format!("instance {}: {delay:?}", i + 1));
    }
    let renamed_word = format!("renamed{nonce}");
    let res = c
        .client
        .patch(format!("{}/api/v1/products/{fresh}", c.instances[1]))
        .bearer_auth(&manager)
        .json(&json!({"name": format!("集群改名 {renamed_word}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let renamed = Instant::now();
    let renamed_at = time::OffsetDateTime::now_utc();
    let mut rename_delays = Vec::new();
    for i in [0usize, 2] {
        until("a product renamed through instance 2 is found by its new name through another", FRESH_WITHIN * 10, || {
            found(c.instances[i].clone(), renamed_word.clone())
        })
        .await;
        let delay = renamed.elapsed();
        assert!(delay <= FRESH_WITHIN, "found by its new name through instance {} after {delay:?}, past {FRESH_WITHIN:?}", i + 1);
        rename_delays.push(format!("instance {}: {delay:?}", i + 1));
    }
    // Zhunong's part and Meilisearch's, from Meilisearch's task log: the
    // first document update enqueued after the rename is the rename's.
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let (url, key) = &c.meili;
    let tasks: Value = c
        .client
        .get(format!("{url}/tasks?types=documentAdditionOrUpdate&afterEnqueuedAt={}&limit=1000", renamed_at.format(rfc3339).unwrap()))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let task = tasks["results"].as_array().unwrap().last().expect("the rename reached Meilisearch").clone();
    let at = |field: &str| time::OffsetDateTime::parse(task[field].as_str().unwrap(), rfc3339).unwrap();
    let handed_over = at("enqueuedAt") - renamed_at;
    let indexing = at("finishedAt") - at("enqueuedAt");
    println!(
        "2. freshness: created through instance 1, found through {} (timed from before the product's creation, its lot's recording included); renamed through instance 2, found by the new name through {} (timed from the answer to the rename): {:.2} s until Meilisearch had the document (bound {HANDED_OVER_WITHIN:?}), {:.2} s of Meilisearch's indexing",
        delays.join(", "),
        rename_delays.join(", "),
        handed_over.as_seconds_f64(),
        indexing.as_seconds_f64()
    );
    assert!(handed_over <= HANDED_OVER_WITHIN, "the rename reached Meilisearch {handed_over} after the commit");

    // ---- 3. background work once -----------------------------------------
    // The search outbox: rows of products that do not exist, each handled
    // by deleting its document — one id in one Meilisearch deletion task.
    // Three instances drain them at once; the ids sent to Meilisearch add
    // up to the rows exactly when each row was handled once.
    const GHOSTS: i64 = 3_000;
    let marker = zhunong::time::now();
    let ghosts: Vec<i64> = (0..GHOSTS).map(|i| 900_000_000 + nonce as i64 % 1_000 * 10_000 + i).collect();
    let mut tx = c.db.begin_write().await.unwrap();
    zhunong::outbox::enqueue_many(&mut tx, &ghosts).await.unwrap();
    tx.commit().await.unwrap();
    let ghost_range = format!("product_id BETWEEN {} AND {}", ghosts[0], ghosts[ghosts.len() - 1]);
    let drained = until("the outbox drains", Duration::from_secs(60), || async {
        c.count(&format!("SELECT COUNT(*) FROM search_outbox WHERE {ghost_range}")).await == 0
    })
    .await;
    let (sent, tasks) = deleted_ids_since(&c, &marker).await;
    println!(
        "3a. outbox: {GHOSTS} rows drained by the three instances in {drained:?}; Meilisearch got {sent} ids to delete in {tasks} tasks"
    );
    assert_eq!(sent, GHOSTS as u64, "each outbox row handled once");

    // The expiry sweep (every minute in each instance, under a lease).
    let lapsed = LAPSED;
    let cancelled_all = until("the race's orders lapse", Duration::from_secs(150), || async {
        c.count(&format!("SELECT COUNT(*) FROM orders WHERE status = 'cancelled' AND id IN ({})", list.join(","))).await == 100
    })
    .await;
    let events = c.count(&format!("SELECT COUNT(*) FROM order_events WHERE note = '{lapsed}' AND order_id IN ({})", list.join(","))).await;
    let twice = c
        .count(&format!(
            "SELECT COUNT(*) FROM (SELECT order_id FROM order_events WHERE note = '{lapsed}' AND order_id IN ({}) \
             GROUP BY order_id HAVING COUNT(*) > 1) t",
            list.join(",")
        ))
        .await;
    let allocated = c.count(&format!("SELECT CAST(SUM(allocated) AS BIGINT) FROM lots WHERE product_id = {scarce}")).await;
    let holders = c.count("SELECT COUNT(DISTINCT holder) FROM job_leases WHERE name LIKE 'orders.%'").await;
    println!(
        "3b. expiry: 100 lapsed orders cancelled by the minute sweeps {:?} after they lapsed (waited {:?} for the next sweep); {events} lapse events, {twice} orders with more than one; {allocated} units still allocated; {holders} holder of the orders.sweep lease",
        lapsed_at.elapsed(),
        cancelled_all
    );
    assert_eq!(events, 100, "one lapse event per order");
    assert_eq!(twice, 0);
    assert_eq!(allocated, 0, "the stock was given back once");

    // ---- 4. SIGKILL under load --------------------------------------------
    let stocked = product_with(&c, &c.url, &manager, &format!("集群压测 load{nonce}"), 1_000_000).await;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let workers = load(&c, &buyer, stocked, 24, &format!("kill-{nonce}"), stopping);
    // Load on all three first, then the kill, then load on the other two.
    until("load runs", Duration::from_secs(30), || async {
        c.count(&format!("SELECT COUNT(*) FROM order_lines WHERE product_id = {stocked}")).await >= 30
    })
    .await;
    let log_from = c.access_log_len();
    let killed_at = Instant::now();
    c.control(&["kill", "2"]);
    until("the other two take orders", Duration::from_secs(30), || async {
        c.count(&format!("SELECT COUNT(*) FROM order_lines WHERE product_id = {stocked}")).await >= 300
    })
    .await;
    stop.send(true).unwrap();
    let kill = gather(workers).await;
    let after_kill = c.access_log_since(log_from);
    let retried = after_kill.iter().filter(|(_, _, upstream)| upstream.contains(',')).count();
    // Every 5xx nginx gave was of a request it had sent to the killed instance.
    let killed = c.instances[1].trim_start_matches("http://").to_owned();
    let elsewhere: Vec<_> =
        after_kill.iter().filter(|(_, status, upstream)| status.starts_with('5') && !upstream.contains(&killed)).collect();
    assert!(elsewhere.is_empty(), "5xx from a live instance: {elsewhere:?}");
    let survived = existing(&c, &kill.created).await;
    println!(
        "4. SIGKILL of instance 2 under load ({:?} of load after it): {}; 5xx: {} (orders {}, reads {}); all on the killed instance; nginx passed {retried} requests on to another instance; {} of {} acknowledged orders exist",
        killed_at.elapsed(),
        kill.show(),
        kill.server_errors(None),
        kill.server_errors(Some("order")),
        kill.server_errors(Some("search")) + kill.server_errors(Some("product")),
        survived,
        kill.created.len()
    );
    for e in kill.no_answer.iter().take(5) {
        println!("   no answer: {e}");
    }
    assert_eq!(survived, kill.created.len(), "every 201 survives");
    assert_eq!(kill.server_errors(Some("search")) + kill.server_errors(Some("product")), 0, "reads are passed on to another instance");
    assert!(kill.server_errors(Some("order")) <= 24, "at most the orders in flight on the killed instance (24 clients)");
    assert!(kill.no_answer.is_empty(), "nginx answered every request");
    c.control(&["up", "2"]);

    // ---- 5. rolling restart under load ------------------------------------
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let workers = load(&c, &buyer, stocked, 16, &format!("roll-{nonce}"), stopping);
    let started = Instant::now();
    for n in ["1", "2", "3"] {
        let c = c.clone();
        tokio::task::spawn_blocking(move || c.control(&["restart", n])).await.unwrap();
    }
    stop.send(true).unwrap();
    let roll = gather(workers).await;
    let survived = existing(&c, &roll.created).await;
    println!(
        "5. rolling restart of all three under load in {:?}: {}; failed: {}; {} of {} acknowledged orders exist",
        started.elapsed(),
        roll.show(),
        roll.failed(),
        survived,
        roll.created.len()
    );
    for e in roll.no_answer.iter().take(5) {
        println!("   no answer: {e}");
    }
    assert_eq!(roll.failed(), 0, "no failed request during the rolling restart");
    assert_eq!(survived, roll.created.len());
    let oversold = c.count("SELECT COUNT(*) FROM lots WHERE allocated > quantity OR allocated < 0").await;
    assert_eq!(oversold, 0, "no lot allocated beyond its quantity");
    c.db.close().await;
}

const LAPSED: &str = zhunong::orders::LAPSED_UNPAID;

/// Ids Meilisearch was asked to delete since `marker` (RFC 3339), and in
/// how many tasks.
async fn deleted_ids_since(c: &Cluster, marker: &str) -> (u64, usize) {
    let (url, key) = &c.meili;
    let (mut ids, mut tasks) = (0, 0);
    let mut from: Option<u64> = None;
    loop {
        let mut q = format!("{url}/tasks?types=documentDeletion&afterEnqueuedAt={marker}&limit=200");
        if let Some(f) = from {
            q.push_str(&format!("&from={f}"));
        }
        let page: Value = c.client.get(q).bearer_auth(key).send().await.unwrap().json().await.unwrap();
        for t in page["results"].as_array().unwrap() {
            assert_eq!(t["status"], "succeeded", "{t}");
            ids += t["details"]["providedIds"].as_u64().unwrap_or(0);
            tasks += 1;
        }
        match page["next"].as_u64() {
            Some(n) => from = Some(n),
            None => return (ids, tasks),
        }
    }
}

/// CPU seconds (user + system) of a process, all its threads, so far.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
    let after: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| after.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Processes whose parent is `parent`.
fn children(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some((_, rest)) = stat.rsplit_once(')')
            && rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent)
        {
            out.push(pid);
        }
    }
    out
}

/// CPU seconds so far of each part of the cluster: the instances, nginx,
/// PostgreSQL, Meilisearch and this load generator.
fn cpu_by_part() -> BTreeMap<&'static str, f64> {
    let dir = var("CLUSTER_DIR");
    let read_pid = |path: String| std::fs::read_to_string(path).ok().and_then(|s| s.lines().next()?.trim().parse::<u32>().ok());
    let mut parts = BTreeMap::new();
    let instances: f64 = (1..=3).filter_map(|n| read_pid(format!("{dir}/i{n}/pid"))).map(cpu_seconds).sum();
    parts.insert("instances", instances);
    let nginx: f64 = read_pid(format!("{dir}/nginx/nginx.pid"))
        .map(|m| cpu_seconds(m) + children(m).into_iter().map(cpu_seconds).sum::<f64>())
        .unwrap_or(0.0);
    parts.insert("nginx", nginx);
    let pg: f64 = read_pid(format!("{}/data/postmaster.pid", var("CLUSTER_PG_DIR")))
        .map(|m| cpu_seconds(m) + children(m).into_iter().map(cpu_seconds).sum::<f64>())
        .unwrap_or(0.0);
    parts.insert("PostgreSQL", pg);
    parts.insert("Meilisearch", var("CLUSTER_MEILI_PID").parse().map(cpu_seconds).unwrap_or(0.0));
    parts.insert("load generator", cpu_seconds(std::process::id()));
    parts
}

/// Searches and orders through nginx at 16 and 64 clients, 10 s each, with
/// the CPU time each part of the cluster spent; `./scripts/cluster bench`
/// runs it with three instances in nginx's upstream, then with one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the cluster of ./scripts/cluster bench"]
async fn bench_through_nginx() {
    const SECONDS: u64 = 10;
    const QUERIES: &[&str] = &[
        "q=%E7%BA%A2%E6%9E%A3",                // 红枣
        "q=%E6%A0%B8%E6%A1%83&sort=price_asc", // 核桃
        "q=%E7%89%A6%E7%89%9B%E8%82%89",       // 牦牛肉
        "q=%E5%96%80%E4%BB%80&category=nuts",  // 喀什
        "q=walnutt",
        "category=tea&sort=sales",
        "prefecture=540300000000&storage=frozen",
        "sort=newest&page=2",
    ];
    let c = Arc::new(Cluster::from_env().await);
    let instances = var("CLUSTER_BENCH_INSTANCES");
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let manager = c.login("manager@coop.zhunong.demo").await;
    let buyer = c.login("buyer@partner.zhunong.demo").await;
    let stocked = product_with(&c, &c.url, &manager, &format!("集群压测 bench{nonce}"), 100_000_000).await;
    // Kept connections to nginx here, as browsers keep theirs: no reloads run.
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).timeout(Duration::from_secs(60)).build().unwrap();
    println!(
        "| instances | what | clients | requests | requests/s | p50 ms | p95 ms | p99 ms | errors | CPU s: instances / PostgreSQL / Meilisearch / nginx / load generator |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for what in ["search", "checkout"] {
        for clients in [16usize, 64] {
            let before = cpu_by_part();
            let deadline = Instant::now() + Duration::from_secs(SECONDS);
            let started = Instant::now();
            let tasks: Vec<_> = (0..clients)
                .map(|w| {
                    let (client, url, buyer) = (client.clone(), c.url.clone(), buyer.clone());
                    tokio::spawn(async move {
                        let (mut latencies, mut errors) = (Vec::new(), 0usize);
                        let mut i = w;
                        while Instant::now() < deadline {
                            let t = Instant::now();
                            let res = if what == "search" {
                                client.get(format!("{url}/api/v1/products?{}", QUERIES[i % QUERIES.len()])).send().await
                            } else {
                                client
                                    .post(format!("{url}/api/v1/orders"))
                                    .bearer_auth(&buyer)
                                    .header("idempotency-key", format!("bench-{nonce}-{clients}-{w}-{i}"))
                                    .json(&order_of(stocked))
                                    .send()
                                    .await
                            };
                            i += clients;
                            match res {
                                Ok(r) if r.status().is_success() => {
                                    let _ = r.bytes().await;
                                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                                }
                                _ => errors += 1,
                            }
                        }
                        (latencies, errors)
                    })
                })
                .collect();
            let (mut latencies, mut errors) = (Vec::new(), 0);
            for t in tasks {
                let (l, e) = t.await.unwrap();
                latencies.extend(l);
                errors += e;
            }
            let seconds = started.elapsed().as_secs_f64();
            let after = cpu_by_part();
            latencies.sort_by(f64::total_cmp);
            let p = |q: f64| latencies.get(((latencies.len().max(1) - 1) as f64 * q).round() as usize).copied().unwrap_or(0.0);
            let cpu = |part: &str| after[part] - before[part];
            println!(
                "| {instances} | {what} | {clients} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {errors} | {:.1} / {:.1} / {:.1} / {:.1} / {:.1} |",
                latencies.len(),
                latencies.len() as f64 / seconds,
                p(0.5),
                p(0.95),
                p(0.99),
                cpu("instances"),
                cpu("PostgreSQL"),
                cpu("Meilisearch"),
                cpu("nginx"),
                cpu("load generator"),
            );
        }
    }
    c.db.close().await;
}
