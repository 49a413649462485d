-- Material files (材料): each uploaded file is stored once, under a keyed hash of its content
-- (HMAC-SM3 under the blind-index key, hex), sealed like other personal data (SM4-GCM, BYTEA,
-- bound to files|content|<id>). Cases refer to files as materials, for one item or the whole
-- application. created_by / added_by hold account ids ("applicant:…", "staff:…", "system"),
-- never names.

CREATE TABLE files (
    id         TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE case_materials (
    case_id  TEXT NOT NULL,
    material TEXT NOT NULL,
    file_id  TEXT NOT NULL REFERENCES files (id),
    -- the item the file was given for; NULL for the whole application
    item     TEXT,
    added_by TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, material, file_id)
);
-- Which cases refer to a file (permission checks before a file is shown).
CREATE INDEX case_materials_file ON case_materials (file_id);

-- Sealed content does not compress: store it out of line without trying.
ALTER TABLE files ALTER COLUMN sealed SET STORAGE EXTERNAL;
