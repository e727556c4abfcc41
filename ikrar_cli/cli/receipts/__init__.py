"""Commands: receipt, verify, verifier."""
