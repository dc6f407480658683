"""The IVR's outbox file: what callers confirmed survives the process, and is sent exactly once."""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal

from dialogs.record import CallRecord, Entry, Outbox
from ivr.outbox import SqliteStore, read_pending
from tests.telephony.fakes import RecordingBackend

# A child "IVR": keeps a reading the API cannot take (its client never answers), says so, and is
# killed with -9 while the outbox still tries to send.
CHILD = """
import asyncio, sys
from decimal import Decimal
from dialogs.record import CallRecord, Outbox
from ivr.outbox import SqliteStore

class Hangs:
    def __getattr__(self, name):
        async def never(*args, **kwargs):
            await asyncio.sleep(3600)
        return never

async def main():
    outbox = Outbox(Hangs(), SqliteStore(sys.argv[1]))
    await outbox.start()
    record = CallRecord(outbox, "call-1", caller="79001110011")
    record.start()
    record.line("robot", "Здравствуйте!")
    await record.keep_reading("001110011-7", 3, Decimal("645.5"))
    print("kept", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def _ivr_killed_after_keeping(path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "kept"
    child.kill()
    child.wait()


async def test_a_reading_kept_by_an_ivr_killed_with_minus_9_is_sent_once_by_the_next(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    _ivr_killed_after_keeping(path)
    assert [e.kind for e in read_pending(path)] == ["start", "line", "reading"]

    for _ in range(2):  # started twice: the second start has nothing left to send
        backend = RecordingBackend()
        sent: list[tuple[str, int, Decimal, str]] = []

        async def submit_reading(account, meter_id, value, *, call_id, idempotency_key, sent=sent):
            sent.append((account, meter_id, value, idempotency_key))
            return {"id": 1}

        backend.submit_reading = submit_reading  # type: ignore[attr-defined]
        store = SqliteStore(path)
        outbox = Outbox(backend, store)
        await outbox.start()
        assert await outbox.settle(None, 10)
        await outbox.close()
        await store.close()
        if _ == 0:
            assert [(a, m, v) for a, m, v, _k in sent] == [("001110011-7", 3, Decimal("645.5"))]
            # the call the dead process had was closed: one end, outcome service_error
            assert [e for e in backend.log if e[0] == "end"] == [("end", "call-1", "service_error")]
        else:
            assert sent == [] and backend.log == []
    assert read_pending(path) == []


async def test_a_finished_call_is_not_closed_again_after_a_restart(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    store = SqliteStore(path)
    outbox = Outbox(RecordingBackend(), store)  # never started: entries only kept
    record = CallRecord(outbox, "call-2")
    record.start()
    record.end("completed")
    await outbox.put_kept(Entry("call-2", "line", {"speaker": "robot", "text": "До свидания!"}))
    await store.close()

    backend = RecordingBackend()
    store = SqliteStore(path)
    outbox = Outbox(backend, store)
    started = time.monotonic()
    await outbox.start()
    assert await outbox.settle(None, 10)
    await outbox.close()
    await store.close()
    assert time.monotonic() - started < 10
    assert [e for e in backend.log if e[0] == "end"] == [("end", "call-2", "completed")]
