"""Alembic migrations of the account database (run through `api.db.upgrade`)."""
