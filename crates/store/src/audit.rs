//! The append-only, hash-chained, keyed audit log.
//!
//! Each entry carries the hash of the one before; its own hash covers its sequence
//! number, time, actor, action, object, details and that previous hash. `audit_head`
//! keeps the last sequence number and hash, so removing the newest entries is
//! detected as well as changing or removing any other. Appends run inside the
//! caller's transaction: an operation and its audit entry commit together or not
//! at all.
//!
//! A SHA-256 chain alone can be recomputed by anyone who can write the
//! database, so each entry's hash is also authenticated with the audit key
//! (`mac`, HMAC-SHA256). The key is kept sealed under the CA key passphrase or
//! the HSM (`server_secrets`), never in the clear in the database. Where the
//! keyed chain starts is an authenticated checkpoint (`audit_checkpoints`):
//! entries written before keyed audit existed (an upgrade) keep their plain
//! chain, which must still end in the checkpoint's hash.

use std::sync::Arc;

use futures_util::TryStreamExt;
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use zeroize::Zeroizing;

use crate::StoreError;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The key that authenticates audit entries. Never logged or stored in the clear.
#[derive(Clone)]
pub struct AuditKey(Arc<Zeroizing<[u8; 32]>>);

impl AuditKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        AuditKey(Arc::new(Zeroizing::new(bytes)))
    }

    #[expect(
        clippy::expect_used,
        reason = "HMAC accepts a key of any length; new_from_slice's error is for fixed-key MACs"
    )]
    fn mac(&self, domain: &[u8], parts: &[&[u8]]) -> String {
        let mut m = <HmacSha256 as KeyInit>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        m.update(domain);
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        hex::encode(m.finalize().into_bytes())
    }

    /// The MAC of an entry: its hash covers everything else.
    fn entry_mac(&self, hash: &str) -> String {
        self.mac(b"certhall-audit-entry", &[hash.as_bytes()])
    }

    fn checkpoint_mac(&self, seq: i64, hash: &str) -> String {
        self.mac(
            b"certhall-audit-checkpoint",
            &[seq.to_string().as_bytes(), hash.as_bytes()],
        )
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

/// Constant-time comparison of two hex MACs.
fn same_mac(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

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
    /// HMAC of `hash` under the audit key; None before keyed audit.
    pub mac: Option<String>,
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
pub async fn append(
    conn: &mut AnyConnection,
    key: &AuditKey,
    at: i64,
    ev: &Event<'_>,
) -> Result<i64, StoreError> {
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
        "INSERT INTO audit_log (seq, at, actor, action, object, details, prev_hash, hash, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(at)
    .bind(ev.actor)
    .bind(ev.action)
    .bind(ev.object)
    .bind(&details)
    .bind(&prev_hash)
    .bind(&hash)
    .bind(key.entry_mac(&hash))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(conn)
        .await?;
    Ok(seq)
}

/// Where keyed entries begin.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Checkpoint {
    /// The last entry before keyed audit (0: none).
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub mac: String,
}

/// Records, with the audit key just made, that keyed entries start after the
/// current head. Run it in the transaction that stores the key.
pub async fn checkpoint(
    conn: &mut AnyConnection,
    key: &AuditKey,
    at: i64,
) -> Result<Checkpoint, StoreError> {
    // Taking the head's row lock keeps appenders out until the commit.
    let (seq, hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *conn)
            .await?;
    let c = Checkpoint {
        mac: key.checkpoint_mac(seq, &hash),
        seq,
        hash,
        at,
    };
    sqlx::query("INSERT INTO audit_checkpoints (seq, hash, at, mac) VALUES ($1, $2, $3, $4)")
        .bind(c.seq)
        .bind(&c.hash)
        .bind(c.at)
        .bind(&c.mac)
        .execute(conn)
        .await?;
    Ok(c)
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: i64,
        head: String,
        /// Entries after this one are authenticated with the audit key; the
        /// ones up to it (written before keyed audit) by their chain only.
        keyed_after: i64,
    },
    /// The first entry at which the chain does not hold, and why.
    Broken { seq: i64, reason: String },
}

fn broken(seq: i64, reason: String) -> Verdict {
    Verdict::Broken { seq, reason }
}

/// Walks the whole log in order and checks every link, every entry's MAC
/// after the keyed checkpoint, and that the chain still ends in the
/// checkpoint's hash where keyed audit began.
pub async fn verify(conn: &mut AnyConnection, key: &AuditKey) -> Result<Verdict, StoreError> {
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    let checkpoints: Vec<Checkpoint> =
        sqlx::query_as("SELECT seq, hash, at, mac FROM audit_checkpoints ORDER BY seq")
            .fetch_all(&mut *conn)
            .await?;
    let Some(first) = checkpoints.first() else {
        return Ok(broken(
            1,
            "the keyed checkpoint is missing: it was removed, so no entry can be \
             trusted to be authentic"
                .into(),
        ));
    };
    for c in &checkpoints {
        if !same_mac(&c.mac, &key.checkpoint_mac(c.seq, &c.hash)) {
            return Ok(broken(
                c.seq.max(1),
                format!(
                    "the checkpoint at entry {} is not authentic: it was altered or made \
                     without the audit key",
                    c.seq
                ),
            ));
        }
        if c.seq == 0 && c.hash != GENESIS_HASH {
            return Ok(broken(
                1,
                "the checkpoint before the first entry is not at the start of the log".into(),
            ));
        }
    }
    let keyed_after = first.seq;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS_HASH.to_string();
    let verdict = {
        let mut rows = sqlx::query_as::<_, AuditEntry>(
            "SELECT seq, at, actor, action, object, details, prev_hash, hash, mac FROM audit_log ORDER BY seq",
        )
        .fetch(&mut *conn);
        let mut found = None;
        while let Some(e) = rows.try_next().await? {
            if e.seq != expected_seq {
                found = Some(broken(
                    expected_seq,
                    format!(
                        "entry {expected_seq} is missing: the log goes from {} to {}",
                        expected_seq - 1,
                        e.seq
                    ),
                ));
                break;
            }
            if e.prev_hash != prev_hash {
                found = Some(broken(
                    e.seq,
                    format!(
                        "entry {} does not link to entry {}: its previous-hash differs",
                        e.seq,
                        e.seq - 1
                    ),
                ));
                break;
            }
            if e.computed_hash() != e.hash {
                found = Some(broken(
                    e.seq,
                    format!(
                        "entry {} was altered: its contents do not match its hash",
                        e.seq
                    ),
                ));
                break;
            }
            if e.seq > keyed_after
                && !e
                    .mac
                    .as_deref()
                    .is_some_and(|m| same_mac(m, &key.entry_mac(&e.hash)))
            {
                found = Some(broken(
                    e.seq,
                    format!(
                        "entry {} is not authenticated by the audit key: it was forged, \
                         or the chain was recomputed after a change",
                        e.seq
                    ),
                ));
                break;
            }
            if let Some(c) = checkpoints.iter().find(|c| c.seq == e.seq)
                && c.hash != e.hash
            {
                found = Some(broken(
                    e.seq,
                    format!(
                        "the entries up to {} were changed and re-hashed: the chain no \
                         longer ends in the hash recorded when keyed audit began",
                        e.seq
                    ),
                ));
                break;
            }
            prev_hash = e.hash;
            expected_seq += 1;
        }
        found
    };
    if let Some(v) = verdict {
        return Ok(v);
    }
    let last = expected_seq - 1;
    if head_seq != last || head_hash != prev_hash {
        return Ok(broken(
            last + 1,
            format!(
                "the log ends at entry {last} but its head records entry {head_seq}: \
                 the newest entries were removed or the head was altered"
            ),
        ));
    }
    if let Some(c) = checkpoints.iter().find(|c| c.seq > last) {
        return Ok(broken(
            last + 1,
            format!(
                "the log ends at entry {last} but keyed audit began after entry {}: \
                 entries were removed",
                c.seq
            ),
        ));
    }
    Ok(Verdict::Intact {
        entries: last,
        head: prev_hash,
        keyed_after,
    })
}

/// The newest entries, newest first.
pub async fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT seq, at, actor, action, object, details, prev_hash, hash, mac FROM audit_log \
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
        "SELECT seq, at, actor, action, object, details, prev_hash, hash, mac FROM audit_log{} \
         ORDER BY seq DESC LIMIT {limit} OFFSET {offset}",
        w.sql()
    );
    Ok(w.bind(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
        .fetch_all(conn)
        .await?)
}
