DROP TABLE corporate_numbers;
DROP INDEX activities_keys_missing_idx;
DROP INDEX activities_organizer_key_idx;
DROP INDEX activities_title_key_idx;
ALTER TABLE activities DROP COLUMN organizer_key;
ALTER TABLE activities DROP COLUMN title_key;
