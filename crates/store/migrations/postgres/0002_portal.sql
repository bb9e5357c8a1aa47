-- The holder portal: accounts, SMS codes, sessions, rate limits, the assistant
-- hand-off, prices, applications with their timeline, and uploaded materials.

-- People who sign in with a mobile number (sign-up on first use).
CREATE TABLE holders (
    id               TEXT PRIMARY KEY,
    mobile           TEXT NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL,
    last_sign_in_at  BIGINT
);

-- One-time SMS codes. Only a hash of each code is kept.
CREATE TABLE sms_codes (
    id               TEXT PRIMARY KEY,
    mobile           TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    code_hash        TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    failed_attempts  BIGINT NOT NULL,
    used_at          BIGINT
);
CREATE INDEX sms_codes_mobile ON sms_codes (mobile, purpose, created_at);

-- Rate-limit events: sliding windows shared by every server instance.
CREATE TABLE rate_events (
    bucket  TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket ON rate_events (bucket, at);

-- Browser sessions. The cookie carries a random token; only its hash is stored.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    holder_id   TEXT REFERENCES holders (id),
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Assistant hand-off: challenges the server issued, and the single-use links a
-- verified proof of key possession yields.
CREATE TABLE handoff_challenges (
    nonce       TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE TABLE handoff_links (
    token_hash  TEXT PRIMARY KEY,
    serial      TEXT NOT NULL REFERENCES certificates (serial),
    business    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

-- Prices per (business, certificate type) in fen; 0 means the free flow.
CREATE TABLE prices (
    business    TEXT NOT NULL,
    cert_type   TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (business, cert_type)
);

-- Applications. open_key ("serial|business") is set while the application is
-- unfinished, so a certificate has at most one unfinished application per business.
CREATE TABLE applications (
    id            TEXT PRIMARY KEY,
    holder_id     TEXT NOT NULL REFERENCES holders (id),
    business      TEXT NOT NULL,
    cert_type     TEXT NOT NULL,
    cert_serial   TEXT,
    state         TEXT NOT NULL,
    form          TEXT NOT NULL,
    price_fen     BIGINT NOT NULL,
    open_key      TEXT UNIQUE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    submitted_at  BIGINT,
    version       BIGINT NOT NULL
);
CREATE INDEX applications_holder ON applications (holder_id, created_at);
CREATE INDEX applications_state ON applications (state, submitted_at);

-- Every state change with who, when and why: the holder's timeline.
CREATE TABLE application_events (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    note            TEXT NOT NULL
);
CREATE INDEX application_events_application ON application_events (application_id, at);

-- Uploaded materials; the bytes are in the blob store under blob_key.
CREATE TABLE materials (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    kind            TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    sha256          TEXT NOT NULL,
    blob_key        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    replaced_at     BIGINT
);
CREATE INDEX materials_application ON materials (application_id, kind);
