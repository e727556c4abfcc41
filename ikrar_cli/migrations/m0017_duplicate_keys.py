"""The keys (officer, pledge, version) attested more than once, kept as they arise, so that the
duplicates a merge reports are read by key instead of grouping every attestation after every merge
command (2.8 s at 181,000 attestations on PostgreSQL, growing with the table; issue 20). Filled
here once from the attestations there are; ``ledger/duplicates.py`` adds the keys that each merge's
swap makes duplicate, in the same transaction as the rows."""

NAME = "0017_duplicate_keys"

SQL = """
CREATE TABLE attestation_duplicate_keys (
    officer_id      TEXT NOT NULL,
    pledge_id       TEXT NOT NULL,
    pledge_version  INTEGER NOT NULL,
    PRIMARY KEY (officer_id, pledge_id, pledge_version)
);
INSERT INTO attestation_duplicate_keys (officer_id, pledge_id, pledge_version)
SELECT officer_id, pledge_id, pledge_version FROM attestations GROUP BY officer_id, pledge_id, pledge_version
HAVING COUNT(*) > 1
"""
