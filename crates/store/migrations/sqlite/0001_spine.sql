-- The spine: catalog versions, cases (timeline, projection, tasks, forms), registry.
-- Instants are BIGINT microseconds since the Unix epoch (UTC); dates are TEXT 'YYYY-MM-DD'.
-- Booleans are BIGINT 0/1 (the Any driver cannot decode SQLite booleans).
-- Personal data is stored sealed (SM4-GCM envelopes, BLOB); persons are found by a blind index.

CREATE TABLE catalog_versions (
    version   TEXT PRIMARY KEY,
    files     TEXT NOT NULL,
    stored_at BIGINT NOT NULL
);

CREATE TABLE case_number_seq (
    unit TEXT NOT NULL,
    day  TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (unit, day)
) WITHOUT ROWID;

CREATE TABLE cases (
    id              TEXT PRIMARY KEY,
    number          TEXT UNIQUE,
    unit            TEXT NOT NULL,
    township        TEXT,
    region_path     TEXT NOT NULL,
    applicant       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    submitted_on    TEXT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    -- when the case entered its status (the row is written at status changes only)
    status_at       BIGINT NOT NULL,
    items           TEXT NOT NULL
);
CREATE INDEX cases_region_path ON cases (region_path);
CREATE INDEX cases_applicant ON cases (applicant);
CREATE INDEX cases_status ON cases (status);

-- The timeline: one row per commit, holding its events (a JSON array) numbered seq..=last_seq.
-- The next commit of a case always starts at last_seq + 1, so two writers that both extend the
-- same version collide on the primary key: the optimistic lock of ADR 0002.
CREATE TABLE case_events (
    case_id  TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    events   TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Task ids are "<case id>.<n>"; the key (case_id, n) keeps a case's tasks together.
CREATE TABLE tasks (
    id          TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    n           BIGINT NOT NULL,
    item        TEXT NOT NULL,
    step        TEXT NOT NULL,
    step_name   TEXT NOT NULL,
    department  TEXT NOT NULL,
    level       TEXT NOT NULL,
    region      TEXT NOT NULL,
    region_path TEXT NOT NULL,
    status      TEXT NOT NULL,
    due_on      TEXT,
    opened_at   BIGINT NOT NULL,
    decided_at  BIGINT,
    PRIMARY KEY (case_id, n)
);
-- Inboxes list open tasks by department and region, soonest due first.
CREATE INDEX tasks_inbox ON tasks (department, region_path, due_on) WHERE status = 'open';

CREATE TABLE case_forms (
    case_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    sealed  BLOB NOT NULL,
    PRIMARY KEY (case_id, version)
);

CREATE TABLE persons (
    id           TEXT PRIMARY KEY,
    id_index     TEXT NOT NULL UNIQUE,
    id_number    BLOB NOT NULL,
    name         BLOB NOT NULL,
    phone        BLOB,
    address      BLOB,
    bank_account BLOB,
    guardians    BLOB,
    sex          TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    hukou        TEXT NOT NULL,
    household    TEXT NOT NULL,
    status       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX persons_hukou ON persons (hukou);

CREATE TABLE certificates (
    person_id    TEXT PRIMARY KEY REFERENCES persons (id),
    number       BLOB NOT NULL,
    category     BIGINT NOT NULL,
    grade        BIGINT NOT NULL,
    lower_limb   BIGINT NOT NULL,
    status       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    valid_until  TEXT NOT NULL,
    unit         TEXT NOT NULL,
    cancelled_on TEXT
);
CREATE INDEX certificates_unit ON certificates (unit, status);

CREATE TABLE benefits (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES persons (id),
    item        TEXT NOT NULL,
    status      TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    period      TEXT NOT NULL,
    recurring   BIGINT NOT NULL,
    start_month TEXT NOT NULL,
    end_month   TEXT,
    paying_unit TEXT NOT NULL,
    stop_reason TEXT,
    case_id     TEXT
);
CREATE INDEX benefits_person ON benefits (person_id);
CREATE INDEX benefits_item ON benefits (item, status);
