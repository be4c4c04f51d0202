-- Participation badges: an approved activity's badge has an id of its own (128 random
-- bits, hex), so that a badge's address tells nothing of the activity's and cannot be
-- guessed. The id is made the first time the owner asks for the badge; the badge answers
-- while the activity is approved and 410 after it is withdrawn, unpublished or rejected.
CREATE TABLE badges (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL UNIQUE REFERENCES activities (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
