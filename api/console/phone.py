"""The console's own AMI link: callbacks placed from the console and the queue's truth.

Why its own link (not the IVR's): the API process runs apart from the IVR, with its own
Asterisk user (`console` in the sandbox: may only Originate; hears UserEvents, the queue's
and call events), so the API never holds the IVR's AMI secret. The link is optional: without
`HOTLINE_CONSOLE_AMI_SECRET` the console works as before and operators dial by hand.

`PhoneSettings.from_env` is the one place the console's telephony settings are read. The API
knows no Asterisk: the composition root (`ivr/console_phone.py`) hands in a `Dialer` over AMI
and feeds Asterisk's news to `caller_left_queue` and `callback_progress`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from api.console import queue_truth, texts

log = logging.getLogger(__name__)


def parse_endpoints(raw: str | None) -> dict[str, str]:
    """`anna:PJSIP/anna,boris:PJSIP/boris` → {operator: endpoint}."""
    endpoints: dict[str, str] = {}
    for item in (raw or "").split(","):
        name, sep, endpoint = item.strip().partition(":")
        if sep and name.strip() and endpoint.strip():
            endpoints[name.strip()] = endpoint.strip()
    return endpoints


@dataclass(frozen=True)
class PhoneSettings:
    """How the console reaches Asterisk, and whom it rings for each operator."""

    secret: str
    host: str = "127.0.0.1"
    port: int = 5038
    user: str = "console"
    default_endpoint: str = "PJSIP/operator"
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # A caller who hung up in the queue after waiting this long gets a callback request.
    callback_after_seconds: int = 60
    operator_ring_seconds: int = 30

    def endpoint_for(self, operator: str) -> str:
        return self.endpoints.get(operator, self.default_endpoint)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PhoneSettings | None:
        """HOTLINE_CONSOLE_AMI_* and HOTLINE_CONSOLE_OPERATOR_*; None when no secret is set."""
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            return env.get(name) or default

        secret = env.get("HOTLINE_CONSOLE_AMI_SECRET")
        if not secret:
            return None
        return cls(
            secret=secret,
            host=get("HOTLINE_CONSOLE_AMI_HOST", "127.0.0.1"),
            port=int(get("HOTLINE_CONSOLE_AMI_PORT", "5038")),
            user=get("HOTLINE_CONSOLE_AMI_USER", "console"),
            default_endpoint=get("HOTLINE_CONSOLE_OPERATOR_ENDPOINT", "PJSIP/operator"),
            endpoints=parse_endpoints(env.get("HOTLINE_CONSOLE_OPERATOR_ENDPOINTS")),
            callback_after_seconds=int(get("HOTLINE_CONSOLE_CALLBACK_AFTER_SECONDS", "60")),
            operator_ring_seconds=int(get("HOTLINE_CONSOLE_OPERATOR_RING_SECONDS", "30")),
        )


class PhoneError(Exception):
    """The telephone system refused the call or is not reachable; the message says why."""


class Dialer(Protocol):
    """Places calls for the console (AMI Originate in production; see ivr/console_phone.py)."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def place_callback(
        self, *, tag: str, operator_endpoint: str, number: str, caller_id: str, operator_ring_seconds: int
    ) -> None:
        """Ring the operator, then `number`; progress comes back tagged `tag`. Raises PhoneError."""
        ...


class ConsolePhone:
    """The console's telephone: places callbacks through its dialer, writes the news into the database."""

    def __init__(
        self,
        settings: PhoneSettings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        zone: ZoneInfo,
        dialer: Dialer,
    ):
        self.settings = settings
        self._sessions = sessions
        self._clock = clock
        self._zone = zone
        self.dialer = dialer
        self._work: set[asyncio.Future[object]] = set()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-phone-db")

    async def start(self) -> None:
        await self.dialer.start()

    async def close(self) -> None:
        await self.dialer.close()
        for task in list(self._work):
            with contextlib.suppress(Exception):
                await task
        self._db.shutdown(wait=False)

    # ---- placing a callback ------------------------------------------------------------------
    async def place(self, esc_id: int, operator: str, number: str) -> str:
        """Ring the operator's phone, then the resident's `number`; returns the endpoint rung.
        Raises PhoneError when the telephone system refuses or is not reachable. How it goes is
        noted on the callback as the news comes (operator answered, resident answered or not)."""
        endpoint = self.settings.endpoint_for(operator)
        await self.dialer.place_callback(
            tag=f"{esc_id}-{secrets.token_hex(4)}",
            operator_endpoint=endpoint,
            number=number,
            caller_id=f"Callback <{number}>",
            operator_ring_seconds=self.settings.operator_ring_seconds,
        )
        return endpoint

    # ---- news from the telephone system (called on the event loop) ----------------------------
    def caller_left_queue(self, call_id: str, waited_seconds: int) -> None:
        """A caller hung up in the operators' queue before anyone answered."""
        log.info("call %s: the caller left the queue after %d s", call_id, waited_seconds)
        self._in_thread(self._caller_left, call_id, waited_seconds)

    def callback_progress(self, tag: str, stage: str, detail: str = "") -> None:
        """How a callback placed with `tag` goes: `dialling`, `operator_unanswered` (detail: why),
        `ended` (detail: the dial's status, ANSWER when the two talked)."""
        esc_id = tag.split("-", 1)[0]
        if not esc_id.isdigit():
            return
        if stage == "dialling":
            text = texts.CALLBACK_DIALLING
        elif stage == "operator_unanswered":
            text = texts.label(texts.OPERATOR_PHONE_RESULTS, detail)
        else:
            text = texts.label(texts.DIAL_RESULTS, detail)
        self._note(int(esc_id), "АТС", text)

    def _note(self, esc_id: int, who: str, text: str) -> None:
        line = queue_truth.note_line(self._clock(), self._zone, who, text)
        self._in_thread(self._append, esc_id, line)

    def _in_thread(self, fn: Callable[..., object], *args: object) -> None:
        """Database work off the event loop, on one thread: notes land in the order Asterisk spoke."""
        loop = asyncio.get_running_loop()
        task: asyncio.Future[object] = asyncio.wrap_future(self._db.submit(fn, *args), loop=loop)
        self._work.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[object]) -> None:
        self._work.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("console phone: database work failed", exc_info=task.exception())

    def _caller_left(self, call_id: str, waited: int) -> None:
        with self._sessions() as session:
            queue_truth.caller_left_queue(
                session,
                call_id,
                waited,
                self._clock(),
                callback_after_seconds=self.settings.callback_after_seconds,
            )

    def _append(self, esc_id: int, line: str) -> None:
        with self._sessions() as session:
            queue_truth.append_note(session, esc_id, line)


def attach_phone(app, settings: PhoneSettings | None, dialer: Dialer | None) -> ConsolePhone | None:
    """Give `app` the console's phone (started and stopped with the app); without settings or a
    dialer the console has none and operators dial by hand."""
    app.state.console_phone = None
    if settings is None or dialer is None:
        return None
    phone = ConsolePhone(
        settings, app.state.sessions, lambda: app.state.clock(), app.state.settings.zone, dialer
    )
    app.state.console_phone = phone
    app.router.add_event_handler("startup", phone.start)
    app.router.add_event_handler("shutdown", phone.close)
    return phone
