-- An invoice's mail is claimed before it is sent (mail_sending_at, and
-- mail_next_at set to the end of the claim), so two instances never send it
-- at once; a claim that outlives its sender (a crash between sending and
-- recording) runs out and the mail goes again with the same Message-ID.
ALTER TABLE invoices ADD COLUMN mail_sending_at BIGINT;
