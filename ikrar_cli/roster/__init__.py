"""The staff roster: import from HR sheets, units, identifiers and signed snapshots."""
