"""Commands: recite, attest, session."""
