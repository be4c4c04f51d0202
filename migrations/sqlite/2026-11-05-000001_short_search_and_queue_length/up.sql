-- 1. Search for 1- and 2-character queries, which the trigram index cannot answer: a second
-- FTS5 index over the approved activities whose tokens are every character and every pair
-- of adjacent characters of the search text (each written as the hex of its UTF-8 bytes, so
-- the `ascii` tokenizer splits on nothing but the spaces between them). A query of one or
-- two characters is then one token: its documents, and their count, come from one doclist.
-- `search_grams()` is registered on every connection the application opens; it is the only
-- thing that may build tokens, so queries (db::public) and this index always agree.
CREATE VIRTUAL TABLE activities_grams USING fts5(
    grams,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'ascii'
);
INSERT INTO activities_grams (rowid, grams)
    SELECT seq, search_grams(search_text) FROM activities WHERE status = 'approved';

-- Both search indexes are kept by the same triggers, so they run in a known order: `seq`
-- is assigned before either index needs it.
DROP TRIGGER activities_search_insert;
DROP TRIGGER activities_search_update;
DROP TRIGGER activities_search_delete;

CREATE TRIGGER activities_search_insert AFTER INSERT ON activities
BEGIN
    UPDATE activities SET seq = (SELECT IFNULL(MAX(seq), 0) + 1 FROM activities) WHERE id = new.id;
    INSERT INTO activities_search (rowid, search_text)
        SELECT seq, new.search_text FROM activities WHERE id = new.id AND new.status = 'approved';
    INSERT INTO activities_grams (rowid, grams)
        SELECT seq, search_grams(new.search_text) FROM activities WHERE id = new.id AND new.status = 'approved';
END;

CREATE TRIGGER activities_search_update AFTER UPDATE OF status, search_text ON activities
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_search (rowid, search_text)
        SELECT new.seq, new.search_text WHERE new.status = 'approved';
    DELETE FROM activities_grams WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_grams (rowid, grams)
        SELECT new.seq, search_grams(new.search_text) WHERE new.status = 'approved';
END;

CREATE TRIGGER activities_search_delete AFTER DELETE ON activities
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    DELETE FROM activities_grams WHERE old.status = 'approved' AND rowid = old.seq;
END;

-- 2. The listing indexes also carry `seq`: a search whose matches are neither rare nor dense
-- walks a listing index in order and tests each entry's `seq` against the matches read from
-- the search index, without visiting the table for the rows that do not match.
DROP INDEX activities_listing_idx;
DROP INDEX activities_listing_campaign_idx;
DROP INDEX activities_listing_prefecture_idx;
CREATE INDEX activities_listing_idx ON activities (status, approved_at, id, category_mask, seq);
CREATE INDEX activities_listing_campaign_idx ON activities (status, campaign_id, approved_at, id, category_mask, seq);
CREATE INDEX activities_listing_prefecture_idx ON activities (status, prefecture, approved_at, id, category_mask, seq);

-- 3. The queue length, kept by triggers, so an owner's place in the queue is the length
-- minus the few entries behind them instead of a count over the whole queue. SQLite has one
-- writer at a time, so this single row costs no concurrency.
CREATE TABLE queue_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    length INTEGER NOT NULL
);
INSERT INTO queue_state (id, length) SELECT 1, count(*) FROM activities WHERE queued_at IS NOT NULL;

CREATE TRIGGER activities_queue_insert AFTER INSERT ON activities WHEN new.queued_at IS NOT NULL
BEGIN
    UPDATE queue_state SET length = length + 1 WHERE id = 1;
END;

CREATE TRIGGER activities_queue_update AFTER UPDATE OF queued_at ON activities
    WHEN (old.queued_at IS NULL) <> (new.queued_at IS NULL)
BEGIN
    UPDATE queue_state SET length = length + IIF(new.queued_at IS NULL, -1, 1) WHERE id = 1;
END;

CREATE TRIGGER activities_queue_delete AFTER DELETE ON activities WHEN old.queued_at IS NOT NULL
BEGIN
    UPDATE queue_state SET length = length - 1 WHERE id = 1;
END;
