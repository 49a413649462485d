-- Staff accounts, login sessions, one-time codes for citizens, guardian/agent relationships,
-- idempotency keys of submissions.

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    region        TEXT NOT NULL,
    scope         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Failed logins, for lock-out (N failures within a window).
CREATE TABLE login_failures (
    username TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at);

-- Only the SM3 hash of a session token is stored.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    role         TEXT NOT NULL,
    scope        TEXT,
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject);

-- One-time login codes for citizens, by the blind index of the ID number; only a hash is kept.
CREATE TABLE login_codes (
    id_index   TEXT PRIMARY KEY,
    code_hash  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL
);

-- A guardian or agent may act for a person only through a recorded relationship with proof.
CREATE TABLE agent_links (
    agent_index  TEXT NOT NULL,
    person_id    TEXT NOT NULL REFERENCES persons (id),
    relationship TEXT NOT NULL,
    proof        TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (agent_index, person_id)
);

-- A retried submission with the same key returns the same case (kept 24 hours).
CREATE TABLE idempotency_keys (
    caller     TEXT NOT NULL,
    key        TEXT NOT NULL,
    body_hash  TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (caller, key)
);
