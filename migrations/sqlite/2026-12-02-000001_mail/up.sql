-- Accounts know whether their email is verified, which new address waits for verification,
-- and whether a moderator wants the digest. Accounts made before verification existed count
-- as verified, so an upgrade locks nobody out of submitting.
ALTER TABLE accounts ADD COLUMN email_verified_at TIMESTAMP;
ALTER TABLE accounts ADD COLUMN pending_email TEXT;
ALTER TABLE accounts ADD COLUMN notify_digest BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE accounts SET email_verified_at = created_at;

-- Single-use tokens that arrive by mail (email verification, password reset): only their
-- SHA-256 hash is stored.
CREATE TABLE mail_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX mail_tokens_hash_key ON mail_tokens (token_hash);
CREATE INDEX mail_tokens_account_idx ON mail_tokens (account_id, purpose);

-- The outbox: every mail, written in the transaction of the change it reports, delivered
-- by a worker in each server process. A row due for a (re)try is pending or sending with
-- next_attempt_at in the past (a sending row's lease ends at next_attempt_at). The body is
-- erased once a row is sent, and when a row carrying a one-time link is dead.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    secret BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX outbox_message_id_key ON outbox (message_id);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX outbox_state_idx ON outbox (state, created_at, id);
CREATE INDEX outbox_created_idx ON outbox (created_at, id);

-- When the moderator digest last ran, claimed by a conditional update so that one process
-- of many sends it.
CREATE TABLE digest_state (
    id INTEGER PRIMARY KEY NOT NULL,
    last_run_at TIMESTAMP NOT NULL
);
INSERT INTO digest_state (id, last_run_at) VALUES (1, '1970-01-01 00:00:00');
