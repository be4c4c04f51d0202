-- Substring search: a trigram GIN index, used by LIKE '%…%' for queries of 3+ characters.
-- Not partial, so that plans with the status as a parameter can use it too.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX activities_search_trgm_idx ON activities USING gin (search_text gin_trgm_ops);

-- Listing indexes lead with `status` instead of being partial on status = 'approved': the
-- status arrives as a bound parameter, and SQLite cannot use a partial index then.
DROP INDEX activities_public_idx;
DROP INDEX activities_public_campaign_idx;
DROP INDEX activities_public_prefecture_idx;
CREATE INDEX activities_listing_idx ON activities (status, approved_at, id);
CREATE INDEX activities_listing_campaign_idx ON activities (status, campaign_id, approved_at, id);
CREATE INDEX activities_listing_prefecture_idx ON activities (status, prefecture, approved_at, id);
