"""Fixtures for the telephony tests. The `asterisk` ones run a real Asterisk 22 sandbox:
built on first use (debootstrap, needs root and the Debian mirror), started once per session
on free ports, so a running demo is never disturbed."""

from __future__ import annotations

import os
import shutil

import pytest

from ivr.settings import Settings
from telephony.ami import AmiClient
from telephony.sandbox import AsteriskSandbox, SandboxError, build, free_port, is_built


@pytest.fixture(scope="session")
def asterisk_root():
    root = Settings.from_env().asterisk_root
    if not is_built(root):
        if os.geteuid() != 0:
            pytest.skip(f"the Asterisk sandbox is not built in {root} and building it needs root")
        try:
            build(root)
        except SandboxError as exc:
            pytest.fail(f"cannot build the Asterisk sandbox: {exc}")
    return root


@pytest.fixture(scope="session")
def sandbox(asterisk_root, request):
    if os.geteuid() != 0:
        pytest.skip("running the Asterisk sandbox needs root (chroot)")
    box = AsteriskSandbox.for_tests(asterisk_root, ivr_port=free_port())
    box.start()
    yield box
    box.stop()
    if request.session.testsfailed:
        print(f"\nAsterisk sandbox kept for a look: {box.host_dir} (log: {box.log_file})")
    else:
        shutil.rmtree(box.host_dir, ignore_errors=True)


@pytest.fixture
async def ami(sandbox):
    client = AmiClient("127.0.0.1", sandbox.ami_port, sandbox.ami_user, sandbox.ami_secret)
    await client.start()
    await client.wait_connected(15)
    yield client
    await client.close()
