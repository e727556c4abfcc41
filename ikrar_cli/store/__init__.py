"""The workspace database: SQLite or PostgreSQL, dialects, setup and migration."""
