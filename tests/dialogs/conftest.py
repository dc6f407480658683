"""Dialog tests: the caller's side is scripted, the account service is in memory or the real API."""

from __future__ import annotations

import pytest

from tests.dialogs.fake_backend import FakeBackend


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()
