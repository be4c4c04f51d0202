-- Accounts: registrants (organization | individual) and staff (moderator | admin).
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT,
    display_name TEXT NOT NULL,
    legal_name TEXT,
    name_kana TEXT,
    industry TEXT,
    prefecture TEXT,
    employee_band TEXT,
    website TEXT,
    corporate_number TEXT,
    contact_name TEXT,
    phone TEXT,
    token_version INTEGER NOT NULL DEFAULT 0,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
CREATE UNIQUE INDEX accounts_corporate_number_key ON accounts (corporate_number);
CREATE INDEX accounts_created_idx ON accounts (created_at, id);

-- Opaque refresh tokens, stored as SHA-256 hashes, rotated on use, grouped in families.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account_idx ON refresh_tokens (account_id);

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    registration_opens_at TIMESTAMP NOT NULL,
    registration_closes_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX campaigns_slug_key ON campaigns (slug);

-- Activities hold their current text; for an approved activity that is the public text,
-- and an edit waits in pending_revision (JSON) until a moderator decides on it.
-- category_mask: try_practice = 1, learn_discuss = 2, support_cooperate = 4.
CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    category_mask INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    organizer_name TEXT NOT NULL,
    starts_on DATE,
    ends_on DATE,
    format TEXT,
    prefecture TEXT,
    url TEXT,
    owner_kind TEXT NOT NULL,
    owner_industry TEXT,
    search_text TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    pending_revision TEXT,
    queued_at TIMESTAMP,
    submitted_at TIMESTAMP,
    approved_at TIMESTAMP,
    decided_at TIMESTAMP,
    rejection_reason_code TEXT,
    rejection_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX activities_owner_idx ON activities (account_id, created_at, id);
CREATE INDEX activities_queue_idx ON activities (queued_at, id) WHERE queued_at IS NOT NULL;
CREATE INDEX activities_public_idx ON activities (approved_at, id) WHERE status = 'approved';
CREATE INDEX activities_public_campaign_idx ON activities (campaign_id, approved_at, id) WHERE status = 'approved';
CREATE INDEX activities_public_prefecture_idx ON activities (prefecture, approved_at, id) WHERE status = 'approved';

-- Append-only audit log of every state change and revision decision.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT,
    subject_account_id TEXT,
    actor_id TEXT,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    reason_code TEXT,
    reason TEXT,
    waited_seconds BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_activity_idx ON audit_events (activity_id, created_at, id);
CREATE INDEX audit_events_created_idx ON audit_events (created_at, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, created_at, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

-- One row whose generation moves whenever anything public changes; every process reads it to
-- invalidate its public caches.
CREATE TABLE public_state (
    id INTEGER PRIMARY KEY NOT NULL,
    generation BIGINT NOT NULL
);
INSERT INTO public_state (id, generation) VALUES (1, 1);
