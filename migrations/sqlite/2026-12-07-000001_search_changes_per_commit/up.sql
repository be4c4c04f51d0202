-- The search indexes of a write on the process's write connection are brought up to date
-- once per commit instead of once per transaction body. FTS5 writes its pending changes to
-- a new segment at every savepoint, and that connection runs each body in a savepoint of a
-- shared transaction, so each approval cost a segment flush and its share of the merges
-- (a quarter of that thread's time at 100k rows). There, `search_deferred()` is true: the
-- triggers note what changed in `search_changes`, and the write thread applies the notes
-- to both indexes just before the commit, in the same transaction (db::search_changes).
-- Every other connection (seeding, the command line) still changes the indexes at once.
CREATE TABLE search_changes (
    n INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    -- NULL: the activity leaves the indexes; otherwise it enters them with this text.
    search_text TEXT
);

DROP TRIGGER activities_search_update;
DROP TRIGGER activities_search_delete;

CREATE TRIGGER activities_search_update AFTER UPDATE OF status, search_text ON activities
    WHEN (old.status = 'approved' OR new.status = 'approved')
        AND (old.status IS NOT new.status OR old.search_text IS NOT new.search_text)
        AND NOT search_deferred()
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_search (rowid, search_text)
        SELECT new.seq, new.search_text WHERE new.status = 'approved';
    DELETE FROM activities_grams WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_grams (rowid, grams)
        SELECT new.seq, search_grams(new.search_text) WHERE new.status = 'approved';
END;

CREATE TRIGGER activities_search_update_noted AFTER UPDATE OF status, search_text ON activities
    WHEN (old.status = 'approved' OR new.status = 'approved')
        AND (old.status IS NOT new.status OR old.search_text IS NOT new.search_text)
        AND search_deferred()
BEGIN
    INSERT INTO search_changes (seq, search_text) SELECT old.seq, NULL WHERE old.status = 'approved';
    INSERT INTO search_changes (seq, search_text) SELECT new.seq, new.search_text WHERE new.status = 'approved';
END;

CREATE TRIGGER activities_search_delete AFTER DELETE ON activities
    WHEN old.status = 'approved' AND NOT search_deferred()
BEGIN
    DELETE FROM activities_search WHERE rowid = old.seq;
    DELETE FROM activities_grams WHERE rowid = old.seq;
END;

CREATE TRIGGER activities_search_delete_noted AFTER DELETE ON activities
    WHEN old.status = 'approved' AND search_deferred()
BEGIN
    INSERT INTO search_changes (seq, search_text) VALUES (old.seq, NULL);
END;
