DROP INDEX activities_short_search_idx;
DROP FUNCTION short_search_grams(text);
