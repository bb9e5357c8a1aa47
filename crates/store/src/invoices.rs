//! E-invoices and bank-transfer receipts.

use sqlx::AnyConnection;

use crate::StoreError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: String,
    pub order_id: String,
    pub number: String,
    pub title_type: String,
    pub title: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub amount_fen: i64,
    pub issued_at: i64,
    pub blob_key: String,
    pub mailed_at: Option<i64>,
    /// Failed tries so far (the mail server down, say).
    pub mail_attempts: i64,
    /// When to try mailing again.
    pub mail_next_at: i64,
    pub mail_error: Option<String>,
    /// Given up (an address the mailer cannot use, or too many failures):
    /// shown to finance, never retried by the job.
    pub mail_failed_at: Option<i64>,
    /// When a sender last claimed it; still set with `mailed_at` unset after
    /// its claim ran out: that send was interrupted.
    pub mail_sending_at: Option<i64>,
}

const COLUMNS: &str = "id, order_id, number, title_type, title, tax_id, email, amount_fen, issued_at, blob_key, \
     mailed_at, mail_attempts, mail_next_at, mail_error, mail_failed_at, mail_sending_at";

/// Inserts the order's invoice; `Ok(false)` if it already has one.
pub async fn insert(conn: &mut AnyConnection, i: &InvoiceRow) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO invoices (id, order_id, number, title_type, title, tax_id, email, amount_fen, issued_at, blob_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(&i.id)
    .bind(&i.order_id)
    .bind(&i.number)
    .bind(&i.title_type)
    .bind(&i.title)
    .bind(&i.tax_id)
    .bind(&i.email)
    .bind(i.amount_fen)
    .bind(i.issued_at)
    .bind(&i.blob_key)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

pub async fn for_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Option<InvoiceRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE order_id = $1"
    )))
    .bind(order_id)
    .fetch_optional(conn)
    .await?)
}

/// Invoices whose mail is due: not mailed, not given up, next try reached.
/// Given-up ones never fill the batch.
pub async fn mail_due(
    conn: &mut AnyConnection,
    now: i64,
    limit: i64,
) -> Result<Vec<InvoiceRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices WHERE mailed_at IS NULL AND mail_failed_at IS NULL \
         AND email IS NOT NULL AND mail_next_at <= $1 ORDER BY mail_next_at, id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Claims an invoice's mail for one sender until `until` (queued → sending):
/// false if it is sent, given up, or claimed by another sender meanwhile.
pub async fn claim_mail(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
    until: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE invoices SET mail_sending_at = $2, mail_next_at = $3 \
         WHERE id = $1 AND mailed_at IS NULL AND mail_failed_at IS NULL AND mail_next_at <= $2",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// sending → sent.
pub async fn mailed(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE invoices SET mailed_at = $2, mail_error = NULL WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Counts a failed try and sets the next; after `give_up_after` tries (or at
/// once when `give_up_after` is 0) the mail is given up.
pub async fn mail_failed(
    conn: &mut AnyConnection,
    id: &str,
    error: &str,
    now: i64,
    next_at: i64,
    give_up_after: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE invoices SET mail_attempts = mail_attempts + 1, mail_error = $2, mail_next_at = $4, \
         mail_failed_at = CASE WHEN mail_attempts + 1 >= $5 THEN $3 ELSE NULL END \
         WHERE id = $1 AND mailed_at IS NULL",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .bind(next_at)
    .bind(give_up_after)
    .execute(conn)
    .await?;
    Ok(())
}

/// Paid orders that have no invoice yet (a crash between payment and invoice).
pub async fn paid_without_invoice(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(String,)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT o.id FROM orders o LEFT JOIN invoices i ON i.order_id = o.id \
         WHERE o.state = 'PAID' AND o.invoice IS NOT NULL AND i.id IS NULL ORDER BY o.paid_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BankTransferRow {
    pub id: String,
    pub order_id: String,
    pub blob_key: String,
    pub file_name: String,
    pub content_type: String,
    #[sqlx(try_from = "String")]
    pub state: domain::TransferState,
    pub uploaded_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

pub async fn insert_transfer(
    conn: &mut AnyConnection,
    t: &BankTransferRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO bank_transfers (id, order_id, blob_key, file_name, content_type, state, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, 'SUBMITTED', $6)",
    )
    .bind(&t.id)
    .bind(&t.order_id)
    .bind(&t.blob_key)
    .bind(&t.file_name)
    .bind(&t.content_type)
    .bind(t.uploaded_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn transfers_for_order(
    conn: &mut AnyConnection,
    order_id: &str,
) -> Result<Vec<BankTransferRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, order_id, blob_key, file_name, content_type, state, uploaded_at, decided_by, decided_at \
         FROM bank_transfers WHERE order_id = $1 ORDER BY uploaded_at DESC",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// SUBMITTED → `to`, once.
pub async fn decide_transfer(
    conn: &mut AnyConnection,
    id: &str,
    to: domain::TransferState,
    by: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sqlx::query(
        "UPDATE bank_transfers SET state = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND state = 'SUBMITTED'",
    )
    .bind(id)
    .bind(to.key())
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Bank receipts waiting for finance to confirm.
pub async fn count_submitted_transfers(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM bank_transfers WHERE state = 'SUBMITTED'")
            .fetch_one(conn)
            .await?;
    Ok(n)
}
