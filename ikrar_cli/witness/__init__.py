"""Independent witnesses of the ledger's checkpoints (docs/witness.md).

A witness (run by another body: Bawaslu, the Inspectorate) keeps, per log origin, the last
checkpoint it cosigned and cosigns a new one only if it is consistent with it (C2SP
tlog-witness ``add-checkpoint``); its answer is a C2SP tlog-cosignature/v1 line. The centre
stores cosignatures beside its checkpoints, and verifiers require k of n named witnesses
(a C2SP tlog-policy file). Modules:

- ``cosignature``: cosignature lines, key IDs and vkeys (pure functions)
- ``protocol``:    the add-checkpoint request body and the witness's decision
- ``workspace``:   a witness's own folder: key, followed logs, state (atomic check-and-record)
- ``policy``:      witness policies and the k-of-n check
- ``centre``:      cosignatures stored beside checkpoints; asking witnesses for them
"""
