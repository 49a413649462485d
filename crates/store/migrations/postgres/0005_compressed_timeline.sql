-- A commit's events are stored compressed (a zstd frame against a shared dictionary, ADR 0007):
-- the column becomes bytes. Rows written before keep their JSON, as its UTF-8 bytes; the store
-- reads both (store::timeline::decode).
ALTER TABLE case_events ALTER COLUMN events TYPE BYTEA USING convert_to(events, 'UTF8');
