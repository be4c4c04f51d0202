DROP TABLE application_tokens;
DROP TABLE applications;
DROP TABLE event_sessions;
ALTER TABLE activities DROP COLUMN session_count;
