-- The audit log (product.md §11, ADR 0005): every decision and every read of a person's record
-- or a case — who (actor), what (action), on what (subject: record ids only, never names or ID
-- numbers), when (at, UTC microseconds) and why (reason); detail is a small JSON object without
-- personal data.
--
-- Requests only append rows, unsealed (seq, prev_hash and hash NULL), so appending takes no lock
-- beyond the engine's own. The sealer, one at a time under the engine's write lock, numbers
-- pending rows in id order and chains them: hash = SM3 over the previous hash, seq and the SM3
-- of the entry's fields (service::audit::chain_hash); the SQLite group-commit writer, which holds
-- that lock anyway, inserts its commits' rows already chained. `yijianshi audit verify`
-- recomputes the chain.
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    reason    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    seq       BIGINT UNIQUE,
    prev_hash TEXT,
    hash      TEXT
);
-- The sealer's work list: rows not yet in the chain, in append order.
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
