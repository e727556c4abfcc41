"""Workspace metadata (institution, creation time, schema facts)."""

NAME = "0001_core"

SQL = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""
