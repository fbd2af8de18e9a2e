"""SQLAlchemy tables and engine, Alembic migrations, and the job file store."""
