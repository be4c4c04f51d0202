-- A moderator's claim on a queued activity: held until expires_at, renewed by claiming
-- again, gone by itself when it runs out. Kept apart from activities so that claiming never
-- changes an activity's row or version.
CREATE TABLE claims (
    activity_id TEXT PRIMARY KEY NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    moderator_id TEXT NOT NULL REFERENCES accounts (id),
    expires_at TIMESTAMP NOT NULL,
    claimed_at TIMESTAMP NOT NULL
);
CREATE INDEX claims_moderator_idx ON claims (moderator_id, expires_at);
