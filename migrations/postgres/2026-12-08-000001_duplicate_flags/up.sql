-- Duplicate flags of the moderation queue (domain::duplicate). Each rule is a key on the
-- activity, written with its text by the application and indexed, so an item's look-alikes
-- are found by index lookups. NULL: not computed yet (rows older than this migration get
-- theirs at the next start, db::duplicates::backfill); '': nothing to match on.
ALTER TABLE activities ADD COLUMN title_key TEXT;
ALTER TABLE activities ADD COLUMN organizer_key TEXT;
-- Covering: a page's look-alikes may be thousands of rows (a common organizer name), read
-- from the index alone rather than one table page each (12 ms a queue page at 100k rows).
CREATE INDEX activities_title_key_idx ON activities (account_id, title_key, campaign_id, status, id);
CREATE INDEX activities_organizer_key_idx ON activities (organizer_key, campaign_id, account_id, status, id);
-- The rows still without keys, so the start-up backfill finds them without a scan.
CREATE INDEX activities_keys_missing_idx ON activities (id) WHERE title_key IS NULL OR organizer_key IS NULL;

-- Every corporate number an account's profile has held (accounts.corporate_number is unique
-- at any one time; a number given up by one account and taken by another shows here).
CREATE TABLE corporate_numbers (
    corporate_number TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    first_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (corporate_number, account_id)
);
CREATE INDEX corporate_numbers_account_idx ON corporate_numbers (account_id);
INSERT INTO corporate_numbers (corporate_number, account_id, first_seen_at)
    SELECT corporate_number, id, created_at FROM accounts WHERE corporate_number IS NOT NULL;
