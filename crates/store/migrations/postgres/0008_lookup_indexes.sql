-- Found by `certhall bench` with 100,000 applications stored: 个人中心 looks up
-- the applications of each of the holder's certificates (its seal, open
-- businesses), and PIN recovery the keys reserved for a mobile; both scanned
-- the whole table.
CREATE INDEX applications_cert ON applications (cert_serial, created_at);
CREATE INDEX token_escrow_mobile ON token_escrow (mobile);
-- A CRL lists the revoked certificates in revocation order: read from this
-- index alone, never from the table and its certificate bodies (a million
-- revoked certificates: seconds less per CRL).
CREATE INDEX certificates_revoked
    ON certificates (issuer_id, revocation_seq, serial, revoked_at, revocation_reason, not_after)
    WHERE revoked_at IS NOT NULL;
