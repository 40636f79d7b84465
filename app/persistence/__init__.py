"""SQLModel tables, repositories (all SQL lives here) and Alembic migrations (style.md, Persistence)."""
