-- The listing indexes hold the approved activities only: every query that reads them asks
-- for `status = 'approved'` (as a literal, so that the planner can prove it implies the
-- index's predicate). Drafts and pending submissions were entries of all three that each
-- create, submit and approval deleted and inserted at a random place of the index; now an
-- approval inserts one entry at the newest end and a draft touches none.
DROP INDEX activities_listing_idx;
DROP INDEX activities_listing_campaign_idx;
DROP INDEX activities_listing_prefecture_idx;
CREATE INDEX activities_listing_idx ON activities (approved_at, id, category_mask, seq)
    WHERE status = 'approved';
CREATE INDEX activities_listing_campaign_idx ON activities (campaign_id, approved_at, id, category_mask, seq)
    WHERE status = 'approved';
CREATE INDEX activities_listing_prefecture_idx ON activities (prefecture, approved_at, id, category_mask, seq)
    WHERE status = 'approved';
