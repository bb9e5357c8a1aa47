-- 找回密码: each USB key the CA hands out has its SO PIN held here, sealed under
-- the CA key passphrase, with the mobile number reserved for resetting its PIN.
CREATE TABLE token_escrow (
    token_serial  TEXT PRIMARY KEY,
    mobile        TEXT NOT NULL,
    sealed_so_pin BLOB NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    -- The last time the SO PIN was handed out for a reset.
    released_at   BIGINT
);
