-- The CA: its keys and certificates, issued certificates, CRLs, the audit log.
-- Portable types only (TEXT, BIGINT, BLOB): ids are UUIDv7 text, times unix ms.

-- Monotonic counters, bumped with UPDATE … RETURNING so the row lock orders writers.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('revocation_seq', 0);
INSERT INTO counters (name, value) VALUES ('crl_number', 0);
INSERT INTO counters (name, value) VALUES ('ca_init', 0);

-- CA certificates with their keys: root, issuing CA, delegated OCSP signer.
CREATE TABLE ca_keys (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    serial      TEXT NOT NULL,
    cert_der    BLOB NOT NULL,
    key_kind    TEXT NOT NULL,
    key_blob    BLOB,
    key_ref     TEXT,
    issuer_id   TEXT REFERENCES ca_keys (id),
    not_before  BIGINT NOT NULL,
    not_after   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX ca_keys_role ON ca_keys (role, created_at);

-- Issued certificates. A row is written with its to-be-signed bytes before the
-- signature exists (state PENDING), then completed (ISSUED).
CREATE TABLE certificates (
    serial            TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL UNIQUE,
    issuer_id         TEXT NOT NULL REFERENCES ca_keys (id),
    profile           TEXT NOT NULL,
    common_name       TEXT NOT NULL,
    organization      TEXT,
    credit_code       TEXT,
    id_number_masked  TEXT,
    key_algorithm     TEXT NOT NULL,
    spki_sha256       TEXT NOT NULL,
    not_before        BIGINT NOT NULL,
    not_after         BIGINT NOT NULL,
    tbs_der           BLOB NOT NULL,
    cert_der          BLOB,
    state             TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    issued_at         BIGINT,
    revoked_at        BIGINT,
    revocation_reason BIGINT,
    revocation_seq    BIGINT UNIQUE
);
CREATE INDEX certificates_common_name ON certificates (common_name);
CREATE INDEX certificates_organization ON certificates (organization);
CREATE INDEX certificates_credit_code ON certificates (credit_code);
CREATE INDEX certificates_spki ON certificates (spki_sha256);

-- Full CRLs as published. Only the newest few are kept.
CREATE TABLE crls (
    number          BIGINT PRIMARY KEY,
    issuer_id       TEXT NOT NULL REFERENCES ca_keys (id),
    this_update     BIGINT NOT NULL,
    next_update     BIGINT NOT NULL,
    revocation_seq  BIGINT NOT NULL,
    entries         BIGINT NOT NULL,
    der             BLOB NOT NULL,
    created_at      BIGINT NOT NULL
);

-- Append-only, hash-chained audit log. audit_head holds the last sequence number and
-- hash so that deleting the newest rows is detected too.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
