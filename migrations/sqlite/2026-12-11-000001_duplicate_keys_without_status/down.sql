DROP INDEX activities_title_key_idx;
DROP INDEX activities_organizer_key_idx;
CREATE INDEX activities_title_key_idx ON activities (account_id, title_key, campaign_id, status, id);
CREATE INDEX activities_organizer_key_idx ON activities (organizer_key, campaign_id, account_id, status, id);
