-- The KMC's own database (GM/T 0034 §6): a separate SQLite file or PostgreSQL
-- database, never the CA's. Portable types only; times unix ms.

-- The master key, sealed under the KMC's passphrase or by its HSM.
CREATE TABLE kmc_secrets (
    name        TEXT PRIMARY KEY,
    sealed      BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Escrowed encryption key pairs: one per encryption certificate of a CA.
-- The private key is sealed (AES-256-GCM) under the escrow key derived from
-- the master key, bound to (ca_key_hash, user_cert_no).
CREATE TABLE kmc_keys (
    ca_key_hash     TEXT NOT NULL,
    user_cert_no    TEXT NOT NULL,
    public_key      BYTEA NOT NULL,
    sealed_private  BYTEA NOT NULL,
    holder_key      BYTEA NOT NULL,
    not_before      BIGINT NOT NULL,
    not_after       BIGINT NOT NULL,
    task_no         TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT,
    PRIMARY KEY (ca_key_hash, user_cert_no)
);

-- Every task answered, by the CA's number: the same request again gets the
-- same answer; another request under a used number is refused.
CREATE TABLE kmc_tasks (
    ca_key_hash     TEXT NOT NULL,
    task_no         TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,
    response        BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (ca_key_hash, task_no)
);

-- The KMC's own audit chain (the same shape as the CA's: store::audit).
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    mac        TEXT
);
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
CREATE TABLE audit_checkpoints (
    seq   BIGINT PRIMARY KEY,
    hash  TEXT NOT NULL,
    at    BIGINT NOT NULL,
    mac   TEXT NOT NULL
);
