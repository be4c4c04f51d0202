DROP TABLE public_state;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE activities;
DROP TABLE campaigns;
DROP TABLE refresh_tokens;
DROP TABLE accounts;
