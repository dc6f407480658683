"""`hotline serve`, `hotline demo`, `hotline call`: the commands that run the whole hotline.

The parts (account API client, speech, the conversation) come from their packages and are
imported where they are used, so `hotline --help` works on any checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from api.settings import ApiSettings
from ivr.settings import Settings
from telephony.kept_secrets import keep, read_kept

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.console.phone import PhoneSettings
    from ivr.api_client import ApiClient
    from ivr.session import Dialog
    from speech.asr import Recognizer
    from speech.tts import EspeakSynthesizer, Synthesizer
    from telephony.ami import AmiClient
    from telephony.sandbox import AsteriskSandbox

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

log = logging.getLogger(__name__)

DEMO_OPERATOR = "demo"  # the console login `hotline demo` creates
DEMO_SECRETS = "demo-secrets.json"  # in HOTLINE_DATA_DIR: tokens `hotline demo` made up, for `hotline call`


def register(sub: Subcommands) -> None:
    """Add the ivr's subcommands."""
    p = sub.add_parser(
        "serve", help="run the IVR: AudioSocket server for Asterisk, AMI control, the conversation"
    )
    p.add_argument(
        "--no-ami", action="store_true", help="no AMI (no caller number, no transfer to operators)"
    )
    p.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="N IVR processes on the one AudioSocket port (default HOTLINE_IVR_WORKERS, 1)",
    )
    p.add_argument(
        "--shared-model", action="store_true",
        help="with --workers: load the Vosk model once and fork the workers from it (shared memory)",
    )
    p.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)  # set by the supervisor
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="demo data + API + Asterisk sandbox + IVR, and how to call in")
    p.add_argument("--no-demo-data", action="store_true", help="keep the database as it is")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("call", help="place a test call through the sandbox Asterisk and print the transcript")
    p.add_argument(
        "--dtmf",
        action="append",
        default=[],
        metavar="KEYS",
        help="keys to press, one entry per answer, in order (e.g. --dtmf 1 --dtmf 0011100117#)",
    )
    p.add_argument("--first-wait", type=float, default=4.0, help="seconds before the first keys (greeting)")
    p.add_argument("--gap", type=float, default=6.0, help="seconds between entries (the robot's answer)")
    p.add_argument("--hold", type=float, default=20.0, help="seconds to stay on after the last keys")
    p.add_argument("--caller", default="79001110011", help="the caller's number the hotline sees")
    p.add_argument("--name", default="default", help="which Asterisk sandbox")
    p.set_defaults(func=cmd_call)


# ---- the parts of a running hotline ----------------------------------------------------------
def _speech(settings: Settings) -> tuple[EspeakSynthesizer, Callable[[], Recognizer] | None]:
    """The robot's voice and, when a Vosk model is installed, its ears (else keypad only)."""
    from speech.asr import VoskRecognizer, load_configured_model
    from speech.tts import EspeakSynthesizer

    synthesizer = EspeakSynthesizer.from_settings(settings)
    synthesizer.warm()  # the render processes start with the IVR, not on the first caller's sentence
    model = load_configured_model(settings)
    factory: Callable[[], Recognizer] | None = None
    if model is not None:
        factory = partial(VoskRecognizer, model)
    if factory is None:
        log.warning("no Vosk model: callers can use the keypad only (see `hotline models`)")
    return synthesizer, factory


def _conversation(settings: Settings) -> Dialog:
    from dialogs.conversation import run_conversation
    from dialogs.understanding import warm_up

    warm_up()  # the morphology dictionaries load at start, not on the first caller's first words
    return partial(run_conversation, options=settings.dialog_options())


def _api_client(settings: Settings) -> ApiClient:
    from ivr.api_client import ApiClient

    if not settings.ivr_token:
        log.warning("HOTLINE_IVR_TOKEN is not set: the account API will refuse the IVR")
    return ApiClient(settings.api_url, settings.ivr_token.get_secret_value() if settings.ivr_token else "")


def _ami_secret(settings: Settings) -> str | None:
    """HOTLINE_AMI_SECRET, or the secret the default sandbox generated and kept."""
    if settings.ami_secret:
        return settings.ami_secret.get_secret_value()
    from telephony.sandbox import AsteriskSandbox

    box = AsteriskSandbox.from_settings(settings)
    kept = box.host_dir / "secrets.json"
    return box.ami_secret if kept.exists() else None


async def _prerender(synthesizer: Synthesizer, texts: list[str]) -> None:
    """Fixed prompts rendered once at start, so the first caller does not wait for espeak."""
    for slow in (False, True):
        for text in texts:
            with contextlib.suppress(Exception):
                await synthesizer.synthesize(text, slow=slow)


async def _prewarm_listening(settings: Settings, synthesizer: Synthesizer,
                             recognizer_factory: Callable[[], Recognizer] | None) -> None:
    """Free-speech recognisers warmed on a thread of their own at start, on what callers typically
    say rendered in the robot's voice (the model's language): the first open questions are not
    seconds late."""
    if recognizer_factory is None or settings.asr_prewarm <= 0:
        return
    from dialogs.prompts import PREWARM_SPEECH
    from speech.asr import load_configured_model

    model = load_configured_model(settings)
    if model is None:
        return
    try:
        clips = [await synthesizer.synthesize(text) for text in PREWARM_SPEECH]
        started = time.monotonic()
        added = await asyncio.to_thread(model.prewarm, clips, settings.asr_prewarm)
        log.info("%d free-speech recognisers warmed in %.1f s", added, time.monotonic() - started)
    except Exception:
        log.exception("warming the free-speech recognisers failed; they warm on the first calls")


async def run_ivr(
    settings: Settings,
    stop: asyncio.Event,
    *,
    use_ami: bool = True,
    on_ready: Callable[[], None] | None = None,
    worker: int | None = None,
) -> None:
    """The IVR until `stop` is set: AudioSocket server, AMI adapter, conversation per call."""
    from dialogs.prompts import static_texts
    from dialogs.record import Outbox
    from ivr.outbox import SqliteStore, outbox_path
    from ivr.service import HotlineService
    from telephony.ami import AmiClient

    synthesizer, recognizer_factory = _speech(settings)
    backend = _api_client(settings)
    # What callers confirm is kept on disk before the robot says so, and sent (again) from there.
    store = SqliteStore(outbox_path(settings.data_dir, settings.audiosocket_port, worker))
    outbox = Outbox(backend, store)
    await outbox.start()
    ami = None
    secret = _ami_secret(settings) if use_ami else None
    if use_ami and not secret:
        log.warning("no AMI secret (HOTLINE_AMI_SECRET): no caller numbers and no transfer to operators")
    if secret:
        ami = AmiClient(settings.ami_host, settings.ami_port, settings.ami_user, secret)
        await ami.start()
    from ivr.outbound import outbound_router

    service = HotlineService.from_settings(
        settings,
        dialog=_conversation(settings),
        route=outbound_router(settings.dialog_options()),  # debt reminder calls (hotline campaign run)
        backend=backend,
        synthesizer=synthesizer,
        recognizer_factory=recognizer_factory,
        ami=ami,
        record_transcript=False,  # dialogs.conversation keeps the transcript
        outbox=outbox,
        reuse_port=worker is not None,  # `serve --workers`: one port, the kernel spreads calls
    )
    prerender = asyncio.create_task(_prerender(synthesizer, static_texts()))
    prewarm = asyncio.create_task(_prewarm_listening(settings, synthesizer, recognizer_factory))
    # What start-up loaded (model, dictionaries, grammars, prompts) lives as long as the process:
    # keep it out of the garbage collector's full passes, which would otherwise stall every call.
    gc.freeze()
    await service.start()
    log.info("IVR answering AudioSocket calls on %s:%d", settings.audiosocket_host, service.server.port)
    if on_ready is not None:
        on_ready()
    try:
        await stop.wait()
        # SIGTERM/Ctrl+C: no new calls; live ones may finish, then hear why the call ends.
        ended = await service.drain(settings.drain_seconds)
        if ended:
            log.warning("stopping: %d calls were ended with the restart sentence", ended)
    finally:
        prerender.cancel()
        prewarm.cancel()
        await service.close()
        if ami is not None:
            await ami.close()
        await outbox.close()  # what the API has not taken yet stays in the file for the next start
        await store.close()
        # Its render processes stop now: a worker forked by `--shared-model` joins its children
        # before the interpreter's own exit would have stopped them (it would wait forever).
        await asyncio.to_thread(synthesizer.close)
        with contextlib.suppress(Exception):
            await backend.aclose()


def _quiet_http_logs() -> None:
    """httpx logs every request at INFO: one line per transcript line is noise on a console."""
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))


def _run_until_signal(main: Callable[[asyncio.Event], Awaitable[None]]) -> int:
    _quiet_http_logs()

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    workers = args.workers if args.workers is not None else settings.ivr_workers
    if args.worker is None and workers > 1:
        from ivr.workers import supervise

        return _run_until_signal(
            lambda stop: supervise(workers, stop, use_ami=not args.no_ami, shared_model=args.shared_model)
        )
    return _run_until_signal(
        lambda stop: run_ivr(settings, stop, use_ami=not args.no_ami, worker=args.worker)
    )


# ---- demo ------------------------------------------------------------------------------------
def _kept_demo_secrets(settings: Settings) -> dict[str, str]:
    """What an earlier `hotline demo` made up and kept in HOTLINE_DATA_DIR; {} when none (or unreadable)."""
    return read_kept(settings.data_dir / DEMO_SECRETS)


def _demo_settings(settings: Settings) -> Settings:
    """Settings with the tokens the demo needs, made up (and kept for `hotline call`) when unset."""
    path = settings.data_dir / DEMO_SECRETS
    kept = _kept_demo_secrets(settings)
    ivr_token = (
        settings.ivr_token.get_secret_value()
        if settings.ivr_token
        else kept.get("ivr_token") or secrets.token_urlsafe(24)
    )
    operator_tokens = {token.get_secret_value(): name for token, name in settings.operator_tokens.items()}
    if not operator_tokens:
        operator_tokens = {kept.get("operator_token") or secrets.token_urlsafe(24): "demo"}
    console_password = kept.get("console_password") or secrets.token_urlsafe(9)
    keep(
        path,
        {
            "ivr_token": ivr_token,
            "operator_token": next(iter(operator_tokens)),
            "console_password": console_password,
        },
    )
    return settings.replace(ivr_token=ivr_token, operator_tokens=operator_tokens)


def demo_console_password(settings: Settings) -> str | None:
    """The password of the demo console login, as `_demo_settings` made it up and kept it."""
    return _kept_demo_secrets(settings).get("console_password")


def ensure_demo_operator(settings: Settings) -> None:
    """A console login `demo` with the kept password, so the demo's console opens at once.

    Why: without it a newcomer sees a login page nobody can pass until `hotline operators add`.
    An existing `demo` operator is left as it is (someone may have changed its password on purpose).
    """
    from datetime import UTC, datetime

    from api.console import auth
    from api.db import migrated_session

    password = demo_console_password(settings)
    if not password:
        return
    with migrated_session(settings.database_url) as session:
        with contextlib.suppress(auth.OperatorError):
            auth.add_operator(session, DEMO_OPERATOR, password, datetime.now(UTC))


def _operator_token(settings: Settings) -> str | None:
    if settings.operator_tokens:
        return next(iter(settings.operator_tokens)).get_secret_value()
    return _kept_demo_secrets(settings).get("operator_token")


def fill_demo_data(settings: Settings) -> None:
    """The demo accounts in these settings' database, as `hotline demo-data` writes them."""
    from api.cli import demo_data_report, fill_demo_database

    api_settings = settings.part(ApiSettings)
    print(demo_data_report(api_settings, fill_demo_database(api_settings)))


def how_to_call(settings: Settings, box: AsteriskSandbox) -> str:
    return f"""
The hotline is running.
  Call it from a SIP softphone (Linphone, MicroSIP, Zoiper) on this machine:
    account   demo   password {box.sip_demo_password}   server 127.0.0.1:{box.sip_port} (UDP)
    dial      {box.exten}
  An operator softphone may register as "operator" (same password): escalated calls ring it.
  No phone? In another terminal (balance → "yes, that is my account" → no details → goodbye):
    hotline call --dtmf 1 --dtmf 1 --dtmf 2 --dtmf 9
  Operator console: {settings.api_url}/console/
    login {DEMO_OPERATOR}   password {demo_console_password(settings)}
  API (OpenAPI at {settings.api_url}/docs): operator token in {settings.data_dir / DEMO_SECRETS}
Ctrl+C stops everything."""


@contextlib.asynccontextmanager
async def serve_api(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    console_phone: PhoneSettings | None = None,
) -> AsyncIterator[FastAPI]:
    """The account API on settings.api_host:api_port in this process (uvicorn), until the block ends;
    with `console_phone`, the console's «Позвонить» and queue news over its own AMI user."""
    import uvicorn

    from api.app import create_app
    from ivr.console_phone import attach_console_phone

    api_settings = settings.part(ApiSettings)  # the API gets its part only (no AMI secret)
    app = create_app(settings=api_settings, clock=clock) if clock else create_app(settings=api_settings)
    if console_phone is not None:
        attach_console_phone(app, console_phone)
    config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="warning")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]  # ours stop everything in order
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start (port taken, ...)
            raise RuntimeError("the API server stopped while starting")
        await asyncio.sleep(0.05)
    try:
        yield app
    finally:
        server.should_exit = True
        await task


async def run_demo(settings: Settings, stop: asyncio.Event) -> None:
    from telephony.cli import describe
    from telephony.sandbox import AsteriskSandbox, build, is_built

    box = AsteriskSandbox.from_settings(settings)
    if not is_built(box.root):
        await asyncio.to_thread(build, box.root)
    started_here = False
    if not box.is_running():
        seconds = await asyncio.to_thread(box.start)
        started_here = True
        log.info("Asterisk sandbox up in %.1f s", seconds)
    settings = settings.replace(ami_secret=box.ami_secret)
    try:
        from api.console.phone import PhoneSettings

        phone = PhoneSettings(secret=box.console_ami_secret, port=box.ami_port, user=box.console_ami_user)
        async with serve_api(settings, console_phone=phone):
            await run_ivr(
                settings, stop, on_ready=lambda: print(describe(box) + how_to_call(settings, box), flush=True)
            )
    finally:
        if started_here:
            await asyncio.to_thread(box.stop)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    settings = _demo_settings(settings)
    if not args.no_demo_data:
        fill_demo_data(settings)
    ensure_demo_operator(settings)
    return _run_until_signal(lambda stop: run_demo(settings, stop))


# ---- a test call -----------------------------------------------------------------------------
class _CallRecord:
    """The call's record in the API, read with the operator token while the call goes on."""

    def __init__(self, settings: Settings, call_id: str, token: str):
        import httpx

        self._url = f"{settings.api_url.rstrip('/')}/api/v1/calls/{call_id}"
        self._http = httpx.AsyncClient(timeout=5.0, headers={"Authorization": f"Bearer {token}"})

    async def get(self) -> dict[str, Any] | None:
        import httpx

        try:
            response = await self._http.get(self._url)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    async def lines_when(
        self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float
    ) -> list[dict[str, Any]] | None:
        """The transcript once `condition(lines)` holds, or None after `timeout` seconds."""
        for _ in range(int(timeout / 0.25)):
            body = await self.get()
            if body is not None and condition(body.get("transcript") or []):
                lines: list[dict[str, Any]] = body["transcript"]
                return lines
            await asyncio.sleep(0.25)
        return None

    async def aclose(self) -> None:
        await self._http.aclose()


async def _answer_in_turn(
    ami: AmiClient, channel: str, record: _CallRecord, entries: list[str], patience: float
) -> bool:
    """Press each entry once the robot has spoken since the previous answer was taken; keys
    pressed while it talks stop the prompt (barge-in), as a caller who knows the menu does."""
    for entry in entries:
        lines = await record.lines_when(
            lambda lines: bool(lines) and lines[-1]["speaker"] == "robot", patience
        )
        if lines is None:
            return False
        for key in entry:
            await ami.action("PlayDTMF", Channel=channel, Digit=key, Duration=120)
            await asyncio.sleep(0.15)
        taken = len(lines)

        def answered(lines: list[dict[str, Any]], n: int = taken) -> bool:
            return any(x["speaker"] == "caller" for x in lines[n:])

        if await record.lines_when(answered, patience) is None:
            return False
    return True


async def place_test_call(settings: Settings, args: argparse.Namespace) -> int:
    from telephony.ami import AmiClient
    from telephony.sandbox import AsteriskSandbox
    from telephony.testcall import keys, place_call, voiced_seconds, wait

    box = AsteriskSandbox.from_settings(settings, args.name)
    if not box.is_running():
        print("The Asterisk sandbox is not running: start `hotline demo` first.", file=sys.stderr)
        return 1
    token = _operator_token(settings)
    if token:
        steps = [wait(args.hold + len(args.dtmf) * 60)]  # keys are pressed as the robot asks
    else:  # no way to follow the conversation: press at fixed times
        steps = [wait(args.first_wait)]
        for entry in args.dtmf:
            steps += [keys(entry), wait(args.gap)]
        steps.append(wait(args.hold))
    record = None
    async with AmiClient(settings.ami_host, box.ami_port, box.ami_user, box.ami_secret) as ami:
        await ami.wait_connected(10)
        call = await place_call(ami, box.recordings, steps, caller=args.caller, tail=1)
        call_id = await call.joined(15)
        channel = await call.started(15)
        print(f"Calling {box.exten} as {args.caller} (call {call_id}); keys: {' '.join(args.dtmf) or 'none'}")
        if token:
            record = _CallRecord(settings, call_id, token)
            if not await _answer_in_turn(ami, channel, record, args.dtmf, patience=45):
                print("The robot stopped asking before all keys were pressed.", file=sys.stderr)
        try:
            await call.ended(
                args.hold if token else args.first_wait + len(args.dtmf) * args.gap + args.hold + 30
            )
        except TimeoutError:
            await ami.hangup(channel)  # the robot did not hang up: we do
            await call.ended(15)
    samples, rate = call.heard()
    print(f"The caller heard {voiced_seconds(samples, rate):.1f} s of the robot's speech.")
    lines = None
    if record is not None:
        body = None
        for _ in range(20):  # the IVR closes the record a moment after the line drops
            body = await record.get()
            if body is None or body.get("ended_at"):
                break
            await asyncio.sleep(0.25)
        lines = body.get("transcript") if body else None
        await record.aclose()
    if lines is None:
        print("No transcript: no operator token to read it, or the API has no record of this call.")
        return 1
    for line in lines:
        who = "робот" if line.get("speaker") == "robot" else "абонент"
        print(f"  {who}: {line.get('text')}")
    return 0


def cmd_call(args: argparse.Namespace, settings: Settings) -> int:
    _quiet_http_logs()
    try:
        return asyncio.run(place_test_call(settings, args))
    except TimeoutError:
        print(
            "The hotline did not answer in time: is `hotline demo` (or `hotline serve`) running?",
            file=sys.stderr,
        )
        return 1
