"""A debt reminder call end to end on the real Asterisk 22 sandbox: the dialer originates the call
(dialer AMI user), the debtor's Local channel answers (test-debtor-caller), the debt-reminder
context hands it to the IVR, which answers it with the reminder dialog (not the menu) against the
real account API; the debtor confirms and promises by keypad, and the contact row says so."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from api.campaigns import Debtor, Limits
from api.models import DebtContact
from dialogs.reminder import next_date_with_day
from ivr.campaign_run import DatabaseBook
from ivr.commands import serve_api
from ivr.dialer import Dialer, DialerSettings
from ivr.outbound import outbound_router
from ivr.service import HotlineService
from ivr.settings import Settings
from telephony.ami import AmiClient
from telephony.sandbox import free_port
from tests.telephony.test_asterisk_business import (  # noqa: F401  (fixtures)
    IVR_TOKEN,
    demo_database,
    pretend_now,
    speech_cache,
)

pytestmark = pytest.mark.asterisk

DEBTOR, PHONE = "002220022-0", "79002220022"  # the demo's debtor and his phone on file


async def test_a_reminder_call_through_asterisk_ends_in_a_promise(sandbox, ami, demo_database, speech_cache,  # noqa: F811
                                                                   tmp_path):
    from dialogs.conversation import run_conversation
    from ivr.api_client import ApiClient
    from speech.tts import EspeakSynthesizer

    db = tmp_path / "hotline.db"
    shutil.copy(demo_database, db)
    port = free_port()
    settings = Settings.from_env().replace(
        database_url=f"sqlite:///{db}", api_host="127.0.0.1", api_port=port,
        api_url=f"http://127.0.0.1:{port}", ivr_token=IVR_TOKEN, tts_cache_dir=speech_cache,
    )
    now = pretend_now(ZoneInfo(settings.timezone))
    options = settings.dialog_options(clock=lambda: now)
    debtor_channel: list[str] = []
    ami.add_listener(lambda e: debtor_channel.append(e.get("Channel") or "")
                     if e.get("UserEvent") == "HotlineTestCall" and e.get("Status") == "started" else None)
    engine = create_engine(f"sqlite:///{db}")
    sessions = sessionmaker(engine, expire_on_commit=False)
    async with serve_api(settings, clock=lambda: now):
        backend = ApiClient(settings.api_url, IVR_TOKEN)
        service = HotlineService(
            dialog=partial(run_conversation, options=options), route=outbound_router(options),
            backend=backend, synthesizer=EspeakSynthesizer.from_settings(settings), ami=ami,
            port=sandbox.ivr_port, record_transcript=False,
        )
        async with service, AmiClient("127.0.0.1", sandbox.ami_port, sandbox.dialer_ami_user,
                                       sandbox.dialer_ami_secret) as dialer_ami:
            await dialer_ami.wait_connected(15)
            dialer = Dialer(
                DialerSettings(caller_id="ЭкоТек <78005505242>", dial="Local/{number}@test-debtor-caller/n",
                               concurrency=1, ring_seconds=10, call_limit=timedelta(seconds=90)),
                DatabaseBook(sessions, Limits()), dialer_ami, clock=lambda: now,
            )
            run = asyncio.create_task(dialer.run([Debtor(DEBTOR, 30000, 2, (PHONE,))], asyncio.Event()))
            for _ in range(300):
                if service.sessions and debtor_channel:
                    break
                await asyncio.sleep(0.05)
            assert service.sessions, "the IVR did not take the reminder call"
            session = next(iter(service.sessions.values()))

            async def when(prompt: str, keys: str) -> None:
                for _ in range(900):
                    robot = [t for s, t in session.transcript if s == "robot"]
                    if any(prompt.lower() in t.lower() for t in robot):
                        for key in keys:
                            await ami.action("PlayDTMF", Channel=debtor_channel[0], Digit=key, Duration=120)
                            await asyncio.sleep(0.15)
                        return
                    await asyncio.sleep(0.05)
                raise AssertionError(f"the robot never said {prompt!r}: {session.transcript}")

            await when("оканчивается на", "1")  # yes, it is me
            await when("Если вы уже оплатили", "2")  # I will pay
            await when("число месяца", "25#")  # by the 25th
            report = await asyncio.wait_for(run, 90)
        await backend.aclose()
    robot = " ".join(t for s, t in session.transcript if s == "robot")
    assert "автоматический звонок компании ЭкоТек" in robot and "Вы позвонили" not in robot  # not the menu
    assert report.outcomes == {(2, "answered"): 1}
    with sessions() as db_session:
        (contact,) = db_session.query(DebtContact).all()
        assert (contact.outcome, contact.promised_on) == ("promised", next_date_with_day(now.date(), 25))
    engine.dispose()
