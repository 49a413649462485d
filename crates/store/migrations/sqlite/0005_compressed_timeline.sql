-- A commit's events are stored compressed (a zstd frame against a shared dictionary, ADR 0007)
-- as a BLOB in case_events.events. SQLite keeps the type of each value, so the column (declared
-- TEXT in 0001) holds both: the JSON text of rows written before and the frames of rows written
-- since; the store reads both (store::timeline::decode). Nothing to change in the schema; this
-- migration records the change of format.
SELECT 1;
