-- The generation only moves forward: nothing to undo.
SELECT 1;
