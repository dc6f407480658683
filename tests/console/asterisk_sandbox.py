"""The console's own Asterisk sandbox for its `asterisk` tests (root; built when missing).

Why its own: tests/telephony's session sandbox is named after the test process, so importing its
fixture here would start a second Asterisk under the same name when both folders run together.
"""

from __future__ import annotations

import os
import shutil

import pytest

from telephony.sandbox import AsteriskSandbox, free_port
from tests.telephony.conftest import asterisk_root  # noqa: F401  (builds the chroot when missing)


@pytest.fixture(scope="module")
def console_sandbox(asterisk_root):  # noqa: F811
    if os.geteuid() != 0:
        pytest.skip("running the Asterisk sandbox needs root (chroot)")
    box = AsteriskSandbox.for_tests(asterisk_root, ivr_port=free_port(), name=f"console-{os.getpid()}")
    box.start()
    yield box
    box.stop()
    shutil.rmtree(box.host_dir, ignore_errors=True)
