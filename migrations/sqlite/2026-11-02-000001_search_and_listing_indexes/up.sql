-- Substring search over approved activities: an FTS5 trigram index (queries of 3+
-- characters), keyed by `seq`, a stable integer per activity (VACUUM may renumber the
-- implicit rowids of a table whose primary key is text, so they are not used as keys).
ALTER TABLE activities ADD COLUMN seq INTEGER;
UPDATE activities SET seq = rowid;
CREATE UNIQUE INDEX activities_seq_key ON activities (seq);

CREATE VIRTUAL TABLE activities_search USING fts5(
    search_text,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram'
);
INSERT INTO activities_search (rowid, search_text)
    SELECT seq, search_text FROM activities WHERE status = 'approved';

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

-- Listing indexes lead with `status` instead of being partial on status = 'approved': the
-- status arrives as a bound parameter, and SQLite cannot use a partial index then.
DROP INDEX activities_public_idx;
DROP INDEX activities_public_campaign_idx;
DROP INDEX activities_public_prefecture_idx;
CREATE INDEX activities_listing_idx ON activities (status, approved_at, id);
CREATE INDEX activities_listing_campaign_idx ON activities (status, campaign_id, approved_at, id);
CREATE INDEX activities_listing_prefecture_idx ON activities (status, prefecture, approved_at, id);
