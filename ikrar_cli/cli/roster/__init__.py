"""Commands: roster."""
