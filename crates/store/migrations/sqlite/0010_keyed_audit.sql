-- The installation's own secrets, each sealed under the CA key passphrase (or
-- the HSM) like the CA keys: the audit key and the hand-off challenges' key.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    sealed      BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Each audit entry's hash authenticated with the audit key (HMAC-SHA256, hex):
-- a writer with database access alone can recompute a SHA-256 chain, not this.
ALTER TABLE audit_log ADD COLUMN mac TEXT;

-- Where the keyed chain starts: the entry (seq, 0 for none) and its hash when
-- the audit key was made, authenticated with the key. Entries up to it were
-- written before keyed audit (an upgrade) and keep their SHA-256 chain only,
-- which must still end in this hash.
CREATE TABLE audit_checkpoints (
    seq   BIGINT PRIMARY KEY,
    hash  TEXT NOT NULL,
    at    BIGINT NOT NULL,
    mac   TEXT NOT NULL
);
