-- The sign-in limiter's counters, replacing `login_failures` (which kept
-- every failed e-mail address whole, forever).
--
-- One row per key and window: a key is the SHA-256 (hex) of what is
-- counted — an account, a client address, an account from one client
-- address, or the whole platform — so a row has a fixed, small size
-- whatever was typed into the form. `attempts` counts the attempts charged
-- in the window: failures, and checks still running (a success gives its
-- charge back). A row past `expires_at` is dead: the next charge restarts
-- it, and sign-ins sweep dead rows in bounded batches.

DROP TABLE login_failures;

CREATE TABLE login_limits (
    key        TEXT PRIMARY KEY CHECK (length(key) <= 80),
    attempts   BIGINT NOT NULL CHECK (attempts >= 0),
    expires_at TEXT NOT NULL
);
CREATE INDEX login_limits_expires_at ON login_limits (expires_at);
