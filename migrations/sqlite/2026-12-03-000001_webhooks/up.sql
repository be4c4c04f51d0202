-- Webhooks: partner endpoints that receive workflow events, signed by the Standard Webhooks
-- scheme. The secret is kept to sign with; during a rotation the previous one signs too,
-- until previous_secret_until. failing_since marks the first failure of an unbroken run.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    description TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    failing_since TIMESTAMP,
    disabled_reason TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Events travel through the mail outbox: a row is a mail (channel 'mail') or one event for
-- one webhook (channel 'webhook', kind = the event type, body = the JSON payload, kept
-- after delivery so that it can be replayed under the same webhook-id).
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'mail';
ALTER TABLE outbox ADD COLUMN webhook_id TEXT;
CREATE INDEX outbox_webhook_idx ON outbox (webhook_id, created_at, id);

-- Each attempt to deliver an event: when, the answer's status (if any), how long it took.
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    outbox_id TEXT NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, attempted_at, id);
