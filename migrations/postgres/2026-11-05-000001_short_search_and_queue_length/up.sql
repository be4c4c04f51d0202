-- The SQLite migration of this name adds an index for 1- and 2-character searches and a
-- trigger-kept queue length. PostgreSQL needs neither in this form:
-- - searches of every length go through the pg_trgm GIN index of 2026-11-02;
-- - the queue length would be one row that every submission and decision updates, and
--   PostgreSQL's concurrent writers would queue on its row lock; counting the partial
--   queue index serves instead (db::activities::queue_position).
-- The migration exists so that both backends carry the same migration names.
SELECT 1;
