-- Housekeeping deletes what expired (ra::housekeeping): the indexes it needs.
-- Hand-off challenges are no longer stored when handed out (they carry their
-- own MAC); this table only remembers used ones until they expire.
CREATE INDEX handoff_challenges_expires ON handoff_challenges (expires_at);
CREATE INDEX handoff_links_expires ON handoff_links (expires_at);
CREATE INDEX sms_codes_expires ON sms_codes (expires_at);
CREATE INDEX rate_events_at ON rate_events (at);
