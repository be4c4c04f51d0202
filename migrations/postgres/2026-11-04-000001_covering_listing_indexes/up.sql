-- The listing indexes also carry category_mask, so counting a filter with categories reads
-- the index alone instead of every matching row.
DROP INDEX activities_listing_idx;
DROP INDEX activities_listing_campaign_idx;
DROP INDEX activities_listing_prefecture_idx;
CREATE INDEX activities_listing_idx ON activities (status, approved_at, id, category_mask);
CREATE INDEX activities_listing_campaign_idx ON activities (status, campaign_id, approved_at, id, category_mask);
CREATE INDEX activities_listing_prefecture_idx ON activities (status, prefecture, approved_at, id, category_mask);
