ALTER TABLE audit_events DROP COLUMN campaign_id;
ALTER TABLE campaigns DROP COLUMN version;
