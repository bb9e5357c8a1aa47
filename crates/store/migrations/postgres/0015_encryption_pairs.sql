-- Dual certificates (GM/T 0014 / GM/T 0034): an SM2 CA's signing certificate
-- and the encryption certificate of the key pair its KMC made and escrowed.
-- The row is written with the pending signing certificate, before the KMC is
-- asked (so a retry asks under the same task number); the KMC's answer fills
-- public_key and envelope; both certificates are then signed and marked
-- issued in one transaction, so no signing certificate is issued without its
-- pair.
CREATE TABLE encryption_pairs (
    signing_serial     TEXT PRIMARY KEY,
    encryption_serial  TEXT NOT NULL UNIQUE,
    task_no            TEXT NOT NULL UNIQUE,
    -- The encryption key pair's public key (SEC1) and the KMC's
    -- SignedAndEnvelopedData of its private key, to the signing key.
    public_key         BYTEA,
    envelope           BYTEA,
    created_at         BIGINT NOT NULL,
    -- When the KMC confirmed the key's revocation (RevokeKeyReq).
    kmc_revoked_at     BIGINT
);
