//! The prefecture-scale data set (`zhunong demo --scale prefecture`, issue
//! 13 §5) is written in bulk, not through the order flows; these tests
//! hold it to what the domain code would have written, on a small scale.

use crate::helpers::TestApp;
use zhunong::demo::scale::{Scale, build};

/// An entry as the ledger writes it, without its id and its dates (the
/// replay below posts "now").
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Entry {
    line_id: i64,
    lot_id: i64,
    household_id: i64,
    kind: String,
    gross_fen: i64,
    income_fen: i64,
    village_code: String,
    household_status: String,
    cooperative_id: i64,
    product_id: i64,
    category: String,
    origin_code: String,
    buyer_org_id: i64,
    buyer_kind: String,
    delivery_region: String,
}

const ENTRY: &str = "line_id, lot_id, household_id, kind, gross_fen, income_fen, village_code, household_status, cooperative_id, \
                     product_id, category, origin_code, buyer_org_id, buyer_kind, delivery_region";

async fn entries(tx: &mut zhunong::db::Tx, filter: &str, id: i64) -> Vec<Entry> {
    sqlx::query_as(&format!("SELECT {ENTRY} FROM attribution_entries WHERE {filter} ORDER BY id"))
        .bind(id)
        .fetch_all(&mut **tx)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_bulk_data_set_holds_the_rows_the_ledger_would_have_written_and_verifies_clean() {
    let app = TestApp::bare().await;
    let built = build(app.db(), &Scale::tiny(3_000), |_| {}).await.expect("the data set builds and verifies clean");
    assert!(built.entries >= 3_000, "{built:?}");
    assert!(built.refunds > 0, "some lines are partly refunded: {built:?}");
    assert!(zhunong::reports::verify::verify(app.db()).await.unwrap().is_clean());

    // Every paid line's entries add up to what is left paid on it, exactly.
    let off = app
        .count(
            "SELECT COUNT(*) FROM order_lines l \
             LEFT JOIN (SELECT line_id, CAST(SUM(gross_fen) AS BIGINT) AS g FROM attribution_entries GROUP BY line_id) e ON e.line_id = l.id \
             LEFT JOIN (SELECT line_id, CAST(SUM(amount_fen) AS BIGINT) AS r FROM refund_lines GROUP BY line_id) r ON r.line_id = l.id \
             WHERE COALESCE(e.g, -1) <> l.amount_fen - COALESCE(r.r, 0)",
        )
        .await;
    assert_eq!(off, 0, "lines whose entries do not add up to their amount less refunds");
    assert_eq!(app.count("SELECT COUNT(*) FROM attribution_entries").await, built.entries as i64);
    // A quarter of the households are registered poor, roughly.
    let poor = app.count("SELECT COUNT(*) FROM households WHERE status = 'registered_poor'").await;
    assert!((built.households as i64 / 5..=built.households as i64 * 3 / 10).contains(&poor), "{poor} of {}", built.households);
    // Dates are China's, of the payment for a sale and of the refund for
    // a refund.
    let china_day = |t: &str| {
        zhunong::time::format_date(zhunong::time::china_date_of(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap(),
        ))
    };
    let days: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT e.day, o.paid_at, COALESCE(f.created_at, '') FROM attribution_entries e JOIN orders o ON o.id = e.order_id \
         LEFT JOIN refund_lines rl ON rl.line_id = e.line_id AND e.kind = 'refund' LEFT JOIN refunds f ON f.id = rl.refund_id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    for (day, paid, refunded) in days {
        assert_eq!(day, china_day(if refunded.is_empty() { &paid } else { &refunded }));
    }

    // The ledger's own functions, replayed over every order and refund in
    // a transaction that is rolled back, write the same rows.
    let orders: Vec<i64> = sqlx::query_scalar("SELECT id FROM orders ORDER BY id").fetch_all(app.db().pool()).await.unwrap();
    assert_eq!(orders.len(), built.orders);
    for order in orders {
        let mut tx = app.db().begin_write().await.unwrap();
        let bulk = entries(&mut tx, "order_id = $1 AND kind = 'sale'", order).await;
        let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM attribution_entries").fetch_one(&mut *tx).await.unwrap();
        zhunong::orders::attribute_sale(&mut tx, order).await.unwrap();
        let replayed = entries(&mut tx, "id > $1", last).await;
        assert_eq!(bulk, replayed, "order {order}");
        tx.rollback().await.unwrap();
    }
    let refunded: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT l.order_id, l.id, l.amount_fen, rl.amount_fen FROM refund_lines rl JOIN order_lines l ON l.id = rl.line_id ORDER BY l.id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(refunded.len(), built.refunds);
    for (order, line, amount, refund) in refunded {
        let mut tx = app.db().begin_write().await.unwrap();
        let bulk = entries(&mut tx, "line_id = $1 AND kind = 'refund'", line).await;
        assert!(!bulk.is_empty(), "line {line}'s refund has entries");
        sqlx::query("DELETE FROM attribution_entries WHERE line_id = $1 AND kind = 'refund'").bind(line).execute(&mut *tx).await.unwrap();
        let last: i64 = sqlx::query_scalar("SELECT MAX(id) FROM attribution_entries").fetch_one(&mut *tx).await.unwrap();
        let refunded = zhunong::orders::RefundedLine { line_id: line, line_amount: amount, refunded_after: refund };
        zhunong::orders::attribute_refunds(&mut tx, order, &[refunded]).await.unwrap();
        let replayed = entries(&mut tx, "id > $1", last).await;
        assert_eq!(bulk, replayed, "line {line}");
        tx.rollback().await.unwrap();
    }

    // verify still finds a region total with no entries behind it (its
    // check reads the ledger's groups once, for speed at this scale).
    sqlx::query(
        "UPDATE ledger_region_months SET month = '1999-01' WHERE village_code = (SELECT MIN(village_code) FROM ledger_region_months) \
           AND month = (SELECT MIN(month) FROM ledger_region_months WHERE village_code = (SELECT MIN(village_code) FROM ledger_region_months))",
    )
    .execute(app.db().pool())
    .await
    .unwrap();
    let found = zhunong::reports::verify::verify(app.db()).await.unwrap();
    let failing: Vec<&str> = found.checks.iter().filter(|c| c.differences > 0).map(|c| c.what).collect();
    assert_eq!(failing, ["every region-month total equals its ledger entries", "no region-month total exists without ledger entries"]);
    assert!(found.checks[6].examples[0].contains("1999-01: total"), "{:?}", found.checks[6].examples);

    // The official of 喀什地区 signs in.
    let token = app.login(zhunong::demo::scale::OFFICIAL).await;
    assert!(!token.is_empty());
}

#[tokio::test]
async fn the_scale_data_set_is_only_built_into_an_empty_database() {
    let app = TestApp::demo().await;
    let refused = build(app.db(), &Scale::tiny(100), |_| {}).await.unwrap_err();
    assert!(refused.to_string().contains("empty database"), "{refused}");
    assert_eq!(app.count("SELECT COUNT(*) FROM meta WHERE key = 'demo.scale'").await, 0);
}

#[test]
fn the_scales_on_the_command_line_are_the_prefecture_and_a_tenth_of_it() {
    let prefecture = Scale::named("prefecture").unwrap();
    assert_eq!((prefecture.households, prefecture.entries), (1_000_000, 10_000_000));
    assert_eq!(prefecture.cooperatives * prefecture.products_per_cooperative, 100_000);
    assert_eq!(Scale::named("tenth").unwrap().entries, 1_000_000);
    assert_eq!(Scale::named("county"), None);
}
