-- Campaigns carry a version, like activities: a PATCH names the version it saw.
ALTER TABLE campaigns ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- Audit events about a campaign name it.
ALTER TABLE audit_events ADD COLUMN campaign_id TEXT;
