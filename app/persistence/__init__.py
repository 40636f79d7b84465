"""SQLModel tables, repositories (all SQL lives here) and Alembic migrations
(docs/architecture.md, "Storage")."""
