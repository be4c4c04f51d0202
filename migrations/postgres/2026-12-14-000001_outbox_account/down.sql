ALTER TABLE outbox DROP COLUMN account_id;
