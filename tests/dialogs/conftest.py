"""Dialog tests: the caller's side is scripted; the account service is the real API in-process."""

from __future__ import annotations

import pytest

from tests.dialogs.demo_api import DemoApi, build_template


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("demo"))


@pytest.fixture
async def api(demo_template, tmp_path):
    demo = DemoApi(demo_template, tmp_path)
    yield demo
    await demo.close()


@pytest.fixture
def backend(api):
    return api.backend
