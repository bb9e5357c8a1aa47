-- Keys of integrators' systems (an RA's own front end, a batch tool) for the
-- issuing API. A key acts for one staff account, with that account's role, and
-- stops working when the account is disabled. Only the key's SHA-256 is kept:
-- the key is 256 random bits, so a slow hash would add cost to every request
-- and no protection.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    key_hash    TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_staff ON api_keys (staff_id);
