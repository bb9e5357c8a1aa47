//! The append-only, hash-chained audit log.
//!
//! Each entry carries the hash of the one before; its own hash covers its sequence
//! number, time, actor, action, object, details and that previous hash. `audit_head`
//! keeps the last sequence number and hash, so removing the newest entries is
//! detected as well as changing or removing any other. Appends run inside the
//! caller's transaction: an operation and its audit entry commit together or not
//! at all.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::StoreError;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something: `cli:<user>`, `system`, later `staff:<id>`, `holder:<id>`.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    /// Small JSON document; never secrets or full ID numbers.
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    fn computed_hash(&self) -> String {
        entry_hash(
            self.seq,
            self.at,
            &self.actor,
            &self.action,
            &self.object,
            &self.details,
            &self.prev_hash,
        )
    }
}

fn entry_hash(
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    object: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields: no two different entries encode to the same bytes.
    for field in [
        seq.to_string().as_bytes(),
        at.to_string().as_bytes(),
        actor.as_bytes(),
        action.as_bytes(),
        object.as_bytes(),
        details.as_bytes(),
        prev_hash.as_bytes(),
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field);
    }
    hex::encode(h.finalize())
}

/// Appends an entry; returns its sequence number. Run it in the transaction of the
/// operation it records.
pub async fn append(conn: &mut AnyConnection, at: i64, ev: &Event<'_>) -> Result<i64, StoreError> {
    // Claim the next number first: the row lock orders concurrent appenders.
    let (seq, prev_hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *conn)
            .await?;
    let details = ev.details.to_string();
    let hash = entry_hash(
        seq, at, ev.actor, ev.action, ev.object, &details, &prev_hash,
    );
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, object, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(at)
    .bind(ev.actor)
    .bind(ev.action)
    .bind(ev.object)
    .bind(&details)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(conn)
        .await?;
    Ok(seq)
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: i64,
        head: String,
    },
    /// The first entry at which the chain does not hold, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// Walks the whole log in order and checks every link.
pub async fn verify(conn: &mut AnyConnection) -> Result<Verdict, StoreError> {
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    let verdict = {
        let mut rows = sqlx::query_as::<_, AuditEntry>(
            "SELECT seq, at, actor, action, object, details, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch(&mut *conn);
        let mut broken = None;
        while let Some(e) = rows.try_next().await? {
            if e.seq != expected_seq {
                broken = Some(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!(
                        "entry {expected_seq} is missing: the log goes from {} to {}",
                        expected_seq - 1,
                        e.seq
                    ),
                });
                break;
            }
            if e.prev_hash != prev_hash {
                broken = Some(Verdict::Broken {
                    seq: e.seq,
                    reason: format!(
                        "entry {} does not link to entry {}: its previous-hash differs",
                        e.seq,
                        e.seq - 1
                    ),
                });
                break;
            }
            if e.computed_hash() != e.hash {
                broken = Some(Verdict::Broken {
                    seq: e.seq,
                    reason: format!(
                        "entry {} was altered: its contents do not match its hash",
                        e.seq
                    ),
                });
                break;
            }
            prev_hash = e.hash;
            expected_seq += 1;
        }
        broken
    };
    if let Some(v) = verdict {
        return Ok(v);
    }
    let last = expected_seq - 1;
    if head_seq != last || head_hash != prev_hash {
        return Ok(Verdict::Broken {
            seq: last + 1,
            reason: format!(
                "the log ends at entry {last} but its head records entry {head_seq}: \
                 the newest entries were removed or the head was altered"
            ),
        });
    }
    Ok(Verdict::Intact {
        entries: last,
        head: prev_hash,
    })
}

/// The newest entries, newest first.
pub async fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT seq, at, actor, action, object, details, prev_hash, hash FROM audit_log \
         ORDER BY seq DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The auditor's filters.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor, e.g. `staff:` or a staff name.
    pub actor: Option<String>,
    /// Part of the action, e.g. `application.` or `revoke`.
    pub action: Option<String>,
    /// Part of the object (an application id, a serial, an order).
    pub object: Option<String>,
    /// At or after (ms).
    pub from: Option<i64>,
    /// Before (ms).
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Entries matching the filters, newest first.
pub async fn search(
    conn: &mut AnyConnection,
    f: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut w = crate::filter::Where::default();
    w.contains(&["actor"], f.actor.as_deref())
        .contains(&["action"], f.action.as_deref())
        .contains(&["object"], f.object.as_deref())
        .cmp("at", ">=", f.from)
        .cmp("at", "<", f.to);
    let limit = w.param(f.limit);
    let offset = w.param(f.offset);
    let sql = format!(
        "SELECT seq, at, actor, action, object, details, prev_hash, hash FROM audit_log{} \
         ORDER BY seq DESC LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}
