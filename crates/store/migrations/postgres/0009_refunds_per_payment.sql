-- A refund gives back one captured payment (a ledger row), through the
-- channel that payment came in by. Before, a refund was one per order and
-- went out through the order's last chosen channel: an order paid twice
-- (支付宝 and then 微信支付 for the same QR code) had its second payment
-- "refunded" through the first channel and the holder's money lost.
ALTER TABLE refunds ADD COLUMN payment_id TEXT REFERENCES ledger (id);
ALTER TABLE refunds ADD COLUMN channel TEXT;
-- Retry with backoff: the job only picks refunds that are due.
ALTER TABLE refunds ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
UPDATE refunds SET channel = (SELECT o.channel FROM orders o WHERE o.id = refunds.order_id);
UPDATE refunds SET payment_id = (
    SELECT l.id FROM ledger l
     WHERE l.order_id = refunds.order_id AND l.kind = 'payment' AND l.channel = refunds.channel
     ORDER BY l.at, l.id LIMIT 1);
UPDATE refunds SET channel = 'bank' WHERE channel IS NULL;
DROP INDEX refunds_one_per_order;
CREATE UNIQUE INDEX refunds_one_per_payment ON refunds (payment_id);
CREATE INDEX refunds_order ON refunds (order_id);
-- What the refund job can act on: gateway refunds that are due. Bank-transfer
-- refunds wait for finance and never fill the job's batch.
CREATE INDEX refunds_due ON refunds (next_attempt_at)
    WHERE state = 'PENDING' AND channel IN ('alipay', 'wechat');

-- Invoice mail: retried with backoff; an address the mailer cannot use stops
-- being retried (mail_failed_at) and shows to staff.
ALTER TABLE invoices ADD COLUMN mail_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN mail_next_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN mail_error TEXT;
ALTER TABLE invoices ADD COLUMN mail_failed_at BIGINT;
CREATE INDEX invoices_mail_due ON invoices (mail_next_at)
    WHERE mailed_at IS NULL AND mail_failed_at IS NULL AND email IS NOT NULL;
