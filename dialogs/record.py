"""The call record's one owner: what a call leaves in the account API, written behind the voice.

Why: the robot must never fall silent because the API is slow, and what the caller confirmed
must not be lost because it is down. Every write (call start, updates, transcript lines, end,
a reading or escalation kept for later) becomes an `Entry` with its own idempotency key. The
`Outbox` keeps entries in a `Store` before sending them (memory here; a SQLite file in
`ivr.outbox`, which survives a restart), sends each call's entries in order — consecutive
transcript lines in one request — and retries with backoff until the API accepts. A refusal
(4xx other than 409/429) is dropped with a log line; a kept reading the API refuses becomes an
escalation for operators. `CallRecord` is one call's view: start once, end once, never awaited.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from dialogs import prompts
from dialogs.backend import Backend, BackendError, Rejected

log = logging.getLogger(__name__)

LINES_PER_REQUEST = 50
# A kept reading the API refused later (below the previous one, implausible, ...): operators call back.
READING_REFUSED = "reading_refused"


class Outcome(StrEnum):
    """How a call ended, as stored with it (PATCH /calls/{id} outcome)."""

    COMPLETED = "completed"  # the caller said goodbye, or hung up at "anything else?" after a task
    HANGUP = "hangup"  # the caller hung up in the middle of a task
    CALLBACK = "callback"  # the caller left a callback request for the operators
    OPERATOR = "operator"  # handed over to an operator
    OPERATOR_CLOSED = "operator_closed"  # needed an operator outside operators' hours
    OPERATOR_FAILED = "operator_failed"  # the transfer did not happen
    TIME_LIMIT = "time_limit"  # the call reached its time limit (the goodbye was said)
    SERVICE_ERROR = "service_error"  # the account service (or the robot itself) failed
    BUSY = "busy"  # every line was taken: the caller heard "call back" (ivr's admission cap)
    SHUTDOWN = "shutdown"  # the IVR was stopped during the call: the caller heard why


def new_key() -> str:
    return uuid.uuid4().hex


@dataclass
class Entry:
    """One write for the API; `key` makes a repeat harmless, `seq` orders it (given by the store)."""

    call_id: str
    kind: str  # start | update | line | end | reading | escalation
    body: dict[str, Any]
    key: str = field(default_factory=new_key)
    seq: int = 0


class Store(Protocol):
    """Where entries wait until the API took them."""

    async def add(self, entries: list[Entry]) -> None:
        """Keep `entries` (assigning each its `seq`) before anything of them is sent."""

    async def pending(self) -> list[Entry]:
        """Entries kept but not yet sent (after a restart), in order."""

    async def done(self, seqs: list[int]) -> None:
        """Forget entries the API took (or refused for good)."""


class MemoryStore:
    """A store for tests and the text chat: nothing survives the process."""

    def __init__(self) -> None:
        self._seq = itertools.count(1)
        self.entries: dict[int, Entry] = {}

    async def add(self, entries: list[Entry]) -> None:
        for entry in entries:
            entry.seq = next(self._seq)
            self.entries[entry.seq] = entry

    async def pending(self) -> list[Entry]:
        return [self.entries[s] for s in sorted(self.entries)]

    async def done(self, seqs: list[int]) -> None:
        for seq in seqs:
            self.entries.pop(seq, None)


async def deliver(backend: Backend, entries: list[Entry]) -> None:
    """Send one entry, or a run of one call's transcript lines, with their idempotency keys."""
    head = entries[0]
    b: Any = backend
    body = head.body
    if head.kind == "line":
        lines = [{**e.body, "idempotency_key": e.key} for e in entries]
        batch = getattr(b, "add_transcript_lines", None)
        if batch is not None and len(lines) > 1:
            await batch(head.call_id, lines)
        else:
            for e in entries:
                await b.add_transcript(e.call_id, e.body["speaker"], e.body["text"], idempotency_key=e.key)
    elif head.kind == "start":
        await b.start_call(head.call_id, caller=body.get("caller"), channel=body.get("channel"),
                           idempotency_key=head.key)
    elif head.kind == "update":
        await b.update_call(head.call_id, **body, idempotency_key=head.key)
    elif head.kind == "end":
        await b.end_call(head.call_id, outcome=body["outcome"], idempotency_key=head.key)
    elif head.kind == "reading":
        await b.submit_reading(body["account"], int(body["meter_id"]), Decimal(body["value"]),
                               call_id=head.call_id, idempotency_key=head.key)
    elif head.kind == "escalation":
        await b.escalate(head.call_id, idempotency_key=head.key, **body)
    else:
        raise ValueError(f"unknown outbox entry kind {head.kind!r}")


class Outbox:
    """Write-behind, in order per call, retried until accepted (see module doc).

    `put` never waits: entries go to the store on a background task, then to the API. One
    outbox serves every call of a process; calls are sent concurrently (`concurrency` at most).
    Requests in flight are never cancelled: `close` lets them finish under the client's timeout.
    """

    def __init__(
        self,
        backend: Backend,
        store: Store | None = None,
        *,
        retry_base: float = 0.5,
        retry_max: float = 30.0,
        concurrency: int = 8,
    ):
        self.backend = backend
        self.store: Store = store or MemoryStore()
        self._retry_base = retry_base
        self._retry_max = retry_max
        self._slots = asyncio.Semaphore(concurrency)
        self._incoming: list[tuple[Entry, asyncio.Future[None] | None]] = []
        self._wake = asyncio.Event()
        self._queues: dict[str, deque[Entry]] = {}
        self._senders: dict[str, asyncio.Task[None]] = {}
        self._waiting: set[str] = set()  # calls whose head entry waits for a retry
        self._stop = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.sent = 0  # requests the API accepted (for tests and benchmarks)
        self._registered: set[str] = set()  # calls whose start the API has taken (this process)

    # -- life -----------------------------------------------------------------

    async def start(self) -> None:
        """Start sending; what an earlier process kept and did not send goes first."""
        if self._writer is not None:
            return
        kept = await self.store.pending()
        if kept:
            log.info("outbox: %d entries kept from before; sending them", len(kept))
        self._queue(kept)
        orphans = getattr(self.store, "orphans", None)  # a store that survives the process knows them
        for call_id in await orphans() if orphans is not None else []:
            log.warning("outbox: call %s was cut off when this IVR stopped; closing its record", call_id)
            self.put(Entry(call_id, "end", {"outcome": Outcome.SERVICE_ERROR.value}, key=f"orphan-{call_id}"))
        self._writer = asyncio.get_running_loop().create_task(self._write(), name="outbox-writer")

    async def close(self, timeout: float = 5.0) -> None:
        """Keep what is still unsent in the store; let requests in flight finish (never cancel)."""
        if self._writer is None:
            return
        await self.settle(None, timeout)
        self._stop.set()
        self._wake.set()
        await asyncio.gather(self._writer, return_exceptions=True)
        senders = list(self._senders.values())
        if senders:
            await asyncio.wait(senders, timeout=timeout)
        self._writer = None

    # -- taking entries ---------------------------------------------------------

    def put(self, entry: Entry) -> None:
        """Take `entry` now; it is stored, then sent, in the background."""
        self._incoming.append((entry, None))
        self._wake.set()

    async def put_kept(self, entry: Entry) -> None:
        """Take `entry` and return once it is in the store (what the robot then says is kept)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._incoming.append((entry, done))
        self._wake.set()
        if self._writer is None:  # not started: store it ourselves, it is sent after a start
            await self._flush()
        await done

    async def keep_now(self) -> None:
        """Return once everything taken so far is in the store (e.g. a call's start before it goes on)."""
        await self._flush()

    async def wait_registered(self, call_id: str, timeout: float) -> bool:
        """Wait (at most `timeout`) until the API has taken `call_id`'s start; at once False when its
        sending waits for a retry (the API is down): nobody is kept waiting for a dead service."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while call_id not in self._registered:
            gone = self._writer is None or self._stop.is_set() or call_id in self._waiting
            if gone or loop.time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def busy(self, call_id: str | None) -> bool:
        """Something of `call_id` (any call: None) is not yet sent and not waiting for a retry."""
        if any(call_id in (None, e.call_id) for e, _ in self._incoming):
            return True
        ids = self._queues if call_id is None else [call_id]
        return any(self._queues.get(c) and c not in self._waiting for c in ids)

    async def settle(self, call_id: str | None, timeout: float) -> bool:
        """Wait (at most `timeout`) until `call_id` has nothing on its way; False if it still has."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.busy(call_id):
            if loop.time() >= deadline or self._stop.is_set():
                return False
            await asyncio.sleep(0.01)
        return True

    def unsent(self, call_id: str | None = None) -> int:
        """Entries taken and not yet accepted by the API."""
        queued = sum(len(q) for c, q in self._queues.items() if call_id in (None, c))
        return queued + sum(1 for e, _ in self._incoming if call_id in (None, e.call_id))

    # -- storing and sending ------------------------------------------------------

    async def _write(self) -> None:
        while not self._stop.is_set():
            await self._wake.wait()
            self._wake.clear()
            await self._flush()
        await self._flush()

    async def _flush(self) -> None:
        batch, self._incoming = self._incoming, []
        if not batch:
            return
        try:
            await self.store.add([e for e, _ in batch])
        except Exception as exc:  # a full disk must not end calls: send without keeping
            log.exception("outbox: could not keep %d entries; sending them unkept", len(batch))
            for _, done in batch:
                if done is not None and not done.done():
                    done.set_exception(exc)
            batch = [(e, None) for e, done in batch if done is None]
        for _, done in batch:
            if done is not None and not done.done():
                done.set_result(None)
        if self._writer is not None and not self._stop.is_set():
            self._queue([e for e, _ in batch])

    def _queue(self, entries: Iterable[Entry]) -> None:
        loop = asyncio.get_running_loop()
        for entry in entries:
            self._queues.setdefault(entry.call_id, deque()).append(entry)
            if entry.call_id not in self._senders:
                self._senders[entry.call_id] = loop.create_task(
                    self._send_call(entry.call_id), name=f"outbox-{entry.call_id}"
                )

    async def _send_call(self, call_id: str) -> None:
        queue = self._queues[call_id]
        failures = 0
        try:
            while queue and not self._stop.is_set():
                run = [queue[0]]
                if run[0].kind == "line":
                    for entry in itertools.islice(queue, 1, LINES_PER_REQUEST):
                        if entry.kind != "line":
                            break
                        run.append(entry)
                if await self._send(run):
                    await self.store.done([e.seq for e in run])
                    for _ in run:
                        queue.popleft()
                    failures = 0
                    continue
                failures += 1
                delay = min(self._retry_max, self._retry_base * 2 ** (failures - 1))
                self._waiting.add(call_id)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                self._waiting.discard(call_id)
        finally:
            self._waiting.discard(call_id)
            self._senders.pop(call_id, None)
            if not queue:
                self._queues.pop(call_id, None)

    async def _send(self, run: list[Entry]) -> bool:
        """True when the API took `run` or refused it for good; False to try again later."""
        head = run[0]
        async with self._slots:
            try:
                await deliver(self.backend, run)
            except BackendError as exc:
                log.warning("outbox: call %s %s not sent (%s); will retry", head.call_id, head.kind, exc)
                return False
            except Rejected as exc:
                if exc.status == 429:
                    log.warning("outbox: call %s %s: API busy (429); will retry", head.call_id, head.kind)
                    return False
                if exc.status != 409:
                    log.warning("outbox: call %s %s refused (%s); dropped", head.call_id, head.kind, exc)
                    self._refused(head, exc)
                elif head.kind == "start":
                    self._registered.add(head.call_id)
                return True
            except Exception:
                log.exception("outbox: call %s %s could not be sent; dropped", head.call_id, head.kind)
                return True
        self.sent += 1
        if head.kind == "start":
            self._registered.add(head.call_id)
        return True

    def _refused(self, entry: Entry, refusal: Rejected) -> None:
        """A kept reading the API refused: the caller was told it would be passed on, so operators
        get it with the reason, to call back."""
        if entry.kind != "reading":
            return
        body = entry.body
        summary = prompts.reading_refused_summary(refusal.reason, body["meter_id"], body["value"])
        self.put(Entry(entry.call_id, "escalation", {
            "reason": READING_REFUSED, "account": body["account"], "verified": bool(body.get("verified")),
            "summary": summary,
        }, key=f"{entry.key}-refused"))


class CallRecord:
    """One call's record, through an outbox: started once, ended once, never awaited by the voice."""

    def __init__(
        self, outbox: Outbox, call_id: str, *, caller: str | None = None, channel: str | None = None
    ):
        self.outbox = outbox
        self.call_id = call_id
        self.caller = caller
        self.channel = channel
        self.started = False
        self.outcome: str | None = None
        self.kept_readings = 0  # confirmed readings kept for the API while it could not take them

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    def _put(self, kind: str, body: dict[str, Any], key: str | None = None) -> None:
        self.outbox.put(Entry(self.call_id, kind, body, key) if key else Entry(self.call_id, kind, body))

    def start(self, caller: str | None = None) -> None:
        """Register the call (first call of it only: the owner of the channel may have done it)."""
        if self.started:
            return
        self.started = True
        self.caller = self.caller or caller
        self._put("start", {"caller": self.caller, "channel": self.channel})

    def update(self, *, account: str | None = None, step: str | None = None) -> None:
        self.start()
        body = {k: v for k, v in (("account", account), ("step", step)) if v is not None}
        if body and not self.ended:
            self._put("update", body)

    def line(self, speaker: str, text: str) -> None:
        self.start()
        if text:
            self._put("line", {"speaker": speaker, "text": text})

    def end(self, outcome: str) -> bool:
        """Close the record with `outcome`; False (and nothing written) if it was closed already."""
        if self.ended:
            return False
        self.start()
        self.outcome = str(outcome)
        self._put("end", {"outcome": self.outcome})
        return True

    def escalate(self, *, reason: str, account: str | None, verified: bool, summary: str = "") -> None:
        self.start()
        body = {"reason": reason, "account": account, "verified": verified, "summary": summary}
        self._put("escalation", body)

    async def keep_escalation(
        self, *, reason: str, account: str | None, verified: bool, summary: str = ""
    ) -> None:
        """An escalation (a handover's context, a callback request) kept before the robot speaks of it;
        returns once it is in the store, then it reaches the API whenever the API can take it."""
        self.start()
        body = {"reason": reason, "account": account, "verified": verified, "summary": summary}
        await self.outbox.put_kept(Entry(self.call_id, "escalation", body))

    async def keep_reading(
        self, account: str, meter_id: int, value: Decimal, *, verified: bool = True
    ) -> None:
        """Keep a confirmed reading the API could not take now; returns once it is in the store.
        One key per call and meter: the API stores one reading per call and meter anyway."""
        self.start()
        body = {"account": account, "meter_id": int(meter_id), "value": format(Decimal(value), "f"),
                "verified": verified}
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"reading/{self.call_id}/{int(meter_id)}").hex
        await self.outbox.put_kept(Entry(self.call_id, "reading", body, key=key))
        self.kept_readings += 1

    async def registered(self, timeout: float) -> bool:
        """Wait (bounded) until the API knows this call (its start taken), e.g. before the API is asked
        to trust the number the call was registered with; the rest of the record may still be on its way."""
        if not self.started:
            return False
        return await self.outbox.wait_registered(self.call_id, timeout)

    async def settle(self, timeout: float) -> bool:
        """Wait (bounded) until the API has this call's record, or its sending waits for a retry."""
        return await self.outbox.settle(self.call_id, timeout)


async def record_of(channel: Any, backend: Backend) -> tuple[CallRecord, Outbox | None]:
    """The channel's call record (ivr.CallSession has one, over the process's outbox), or, for a
    channel without one (the text chat, tests), a record over an outbox of its own, started; that
    outbox is returned too, for `close_own` at the end of the call."""
    record: CallRecord | None = getattr(channel, "record", None)
    if record is not None:
        return record, None
    own = Outbox(backend)
    await own.start()
    return CallRecord(own, channel.call_id, caller=channel.caller), own


async def close_own(outbox: Outbox, call_id: str, settle_seconds: float = 5.0) -> None:
    """End of a call whose record had an outbox of its own: let the API take it (briefly), then close."""
    if not await outbox.settle(call_id, settle_seconds):
        log.warning("call %s: the API did not take the whole call record", call_id)
    await outbox.close(timeout=1.0)
