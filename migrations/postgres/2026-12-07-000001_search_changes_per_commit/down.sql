-- The search indexes of SQLite only (see the SQLite migration of the same name).
SELECT 1;
