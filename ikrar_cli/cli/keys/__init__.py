"""Commands: key, trust, terminal."""
