DROP TRIGGER activities_search_update;

CREATE TRIGGER activities_search_update AFTER UPDATE OF status, search_text ON activities
BEGIN
    DELETE FROM activities_search WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_search (rowid, search_text)
        SELECT new.seq, new.search_text WHERE new.status = 'approved';
    DELETE FROM activities_grams WHERE old.status = 'approved' AND rowid = old.seq;
    INSERT INTO activities_grams (rowid, grams)
        SELECT new.seq, search_grams(new.search_text) WHERE new.status = 'approved';
END;
