-- Decision statistics read the latest events of a few actions.
CREATE INDEX audit_events_action_idx ON audit_events (action, created_at);
