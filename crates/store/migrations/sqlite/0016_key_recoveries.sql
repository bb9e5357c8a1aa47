-- Judicial recovery of an escrowed encryption key (GM/T 0034 §12.5): a
-- 密钥恢复审批员 files it with its legal basis and the recovery officer's SM2
-- public key; two other 密钥恢复审批员 approve it; the officer then has the
-- KMC envelope the key to that public key (SM2EnvelopedKey, kept here: only
-- the officer's private key opens it).
CREATE TABLE key_recoveries (
    id                 TEXT PRIMARY KEY,
    encryption_serial  TEXT NOT NULL,
    legal_basis        TEXT NOT NULL,
    officer_key        BLOB NOT NULL,
    requested_by       TEXT NOT NULL,
    state              TEXT NOT NULL,
    task_no            TEXT NOT NULL UNIQUE,
    envelope           BLOB,
    created_at         BIGINT NOT NULL,
    approved_at        BIGINT,
    released_at        BIGINT
);
CREATE TABLE key_recovery_approvals (
    recovery_id  TEXT NOT NULL,
    staff_id     TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (recovery_id, staff_id)
);
