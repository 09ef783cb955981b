-- The seed FastAPI application's tables, exactly as SQLAlchemy creates
-- them.  On a database the seed already wrote this changes nothing; on a
-- new database it lays the same ground so that 002 has one path.
CREATE TABLE IF NOT EXISTS users (
	id INTEGER NOT NULL,
	username VARCHAR(50) NOT NULL,
	email VARCHAR(120) NOT NULL,
	hashed_password VARCHAR(255) NOT NULL,
	is_admin BOOLEAN NOT NULL,
	PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS posts (
	id INTEGER NOT NULL,
	title VARCHAR(100) NOT NULL,
	content TEXT NOT NULL,
	user_id INTEGER NOT NULL,
	date_posted DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
