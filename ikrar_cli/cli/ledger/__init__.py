"""Commands: ledger (with push, status and witness)."""
