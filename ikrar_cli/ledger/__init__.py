"""The tamper-evident ledger: logs, Merkle trees, checkpoints, exports and merges."""
