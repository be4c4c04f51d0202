DROP TABLE digest_state;
DROP TABLE outbox;
DROP TABLE mail_tokens;
ALTER TABLE accounts DROP COLUMN notify_digest;
ALTER TABLE accounts DROP COLUMN pending_email;
ALTER TABLE accounts DROP COLUMN email_verified_at;
