DROP TABLE webhook_attempts;
DROP INDEX outbox_webhook_idx;
ALTER TABLE outbox DROP COLUMN webhook_id;
ALTER TABLE outbox DROP COLUMN channel;
DROP TABLE webhooks;
