"""SQLModel tables, repositories (all SQL lives here) and Alembic migrations (docs/style.md, Persistence)."""
