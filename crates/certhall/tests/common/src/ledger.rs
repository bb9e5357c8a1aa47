//! The money invariant every payment test ends with: for every order,
//! captured − refunded equals the price while its application is live or
//! completed (on the one paid order, 0 on the others), and 0 once the
//! application is rejected, cancelled or refunded.

use std::time::Duration;

use crate::TestApp;

/// States in which the holder keeps what they paid for.
const LIVE: [&str; 5] = [
    "PENDING_REVIEW",
    "RETURNED",
    "APPROVED",
    "SHIPPED",
    "COMPLETED",
];

/// Waits until no gateway refund is owed, then checks the invariant on every
/// application that has an order.
pub async fn assert_invariant(app: &TestApp) {
    assert_invariant_on(app.server.authority.db().pool()).await
}

/// The same on any database (a server running in another process).
pub async fn assert_invariant_on(pool: &sqlx::AnyPool) {
    let settled = crate::eventually(Duration::from_secs(15), || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM refunds WHERE state <> 'DONE' AND channel IN ('alipay', 'wechat')",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        n == 0
    })
    .await;
    assert!(settled.is_some(), "a gateway refund is still owed");
    let apps: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, state, price_fen FROM applications \
         WHERE id IN (SELECT application_id FROM orders) ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!apps.is_empty(), "no application with an order to check");
    for (app_id, state, price) in apps {
        let orders: Vec<(String, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT o.id, o.state, o.amount_fen, \
             CAST(COALESCE((SELECT SUM(l.amount_fen) FROM ledger l WHERE l.order_id = o.id), 0) AS BIGINT) \
             FROM orders o WHERE o.application_id = '{app_id}' ORDER BY o.created_at, o.id"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let live = LIVE.contains(&state.as_str());
        let paid: Vec<_> = orders.iter().filter(|o| o.1 == "PAID").collect();
        for (id, order_state, amount, net) in &orders {
            let expected = if live && order_state == "PAID" {
                *amount
            } else {
                0
            };
            assert_eq!(
                *net, expected,
                "order {id} ({order_state}) of application {app_id} ({state}): captured − refunded"
            );
        }
        if live {
            assert_eq!(
                paid.len(),
                1,
                "application {app_id} ({state}) has one paid order"
            );
            assert_eq!(
                paid[0].2, price,
                "the paid order is the application's price"
            );
        }
    }
}
