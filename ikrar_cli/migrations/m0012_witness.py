"""Witness cosignatures (C2SP tlog-cosignature/v1) stored beside the checkpoints they cosign."""

NAME = "0012_witness"

SQL = """
CREATE TABLE cosignatures (
    log_id      TEXT NOT NULL REFERENCES logs (log_id),
    size        INTEGER NOT NULL,
    root        BLOB NOT NULL,
    witness     TEXT NOT NULL,
    key_id      BLOB NOT NULL,
    cosigned_at INTEGER NOT NULL,
    line        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (log_id, size, root, witness, key_id)
)
"""
