-- The account console's browser sessions (issue 5): a session started by
-- POST /account/login is also reachable by a cookie.  Only the SHA-256
-- of the cookie's 256-bit random value is kept; NULL for API logins.
-- SQLite cannot add a UNIQUE column, hence the unique index (NULLs do
-- not collide).
ALTER TABLE sessions ADD COLUMN cookie_hash BLOB;
CREATE UNIQUE INDEX ux_sessions_cookie_hash ON sessions (cookie_hash);
