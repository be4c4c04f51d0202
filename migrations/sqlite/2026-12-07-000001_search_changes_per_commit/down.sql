DROP TRIGGER activities_search_update_noted;
DROP TRIGGER activities_search_delete_noted;
DROP TRIGGER activities_search_update;
DROP TRIGGER activities_search_delete;
DROP TABLE search_changes;

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

CREATE TRIGGER activities_search_delete AFTER DELETE ON activities
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    DELETE FROM activities_grams WHERE old.status = 'approved' AND rowid = old.seq;
END;
