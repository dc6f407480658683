"""The dialer against the real Asterisk 22 sandbox: three Local-channel «debtors» (test-debtor in
extensions.conf) — one answers, one is busy, one does not pick up. The outcomes come from
Asterisk's own OriginateResponse reasons, the answered call reaches the debt-reminder context
with the contact's id and account on its HotlineCall event, and the busy and silent numbers get
exactly one retry two hours later (frozen clock, two attempts a day)."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import timedelta

import pytest

from api.campaigns import Debtor, Limits
from ivr.dialer import Dialer, DialerSettings
from telephony.ami import AmiClient
from telephony.sandbox import AsteriskSandbox, free_port
from tests.ivr.test_dialer import THURSDAY, Book, Clock
from tests.telephony.conftest import asterisk_root  # noqa: F401  (builds the chroot when missing)

pytestmark = pytest.mark.asterisk

ANSWERS, BUSY, SILENT = "79001000001", "79001000002", "79001000003"  # test-debtor: by the last digit


@pytest.fixture(scope="module")
def dialer_sandbox(asterisk_root):  # noqa: F811
    if os.geteuid() != 0:
        pytest.skip("running the Asterisk sandbox needs root (chroot)")
    box = AsteriskSandbox.for_tests(asterisk_root, ivr_port=free_port(), name=f"dialer-{os.getpid()}")
    box.start()
    yield box
    box.stop()
    shutil.rmtree(box.host_dir, ignore_errors=True)


async def test_real_asterisk_answered_busy_and_unanswered_debtors(dialer_sandbox):
    box = dialer_sandbox
    clock = Clock(THURSDAY)
    book = Book(Limits())
    events = []
    async with AmiClient("127.0.0.1", box.ami_port, box.dialer_ami_user, box.dialer_ami_secret) as ami:
        await ami.wait_connected(15)
        ami.add_listener(lambda e: events.append(e) if e.get("UserEvent") == "HotlineCall" else None)
        settings = DialerSettings(caller_id="ЭкоТек <78005505242>", dial="Local/{number}@test-debtor",
                                  concurrency=3, ring_seconds=4, attempts=2, retry_after=timedelta(hours=2))
        dialer = Dialer(settings, book, ami, clock=clock, sleep=clock.sleep)
        phones = (ANSWERS, BUSY, SILENT)
        people = [Debtor(f"00100000{i}-7", 100_000, 0, (phone,)) for i, phone in enumerate(phones)]
        report = await asyncio.wait_for(dialer.run(people, asyncio.Event()), 90)
    by_phone: dict[str, list[str]] = {}
    for _account, phone, _at, outcome in book.contacts:
        by_phone.setdefault(phone, []).append(outcome)
    assert by_phone == {
        ANSWERS: ["dialling"],  # answered: the reminder dialog writes what came of it
        BUSY: ["busy", "busy"],
        SILENT: ["no_answer", "no_answer"],
    }, report
    assert report.outcomes == {(0, "answered"): 1, (0, "busy"): 2, (0, "no_answer"): 2}
    # One retry each, two hours after the first try ended (the frozen clock jumps while Asterisk
    # rings, so the silent number's first try may end after the busy one's wait), inside the hours.
    assert sorted(p for p, _ in report.retries) == [BUSY, SILENT]
    assert all(w >= THURSDAY + timedelta(hours=2) and Limits().may_call_at(w) for _, w in report.retries)
    (joined,) = events
    assert joined.get("DebtContact") == "1" and joined.get("DebtAccount") == "001000000-7"
    assert joined.get("Caller") == ANSWERS
