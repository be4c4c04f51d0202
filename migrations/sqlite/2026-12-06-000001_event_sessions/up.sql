-- Event sessions of an activity, the public's applications to them, and the tokens their
-- mails carry. confirmed_count and waitlisted_count are kept with the session row in the
-- same transaction as every application change, so the public view reads them without
-- counting, and a seat is taken by one conditional update of that row.
CREATE TABLE event_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    format TEXT NOT NULL,
    venue TEXT,
    capacity INTEGER,
    applications_open_at TIMESTAMP,
    applications_close_at TIMESTAMP,
    fee TEXT NOT NULL,
    waitlist BOOLEAN NOT NULL DEFAULT 0,
    online_url TEXT,
    questions TEXT NOT NULL,
    confirmed_count INTEGER NOT NULL DEFAULT 0,
    waitlisted_count INTEGER NOT NULL DEFAULT 0,
    cancelled_at TIMESTAMP,
    reminded_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX event_sessions_activity_idx ON event_sessions (activity_id, starts_at, id);
-- The reminder sweep, the date filter of the listing and the clock that refreshes the
-- public view when an application window opens or closes read these.
CREATE INDEX event_sessions_starts_idx ON event_sessions (starts_at);
CREATE INDEX event_sessions_opens_idx ON event_sessions (applications_open_at);
CREATE INDEX event_sessions_closes_idx ON event_sessions (applications_close_at);

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES event_sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    organization TEXT,
    answers TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    promoted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
-- One live application per session and address (the address is stored normalized).
CREATE UNIQUE INDEX applications_live_key ON applications (session_id, email)
    WHERE status IN ('pending', 'confirmed', 'waitlisted');
-- The organizer's list and the waitlist order (oldest confirmation first).
CREATE INDEX applications_session_idx ON applications (session_id, status, confirmed_at, id);

CREATE TABLE application_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    used_at TIMESTAMP
);
CREATE INDEX application_tokens_application_idx ON application_tokens (application_id);

-- How many sessions an activity has, so that the public view looks for sessions only where
-- there are some.
ALTER TABLE activities ADD COLUMN session_count INTEGER NOT NULL DEFAULT 0;
