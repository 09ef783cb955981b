-- Sessions with rotating refresh tokens, API keys, todos, login
-- throttling and the audit log (issue 4).  Every table hangs off users
-- with ON DELETE CASCADE, so deleting a user removes all of it.

-- A session is one login: its refresh tokens form one family, and every
-- access token issued in it carries its id as "sid".  Revoking the
-- session (revoked_at set) kills both at once.
CREATE TABLE sessions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at DATETIME NOT NULL,
	last_used_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	revoked_at DATETIME,
	user_agent TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);

-- Refresh tokens are 256-bit random strings; only SHA-256 of them is
-- kept.  spent_at is set when a token is rotated; presenting it again
-- after the grace window revokes the session.
CREATE TABLE refresh_tokens (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	token_hash BLOB NOT NULL UNIQUE,
	created_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	spent_at DATETIME
);
CREATE INDEX ix_refresh_tokens_session_id ON refresh_tokens (session_id);

-- API keys: "gh_<prefix>_<secret>"; the prefix finds the row, the
-- SHA-256 of the secret is compared in constant time.
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name VARCHAR(100) NOT NULL,
	prefix TEXT NOT NULL UNIQUE,
	secret_hash BLOB NOT NULL,
	created_at DATETIME NOT NULL,
	expires_at DATETIME,
	last_used_at DATETIME,
	revoked_at DATETIME
);
CREATE INDEX ix_api_keys_user_id ON api_keys (user_id);

CREATE TABLE todos (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	title VARCHAR(200) NOT NULL,
	completed BOOLEAN NOT NULL DEFAULT 0,
	created_at DATETIME NOT NULL
);
CREATE INDEX ix_todos_user_id ON todos (user_id, id);

-- Failed-login counters, one row per (kind, key): kind 'user' keys on
-- the attempted username, kind 'addr' on the client address.
CREATE TABLE login_failures (
	kind TEXT NOT NULL,
	key TEXT NOT NULL,
	failures INTEGER NOT NULL,
	first_at INTEGER NOT NULL,	-- unix seconds
	last_at INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
);

-- The audit log: who did what, from where, with what outcome.  Never a
-- secret.  user_id is who acted (NULL when unknown); no foreign key, so
-- entries outlive deleted users.
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	at DATETIME NOT NULL,
	event TEXT NOT NULL,
	user_id INTEGER,
	username TEXT,
	ip TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
	target_user_id INTEGER,
	detail TEXT
);
CREATE INDEX ix_audit_log_user_id ON audit_log (user_id, id);
CREATE INDEX ix_audit_log_event ON audit_log (event, id);
