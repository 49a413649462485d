-- The timeline is keyed by the case's id as the 16 bytes of its UUID instead of its 36
-- characters of text (ADR 0007, item 2): the key index, which every commit writes to, takes half
-- the pages. Rows written before are rewritten.
ALTER TABLE case_events ALTER COLUMN case_id TYPE BYTEA USING decode(replace(case_id, '-', ''), 'hex');

-- A task's id is "<case id>.<n>": the table keeps the two parts only.
ALTER TABLE tasks DROP COLUMN id;
