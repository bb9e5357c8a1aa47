-- 找回密码: each USB key the CA hands out has its SO PIN held here, sealed under
-- the CA key passphrase, with the mobile number reserved for resetting its PIN.
CREATE TABLE token_escrow (
    token_serial  TEXT PRIMARY KEY,
    mobile        TEXT NOT NULL,
    sealed_so_pin BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    -- The last time the SO PIN was handed out for a reset.
    released_at   BIGINT
);

-- PIN resets waiting for a reviewer (portal.unlock_review): PENDING, then
-- APPROVED or REJECTED; an approved one is USED by the next reset.
CREATE TABLE unlock_requests (
    id            TEXT PRIMARY KEY,
    token_serial  TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    decided_by    TEXT,
    decided_at    BIGINT,
    reason        TEXT
);
CREATE INDEX unlock_requests_token ON unlock_requests (token_serial, created_at);
