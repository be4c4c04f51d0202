DROP TRIGGER activities_queue_delete;
DROP TRIGGER activities_queue_update;
DROP TRIGGER activities_queue_insert;
DROP TABLE queue_state;

DROP INDEX activities_listing_prefecture_idx;
DROP INDEX activities_listing_campaign_idx;
DROP INDEX activities_listing_idx;
CREATE INDEX activities_listing_idx ON activities (status, approved_at, id, category_mask);
CREATE INDEX activities_listing_campaign_idx ON activities (status, campaign_id, approved_at, id, category_mask);
CREATE INDEX activities_listing_prefecture_idx ON activities (status, prefecture, approved_at, id, category_mask);

DROP TRIGGER activities_search_delete;
DROP TRIGGER activities_search_update;
DROP TRIGGER activities_search_insert;

CREATE TRIGGER activities_search_insert AFTER INSERT ON activities
BEGIN
    UPDATE activities SET seq = (SELECT IFNULL(MAX(seq), 0) + 1 FROM activities) WHERE id = new.id;
    INSERT INTO activities_search (rowid, search_text)
        SELECT seq, new.search_text FROM activities WHERE id = new.id AND new.status = 'approved';
END;

CREATE TRIGGER activities_search_update AFTER UPDATE OF status, search_text ON activities
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_search (rowid, search_text)
        SELECT new.seq, new.search_text WHERE new.status = 'approved';
END;

CREATE TRIGGER activities_search_delete AFTER DELETE ON activities
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
END;

DROP TABLE activities_grams;
