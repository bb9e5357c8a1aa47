-- One row /readyz writes to: a full disk or a read-only database shows there
-- while reads still pass.
CREATE TABLE health_probe (
    id  BIGINT PRIMARY KEY,
    at  BIGINT NOT NULL
);
INSERT INTO health_probe (id, at) VALUES (1, 0);
