-- The due rows of one channel, in the order they are due. The mail and webhook workers ask
-- for `channel = ? AND state IN ('pending', 'sending') AND next_attempt_at <= ?` (ordered by
-- next_attempt_at when claiming). With the old index on next_attempt_at alone, SQLite
-- planned the claim through outbox_state_idx and sorted every pending row: with 38,400
-- mails waiting (a bulk approval wave at 100k rows) each claim of 50 took 18 ms on the
-- one write thread instead of 0.4 ms, and a worker asking whether any webhook event was due
-- read all of those mails to find none.
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (channel, next_attempt_at) WHERE state IN ('pending', 'sending');
