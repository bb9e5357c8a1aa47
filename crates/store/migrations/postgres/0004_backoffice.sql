-- The back office: staff accounts (argon2 password + TOTP), their sessions,
-- review claims and approvals (four eyes), shipments of mailed keys, and the
-- product settings staff edit (reviewers per product, required materials).

CREATE TABLE staff (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    role              TEXT NOT NULL,
    -- The staff member's own mobile, so they cannot review their own application.
    mobile            TEXT,
    password_hash     TEXT,
    totp_secret       TEXT,
    -- The last TOTP time step accepted: a code works once.
    totp_last_step    BIGINT NOT NULL DEFAULT 0,
    -- A one-time set-up link (hash of its token) until the account is set up.
    setup_hash        TEXT UNIQUE,
    setup_expires_at  BIGINT,
    failed_count      BIGINT NOT NULL DEFAULT 0,
    locked_until      BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    last_sign_in_at   BIGINT,
    disabled_at       BIGINT
);

CREATE TABLE staff_sessions (
    id_hash     TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    created_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);

-- Who is working on an application; a claim lapses at expires_at.
CREATE TABLE review_claims (
    application_id  TEXT PRIMARY KEY REFERENCES applications (id),
    staff_id        TEXT NOT NULL REFERENCES staff (id),
    claimed_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);

-- Approvals of one submission (round); with two reviewers, two different people.
CREATE TABLE review_approvals (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    round           BIGINT NOT NULL,
    staff_id        TEXT NOT NULL REFERENCES staff (id),
    at              BIGINT NOT NULL,
    note            TEXT NOT NULL,
    UNIQUE (application_id, round, staff_id)
);

CREATE TABLE shipments (
    application_id  TEXT PRIMARY KEY REFERENCES applications (id),
    carrier         TEXT NOT NULL,
    tracking_no     TEXT NOT NULL,
    shipped_by      TEXT NOT NULL,
    shipped_at      BIGINT NOT NULL
);

-- Reviewers needed per product (1, or 2 for four eyes).
ALTER TABLE prices ADD COLUMN reviewers BIGINT NOT NULL DEFAULT 1;

-- Back-office changes to whether a configured material is required.
CREATE TABLE material_rules (
    business    TEXT NOT NULL,
    cert_type   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    required    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (business, cert_type, kind)
);

-- What an application was created under: product settings changed later apply
-- to new applications only. review_round counts the entries into review.
ALTER TABLE applications ADD COLUMN reviewers BIGINT NOT NULL DEFAULT 1;
ALTER TABLE applications ADD COLUMN required_materials TEXT;
ALTER TABLE applications ADD COLUMN review_round BIGINT NOT NULL DEFAULT 0;
CREATE INDEX applications_queue ON applications (state, submitted_at);
