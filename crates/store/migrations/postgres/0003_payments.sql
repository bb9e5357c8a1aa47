-- The payment centre: orders, the ledger of money movements, refunds, bank
-- transfers awaiting finance, and e-invoices.

INSERT INTO counters (name, value) VALUES ('invoice_seq', 0);

-- One order per payment attempt of an application; at most one open at a time.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    out_trade_no     TEXT NOT NULL UNIQUE,
    application_id   TEXT NOT NULL REFERENCES applications (id),
    holder_id        TEXT NOT NULL REFERENCES holders (id),
    amount_fen       BIGINT NOT NULL,
    subject          TEXT NOT NULL,
    state            TEXT NOT NULL,
    channel          TEXT,
    invoice          TEXT,
    agreed_at        BIGINT,
    gateway_trade_no TEXT,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    paid_at          BIGINT,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX orders_one_open ON orders (application_id) WHERE state = 'OPEN';
CREATE INDEX orders_application ON orders (application_id, created_at);
CREATE INDEX orders_state ON orders (state, expires_at);

-- Every movement of money, once: a gateway's trade (or refund) number is recorded
-- at most once per channel and kind, which makes notifies idempotent.
CREATE TABLE ledger (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    kind         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    gateway_ref  TEXT NOT NULL,
    at           BIGINT NOT NULL,
    note         TEXT NOT NULL,
    UNIQUE (channel, kind, gateway_ref)
);
CREATE INDEX ledger_order ON ledger (order_id);

-- Refunds we owe and their progress.
CREATE TABLE refunds (
    id             TEXT PRIMARY KEY,
    order_id       TEXT NOT NULL REFERENCES orders (id),
    out_refund_no  TEXT NOT NULL UNIQUE,
    amount_fen     BIGINT NOT NULL,
    reason         TEXT NOT NULL,
    state          TEXT NOT NULL,
    attempts       BIGINT NOT NULL,
    last_error     TEXT,
    created_at     BIGINT NOT NULL,
    done_at        BIGINT
);
CREATE UNIQUE INDEX refunds_one_per_order ON refunds (order_id);

-- 对公转账: the holder's bank receipt, waiting for finance.
CREATE TABLE bank_transfers (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders (id),
    blob_key      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    state         TEXT NOT NULL,
    uploaded_at   BIGINT NOT NULL,
    decided_by    TEXT,
    decided_at    BIGINT
);
CREATE INDEX bank_transfers_order ON bank_transfers (order_id);

-- E-invoices, one per paid order.
CREATE TABLE invoices (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL UNIQUE REFERENCES orders (id),
    number      TEXT NOT NULL UNIQUE,
    title_type  TEXT NOT NULL,
    title       TEXT NOT NULL,
    tax_id      TEXT,
    email       TEXT,
    amount_fen  BIGINT NOT NULL,
    issued_at   BIGINT NOT NULL,
    blob_key    TEXT NOT NULL,
    mailed_at   BIGINT
);
