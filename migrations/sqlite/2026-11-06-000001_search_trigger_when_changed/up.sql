-- A workflow step writes every column it may change in one fixed statement (so each
-- connection prepares it once), which names `status` and `search_text` every time. The
-- search indexes' trigger now runs only when the row is or was approved and its status or
-- search text really changed; everything else leaves both indexes as they were.
DROP TRIGGER activities_search_update;

CREATE TRIGGER activities_search_update AFTER UPDATE OF status, search_text ON activities
    WHEN (old.status = 'approved' OR new.status = 'approved')
        AND (old.status IS NOT new.status OR old.search_text IS NOT new.search_text)
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_search (rowid, search_text)
        SELECT new.seq, new.search_text WHERE new.status = 'approved';
    DELETE FROM activities_grams WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_grams (rowid, grams)
        SELECT new.seq, search_grams(new.search_text) WHERE new.status = 'approved';
END;
