"""Account API: SQLAlchemy models, Alembic migrations, FastAPI app, billing import/export, demo data."""
