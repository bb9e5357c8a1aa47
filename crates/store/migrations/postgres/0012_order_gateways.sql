-- Which gateways an order was started at (comma-separated: alipay, wechat), so
-- that the lost-notify poll asks each of them, not only the channel chosen
-- last; and the WeChat Pay code_url the QR page shows, stored when the holder
-- chooses 微信支付 (a POST), so showing the page calls no gateway.
ALTER TABLE orders ADD COLUMN gateways TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN wechat_code_url TEXT;
UPDATE orders SET gateways = channel || ',' WHERE channel IN ('alipay', 'wechat');
