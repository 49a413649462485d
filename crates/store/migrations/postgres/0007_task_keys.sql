-- Tasks keyed by the case id's 16 bytes, as the timeline is since 0006 (ADR 0007, item 2): the
-- key index and the rows, which every decision writes to, take fewer pages. Rows written before
-- are rewritten (the primary key and the inbox index are rebuilt with the column).
ALTER TABLE tasks ALTER COLUMN case_id TYPE BYTEA USING decode(replace(case_id, '-', ''), 'hex');
