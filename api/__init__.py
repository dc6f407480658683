"""Account API: SQLAlchemy models, Alembic migrations, FastAPI app, billing import/export, demo data."""

import logging

# Alembic narrates every start at INFO (some of it while being imported); `api.db` logs one line
# when the schema actually changes instead.
for _name in ("alembic.runtime.plugins", "alembic.runtime.migration"):
    logging.getLogger(_name).setLevel(logging.WARNING)
