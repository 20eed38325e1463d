//! The attribution ledger (利益联结): when a line is paid, its amount is
//! split over the lots allocated to it in proportion to their quantities,
//! and each lot's part over the households that contributed to the lot in
//! proportion to what each contributed — largest remainder at both steps,
//! so the entries of a line add up to its amount exactly (invariant 3).
//! The cooperative's payout ratio gives each entry's household income.
//! Entries are only ever inserted.

use crate::db::Tx;
use crate::money::largest_remainder;

/// Appends one entry: `[order, line, lot, household]`, its kind, the gross
/// sales value and the household income (negative for reversals).
async fn post(tx: &mut Tx, [order, line, lot, household]: [i64; 4], kind: &str, gross: i64, income: i64, now: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO attribution_entries (order_id, line_id, lot_id, household_id, kind, gross_fen, income_fen, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(order)
    .bind(line)
    .bind(lot)
    .bind(household)
    .bind(kind)
    .bind(gross)
    .bind(income)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes the `sale` entries of every line of order `order_id`.
pub async fn attribute_sale(tx: &mut Tx, order_id: i64) -> sqlx::Result<()> {
    let lines: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT l.id, l.amount_fen, c.payout_ratio_bp FROM order_lines l JOIN cooperatives c ON c.org_id = l.cooperative_id WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?;
    let now = crate::time::now();
    for (line, amount, payout_bp) in lines {
        let lots: Vec<(i64, i64)> = sqlx::query_as("SELECT lot_id, quantity FROM allocations WHERE line_id = $1 ORDER BY id")
            .bind(line)
            .fetch_all(&mut **tx)
            .await?;
        let weights: Vec<i64> = lots.iter().map(|(_, q)| *q).collect();
        let parts = largest_remainder(amount, &weights).expect("allocations have positive quantities");
        for ((lot, _), part) in lots.iter().zip(parts) {
            let contributions: Vec<(i64, i64)> =
                sqlx::query_as("SELECT household_id, quantity FROM lot_contributions WHERE lot_id = $1 ORDER BY household_id")
                    .bind(lot)
                    .fetch_all(&mut **tx)
                    .await?;
            let weights: Vec<i64> = contributions.iter().map(|(_, q)| *q).collect();
            let gross = largest_remainder(part, &weights).expect("a lot has contributions");
            let income_total = (part as i128 * payout_bp as i128 / 10_000) as i64;
            let income = largest_remainder(income_total, &weights).expect("a lot has contributions");
            for (((household, _), g), i) in contributions.iter().zip(gross).zip(income) {
                post(tx, [order_id, line, *lot, *household], "sale", g, i, &now).await?;
            }
        }
    }
    Ok(())
}

/// Posts the `refund` entries of `refund_fen` more refunded on line
/// `line_id`: the line's net attribution becomes the split of what is left
/// paid (amount − all refunds), over the same households in the same
/// proportions as the sale, and the entries posted are the differences.
/// So per line the entries always add up to paid − refunded, exactly, and
/// a full refund brings every household's net back to zero.
pub async fn attribute_refund(tx: &mut Tx, order_id: i64, line_id: i64, line_amount: i64, refunded_after: i64) -> sqlx::Result<()> {
    let rows: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT lot_id, household_id, kind, gross_fen, income_fen FROM attribution_entries WHERE line_id = $1 ORDER BY lot_id, household_id, id",
    )
    .bind(line_id)
    .fetch_all(&mut **tx)
    .await?;
    // (lot, household) → sale gross, sale income, net gross, net income
    let mut shares: Vec<((i64, i64), [i64; 4])> = Vec::new();
    for (lot, household, kind, gross, income) in rows {
        let i = match shares.iter().position(|(k, _)| *k == (lot, household)) {
            Some(i) => i,
            None => {
                shares.push(((lot, household), [0; 4]));
                shares.len() - 1
            }
        };
        let s = &mut shares[i].1;
        if kind == "sale" {
            s[0] += gross;
            s[1] += income;
        }
        s[2] += gross;
        s[3] += income;
    }
    let left = line_amount - refunded_after;
    let sale_gross: Vec<i64> = shares.iter().map(|(_, s)| s[0]).collect();
    let sale_income: Vec<i64> = shares.iter().map(|(_, s)| s[1]).collect();
    let income_total: i64 = sale_income.iter().sum();
    let gross_target = largest_remainder(left, &sale_gross).expect("a paid line has sale entries");
    let income_target = if income_total == 0 {
        vec![0; shares.len()]
    } else {
        let left_income = (income_total as i128 * left as i128 / line_amount as i128) as i64;
        largest_remainder(left_income, &sale_income).expect("income weights are not all zero")
    };
    let now = crate::time::now();
    for (((lot, household), s), (g, i)) in shares.iter().zip(gross_target.into_iter().zip(income_target)) {
        let (dg, di) = (g - s[2], i - s[3]);
        if dg == 0 && di == 0 {
            continue;
        }
        post(tx, [order_id, line_id, *lot, *household], "refund", dg, di, &now).await?;
    }
    Ok(())
}
