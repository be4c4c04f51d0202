-- Needs a UTF8 database (ascii() gives code points there), as the Japanese texts do anyway.
--
-- Search for 1- and 2-character queries (在宅, 研修, 相談), which the trigram index cannot
-- answer: pg_trgm extracts no trigram from them and reads its whole index. A GIN index over
-- every character and every pair of adjacent characters of the search text (the tokens of
-- SQLite's activities_grams, domain::text::search_grams) finds them instead. Each token is a
-- number, which GIN compares far faster than text: a character is its code point, a pair
-- (a, b) is a * 1114112 + b (1114112 = 0x110000, one more than the largest code point, so
-- pairs never collide with characters or with each other). db::text_search::pg_gram_key
-- computes the same number for a query:
--   short_search_grams(search_text) @> ARRAY[key]
-- db::public chooses that, or a walk of a listing index testing strpos(), by how many
-- activities match.
--
-- Partial: only approved activities are searched, so drafts and submissions cost the index
-- nothing. The queries that use it therefore state `status = 'approved'` as a literal, not
-- as a bound parameter (a generic plan could not match a parameter to the predicate).
CREATE FUNCTION short_search_grams(t text) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    -- About 30 µs for a typical text: costed so that the planner reads the index instead of
    -- calling it on each row a listing walk visits.
    COST 10000
AS $$
DECLARE
    chars text[] := string_to_array(t, NULL);
    point bigint;
    previous bigint;
    grams bigint[] := '{}';
BEGIN
    FOR i IN 1 .. cardinality(chars) LOOP
        point := ascii(chars[i]);
        grams := grams || point;
        IF i > 1 THEN
            grams := grams || (previous * 1114112 + point);
        END IF;
        previous := point;
    END LOOP;
    RETURN grams;
END
$$;

CREATE INDEX activities_short_search_idx ON activities USING gin (short_search_grams(search_text))
    WHERE status = 'approved';
