DROP INDEX activities_search_trgm_idx;
DROP INDEX activities_listing_prefecture_idx;
DROP INDEX activities_listing_campaign_idx;
DROP INDEX activities_listing_idx;
CREATE INDEX activities_public_idx ON activities (approved_at, id) WHERE status = 'approved';
CREATE INDEX activities_public_campaign_idx ON activities (campaign_id, approved_at, id) WHERE status = 'approved';
CREATE INDEX activities_public_prefecture_idx ON activities (prefecture, approved_at, id) WHERE status = 'approved';
