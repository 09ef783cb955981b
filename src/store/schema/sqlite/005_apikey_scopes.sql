-- What an API key may do (policy/policy.h GH_SCOPE_*): 1 read, 2 write,
-- 4 admin.  Keys made before scopes existed keep every right they had
-- (7; admin adds nothing unless their owner is an admin).
ALTER TABLE api_keys ADD COLUMN scopes INTEGER NOT NULL DEFAULT 7;
