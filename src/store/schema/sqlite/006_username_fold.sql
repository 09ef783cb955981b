-- Usernames are unique regardless of case (RFC 8265): a new name whose
-- case-folded form (util/username.c: Unicode full case folding, NFC)
-- equals an existing one's is refused.  Existing rows get lower() of
-- their name, which folds ASCII; seed databases may hold names equal
-- but for case, so the index is not UNIQUE: registration checks it.
ALTER TABLE users ADD COLUMN username_fold TEXT;
UPDATE users SET username_fold = lower(username);
CREATE INDEX ix_users_username_fold ON users (username_fold);
