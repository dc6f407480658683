"""IVR tests reuse the dialogs' in-process demo API (real API app, demo data, SQLite)."""

from tests.dialogs.conftest import api, demo_template  # noqa: F401  (fixtures)
