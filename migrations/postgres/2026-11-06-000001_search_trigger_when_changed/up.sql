-- The SQLite migration of this name narrows the trigger that keeps SQLite's search indexes.
-- PostgreSQL keeps its search index (pg_trgm, 2026-11-02) without triggers; the migration
-- exists so that both backends carry the same migration names.
SELECT 1;
