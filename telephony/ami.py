"""The Asterisk Manager Interface for the IVR, on asyncio, over the `asterisk-ami` package.

Why an adapter: `asterisk-ami` is thread-based (a listener thread per connection, callbacks
from that thread) and leaves reconnection, keep-alive and asyncio to its user. Here:
- events and action responses cross from its thread to the event loop only through
  `loop.call_soon_threadsafe`; sends go through one worker thread, so the library's
  (unlocked) action-id counter is never raced and the loop never blocks on a socket;
- its socket timeout (3 s by default) also ends the listener thread when Asterisk is idle
  (python-ami issue #47), so we ping more often than the timeout: the ping doubles as the
  liveness check that triggers a reconnect;
- reconnection with exponential backoff when Asterisk restarts;
- when the link drops, every action in flight fails at once with `AmiLinkLost` (a transfer
  during a blip must not wait out its timeout in silence), and after each login the
  connect listeners run (`CallJoiner.recover` asks `CoreShowChannels` for the calls whose
  `HotlineCall` event fell into the gap).

`CallJoiner` pairs the dialplan's `UserEvent(HotlineCall, Id, Caller, Channel)` with the
AudioSocket connection of the same id; either may arrive first.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asterisk.ami import Action, AMIClient

log = logging.getLogger(__name__)

HOTLINE_CALL_EVENT = "HotlineCall"
# Set on the caller's channel by an IVR that ends the call itself, just before it hangs up: the
# dialplan's failover (extensions.conf, ivr-hosts) then ends the call instead of dialling the
# next IVR host, which it does when the leg ends without it (the IVR died mid-call).
IVR_DONE_VARIABLE = "HOTLINE_IVR_DONE"


class AmiError(Exception):
    """Asterisk refused an action, or is not reachable right now."""


class AmiLinkLost(AmiError):
    """The connection dropped while the action waited for its answer (it may or may not have run)."""


@dataclass(frozen=True)
class AmiEvent:
    name: str
    fields: Mapping[str, str]
    # The channel's variables named in manager.conf's `channelvars` (`ChanVariable: NAME=value`).
    variables: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.fields.get(key, default)

    @classmethod
    def from_library(cls, name: str, keys: Mapping[str, object]) -> AmiEvent:
        """asterisk-ami parses `ChanVariable` lines into a dict: keep those apart from the fields."""
        fields = {k: v for k, v in keys.items() if isinstance(v, str)}
        chan = keys.get("ChanVariable")
        variables = {str(k): str(v) for k, v in chan.items()} if isinstance(chan, dict) else {}
        return cls(name, fields, variables)


@dataclass(frozen=True)
class CallInfo:
    """What the dialplan tells us about a call that the AudioSocket stream does not carry."""

    call_id: str
    caller: str | None
    channel: str
    # The event's other fields, as the dialplan sent them (e.g. an outbound call's `DebtContact`);
    # empty for a call learnt from a recovery.
    extra: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def resumes(self) -> str | None:
        """The id of this caller's previous leg when its IVR died mid-call (the dialplan's
        `Resumes` field): the call goes on here, from the start."""
        return (self.extra.get("Resumes") or "").strip() or None


EventListener = Callable[[AmiEvent], None]
ConnectListener = Callable[[], Awaitable[object]]


class AmiClient:
    """A supervised AMI connection: logs in, keeps alive, reconnects, delivers events to asyncio."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        secret: str,
        *,
        keepalive: float = 2.0,
        socket_timeout: float = 10.0,
        action_timeout: float = 5.0,
        ping_timeout: float = 2.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 8.0,
    ):
        self.host, self.port, self.user = host, port, user
        self._secret = secret
        self._keepalive = keepalive
        self._socket_timeout = socket_timeout
        self._action_timeout = action_timeout
        self._ping_timeout = ping_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._listeners: list[EventListener] = []
        self._connect_listeners: list[ConnectListener] = []
        self._pending: set[asyncio.Future[Any]] = set()  # actions waiting for their answer
        self._lists: dict[str, _EventList] = {}  # ActionID → events of a list action
        self._ids = itertools.count(1)
        self._background: set[asyncio.Task[None]] = set()
        self._client: AMIClient | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ami-send")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        # Set when the link is lost, and when an action is sent: the watchdog pings at once, so
        # a link gone silent under an action in flight is found within `ping_timeout`.
        self._wake = asyncio.Event()
        self._closing = False
        self.connected = asyncio.Event()
        self.connections = 0  # successful logins so far; >1 means we reconnected

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Start connecting in the background (returns at once; see `wait_connected`)."""
        self._loop = asyncio.get_running_loop()
        self._supervisor = asyncio.create_task(self._supervise(), name="ami-supervisor")

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def close(self) -> None:
        self._closing = True
        self._wake.set()  # the watchdog returns even if the cancel below is lost (wait_for, 3.11)
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self._drop_client(logoff=True)
        self._executor.shutdown(wait=False)

    async def __aenter__(self) -> AmiClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def add_listener(self, listener: EventListener) -> Callable[[], None]:
        """Call `listener(event)` on the event loop for every AMI event. Returns a remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def add_connect_listener(self, listener: ConnectListener) -> Callable[[], None]:
        """Run `await listener()` after every login (the first and each reconnect). Returns a remover."""
        self._connect_listeners.append(listener)
        return lambda: (
            self._connect_listeners.remove(listener) if listener in self._connect_listeners else None
        )

    async def _supervise(self) -> None:
        delay = self._backoff_initial
        while not self._closing:
            try:
                await self._connect()
                delay = self._backoff_initial
                await self._watch()
            except (OSError, AmiError, TimeoutError) as exc:
                log.info("AMI %s:%d not available: %s", self.host, self.port, exc or type(exc).__name__)
            self.connected.clear()
            self._fail_pending()
            if self._closing:  # close() logs off and drops the client itself
                return
            await self._drop_client(logoff=False)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_max)

    async def _connect(self) -> None:
        assert self._loop is not None
        self._lost.clear()
        self._wake.clear()
        # The socket timeout bounds the listener's idle reads; our pings keep it from firing.
        client = AMIClient(address=self.host, port=self.port, timeout=self._socket_timeout)
        client.add_listener(on_event=self._on_event_thread, on_disconnect=self._on_disconnect_thread)
        self._client = client
        response = await self._send(
            Action("Login", {"Username": self.user, "Secret": self._secret}), login=True
        )
        if response.is_error():
            raise AmiError(
                f"login refused for {self.user!r}: {response.keys.get('Message', response.status)}"
            )
        self.connections += 1
        if self.connections > 1:
            log.info("AMI reconnected to %s:%d", self.host, self.port)
        else:
            log.info("AMI connected to %s:%d as %s", self.host, self.port, self.user)
        self.connected.set()
        for listener in list(self._connect_listeners):
            task = asyncio.create_task(self._run_connect_listener(listener), name="ami-on-connect")
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _run_connect_listener(self, listener: ConnectListener) -> None:
        try:
            await listener()
        except AmiError as exc:
            log.warning("AMI connect listener: %s", exc)
        except Exception:
            log.exception("AMI connect listener failed")

    def _fail_pending(self) -> None:
        """Fail every action still waiting: its answer can no longer come on this link."""
        for future in list(self._pending):
            if not future.done():
                future.set_exception(AmiLinkLost("AMI connection lost before the answer"))
        self._pending.clear()
        for collector in self._lists.values():
            if not collector.done.done():
                collector.done.set_exception(AmiLinkLost("AMI connection lost during the list"))
        self._lists.clear()

    async def _watch(self) -> None:
        """Return when the connection is lost: the listener says so, or a ping goes unanswered."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._keepalive)
            self._wake.clear()
            if self._closing:
                return
            if self._lost.is_set():
                log.warning("AMI connection to %s:%d lost", self.host, self.port)
                return
            try:
                await self._send(Action("Ping"), timeout=self._ping_timeout)
            except (AmiError, OSError, TimeoutError) as exc:
                log.warning("AMI ping failed (%s); reconnecting", exc or type(exc).__name__)
                return

    async def _drop_client(self, *, logoff: bool) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        assert self._loop is not None

        def shutdown() -> None:
            if logoff and client.finished is not None and not client.finished.is_set():
                with contextlib.suppress(Exception):
                    client.send(Action("Logoff", {"ActionID": "logoff"}))
            # The listener thread blocks in recv() until its socket timeout; closing the socket
            # from here does not wake it, shutting it down does.
            with contextlib.suppress(Exception):
                client._socket.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                client.disconnect()

        with contextlib.suppress(Exception):
            await self._loop.run_in_executor(self._executor, shutdown)

    # ---- crossing from the library's threads ---------------------------------------------------
    def _call_in_loop(self, fn: Callable[..., object], *args: object) -> None:
        """Hand work to the event loop from a library thread. Never raises: an exception in a
        library callback would kill its listener thread (and its error handler is broken)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(fn, *args)

    def _on_event_thread(self, source: AMIClient, event: Any) -> None:
        if source is self._client:
            self._call_in_loop(self._dispatch, AmiEvent.from_library(event.name, event.keys))

    def _on_disconnect_thread(self, source: AMIClient, error: object = None) -> None:
        if source is self._client:
            self._call_in_loop(self._link_lost)

    def _link_lost(self) -> None:
        self._lost.set()
        self._wake.set()
        self.connected.clear()
        self._fail_pending()

    def _dispatch(self, event: AmiEvent) -> None:
        collector = self._lists.get(event.get("ActionID") or "")
        if collector is not None:  # part of a list action's answer, not news
            collector.add(event)
            return
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("AMI event listener failed on %s", event.name)

    # ---- actions -----------------------------------------------------------------------------
    async def _send(self, action: Action, *, login: bool = False, timeout: float | None = None) -> Any:
        assert self._loop is not None
        client = self._client
        if client is None or (not login and not self.connected.is_set()):
            raise AmiError("not connected to Asterisk")
        done: asyncio.Future[Any] = self._loop.create_future()
        self._pending.add(done)
        done.add_done_callback(self._pending.discard)
        if not login and action.name != "Ping":
            self._wake.set()

        def on_response(response: Any) -> None:
            def answer() -> None:
                if not done.done():
                    done.set_result(response)

            self._call_in_loop(answer)

        def send() -> None:
            if login:
                client.login(action.keys["Username"], action.keys["Secret"], callback=on_response)
            else:
                client.send_action(action, callback=on_response)

        try:
            await self._loop.run_in_executor(self._executor, send)
        except OSError as exc:
            done.cancel()
            if client is self._client:  # a send on an old link says nothing of the current one
                self._link_lost()
            raise AmiLinkLost(f"cannot send {action.name}: {exc}") from exc
        limit = self._action_timeout if timeout is None else timeout
        try:
            return await asyncio.wait_for(done, limit)
        except TimeoutError as exc:
            raise AmiError(f"no answer to {action.name} within {limit:.1f} s") from exc

    async def action(
        self, name: str, variables: Mapping[str, str] | None = None, **keys: object
    ) -> dict[str, Any]:
        """Send an action; returns the response's fields, raises AmiError when refused. An
        `ActionID` key of ours is kept (events answering the action, e.g. OriginateResponse, carry it)."""
        action = Action(name, {k: str(v) for k, v in keys.items() if v is not None})
        if variables:
            action.variables = {k: str(v) for k, v in variables.items()}
        response = await self._send(action)
        if response.is_error():
            raise AmiError(f"{name} refused: {response.keys.get('Message', response.status)}")
        return dict(response.keys)

    async def list_action(self, name: str, complete: str, **keys: object) -> list[AmiEvent]:
        """Send a list action (`EventList: start`); returns its events up to the `complete` one.

        Our own ActionID is registered before the action is sent, so no event of the answer can
        slip past; the events of a list go to the caller, not to the event listeners."""
        assert self._loop is not None
        action_id = f"hotline-list-{next(self._ids)}"
        collector = _EventList(complete, self._loop.create_future())
        self._lists[action_id] = collector
        try:
            action = Action(name, {k: str(v) for k, v in keys.items() if v is not None})
            action.keys["ActionID"] = action_id
            response = await self._send(action)
            if response.is_error():
                raise AmiError(f"{name} refused: {response.keys.get('Message', response.status)}")
            return await asyncio.wait_for(collector.done, self._action_timeout)
        except TimeoutError as exc:
            raise AmiError(f"{name}: the list did not end within {self._action_timeout:.0f} s") from exc
        finally:
            self._lists.pop(action_id, None)
            if not collector.done.done():
                collector.done.cancel()
            elif not collector.done.cancelled():
                collector.done.exception()  # seen: a lost link already failed it

    async def core_show_channels(self) -> list[AmiEvent]:
        """The channels up now (`CoreShowChannel` events: Channel, CallerIDNum, Application, …)."""
        return await self.list_action("CoreShowChannels", "CoreShowChannelsComplete")

    async def redirect(self, channel: str, context: str, exten: str = "s", priority: int = 1) -> None:
        await self.action("Redirect", Channel=channel, Context=context, Exten=exten, Priority=priority)

    async def setvar(self, channel: str, name: str, value: str) -> None:
        await self.action("Setvar", Channel=channel, Variable=name, Value=value)

    async def hangup(self, channel: str, cause: int | None = None) -> None:
        await self.action("Hangup", Channel=channel, Cause=cause)

    async def originate(
        self,
        channel: str,
        *,
        context: str | None = None,
        exten: str | None = None,
        priority: int = 1,
        application: str | None = None,
        data: str | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout_ms: int = 30000,
        action_id: str | None = None,
    ) -> None:
        """Place a call (asynchronously: Asterisk queues it and answers at once; its
        `OriginateResponse` event, with `action_id`, says whether the channel answered)."""
        await self.action(
            "Originate",
            variables=variables,
            ActionID=action_id,
            Channel=channel,
            Context=context,
            Exten=exten,
            Priority=priority if context else None,
            Application=application,
            Data=data,
            CallerID=caller_id,
            Timeout=timeout_ms,
            Async="true",
        )


@dataclass
class _EventList:
    """The events of one list action, until its completion event."""

    complete: str
    done: asyncio.Future[list[AmiEvent]]
    events: list[AmiEvent] = field(default_factory=list)

    def add(self, event: AmiEvent) -> None:
        if self.done.done():
            return
        if event.name == self.complete:
            self.done.set_result(self.events)
        else:
            self.events.append(event)


def _normalise_id(value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return value.strip().lower()


def audiosocket_call(event: AmiEvent) -> CallInfo | None:
    """A `CoreShowChannel` event of a caller's channel connected to the IVR as CallInfo, else None.

    Either the `Dial(AudioSocket/host:port/id,…)` of the shipped dialplan (ivr-hosts) or the
    `AudioSocket(id,host:port)` application: their data carries the call id. The channel's caller
    id is the caller's number (Asterisk writes `<unknown>` when there is none)."""
    application = (event.get("Application") or "").lower()
    data = event.get("ApplicationData") or ""
    if not event.get("Channel"):
        return None
    if application == "audiosocket":
        call_id = data.split(",", 1)[0].strip()
    elif application == "dial" and data.lower().startswith("audiosocket/"):
        parts = data.split(",", 1)[0].split("/")
        call_id = parts[2].strip() if len(parts) > 2 else ""
    else:
        return None
    if not call_id:
        return None
    number = (event.get("CallerIDNum") or "").strip()
    caller = None if number in ("", "<unknown>") else number
    return CallInfo(_normalise_id(call_id), caller, event.get("Channel") or "")


_CALL_FIELDS = frozenset({"Event", "UserEvent", "Id", "Caller", "Channel", "Privilege", "ActionID"})


async def mark_ivr_done(ami: AmiClient | None, channel: str | None, timeout: float = 1.0) -> bool:
    """Tell the dialplan this IVR ends the call itself (IVR_DONE_VARIABLE on the caller's channel),
    so it does not take the hang-up for a dead IVR and dial the next host. False when it could not
    (no AMI, unknown channel, refused or slow): the caller may then hear the call start again."""
    if ami is None or not channel or not ami.connected.is_set():
        return False
    try:
        await asyncio.wait_for(ami.setvar(channel, IVR_DONE_VARIABLE, "1"), timeout)
    except (AmiError, TimeoutError) as exc:
        log.warning("could not mark %s as ended by the IVR: %s", channel, exc or "timeout")
        return False
    return True


class CallJoiner:
    """Pairs `UserEvent(HotlineCall, Id, Caller, Channel)` with the AudioSocket call of that id.

    Feed it every AMI event (`ami.add_listener(joiner.on_event)`); `await wait(call_id)` returns
    the call's CallInfo whether the event came before or after the socket, or None after the
    timeout. Events nobody claims are forgotten after `ttl` seconds.
    """

    def __init__(self, event_name: str = HOTLINE_CALL_EVENT, ttl: float = 60.0):
        self._event_name = event_name
        self._ttl = ttl
        self._seen: dict[str, tuple[float, CallInfo]] = {}
        self._waiting: dict[str, asyncio.Future[CallInfo]] = {}

    def on_event(self, event: AmiEvent) -> None:
        if event.name != "UserEvent" or event.get("UserEvent") != self._event_name:
            return
        raw_id = event.get("Id")
        channel = event.get("Channel")
        if not raw_id or not channel:
            log.warning("%s event without Id or Channel ignored", self._event_name)
            return
        extra = {k: v for k, v in event.fields.items() if k not in _CALL_FIELDS}
        caller = (event.get("Caller") or "").strip() or None
        self.offer(CallInfo(_normalise_id(raw_id), caller, channel, extra))

    def offer(self, info: CallInfo) -> None:
        """What we know of a call, from its event or from a recovery: to its waiter, or kept."""
        waiter = self._waiting.get(info.call_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(info)
            return
        now = time.monotonic()
        self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self._ttl}
        self._seen[info.call_id] = (now, info)

    async def wait(self, call_id: str, timeout: float = 2.0) -> CallInfo | None:
        key = _normalise_id(call_id)
        seen = self._seen.pop(key, None)
        if seen is not None:
            return seen[1]
        waiter = self._waiting.get(key)
        if waiter is None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting[key] = waiter
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            log.warning("call %s: no %s event within %.1f s", key, self._event_name, timeout)
            return None
        finally:
            if self._waiting.get(key) is waiter:
                del self._waiting[key]

    def attach(self, ami: AmiClient) -> Callable[[], None]:
        """Follow `ami`'s events, and recover missed calls after every (re)connect. Returns a remover."""

        async def recover() -> None:
            await self.recover(ami)

        removers = (ami.add_listener(self.on_event), ami.add_connect_listener(recover))

        def remove() -> None:
            for remover in removers:
                remover()

        return remove

    async def recover(self, ami: AmiClient) -> int:
        """Learn the calls now in `AudioSocket(id, …)` from `CoreShowChannels`: their events may
        have been sent while the link was down. Returns how many calls it found."""
        found = 0
        for event in await ami.core_show_channels():
            info = audiosocket_call(event)
            if info is not None:
                self.offer(info)
                found += 1
        if found:
            log.info("AMI recovery: %d call(s) in AudioSocket", found)
        return found

    @property
    def pending(self) -> int:
        return len(self._seen) + len(self._waiting)
