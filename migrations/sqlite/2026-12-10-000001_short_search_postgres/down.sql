-- PostgreSQL's index for 1- and 2-character searches (see the PostgreSQL migration of this
-- name); SQLite has had activities_grams since 2026-11-05.
SELECT 1;
