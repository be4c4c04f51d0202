-- The public generation continues from the clock (microseconds since 1970) rather than from
-- 1, so that a database created again never repeats the generations, and with them the
-- ETags, of an earlier one: a client holding an old ETag would be answered 304 for other
-- content. On an existing database this is one more generation, far ahead.
UPDATE public_state
SET generation = GREATEST(generation + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
WHERE id = 1;
