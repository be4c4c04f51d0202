-- The duplicate flags' indexes without the status. A decision (approve, reject, unpublish)
-- changes an activity's status, and every index that holds the status is rewritten with
-- it. On SQLite at 100k rows, 8,000 approvals through /moderation/bulk ran at 1,400-1,820
-- items/s with the status in these two and 1,810-2,190 without (bench/RESULTS.md). Which statuses count as a
-- registration is read from the row instead, for the at most
-- db::duplicates::MAX_PER_ITEM + 1 look-alikes a lookup reads.
DROP INDEX activities_title_key_idx;
DROP INDEX activities_organizer_key_idx;
CREATE INDEX activities_title_key_idx ON activities (account_id, title_key, campaign_id, id);
CREATE INDEX activities_organizer_key_idx ON activities (organizer_key, campaign_id, account_id, id);
