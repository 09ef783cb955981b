-- gatehouse's users and posts.  Both tables are rebuilt (SQLite cannot
-- add AUTOINCREMENT or a CHECK in place):
--  * AUTOINCREMENT, so a deleted user's or post's id is never handed out
--    again (the seed reuses the newest id, which would let an old token
--    or a client cache name a different row);
--  * users gain role, is_active, created_at and token_version; is_admin
--    stays, kept equal to role = 'admin', so the seed app could still
--    read the file;
--  * posts cascade with their user.
-- Existing rows keep their ids, hashes and dates; seed admins become
-- role 'admin'.
CREATE TABLE users_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	username VARCHAR(50) NOT NULL,
	email VARCHAR(120) NOT NULL,
	hashed_password VARCHAR(255) NOT NULL,
	is_admin BOOLEAN NOT NULL DEFAULT 0,
	role TEXT NOT NULL DEFAULT 'user'
	    CHECK (role IN ('user', 'moderator', 'admin')),
	is_active BOOLEAN NOT NULL DEFAULT 1,
	created_at DATETIME NOT NULL,
	token_version INTEGER NOT NULL DEFAULT 0
);
INSERT INTO users_new (id, username, email, hashed_password, is_admin, role,
    is_active, created_at, token_version)
SELECT id, username, email, hashed_password, is_admin,
    CASE WHEN is_admin THEN 'admin' ELSE 'user' END, 1,
    strftime('%Y-%m-%d %H:%M:%f000', 'now'), 0
FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_email_lower ON users (lower(email));

CREATE TABLE posts_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	title VARCHAR(100) NOT NULL,
	content TEXT NOT NULL,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	date_posted DATETIME NOT NULL
);
INSERT INTO posts_new (id, title, content, user_id, date_posted)
SELECT id, title, content, user_id, date_posted FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX ix_posts_user_id ON posts (user_id);
