"""`ikrar serve`: the central HTTP API (docs/server.md). Starlette is imported only by app.py."""
