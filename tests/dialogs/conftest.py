"""Dialog tests: the caller's side is scripted, the account service is in memory or the real API."""

from __future__ import annotations

import sys

import pytest

try:  # the numbers branch may not have landed yet
    import speech.numbers  # noqa: F401
except ImportError:
    import speech
    from tests.dialogs import numbers_stub

    sys.modules["speech.numbers"] = numbers_stub
    speech.numbers = numbers_stub

from tests.dialogs.fake_backend import FakeBackend  # noqa: E402


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()
