-- Tasks keyed by the case id's 16 bytes, as the timeline is since 0006 (ADR 0007, item 2): the
-- key index and the rows, which every decision writes to, take fewer pages. Rows written before
-- are rewritten; the inbox index is made again on the new table.
CREATE TABLE tasks_keyed (
    case_id     BLOB NOT NULL,
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
INSERT INTO tasks_keyed (case_id, n, item, step, step_name, department, level, region,
                         region_path, status, due_on, opened_at, decided_at)
    SELECT unhex(replace(case_id, '-', '')), n, item, step, step_name, department, level, region,
           region_path, status, due_on, opened_at, decided_at
    FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_keyed RENAME TO tasks;
CREATE INDEX tasks_inbox ON tasks (department, region_path, due_on) WHERE status = 'open';
