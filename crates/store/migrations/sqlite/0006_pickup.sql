-- 在线新办 and 在线补办 write a certificate into a key that holds none of ours
-- yet, so no key can prove who asks. After approval the holder (own key) or
-- the operator (mailed key) is given a one-time 写入码 instead; the assistant
-- sends it with the CSR made in the key. Only the code's SHA-256 is kept, and a
-- new code replaces the old one.
CREATE TABLE pickup_codes (
    application_id TEXT PRIMARY KEY,
    code_hash      TEXT NOT NULL UNIQUE,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    -- When the assistant reported the certificate written (proved by its key).
    written_at     BIGINT
);
