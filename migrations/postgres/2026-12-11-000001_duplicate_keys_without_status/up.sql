-- SQLite only (see its twin): there, a decision rewrote every index that holds the status.
-- PostgreSQL writes a new entry in every index of the row at any update that changes an
-- indexed column (the status is in the listing indexes too), so dropping the status from
-- these two saves it nothing, and its planner preferred activities_owner_idx without it.
SELECT 1;
